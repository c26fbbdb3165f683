import { formatKeyScriptOutput, LOGIN_USER_PATTERN, parseKeyScriptOutput, type KeyScriptOutput } from './key-script';

describe('the key script output protocol', () => {
  it('reads back what it formats', () => {
    const out: KeyScriptOutput = {
      result: 'listed',
      user: 'ecs-user',
      file: '/home/ecs-user/.ssh/authorized_keys',
      keys: [{ type: 'ssh-ed25519', sha256: 'SHA256:abc', md5: '3522135b82e25de1908c73749fef3bd8' }],
      passwordAuthentication: 'no',
      pubkeyAuthentication: 'yes',
    };
    expect(parseKeyScriptOutput(formatKeyScriptOutput(out))).toEqual(out);
  });

  it('is unknown without a RESULT line (truncated or not our script), and ignores noise', () => {
    expect(parseKeyScriptOutput('USER=root\nKEY=ssh-rsa SHA256:x 3522135b82e25de1908c73749fef3bd8\n')).toBeUndefined();
    expect(parseKeyScriptOutput('RESULT=maybe\n')).toBeUndefined();
    expect(parseKeyScriptOutput('bash: warning: something\nREASON=symlink\nRESULT=refused\n')).toEqual({
      result: 'refused',
      reason: 'symlink',
      keys: [],
    });
    expect(parseKeyScriptOutput('KEY=ssh-rsa nope 12\nRESULT=listed')?.keys).toEqual([]);
  });
});

describe('login user names', () => {
  it('takes the useradd rule and nothing that could be a path, an option or shell', () => {
    for (const name of ['root', 'ecs-user', '_svc', 'a'.repeat(32)]) expect(LOGIN_USER_PATTERN.test(name)).toBe(true);
    for (const name of ['Root', '-rf', '../etc', 'a b', 'a'.repeat(33), '', '1abc', 'al$ice', 'alice\n']) {
      expect(LOGIN_USER_PATTERN.test(name)).toBe(false);
    }
  });
});
