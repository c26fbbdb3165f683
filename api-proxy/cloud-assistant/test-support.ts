import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KEY_SCRIPT_PARAMS } from '#ecs/key-script';
import { parseKeyScriptOutput } from '#ecs/key-script';

/**
 * Running the real key script (docs/activation-script.md) in tests, against temporary home directories. No real
 * user is created: a fake `getent` first on PATH answers passwd lookups with those homes, and a fake `sshd`
 * answers `sshd -T`. Placeholders are replaced as text, the way Cloud Assistant does.
 */

export const SCRIPT = readFileSync(new URL('./authorized-keys.sh', import.meta.url), 'utf8');

export const isRoot = process.getuid?.() === 0;
// As root, the test user gets ids of its own, so that the script really sets the owner; otherwise it can only
// hand files to ourselves.
export const UID = isRoot ? 4242 : (process.getuid?.() ?? 0);
export const GID = isRoot ? 4242 : (process.getgid?.() ?? 0);

export const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;

/** Public keys only (no private key is ever needed). */
export const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILIlYhyO6WEMXYU4f0ZKTpgeCXqmllUlHM6MShtTDU2o a@example';
export const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK2Qt33bmjSbj3JnAtFXlJx/3WQ7QD9sZgVjgtAWNpVd b@example';
export const COLLEAGUE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0QAGQds2NLCo0EjOB0D4eQovWYjP2J8CPPRRruA5rc colleague@example';
export const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAO3tTqdwSIQe61/6tSudpzfAfXB+L1YZQFwmQRPiKqei1egXkPOdxtJvWtAdND837gCbSXVVSyopHJNDE2L4ww= ops@example';
// The public key from Apache libcloud's TestPublicKeyUtils (docs/ecs-notes.md#fingerprints).
export const RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDOfbWSXOlqvYjZmRO84/lIoV4gvuX+P1lLg50MMg6jZjLZIlYY081XPRmuom0xY0+BO++J2KgLl7gxJ6xMsKK2VQ+TakdfAH20XfMcTohd/zVCeWsbqZQvEhVXBo4hPIktcfNz0u9Ez3EtInO+kb7raLcRhOVi9QmOkOrCWtQU9mS71AWJuqI9H0YAnTiI8Hs5bn2tpMIqmTXT3g2bwywC25x1Nx9Hy0/FP+KUL6AgvDXv47l+TgSDfTBEkvq+IF1ITrnaOG+nRE02oZC6cwHYTifM/IOollkujxIQmi2Z+j66OHSrjnEQugr0FqGJF2ygKfIh/i2u3fVLM60qE2NN user@example';
export type ParamName = (typeof KEY_SCRIPT_PARAMS)[keyof typeof KEY_SCRIPT_PARAMS];

export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Cloud Assistant's substitution: plain text, every occurrence (a function, so `$&` in a value stays text). */
export function substitute(script: string, values: Record<string, string>): string {
  let text = script;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{{${name}}}`, () => value);
  return text;
}

export interface Fixture {
  root: string;
  bin: string;
  work: string;
  /** alice's home. */
  home: string;
  /** passwd lines the fake getent answers with; alice's first. */
  passwd: string[];
  /** What the fake `sshd -T` prints; unset: it fails. */
  sshdSettings?: string;
}

function writeExecutable(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o755 });
}

export function makeHome(dir: string, uid = UID, gid = GID): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (isRoot) chownSync(dir, uid, gid);
  return dir;
}

export function makeFixture(): Fixture {
  const root = mkdtempSync(path.join(tmpdir(), 'keys-'));
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  const work = path.join(root, 'work');
  mkdirSync(work);
  const home = makeHome(path.join(root, 'home', 'alice'));
  writeExecutable(
    path.join(bin, 'getent'),
    `#!/bin/bash
# The test's passwd database: temporary homes, never the machine's users.
[[ $1 == passwd && $# == 2 ]] || exit 1
while IFS= read -r line; do
  if [[ \${line%%:*} == "$2" ]]; then printf '%s\\n' "$line"; exit 0; fi
done < ${JSON.stringify(path.join(root, 'passwd'))}
exit 2
`,
  );
  writeExecutable(
    path.join(bin, 'sshd'),
    `#!/bin/bash
printf '%s\\n' "$*" >> ${JSON.stringify(path.join(root, 'sshd-args'))}
cat ${JSON.stringify(path.join(root, 'sshd-T'))} 2>/dev/null || exit 1
`,
  );
  return { root, bin, work, home, passwd: [`alice:x:${UID}:${GID}:Alice:${home}:/bin/bash`] };
}

export function removeFixture(fx: Fixture): void {
  rmSync(fx.root, { recursive: true, force: true });
}

let withoutSshKeygen: string | undefined;

/**
 * A directory linking every command on PATH except ssh-keygen: the script's fallback path. Made once per test
 * file; `removeSharedFixtures` (in an afterAll) removes it.
 */
function pathWithoutSshKeygen(): string {
  if (withoutSshKeygen !== undefined) return withoutSshKeygen;
  const dir = mkdtempSync(path.join(tmpdir(), 'keys-path-'));
  for (const entry of (process.env.PATH ?? '').split(':')) {
    if (!entry || !existsSync(entry)) continue;
    for (const name of readdirSync(entry)) {
      const link = path.join(dir, name);
      if (name !== 'ssh-keygen' && !existsSync(link)) symlinkSync(path.join(entry, name), link);
    }
  }
  withoutSshKeygen = dir;
  return dir;
}

export function removeSharedFixtures(): void {
  if (withoutSshKeygen !== undefined) rmSync(withoutSshKeygen, { recursive: true, force: true });
  withoutSshKeygen = undefined;
}

/** Runs a script text, placeholders already substituted, as bash in the fixture. */
export function runText(fx: Fixture, text: string, { fallback = false }: { fallback?: boolean } = {}) {
  writeFileSync(path.join(fx.root, 'passwd'), `${fx.passwd.join('\n')}\n`);
  if (fx.sshdSettings === undefined) rmSync(path.join(fx.root, 'sshd-T'), { force: true });
  else writeFileSync(path.join(fx.root, 'sshd-T'), fx.sshdSettings);
  const file = path.join(fx.root, 'command.sh');
  writeFileSync(file, text, { mode: 0o700 });
  const result = spawnSync('bash', [file], {
    cwd: fx.work,
    env: { PATH: `${fx.bin}:${fallback ? pathWithoutSshKeygen() : (process.env.PATH ?? '')}`, LC_ALL: 'C' },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, out: parseKeyScriptOutput(result.stdout) };
}

export interface Run {
  mode: string;
  user?: string;
  key?: string;
  replace?: string;
  /** Raw parameter values, replacing the Base64 of the fields above. */
  raw?: Partial<Record<ParamName, string>>;
  fallback?: boolean;
}

/** Runs the script file with these parameters, Base64-encoded as the proxy sends them. */
export function run(fx: Fixture, { mode, user = 'alice', key = '', replace = '', raw = {}, fallback = false }: Run) {
  const values: Record<ParamName, string> = { mode, user_b64: b64(user), key_b64: b64(key), replace_b64: b64(replace), ...raw };
  return runText(fx, substitute(SCRIPT, values), { fallback });
}

export type RunResult = ReturnType<typeof runText>;
