import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Runs before the Playwright specs (`npm run test:e2e`) so `npm test` finds a browser by itself on a fresh
 * machine: Debian's Chromium through apt when running as root on Debian (Playwright cannot download
 * its own browsers there), Playwright's bundled Chromium elsewhere (a developer's laptop).
 */
const systemChromium = process.env['PLAYWRIGHT_CHROMIUM_PATH'] ?? '/usr/bin/chromium';

function run(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

if (existsSync(systemChromium)) {
  process.exit(0);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && existsSync('/usr/bin/apt-get') && existsSync('/etc/debian_version')) {
  console.log('ensure-browser: installing Debian chromium with apt-get…');
  if (!run('apt-get', ['update']) || !run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-noto-cjk'])) {
    console.error('ensure-browser: apt-get could not install chromium');
    process.exit(1);
  }
  process.exit(0);
}
console.log('ensure-browser: no system Chromium; installing Playwright’s own browser…');
process.exit(run(process.execPath, ['node_modules/@playwright/test/cli.js', 'install', 'chromium']) ? 0 : 1);
