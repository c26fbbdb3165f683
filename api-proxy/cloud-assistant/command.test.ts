import { readFileSync } from 'node:fs';
import { formatKeyScriptOutput, KEY_SCRIPT_REASONS } from '#ecs/key-script';
import {
  buildKeyCommand,
  checkKeyScript,
  KEY_SCRIPT_FILE,
  KEY_SCRIPT_REASON_TEXT,
  readKeyCommandResult,
  readKeyScript,
  RUN_COMMAND_LIMITS,
  type InvocationResultRow,
  type KeyCommandInput,
  type KeyScriptRunCommand,
} from './command';
import { b64, COLLEAGUE, KEY_A, KEY_B, makeFixture, removeFixture, RSA, runText, substitute, type Fixture } from './test-support';

const USERS = ['root', 'ecs-user'];

const ADD: KeyCommandInput = {
  regionId: 'cn-hangzhou',
  mode: 'add',
  user: 'ecs-user',
  instanceIds: ['i-bp1abc', 'i-bp1def'],
  publicKey: KEY_A,
  clientToken: 'run-7-wave-1-add',
};
const LIST: KeyCommandInput = { ...ADD, mode: 'list', publicKey: undefined };

function built(input: KeyCommandInput): KeyScriptRunCommand {
  const result = buildKeyCommand(input, USERS);
  if (!result.ok) throw new Error(`refused: ${result.refusal}: ${result.message}`);
  return result.request;
}

const refusalOf = (input: KeyCommandInput, users = USERS) => {
  const result = buildKeyCommand(input, users);
  return result.ok ? 'built' : result.refusal;
};

const decode = (text: string) => Buffer.from(text, 'base64').toString('utf8');

describe('buildKeyCommand', () => {
  it('builds a RunCommand of the fixed script, root in /tmp, with the values as Base64 parameters', () => {
    expect(built({ ...ADD, replacePublicKey: KEY_B })).toEqual({
      RegionId: 'cn-hangzhou',
      Type: 'RunShellScript',
      CommandContent: expect.any(String) as string,
      ContentEncoding: 'Base64',
      EnableParameter: true,
      Parameters: { mode: 'add', user_b64: b64('ecs-user'), key_b64: b64(KEY_A), replace_b64: b64(KEY_B) },
      Username: 'root',
      WorkingDir: '/tmp',
      Timeout: 60,
      InstanceId: ['i-bp1abc', 'i-bp1def'],
      ClientToken: 'run-7-wave-1-add',
      Name: 'ecs-keypair-console-authorized-keys',
      Description: expect.stringContaining('fixed authorized_keys script') as string,
    } satisfies KeyScriptRunCommand);
    expect(built(LIST).Parameters).toEqual({ mode: 'list', user_b64: b64('ecs-user'), key_b64: '', replace_b64: '' });
    expect(built({ ...ADD, mode: 'remove', user: 'root' }).Parameters).toEqual({
      mode: 'remove',
      user_b64: b64('root'),
      key_b64: b64(KEY_A),
      replace_b64: '',
    });
  });

  it('sends values that cannot be shell syntax: mode words and Base64 only', () => {
    for (const request of [built({ ...ADD, replacePublicKey: KEY_B }), built(LIST)]) {
      const { mode, ...encoded } = request.Parameters;
      expect(['add', 'remove', 'list']).toContain(mode);
      for (const value of Object.values(encoded)) expect(value).toMatch(/^[A-Za-z0-9+/=]*$/);
    }
  });

  it('the built CommandContent decodes to exactly the script file, whatever the mode, user or key', () => {
    const file = readFileSync(KEY_SCRIPT_FILE);
    const request = built(ADD);
    expect(Buffer.from(request.CommandContent, 'base64').equals(file)).toBe(true);
    expect(built({ ...LIST, user: 'root' }).CommandContent).toBe(request.CommandContent);
    expect(built({ ...ADD, publicKey: RSA, replacePublicKey: KEY_B }).CommandContent).toBe(request.CommandContent);
  });

  it('a user outside ACTIVATION_USERS is refused before anything is built', () => {
    // Every other input is wrong as well: the user is what is checked first.
    const result = buildKeyCommand(
      { ...ADD, user: 'admin', regionId: 'ecs.evil.com', instanceIds: [], publicKey: 'x', clientToken: '' },
      USERS,
    );
    expect(result).toEqual({ ok: false, refusal: 'user-not-allowed', message: expect.stringContaining('ACTIVATION_USERS') as string });
    expect(refusalOf({ ...ADD, user: 'root' }, ['ecs-user'])).toBe('user-not-allowed');
    // A list that somehow holds a name the script would refuse does not let it through either.
    expect(refusalOf({ ...ADD, user: '../x' }, ['../x'])).toBe('user-not-allowed');
  });

  it.each([
    ['a private key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----'],
    ['two lines', `${KEY_A}\n${KEY_B}`],
    ['options before the type', `from="10.0.0.1" ${KEY_A}`],
    ['a type outside the list', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP8= x'],
    ['a body of another type', `ssh-rsa ${KEY_A.split(' ')[1] ?? ''}`],
    ['a control character in the comment', `${KEY_A}\u0007`],
    ['an empty string', ''],
  ])('a key that does not parse is refused: %s', (_what, publicKey) => {
    expect(refusalOf({ ...ADD, publicKey })).toBe('bad-key');
    expect(refusalOf({ ...ADD, mode: 'remove', publicKey })).toBe('bad-key');
    expect(refusalOf({ ...ADD, replacePublicKey: publicKey })).toBe('bad-replace-key');
  });

  it('sends the key as one clean line: single spaces, comment kept', () => {
    const request = built({ ...ADD, publicKey: ` ${KEY_A.replace(' ', '\t ').replace(' a@', '   a@')}  ` });
    expect(decode(request.Parameters.key_b64)).toBe(KEY_A);
    const bare = KEY_A.split(' ').slice(0, 2).join(' ');
    expect(decode(built({ ...ADD, publicKey: bare }).Parameters.key_b64)).toBe(bare);
  });

  it('takes the inputs each mode needs, and only those', () => {
    expect(refusalOf({ ...ADD, publicKey: undefined })).toBe('bad-key');
    expect(refusalOf({ ...ADD, mode: 'remove', publicKey: undefined })).toBe('bad-key');
    expect(refusalOf({ ...ADD, mode: 'remove', replacePublicKey: KEY_B })).toBe('bad-input');
    expect(refusalOf({ ...LIST, publicKey: KEY_A })).toBe('bad-input');
    expect(refusalOf({ ...LIST, replacePublicKey: KEY_A })).toBe('bad-input');
  });

  it.each([
    ['no instance', { instanceIds: [] }],
    ['101 instances', { instanceIds: Array.from({ length: 101 }, (_, i) => `i-x${i}`) }],
    ['an ID that is not an instance ID', { instanceIds: ['i-abc', 'sg-abc'] }],
    ['an instance twice', { instanceIds: ['i-abc', 'i-abc'] }],
    ['a region that is not a region ID', { regionId: 'cn-hangzhou.evil.com' }],
    ['a mode the script does not have', { mode: 'delete' as KeyCommandInput['mode'] }],
    ['an empty ClientToken', { clientToken: '' }],
    ['a ClientToken over 64 characters', { clientToken: 'x'.repeat(65) }],
    ['a ClientToken with a space', { clientToken: 'run 7' }],
    ['a ClientToken that is not ASCII', { clientToken: 'run-七' }],
  ] as const)('refuses %s (bad-input)', (_what, change) => {
    expect(refusalOf({ ...ADD, ...change })).toBe('bad-input');
  });

  it('takes 100 instances and a 64-character ClientToken', () => {
    const request = built({ ...ADD, instanceIds: Array.from({ length: 100 }, (_, i) => `i-x${i}`), clientToken: 'x'.repeat(64) });
    expect(request.InstanceId).toHaveLength(RUN_COMMAND_LIMITS.instanceIds);
  });

  it('refuses a command over 24 KB once the parameters are substituted', () => {
    const long = `${KEY_A.split(' ').slice(0, 2).join(' ')} ${'c'.repeat(6000)}`;
    expect(refusalOf({ ...ADD, publicKey: long })).toBe('built');
    expect(
      refusalOf({ ...ADD, publicKey: long, replacePublicKey: long.replace(KEY_A.split(' ')[1] ?? '', KEY_B.split(' ')[1] ?? '') }),
    ).toBe('too-large');
  });

  it('checks the script it reads: the marker line and exactly the four placeholders', () => {
    const script = readKeyScript().text;
    expect(() => checkKeyScript(script)).not.toThrow();
    expect(() => checkKeyScript(script.replace(/^(.*)\n.*\n/, '$1\n# another script\n'))).toThrow(/second line/);
    expect(() => checkKeyScript(`${script}\n# see {{mode}}\n`)).toThrow(/placeholders/);
    expect(() => checkKeyScript(`${script}\n# {{name}}\n`)).toThrow(/placeholders/);
    expect(() => checkKeyScript(script.replace('{{replace_b64}}', ''))).toThrow(/placeholders/);
  });
});

describe('the built command, run as Cloud Assistant would', () => {
  let fx: Fixture;
  beforeEach(() => {
    fx = makeFixture();
    fx.passwd.push(fx.passwd[0]?.replace(/^alice:/, 'ecs-user:') ?? '');
  });
  afterEach(() => removeFixture(fx));

  /** Cloud Assistant: decode CommandContent, substitute Parameters as text, run; here for one instance. */
  const runOnInstance = (request: KeyScriptRunCommand) => runText(fx, substitute(decode(request.CommandContent), request.Parameters));

  it('adds with a replace, lists, removes; the verdicts read the real output', () => {
    const asOutput = (r: ReturnType<typeof runOnInstance>) => ({
      InvocationStatus: r.status === 0 ? 'Success' : 'Failed',
      ExitCode: r.status ?? -1,
      Output: b64(r.stdout),
    });
    const add = runOnInstance(built({ ...ADD, replacePublicKey: KEY_B }));
    expect(readKeyCommandResult(asOutput(add))).toMatchObject({ status: 'succeeded', output: { result: 'added', replaced: false } });
    expect(readFileSync(`${fx.home}/.ssh/authorized_keys`, 'utf8')).toBe(`${KEY_A}\n`);
    const list = readKeyCommandResult(asOutput(runOnInstance(built(LIST))));
    expect(list).toMatchObject({ status: 'succeeded', output: { result: 'listed', user: 'ecs-user' } });
    expect(list.status === 'succeeded' && list.output.keys.map((k) => k.type)).toEqual(['ssh-ed25519']);
    const remove = runOnInstance(built({ ...ADD, mode: 'remove', publicKey: COLLEAGUE }));
    expect(readKeyCommandResult(asOutput(remove))).toMatchObject({ status: 'succeeded', output: { result: 'absent' } });
    const refused = runOnInstance(built({ ...ADD, user: 'root' }));
    expect(readKeyCommandResult(asOutput(refused))).toEqual({
      status: 'failed',
      code: 'KeyScript.no-such-user',
      reason: KEY_SCRIPT_REASON_TEXT['no-such-user'],
      output: expect.objectContaining({ result: 'refused', reason: 'no-such-user' }) as unknown,
    });
  });
});

describe('readKeyCommandResult', () => {
  const output = (text: string) => Buffer.from(text).toString('base64');
  const added = output(
    formatKeyScriptOutput({ result: 'added', user: 'root', file: '/root/.ssh/authorized_keys', replaced: true, keys: [] }),
  );
  const refused = output(formatKeyScriptOutput({ result: 'refused', reason: 'symlink', user: 'root', keys: [] }));

  it('succeeded: the script said what it did and exited 0', () => {
    expect(readKeyCommandResult({ InvocationStatus: 'Success', ExitCode: 0, Output: added })).toEqual({
      status: 'succeeded',
      output: { result: 'added', user: 'root', file: '/root/.ssh/authorized_keys', replaced: true, keys: [] },
    });
    // ExitCode as a string, as loose wire types may send it.
    expect(readKeyCommandResult({ InvocationStatus: 'Success', ExitCode: '0', Output: added }).status).toBe('succeeded');
  });

  it('failed: the script refused, with its code and a plain reason', () => {
    expect(readKeyCommandResult({ InvocationStatus: 'Failed', ExitCode: 2, ErrorCode: 'ExitCodeNonzero', Output: refused })).toMatchObject({
      status: 'failed',
      code: 'KeyScript.symlink',
      reason: expect.stringContaining('symbolic link') as string,
    });
    const odd = output('REASON=something-new\nRESULT=refused\n');
    expect(readKeyCommandResult({ InvocationStatus: 'Failed', ExitCode: 2, Output: odd })).toMatchObject({
      code: 'KeyScript.something-new',
      reason: expect.stringContaining('something-new') as string,
    });
  });

  it('has a plain reason for every refusal the script makes', () => {
    expect(Object.keys(KEY_SCRIPT_REASON_TEXT).sort()).toEqual([...KEY_SCRIPT_REASONS].sort());
  });

  it.each([
    ['Aborted', { InvocationStatus: 'Aborted', ErrorCode: 'ClientNotRunning', ErrorInfo: 'The Cloud Assistant agent is not running.' }],
    ['Invalid', { InvocationStatus: 'Invalid' }],
    ['Cancelled', { InvocationStatus: 'Cancelled' }],
    ['Failed before the start', { InvocationStatus: 'Failed', ErrorCode: 'InstanceNotRunning', ExitCode: 0 }],
  ] satisfies [string, InvocationResultRow][])('failed: the script never ran (%s)', (_what, row: InvocationResultRow) => {
    const verdict = readKeyCommandResult(row);
    expect(verdict).toMatchObject({ status: 'failed', code: row.ErrorCode ?? row.InvocationStatus });
    expect(verdict.status === 'failed' && verdict.reason.length).toBeGreaterThan(0);
  });

  it.each([
    ['exit 0 without a RESULT line', { InvocationStatus: 'Success', ExitCode: 0, Output: output('USER=root\n') }],
    ['no output at all', { InvocationStatus: 'Success', ExitCode: 0 }],
    ['output that is not Base64', { InvocationStatus: 'Success', ExitCode: 0, Output: 'RESULT=added' }],
    ['a RESULT the exit code contradicts', { InvocationStatus: 'Failed', ExitCode: 1, Output: added }],
    ['a timeout', { InvocationStatus: 'Timeout', ErrorCode: 'ExecutionTimeout' }],
    ['an agent error after delivery', { InvocationStatus: 'Error', ErrorCode: 'ClientNotResponse' }],
    ['a stop while running', { InvocationStatus: 'Terminated' }],
    ['output cut before RESULT', { InvocationStatus: 'Success', ExitCode: 0, Output: output('USER=root\nKEY=ssh-rsa'), Dropped: 1024 }],
    ['a status nobody knows', { InvocationStatus: 'Exploded' }],
  ])('unknown: %s', (_what, row) => {
    expect(readKeyCommandResult(row)).toMatchObject({ status: 'unknown', reason: expect.any(String) as string });
  });

  it('running until the deadline, unknown past it', () => {
    for (const status of ['Pending', 'Running', 'Stopping']) {
      expect(readKeyCommandResult({ InvocationStatus: status })).toEqual({ status: 'running' });
      expect(readKeyCommandResult({ InvocationStatus: status }, { now: 1000, deadline: 2000 })).toEqual({ status: 'running' });
      expect(readKeyCommandResult({ InvocationStatus: status }, { now: 3000, deadline: 2000 })).toMatchObject({ status: 'unknown' });
    }
  });

  it('reads PlainText output when it was asked for', () => {
    const text = formatKeyScriptOutput({ result: 'present', keys: [] });
    expect(readKeyCommandResult({ InvocationStatus: 'Success', ExitCode: 0, Output: text }, { outputEncoding: 'PlainText' })).toMatchObject(
      {
        status: 'succeeded',
        output: { result: 'present' },
      },
    );
  });
});
