import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KEY_SCRIPT_MARKER, KEY_SCRIPT_PARAMS, KEY_SCRIPT_REASONS } from '#ecs/key-script';
import { ecsFingerprint, parsePublicKey, sha256Fingerprint } from '#ecs/ssh-keys';
import {
  COLLEAGUE,
  ECDSA,
  GID,
  hasSshKeygen,
  isRoot,
  KEY_A,
  KEY_B,
  makeFixture,
  makeHome,
  removeFixture,
  removeSharedFixtures,
  RSA,
  run as runIn,
  SCRIPT,
  UID,
  type Fixture,
  type Run,
  type RunResult,
} from './test-support';

/**
 * The real script (docs/activation-script.md) run by bash against temporary home directories
 * (./test-support.ts: a fake getent and sshd, Cloud Assistant's textual substitution).
 */

const blobOf = (line: string): string => line.split(' ')[1] ?? '';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => removeFixture(fx));
afterAll(removeSharedFixtures);

const run = (params: Run) => runIn(fx, params);

const sshDir = () => path.join(fx.home, '.ssh');
const keysFile = () => path.join(fx.home, '.ssh', 'authorized_keys');

function writeKeys(text: string): void {
  mkdirSync(sshDir(), { recursive: true, mode: 0o700 });
  writeFileSync(keysFile(), text, { mode: 0o600 });
  if (isRoot) {
    chownSync(sshDir(), UID, GID);
    chownSync(keysFile(), UID, GID);
  }
}

const readKeys = () => readFileSync(keysFile(), 'utf8');

describe('the script file', () => {
  it('carries the marker on its second line, after the bash shebang', () => {
    const [shebang, marker] = SCRIPT.split('\n');
    expect(shebang).toBe('#!/bin/bash');
    expect(marker).toBe(KEY_SCRIPT_MARKER);
  });

  it('has exactly the four parameters as placeholders, once each, and no other {{…}}', () => {
    // With EnableParameter=true, Cloud Assistant treats every {{name}} as a parameter, comments included.
    const found = [...SCRIPT.matchAll(/\{\{([^}]*)\}\}/g)].map((m) => m[1]);
    expect(found.sort()).toEqual(Object.values(KEY_SCRIPT_PARAMS).sort());
    expect(SCRIPT.split('{{').length - 1).toBe(4);
  });

  it('refuses only with the protocol reasons', () => {
    const used = new Set([...SCRIPT.matchAll(/refuse ([a-z-]+)/g)].map((m) => m[1]));
    used.add('internal-error');
    expect([...used].sort()).toEqual([...KEY_SCRIPT_REASONS].sort());
  });
});

describe('add', () => {
  it('adds the key: the file is 0600 and the directory 0700, both the user’s, and no temporary file is left', () => {
    const r = run({ mode: 'add', key: KEY_A });
    expect(r.status).toBe(0);
    expect(r.out).toEqual({ result: 'added', user: 'alice', file: keysFile(), replaced: false, keys: [] });
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('RESULT=added');
    expect(readKeys()).toBe(`${KEY_A}\n`);
    const file = statSync(keysFile());
    const dir = statSync(sshDir());
    expect(file.mode & 0o777).toBe(0o600);
    expect(dir.mode & 0o777).toBe(0o700);
    expect([file.uid, file.gid, dir.uid, dir.gid]).toEqual([UID, GID, UID, GID]);
    expect(readdirSync(sshDir())).toEqual(['authorized_keys']);
  });

  it('is idempotent: a second run says present and leaves the file as it was, byte for byte and inode', () => {
    writeKeys(`${COLLEAGUE}\n${KEY_A}\n`);
    const before = statSync(keysFile());
    const r = run({ mode: 'add', key: KEY_A });
    expect(r.status).toBe(0);
    expect(r.out?.result).toBe('present');
    expect(readKeys()).toBe(`${COLLEAGUE}\n${KEY_A}\n`);
    expect(statSync(keysFile()).ino).toBe(before.ino);
  });

  it('compares on (type, base64) only: the same key with another comment is present', () => {
    writeKeys(`ssh-ed25519 ${blobOf(KEY_A)} laptop\n`);
    expect(run({ mode: 'add', key: KEY_A }).out?.result).toBe('present');
  });

  it('replaces the previously bound key and keeps a colleague’s line, and every other line, byte for byte', () => {
    const others = `# managed by hand\n${COLLEAGUE}\n\n`;
    writeKeys(`${others}${KEY_A}\n`);
    const r = run({ mode: 'add', key: KEY_B, replace: KEY_A });
    expect(r.status).toBe(0);
    expect(r.out).toMatchObject({ result: 'added', replaced: true });
    expect(readKeys()).toBe(`${others}${KEY_B}\n`);
    expect(readdirSync(sshDir())).toEqual(['authorized_keys']);
  });

  it('says REPLACED=0 when the previous key is not there, and adds', () => {
    writeKeys(`${COLLEAGUE}\n`);
    const r = run({ mode: 'add', key: KEY_B, replace: KEY_A });
    expect(r.out).toMatchObject({ result: 'added', replaced: false });
    expect(readKeys()).toBe(`${COLLEAGUE}\n${KEY_B}\n`);
  });

  it('removes the previous key even when the new one is already present', () => {
    writeKeys(`${KEY_A}\n${KEY_B}\n`);
    const r = run({ mode: 'add', key: KEY_B, replace: KEY_A });
    expect(r.out).toMatchObject({ result: 'present', replaced: true });
    expect(readKeys()).toBe(`${KEY_B}\n`);
  });

  it.each([
    ['RSA', RSA],
    ['ECDSA', ECDSA],
  ])('takes %s keys', (_name, key) => {
    expect(run({ mode: 'add', key }).out?.result).toBe('added');
    expect(readKeys()).toBe(`${key}\n`);
  });

  it('works the same without ssh-keygen', () => {
    expect(run({ mode: 'add', key: KEY_A, fallback: true }).out?.result).toBe('added');
    expect(run({ mode: 'add', key: KEY_A, fallback: true }).out?.result).toBe('present');
  });
});

describe('remove', () => {
  it('removes only the lines with the same type and base64, and leaves every other byte alone', () => {
    const others = [`# keys`, COLLEAGUE, '', `no-pty ${KEY_B}`, 'garbage that is not a key'];
    writeKeys(`${others[0]}\n${KEY_A}\n${others.slice(1).join('\n')}\nfrom="10.0.0.1" ${KEY_A}\n`);
    const r = run({ mode: 'remove', key: KEY_A });
    expect(r.status).toBe(0);
    expect(r.out).toEqual({ result: 'removed', user: 'alice', file: keysFile(), keys: [] });
    expect(readKeys()).toBe(`${others.join('\n')}\n`);
    expect(statSync(keysFile()).mode & 0o777).toBe(0o600);
    expect(readdirSync(sshDir())).toEqual(['authorized_keys']);
  });

  it('says absent and does not rewrite the file when the key is not there', () => {
    writeKeys(`${COLLEAGUE}\n`);
    const before = statSync(keysFile());
    const r = run({ mode: 'remove', key: KEY_A });
    expect(r.status).toBe(0);
    expect(r.out?.result).toBe('absent');
    expect(readKeys()).toBe(`${COLLEAGUE}\n`);
    expect(statSync(keysFile()).ino).toBe(before.ino);
  });

  it('says absent without creating ~/.ssh when there is none', () => {
    expect(run({ mode: 'remove', key: KEY_A }).out?.result).toBe('absent');
    expect(existsSync(sshDir())).toBe(false);
  });
});

describe('list', () => {
  const expected = (line: string) => {
    const key = parsePublicKey(line);
    return { type: key.type, sha256: sha256Fingerprint(key), md5: ecsFingerprint(key) };
  };

  it.each([
    ['with ssh-keygen', false],
    ['from sha256sum and md5sum', true],
  ])('prints every key line’s fingerprints as ecs/ssh-keys.ts computes them (%s)', (_how, fallback) => {
    if (!fallback && !hasSshKeygen) return;
    writeKeys(`# a comment\n${RSA}\n\nrestrict,command="echo hi there" ${KEY_B}\n${ECDSA}\nnot a key\n`);
    fx.sshdSettings = 'port 22\npasswordauthentication no\npubkeyauthentication yes\n';
    const before = readKeys();
    const r = run({ mode: 'list', fallback });
    expect(r.status).toBe(0);
    expect(r.out).toEqual({
      result: 'listed',
      user: 'alice',
      file: keysFile(),
      keys: [expected(RSA), expected(KEY_B), expected(ECDSA)],
      passwordAuthentication: 'no',
      pubkeyAuthentication: 'yes',
    });
    expect(r.out?.keys[0]).toMatchObject({
      md5: '3522135b82e25de1908c73749fef3bd8',
      sha256: 'SHA256:IH2G+I4pVgKZpt1jcac84+yJIKwI5zq8pwW7+PaWqfA',
    });
    expect(readKeys()).toBe(before);
    // sshd is asked for this user's settings (Match blocks applied).
    expect(readFileSync(path.join(fx.root, 'sshd-args'), 'utf8')).toContain('-T -C user=alice,host=localhost,addr=127.0.0.1');
  });

  it('says unknown when sshd cannot tell, and lists nothing, creating nothing, without ~/.ssh', () => {
    const r = run({ mode: 'list' });
    expect(r.status).toBe(0);
    expect(r.out).toEqual({
      result: 'listed',
      user: 'alice',
      file: keysFile(),
      keys: [],
      passwordAuthentication: 'unknown',
      pubkeyAuthentication: 'unknown',
    });
    expect(existsSync(sshDir())).toBe(false);
  });
});

describe('refusals (exit 2, RESULT=refused last, nothing written)', () => {
  const refused = (r: RunResult, reason: string) => {
    expect(r.out).toMatchObject({ result: 'refused', reason });
    expect(r.status).toBe(2);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('RESULT=refused');
  };

  it('refuses a symlinked ~/.ssh, in every mode, without touching where it points', () => {
    const elsewhere = makeHome(path.join(fx.root, 'elsewhere'));
    writeFileSync(path.join(elsewhere, 'authorized_keys'), `${COLLEAGUE}\n`);
    symlinkSync(elsewhere, sshDir());
    for (const mode of ['add', 'remove', 'list']) refused(run({ mode, key: mode === 'list' ? '' : KEY_A }), 'symlink');
    expect(readFileSync(path.join(elsewhere, 'authorized_keys'), 'utf8')).toBe(`${COLLEAGUE}\n`);
  });

  it('refuses a symlinked authorized_keys, dangling or not', () => {
    writeKeys('');
    rmSync(keysFile());
    const target = path.join(fx.root, 'target');
    writeFileSync(target, `${COLLEAGUE}\n`);
    symlinkSync(target, keysFile());
    refused(run({ mode: 'add', key: KEY_A }), 'symlink');
    refused(run({ mode: 'list' }), 'symlink');
    expect(readFileSync(target, 'utf8')).toBe(`${COLLEAGUE}\n`);
    rmSync(keysFile());
    symlinkSync(path.join(fx.root, 'nowhere'), keysFile());
    refused(run({ mode: 'add', key: KEY_A }), 'symlink');
    expect(existsSync(path.join(fx.root, 'nowhere'))).toBe(false);
  });

  const privateKey = [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==',
    '-----END OPENSSH PRIVATE KEY-----',
  ];
  it.each([
    ['a truncated key', `ssh-ed25519 ${blobOf(KEY_A).slice(0, 20)}`],
    ['a key cut inside its data', `ssh-ed25519 ${blobOf(KEY_A).slice(0, 40)}`],
    ['a key cut to its header', `ssh-rsa ${blobOf(RSA).slice(0, 8)}`],
    ['two lines', `${KEY_A}\n${KEY_B}`],
    ['options before the type', `from="10.0.0.1" ${KEY_A}`],
    ['a private key', privateKey.join('\n')],
    ['a private key on one line', privateKey.join(' ')],
    ['a type outside the list', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP8= x'],
    ['a body of another type', `ssh-rsa ${blobOf(KEY_A)}`],
    ['a body that is not base64', 'ssh-ed25519 not*base64 x'],
    ['a NUL byte in the comment', `${KEY_A} x\u0000y`],
    ['a control character in the comment', `${KEY_A}\u0007`],
    ['nothing', ''],
  ])('refuses %s (bad-key)', (_what, key) => {
    for (const fallback of [false, true]) refused(run({ mode: 'add', key, fallback }), 'bad-key');
    expect(existsSync(sshDir())).toBe(false);
  });

  it('refuses a bad previous key (bad-replace) before changing anything', () => {
    writeKeys(`${KEY_A}\n`);
    refused(run({ mode: 'add', key: KEY_B, replace: `from="x" ${KEY_A}` }), 'bad-replace');
    expect(readKeys()).toBe(`${KEY_A}\n`);
  });

  it.each(['Root', '../etc', 'a b', 'x'.repeat(33), '', '-rf', 'al$ice', 'alice\nroot'])('refuses the user name %j (bad-user)', (user) => {
    refused(run({ mode: 'add', user, key: KEY_A }), 'bad-user');
  });

  it('refuses a user the passwd database does not know (no-such-user)', () => {
    refused(run({ mode: 'add', user: 'bob', key: KEY_A }), 'no-such-user');
  });

  it('refuses a user without a home directory (no-home)', () => {
    fx.passwd.push(`carol:x:${UID}:${GID}::${path.join(fx.root, 'missing')}:/bin/bash`);
    refused(run({ mode: 'add', user: 'carol', key: KEY_A }), 'no-home');
    expect(existsSync(path.join(fx.root, 'missing'))).toBe(false);
  });

  it('refuses a home owned by root, or by anyone but the user (unsafe-home)', () => {
    // As root: a root-owned home for uid 4242. Otherwise: "/" is root's and we are not.
    const home = isRoot ? makeHome(path.join(fx.root, 'rootowned'), 0, 0) : '/';
    fx.passwd.push(`dave:x:${UID}:${GID}::${home}:/bin/bash`);
    refused(run({ mode: 'add', user: 'dave', key: KEY_A }), 'unsafe-home');
    refused(run({ mode: 'list', user: 'dave' }), 'unsafe-home');
    if (isRoot) expect(readdirSync(home)).toEqual([]);
  });

  it.runIf(isRoot)('refuses a root-owned ~/.ssh or authorized_keys for a non-root user (unsafe-home)', () => {
    writeKeys(`${COLLEAGUE}\n`);
    chownSync(keysFile(), 0, 0);
    refused(run({ mode: 'add', key: KEY_A }), 'unsafe-home');
    chownSync(keysFile(), UID, GID);
    chownSync(sshDir(), 0, 0);
    refused(run({ mode: 'add', key: KEY_A }), 'unsafe-home');
    expect(readKeys()).toBe(`${COLLEAGUE}\n`);
  });

  it('refuses an authorized_keys that is not a regular file (unsafe-home)', () => {
    mkdirSync(keysFile(), { recursive: true });
    if (isRoot) chownSync(sshDir(), UID, GID);
    refused(run({ mode: 'add', key: KEY_A }), 'unsafe-home');
  });

  it.each(['delete', 'ADD', '', 'add remove'])('refuses the mode %j (bad-mode)', (mode) => {
    refused(run({ mode, key: KEY_A }), 'bad-mode');
  });

  it('refuses parameters a mode does not take (bad-parameter)', () => {
    refused(run({ mode: 'list', key: KEY_A }), 'bad-parameter');
    refused(run({ mode: 'remove', key: KEY_A, replace: KEY_B }), 'bad-parameter');
    refused(run({ mode: 'remove' }), 'bad-key');
  });

  describe('a parameter holding shell syntax is refused, and nothing of it runs', () => {
    const pwned = () => path.join(fx.root, 'pwned');
    const payloads = () => [
      `$(touch ${pwned()})`,
      `\`touch ${pwned()}\``,
      `'; touch ${pwned()}; '`,
      `"; touch ${pwned()}; "`,
      `\${IFS}; touch ${pwned()}`,
    ];
    it.each([
      ['mode', 'bad-mode'],
      ['user_b64', 'bad-user'],
      ['key_b64', 'bad-key'],
      ['replace_b64', 'bad-replace'],
    ] as const)('in %s (%s)', (name, reason) => {
      for (const payload of payloads()) {
        refused(run({ mode: 'add', key: KEY_A, raw: { [name]: payload } }), reason);
        expect(existsSync(pwned())).toBe(false);
      }
      expect(existsSync(sshDir())).toBe(false);
    });

    it('including a line break (bad-parameter)', () => {
      refused(run({ mode: 'add', key: KEY_A, raw: { user_b64: `YWxpY2U=\ntouch ${pwned()}` } }), 'bad-parameter');
      expect(existsSync(pwned())).toBe(false);
    });
  });
});
