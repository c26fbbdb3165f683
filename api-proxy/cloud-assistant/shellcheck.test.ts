import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * ShellCheck over the shell scripts, above all the fixed Cloud Assistant script that runs as root on every
 * instance it activates (docs/activation-script.md). `npm run check` runs it as `lint:sh`; this test runs the
 * same command so that `npm test`, which CI runs, enforces it too. Without shellcheck the test is skipped on a
 * workstation but fails in CI (`CI` set), where .ci/run installs it.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const LINT_SH = pkg.scripts['lint:sh'] ?? '';

const probe = spawnSync('shellcheck', ['--version']);
const installed = probe.error === undefined && probe.status === 0;
const inCi = Boolean(process.env.CI);

describe('shellcheck', () => {
  it('is the lint:sh script of package.json', () => {
    expect(LINT_SH).toMatch(/^shellcheck .*api-proxy\/cloud-assistant\/\*\.sh/);
  });

  it.skipIf(!installed && !inCi)(
    installed || inCi ? 'finds nothing in the shell scripts' : 'finds nothing in the shell scripts (skipped: shellcheck is not installed)',
    () => {
      if (!installed) throw new Error('shellcheck is not installed: CI must install it (.ci/run, Debian package shellcheck)');
      const result = spawnSync('sh', ['-c', LINT_SH], { cwd: ROOT, encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
