import { parseKeyScriptOutput } from '../../ecs/key-script';
import { ecsFingerprint, parsePublicKey, sha256Fingerprint } from '../../ecs/ssh-keys';
import { createSimulator } from './simulator';
import type { Simulator } from './simulator';
import {
  agentRows,
  b64,
  callErr,
  callOk,
  fakeClock,
  findInstance,
  isPlainLinux,
  keyScriptRequest,
  readyInstances,
  unb64,
  type KeyScriptCall,
} from './test-support';
import type { FakeClock } from './test-support';
import { toWire } from '../../ecs/contract';

// Cloud Assistant (docs/ecs-notes.md#cloud-assistant): agent status, RunCommand's whole-call check, the
// asynchronous per-instance results, the simulated key script, and the injected faults.

const HZ = 'cn-hangzhou';

function setup(): { sim: Simulator; clock: FakeClock } {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 300, now: clock.now, transitionMs: { stopping: 100, starting: 200 } });
  clock.advance(60_000);
  return { sim, clock };
}

/** A fresh ed25519 line no instance holds yet (the colleagues' and key pairs' keys are all in the fleet). */
const NEW_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnPh7cQ7d0n4bAGaIzWv6Yd2N0T3jTnKx0x0l5t0JbH new@example';

function run(sim: Simulator, ids: string[], call: KeyScriptCall, extra = {}) {
  return callOk(sim, 'RunCommand', keyScriptRequest(HZ, ids, call, extra));
}

function results(sim: Simulator, invokeId: string, encoding?: string) {
  const res = callOk(sim, 'DescribeInvocationResults', {
    RegionId: HZ,
    InvokeId: invokeId,
    MaxResults: 50,
    ...(encoding ? { ContentEncoding: encoding } : {}),
  });
  return res.Invocation?.InvocationResults?.InvocationResult ?? [];
}

/** Runs the key script on one instance and waits for its end: the row and the parsed output. */
function runToEnd(sim: Simulator, clock: FakeClock, id: string, call: KeyScriptCall, extra = {}) {
  const { InvokeId } = run(sim, [id], call, extra);
  clock.advance(2_000);
  const row = results(sim, InvokeId)[0];
  return { row, out: parseKeyScriptOutput(unb64(row?.Output ?? '')) };
}

function keyLine(sim: Simulator, name: string): string {
  return (
    callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, KeyPairName: name, IncludePublicKey: true }).KeyPairs?.KeyPair?.[0]?.PublicKey ?? ''
  );
}

function loginFile(sim: Simulator, id: string): string[] {
  const ssh = sim.sshState(id);
  return ssh?.files.get(ssh.loginUser) ?? [];
}

describe('DescribeCloudAssistantStatus', () => {
  it('shows most running Linux agents heartbeating, some silent, a few missing; stopped instances never "true"', () => {
    const { sim } = setup();
    const all = sim.instancesIn(HZ);
    const rows = new Map<string, { CloudAssistantStatus: unknown; CloudAssistantVersion?: string | undefined }>();
    for (let i = 0; i < all.length; i += 100)
      for (const [id, row] of agentRows(
        sim,
        HZ,
        all.slice(i, i + 100).map((x) => x.InstanceId),
      ))
        rows.set(id, row);
    const runningLinux = all.filter((i) => i.OSType === 'linux' && i.Status === 'Running');
    const online = runningLinux.filter((i) => rows.get(i.InstanceId)?.CloudAssistantStatus === 'true');
    const silent = runningLinux.filter(
      (i) => rows.get(i.InstanceId)?.CloudAssistantStatus === 'false' && rows.get(i.InstanceId)?.CloudAssistantVersion,
    );
    const missing = runningLinux.filter((i) => rows.get(i.InstanceId)?.CloudAssistantVersion === '');
    expect(online.length).toBeGreaterThan(runningLinux.length * 0.75);
    expect(silent.length).toBeGreaterThan(0);
    expect(missing.length).toBeGreaterThan(0);
    for (const i of missing) expect(rows.get(i.InstanceId)?.CloudAssistantStatus).toBe('false');
    for (const i of all.filter((x) => x.Status === 'Stopped')) expect(rows.get(i.InstanceId)?.CloudAssistantStatus).toBe('false');
    expect(all.some((i) => i.OSType === 'windows' && rows.get(i.InstanceId)?.CloudAssistantStatus === 'true')).toBe(true);
  });

  it('answers the named instances (≤ 100, MaxResults ignored), refusing more and unknown IDs', () => {
    const { sim, clock } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const res = callOk(sim, 'DescribeCloudAssistantStatus', { RegionId: HZ, InstanceId: [id], MaxResults: 1 });
    const row = res.InstanceCloudAssistantStatusSet?.InstanceCloudAssistantStatus?.[0];
    expect(row).toMatchObject({ InstanceId: id, CloudAssistantStatus: 'true', OSType: 'Linux', ActiveTaskCount: 0, InvocationCount: 0 });
    expect(row?.CloudAssistantVersion).toMatch(/^2\.\d+\.\d+\.\d+$/);
    const beat = Date.parse(row?.LastHeartbeatTime ?? '');
    expect(clock.now() - beat).toBeLessThan(61_000);
    expect(clock.now() - beat).toBeGreaterThanOrEqual(0);

    const ids = sim
      .instancesIn(HZ)
      .slice(0, 101)
      .map((i) => i.InstanceId);
    const wire = toWire('DescribeCloudAssistantStatus', { RegionId: HZ, InstanceId: ids.slice(0, 100) });
    expect(sim.call('DescribeCloudAssistantStatus', wire).status).toBe(200);
    const tooMany = callErr(sim, 'DescribeCloudAssistantStatus', { ...wire, 'InstanceId.101': ids[100] ?? '' });
    expect([tooMany.status, tooMany.Code]).toEqual([403, 'InstanceIds.ExceedLimit']);
    const unknown = callErr(sim, 'DescribeCloudAssistantStatus', {
      RegionId: HZ,
      'InstanceId.1': id,
      'InstanceId.2': 'i-bp1doesnotexist0000',
    });
    expect([unknown.status, unknown.Code]).toEqual([404, 'InvalidInstance.NotFound']);
  });

  it('pages the region with MaxResults (≤ 50) and NextToken, and filters by OSType', () => {
    const { sim } = setup();
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = callOk(sim, 'DescribeCloudAssistantStatus', { RegionId: HZ, MaxResults: 50, ...(token ? { NextToken: token } : {}) });
      expect(res.TotalCount).toBe(300);
      seen.push(...(res.InstanceCloudAssistantStatusSet?.InstanceCloudAssistantStatus ?? []).map((r) => r.InstanceId));
      token = res.NextToken || undefined;
      pages++;
    } while (token !== undefined && pages < 20);
    expect(pages).toBe(6);
    expect(seen).toEqual(sim.instancesIn(HZ).map((i) => i.InstanceId));
    const first = callOk(sim, 'DescribeCloudAssistantStatus', { RegionId: HZ });
    expect(first.InstanceCloudAssistantStatusSet?.InstanceCloudAssistantStatus).toHaveLength(10);
    const windows = callOk(sim, 'DescribeCloudAssistantStatus', { RegionId: HZ, OSType: 'Windows', MaxResults: 50 });
    expect(windows.TotalCount).toBe(sim.instancesIn(HZ).filter((i) => i.OSType === 'windows').length);
    expect(callErr(sim, 'DescribeCloudAssistantStatus', { RegionId: HZ, MaxResults: '51' }).Code).toBe('InvalidParameter.MaxResults');
    expect(callErr(sim, 'DescribeCloudAssistantStatus', { RegionId: HZ, NextToken: 'bm9wZQ' }).Code).toBe('InvalidParameter.NextToken');
    // A token of another listing is not accepted here.
    const instancesToken = callOk(sim, 'DescribeInstances', { RegionId: HZ, MaxResults: 10 }).NextToken ?? '';
    expect(callErr(sim, 'DescribeCloudAssistantStatus', { RegionId: HZ, NextToken: instancesToken }).Code).toBe(
      'InvalidParameter.NextToken',
    );
  });

  it('goes silent while the instance reboots and beats again once it is Running', () => {
    const { sim, clock } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    callOk(sim, 'RebootInstance', { InstanceId: id });
    clock.advance(50);
    const during = agentRows(sim, HZ, [id]).get(id);
    expect(during?.CloudAssistantStatus).toBe('false');
    expect(clock.now() - Date.parse(during?.LastHeartbeatTime ?? '')).toBeLessThan(61_000);
    clock.advance(300);
    const after = agentRows(sim, HZ, [id]).get(id);
    expect(after?.CloudAssistantStatus).toBe('true');
    expect(Date.parse(after?.LastHeartbeatTime ?? '')).toBeGreaterThan(clock.now() - 1_000);
  });

  it('follows the agents set through the control: offline keeps the last heartbeat, none empties the version', () => {
    const { sim, clock } = setup();
    const [a = '', b = '', c = ''] = readyInstances(sim, HZ, 3);
    const offline = sim
      .instancesIn(HZ)
      .find((i) => i.Status === 'Running' && agentRows(sim, HZ, [i.InstanceId]).get(i.InstanceId)?.CloudAssistantStatus === 'false');
    sim.setControl({ agents: { [a]: 'offline', [b]: 'none', ...(offline ? { [offline.InstanceId]: 'online' } : {}) } });
    const setAt = clock.now();
    clock.advance(10 * 60_000);
    const rows = agentRows(sim, HZ, [a, b, c, ...(offline ? [offline.InstanceId] : [])]);
    expect(rows.get(a)?.CloudAssistantStatus).toBe('false');
    expect(setAt - Date.parse(rows.get(a)?.LastHeartbeatTime ?? '')).toBeLessThan(61_000);
    expect(rows.get(b)).toMatchObject({ CloudAssistantStatus: 'false', CloudAssistantVersion: '' });
    expect(rows.get(c)?.CloudAssistantStatus).toBe('true');
    if (offline) expect(rows.get(offline.InstanceId)?.CloudAssistantStatus).toBe('true');
    expect(sim.control.agents).toMatchObject({ [a]: 'offline', [b]: 'none' });
    sim.reset();
    expect(sim.control.agents).toEqual({});
    // The seeded agents are back (after the few construction-time boots have settled).
    clock.advance(5_000);
    expect(agentRows(sim, HZ, [a]).get(a)?.CloudAssistantStatus).toBe('true');
  });
});

describe('RunCommand: the whole-call check', () => {
  it('answers CommandId and InvokeId at once; the run itself comes later', () => {
    const { sim } = setup();
    const ids = readyInstances(sim, HZ, 2);
    const res = run(sim, ids, { mode: 'list' });
    expect(res.CommandId).toMatch(/^c-[a-z0-9]+$/);
    expect(res.InvokeId).toMatch(/^t-[a-z0-9]+$/);
    expect(results(sim, res.InvokeId).map((r) => [r.InstanceId, r.InvocationStatus])).toEqual(ids.map((id) => [id, 'Pending']));
    expect(agentRows(sim, HZ, ids).get(ids[0] ?? '')).toMatchObject({ ActiveTaskCount: 1, InvocationCount: 1 });
  });

  it.each([
    ['one agent offline', 'offline'],
    ['one agent missing', 'none'],
    ['one instance stopped', 'stopped'],
    ['one Windows instance', 'windows'],
  ])('refuses the whole call with InvalidInstance.NotMatch when %s, and runs nothing anywhere', (_label, kind) => {
    const { sim } = setup();
    const good = readyInstances(sim, HZ, 2);
    let bad: string;
    if (kind === 'stopped') bad = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    else if (kind === 'windows') bad = readyWindows(sim);
    else {
      bad = readyInstances(sim, HZ, 3)[2] ?? '';
      sim.setControl({ agents: { [bad]: kind as 'offline' | 'none' } });
    }
    const before = [...good, bad].map((id) => sim.sshState(id));
    const err = callErr(
      sim,
      'RunCommand',
      toWire('RunCommand', keyScriptRequest(HZ, [good[0] ?? '', bad, good[1] ?? ''], { mode: 'add', key: NEW_KEY })),
    );
    expect([err.status, err.Code]).toEqual([400, 'InvalidInstance.NotMatch']);
    // The answer names no instance (docs/ecs-notes.md#two-levels-of-failure).
    expect(err.Message).not.toContain(bad);
    expect(callOk(sim, 'DescribeInvocations', { RegionId: HZ }).TotalCount).toBe(0);
    for (const row of agentRows(sim, HZ, good).values()) expect(row.InvocationCount).toBe(0);
    expect([...good, bad].map((id) => sim.sshState(id))).toEqual(before);
  });

  it('refuses unknown IDs (InvalidInstance.NotFound), none, and more than 100', () => {
    const { sim } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const unknown = callErr(sim, 'RunCommand', toWire('RunCommand', keyScriptRequest(HZ, [id, 'i-bp1doesnotexist0000'], { mode: 'list' })));
    expect([unknown.status, unknown.Code]).toEqual([404, 'InvalidInstance.NotFound']);
    const none = toWire('RunCommand', keyScriptRequest(HZ, [id], { mode: 'list' }));
    delete none['InstanceId.1'];
    expect(callErr(sim, 'RunCommand', none).Code).toBe('MissingParam.InstanceId');
    const wire = toWire('RunCommand', keyScriptRequest(HZ, [id], { mode: 'list' }));
    for (let n = 2; n <= 101; n++) wire[`InstanceId.${n}`] = `i-bp1other${n}`;
    const tooMany = callErr(sim, 'RunCommand', wire);
    expect([tooMany.status, tooMany.Code]).toEqual([403, 'InstanceIds.ExceedLimit']);
  });

  it('checks the content: Base64 that does not decode, over 24 KB after Base64 (18 KB kept), and the Type', () => {
    const { sim } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const base = toWire('RunCommand', { RegionId: HZ, Type: 'RunShellScript', CommandContent: 'echo hi', InstanceId: [id] });
    expect(callErr(sim, 'RunCommand', { ...base, CommandContent: 'not base64!', ContentEncoding: 'Base64' }).Code).toBe(
      'CmdContent.DecodeError',
    );
    // ContentEncoding is case-insensitive, and an unknown value means plain text.
    expect(callErr(sim, 'RunCommand', { ...base, CommandContent: 'not base64!', ContentEncoding: 'base64' }).Code).toBe(
      'CmdContent.DecodeError',
    );
    expect(sim.call('RunCommand', { ...base, CommandContent: 'not base64!', ContentEncoding: 'Base65' }).status).toBe(200);
    // 18,432 plain bytes are 24,576 Base64 characters: exactly the limit.
    expect(sim.call('RunCommand', { ...base, CommandContent: 'x'.repeat(18_432) }).status).toBe(200);
    const big = callErr(sim, 'RunCommand', { ...base, CommandContent: 'x'.repeat(18_433) });
    expect([big.status, big.Code]).toEqual([403, 'CmdContent.ExceedLimit']);
    expect(callErr(sim, 'RunCommand', { ...base, CommandContent: 'x'.repeat(13_825), KeepCommand: 'true' }).Code).toBe(
      'CmdContent.ExceedLimit',
    );
    expect(callErr(sim, 'RunCommand', { ...base, Type: 'RunPythonScript' }).Code).toBe('InvalidCmdType.NotFound');
    expect(callErr(sim, 'RunCommand', { ...base, Timeout: '5' }).Code).toBe('InvalidTimeout.ExceedLimit');
    expect(callErr(sim, 'RunCommand', { ...base, Username: 'u'.repeat(256) }).Code).toBe('Username.ExceedLimit');
    expect(callErr(sim, 'RunCommand', { ...base, ClientToken: 't'.repeat(65) }).Code).toBe('InvalidClientToken.Malformed');
    expect(callErr(sim, 'RunCommand', { ...base, RepeatMode: 'Sometimes' }).Code).toBe('InvalidRepeatMode.NotFound');
  });

  it('counts the substituted parameters in the size, and checks them: JSON, ≤ 10, defined, all given, enabled', () => {
    const { sim } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const base = toWire('RunCommand', {
      RegionId: HZ,
      Type: 'RunShellScript',
      CommandContent: 'echo {{a}}',
      InstanceId: [id],
      EnableParameter: true,
    });
    expect(sim.call('RunCommand', { ...base, Parameters: '{"a":"x"}' }).status).toBe(200);
    expect(callErr(sim, 'RunCommand', { ...base, Parameters: JSON.stringify({ a: 'x'.repeat(18_432) }) }).Code).toBe(
      'CmdContent.ExceedLimit',
    );
    expect(callErr(sim, 'RunCommand', { ...base, Parameters: '{"a":' }).Code).toBe('InvalidParameter.Parameters');
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, n) => [`p${n}`, 'v']));
    expect(callErr(sim, 'RunCommand', { ...base, Parameters: JSON.stringify(eleven) }).Code).toBe('ParameterCount.ExceedLimit');
    expect(callErr(sim, 'RunCommand', { ...base, Parameters: JSON.stringify({ a: 'x', b: 'y' }) }).Code).toBe('Parameter.NotMatched');
    expect(callErr(sim, 'RunCommand', { ...base, Parameters: '{}' }).Code).toBe('Parameter.MissingValue');
    expect(callErr(sim, 'RunCommand', { ...base, EnableParameter: 'false', Parameters: '{"a":"x"}' }).Code).toBe('Parameter.Disabled');
    // Built-in parameters need no value.
    expect(sim.call('RunCommand', { ...base, CommandContent: 'echo {{ACS::InstanceId}}', Parameters: '{}' }).status).toBe(200);
  });

  it('with a ClientToken: the same call again answers the same InvokeId and runs nothing more; other parameters are refused', () => {
    const { sim, clock } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const first = run(sim, [id], { mode: 'add', key: NEW_KEY }, { ClientToken: 'activation-1' });
    clock.advance(5_000);
    const again = run(sim, [id], { mode: 'add', key: NEW_KEY }, { ClientToken: 'activation-1' });
    expect(again).toMatchObject({ CommandId: first.CommandId, InvokeId: first.InvokeId });
    expect(callOk(sim, 'DescribeInvocations', { RegionId: HZ }).TotalCount).toBe(1);
    expect(agentRows(sim, HZ, [id]).get(id)?.InvocationCount).toBe(1);
    const other = callErr(
      sim,
      'RunCommand',
      toWire('RunCommand', keyScriptRequest(HZ, [id], { mode: 'remove', key: NEW_KEY }, { ClientToken: 'activation-1' })),
    );
    expect([other.status, other.Code]).toEqual([403, 'IdempotentParameterMismatch']);
    // Even when the instance could no longer take the command, the retry gets the first answer.
    sim.setControl({ agents: { [id]: 'offline' } });
    expect(run(sim, [id], { mode: 'add', key: NEW_KEY }, { ClientToken: 'activation-1' }).InvokeId).toBe(first.InvokeId);
  });

  it('RepeatMode=DryRun checks everything and runs nothing', () => {
    const { sim } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const err = callErr(sim, 'RunCommand', toWire('RunCommand', keyScriptRequest(HZ, [id], { mode: 'list' }, { RepeatMode: 'DryRun' })));
    expect(err.Code).toBe('DryRunOperation');
    expect(callOk(sim, 'DescribeInvocations', { RegionId: HZ }).TotalCount).toBe(0);
  });
});

function readyWindows(sim: Simulator): string {
  const windows = sim
    .instancesIn(HZ)
    .filter((i) => i.OSType === 'windows' && i.Status === 'Running' && (i.OperationLocks.LockReason ?? []).length === 0);
  const rows = agentRows(
    sim,
    HZ,
    windows.map((i) => i.InstanceId),
  );
  const id = windows.find((i) => rows.get(i.InstanceId)?.CloudAssistantStatus === 'true')?.InstanceId;
  if (id === undefined) throw new Error('no ready Windows instance');
  return id;
}

describe('invocation results, with the clock', () => {
  it('go Pending → Running → Success on the commandMs durations, with ExitCode only once the command exited', () => {
    const { sim, clock } = setup();
    sim.setControl({ commandMs: { delivery: 300, run: 700 } });
    const [id = ''] = readyInstances(sim, HZ, 1);
    const { InvokeId } = run(sim, [id], { mode: 'list' });
    const seen = (): [string, unknown] => {
      const row = results(sim, InvokeId)[0];
      return [row?.InvocationStatus ?? '', row?.ExitCode];
    };
    expect(seen()).toEqual(['Pending', undefined]);
    clock.advance(299);
    expect(seen()).toEqual(['Pending', undefined]);
    clock.advance(1);
    expect(seen()).toEqual(['Running', undefined]);
    clock.advance(699);
    expect(seen()).toEqual(['Running', undefined]);
    clock.advance(1);
    expect(seen()).toEqual(['Success', 0]);
    const row = results(sim, InvokeId)[0];
    expect(row).toMatchObject({ InvokeRecordStatus: 'Finished', ErrorCode: '', Dropped: 0, Username: 'root' });
    expect(Date.parse(row?.FinishedTime ?? '') - Date.parse(row?.StartTime ?? '')).toBeLessThanOrEqual(1_000);
    expect(agentRows(sim, HZ, [id]).get(id)?.ActiveTaskCount).toBe(0);
  });

  it('DescribeInvocations: the task with its overall status and a row per instance (FinishTime), Output only when asked', () => {
    const { sim, clock } = setup();
    const ids = readyInstances(sim, HZ, 2);
    sim.setControl({ commandFaults: { [ids[1] ?? '']: { mode: 'exit', exitCode: 3, remaining: 1 } } });
    const { InvokeId, CommandId } = run(sim, ids, { mode: 'list' }, { Name: 'activation-check' });
    const running = callOk(sim, 'DescribeInvocations', { RegionId: HZ, InvokeId }).Invocations?.Invocation?.[0];
    expect(running).toMatchObject({ InvocationStatus: 'Pending', InvokeStatus: 'Running' });
    clock.advance(2_000);
    const task = callOk(sim, 'DescribeInvocations', { RegionId: HZ, InvokeId, IncludeOutput: true }).Invocations?.Invocation?.[0];
    expect(task).toMatchObject({
      InvokeId,
      CommandId,
      CommandName: 'activation-check',
      CommandType: 'RunShellScript',
      InvocationStatus: 'PartialFailed',
      // Both ran to their end, whatever the exit codes: the legacy status says only that.
      InvokeStatus: 'Finished',
      Timeout: 60,
      Username: 'root',
      WorkingDir: '/root',
      RepeatMode: 'Once',
    });
    expect(JSON.parse(task?.Parameters ?? '')).toMatchObject({ mode: 'list', user_b64: b64('root') });
    expect(unb64(task?.CommandContent ?? '')).toContain('# ecs-keypair-console:authorized-keys v1');
    const rows = task?.InvokeInstances?.InvokeInstance ?? [];
    expect(rows.map((r) => [r.InstanceId, r.InvocationStatus, r.ExitCode, r.ErrorCode])).toEqual([
      [ids[0], 'Success', 0, ''],
      [ids[1], 'Failed', 3, 'ExitCodeNonzero'],
    ]);
    expect(rows[0]?.FinishTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(rows[0]).not.toHaveProperty('FinishedTime');
    expect(parseKeyScriptOutput(unb64(rows[0]?.Output ?? ''))?.result).toBe('listed');
    expect(
      callOk(sim, 'DescribeInvocations', { RegionId: HZ, InvokeId }).Invocations?.Invocation?.[0]?.InvokeInstances?.InvokeInstance?.[0],
    ).not.toHaveProperty('Output');
    // PlainText on request; an InstanceId narrows to that instance's row.
    const plain = callOk(sim, 'DescribeInvocations', {
      RegionId: HZ,
      InstanceId: ids[1] ?? '',
      IncludeOutput: true,
      ContentEncoding: 'PlainText',
    });
    const only = plain.Invocations?.Invocation?.[0];
    expect(only?.InvokeInstances?.InvokeInstance?.map((r) => r.InstanceId)).toEqual([ids[1]]);
    expect(only?.InvokeInstances?.InvokeInstance?.[0]?.Output).toContain('simulated failure');
    expect(only?.CommandContent).toContain('{{mode}}');
    expect(callOk(sim, 'DescribeInvocations', { RegionId: HZ, InvokeStatus: 'PartialFailed' }).TotalCount).toBe(1);
    expect(callOk(sim, 'DescribeInvocations', { RegionId: HZ, InvokeStatus: 'Running' }).TotalCount).toBe(0);
    expect(callOk(sim, 'DescribeInvocations', { RegionId: HZ, InvokeId: 't-bp1unknown' }).TotalCount).toBe(0);
  });

  it('DescribeInvocationResults: the Invocation wrapper holds the paging; MaxResults ≤ 50 and NextToken walk every row', () => {
    const { sim, clock } = setup();
    const ids = readyInstances(sim, HZ, 30);
    const one = run(sim, ids, { mode: 'list' });
    const two = run(sim, ids.slice(0, 25), { mode: 'list' });
    clock.advance(2_000);
    const rows: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = callOk(sim, 'DescribeInvocationResults', { RegionId: HZ, MaxResults: 20, ...(token ? { NextToken: token } : {}) });
      expect(res).not.toHaveProperty('TotalCount');
      expect(res.Invocation?.TotalCount).toBe(55);
      rows.push(...(res.Invocation?.InvocationResults?.InvocationResult ?? []).map((r) => `${r.InvokeId}/${r.InstanceId}`));
      token = res.Invocation?.NextToken || undefined;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(pages).toBe(3);
    // Newest task first, then the instances in the order the call named them.
    expect(rows).toEqual([...ids.slice(0, 25).map((id) => `${two.InvokeId}/${id}`), ...ids.map((id) => `${one.InvokeId}/${id}`)]);
    const forOne = callOk(sim, 'DescribeInvocationResults', { RegionId: HZ, InstanceId: ids[29] ?? '' });
    expect(forOne.Invocation?.InvocationResults?.InvocationResult?.map((r) => r.InvokeId)).toEqual([one.InvokeId]);
    expect(callErr(sim, 'DescribeInvocationResults', { RegionId: HZ, MaxResults: '51' }).Code).toBe('InvalidParameter.MaxResults');
    const plain = results(sim, one.InvokeId, 'PlainText')[0];
    expect(plain?.Output).toMatch(/RESULT=listed\n$/);
    expect(plain?.FinishedTime).toMatch(/Z$/);
    expect(plain).not.toHaveProperty('FinishTime');
    expect(
      callOk(sim, 'DescribeInvocationResults', { RegionId: HZ, InvokeRecordStatus: 'Finished', MaxResults: 50 }).Invocation?.TotalCount,
    ).toBe(55);
  });

  it('a command on an instance that reboots before delivery is Aborted (InstanceNotRunning); during the run, Failed (ExecutionInterrupted)', () => {
    const { sim, clock } = setup();
    sim.setControl({ commandMs: { delivery: 50, run: 1_000 } });
    const [early = '', late = ''] = readyInstances(sim, HZ, 2);
    const a = run(sim, [early], { mode: 'add', key: NEW_KEY });
    callOk(sim, 'RebootInstance', { InstanceId: early });
    const b = run(sim, [late], { mode: 'add', key: NEW_KEY });
    clock.advance(100);
    callOk(sim, 'RebootInstance', { InstanceId: late });
    clock.advance(2_000);
    expect(results(sim, a.InvokeId)[0]).toMatchObject({
      InvocationStatus: 'Aborted',
      ErrorCode: 'InstanceNotRunning',
      InvokeRecordStatus: 'Failed',
    });
    expect(results(sim, a.InvokeId)[0]).not.toHaveProperty('ExitCode');
    expect(results(sim, b.InvokeId)[0]).toMatchObject({ InvocationStatus: 'Failed', ErrorCode: 'ExecutionInterrupted' });
    for (const id of [early, late]) expect(loginFile(sim, id)).not.toContain(NEW_KEY);
  });
});

describe('the key script, applied to the model', () => {
  it('add: adds the key once (added, then present), leaving every other line alone; list reads it back', () => {
    const { sim, clock } = setup();
    const target = readyInstances(sim, HZ, 1, (i) => i.KeyPairName !== undefined && i.ImageOptions?.LoginAsNonRoot === false)[0] ?? '';
    const before = loginFile(sim, target);
    const added = runToEnd(sim, clock, target, { mode: 'add', key: NEW_KEY });
    expect(added.row).toMatchObject({ InvocationStatus: 'Success', ExitCode: 0 });
    expect(added.out).toMatchObject({ result: 'added', user: 'root', file: '/root/.ssh/authorized_keys' });
    expect(loginFile(sim, target)).toEqual([...before, NEW_KEY]);
    expect(runToEnd(sim, clock, target, { mode: 'add', key: NEW_KEY.replace('new@example', 'other comment') }).out?.result).toBe('present');
    expect(loginFile(sim, target)).toEqual([...before, NEW_KEY]);

    const listed = runToEnd(sim, clock, target, { mode: 'list' }).out;
    const key = parsePublicKey(NEW_KEY);
    expect(listed).toMatchObject({ result: 'listed', passwordAuthentication: 'no', pubkeyAuthentication: 'yes' });
    expect(listed?.keys.at(-1)).toEqual({ type: 'ssh-ed25519', sha256: sha256Fingerprint(key), md5: ecsFingerprint(key) });
    expect(listed?.keys).toHaveLength(before.length + 1);
  });

  it('add with replace: removes exactly the replaced key’s line (REPLACED=1) and keeps a colleague’s', () => {
    const { sim, clock } = setup();
    const target =
      readyInstances(
        sim,
        HZ,
        1,
        (i) =>
          i.KeyPairName !== undefined &&
          (sim.sshState(i.InstanceId)?.files.get(sim.sshState(i.InstanceId)?.loginUser ?? 'root') ?? []).some((l) => l.includes('@')),
      )[0] ?? '';
    const old = keyLine(sim, sim.instance(target)?.KeyPairName ?? '');
    const colleague = loginFile(sim, target).find((l) => l.includes('@'));
    const user = sim.sshState(target)?.loginUser ?? 'root';
    const res = runToEnd(sim, clock, target, { mode: 'add', user, key: NEW_KEY, replace: old });
    expect(res.out).toMatchObject({ result: 'added', replaced: true });
    expect(loginFile(sim, target)).toEqual([colleague, NEW_KEY]);
    // Replacing a key that is not there is no refusal: REPLACED=0.
    expect(runToEnd(sim, clock, target, { mode: 'add', user, key: NEW_KEY, replace: old }).out).toMatchObject({
      result: 'present',
      replaced: false,
    });
  });

  it('remove: removes only exact matches (absent the second time); a reboot with an unchanged binding does not bring it back', () => {
    const { sim, clock } = setup();
    const target = readyInstances(sim, HZ, 1, (i) => i.KeyPairName !== undefined && i.ImageOptions?.LoginAsNonRoot === false)[0] ?? '';
    const line = keyLine(sim, sim.instance(target)?.KeyPairName ?? '');
    expect(runToEnd(sim, clock, target, { mode: 'remove', key: line }).out?.result).toBe('removed');
    expect(loginFile(sim, target)).not.toContain(line);
    expect(runToEnd(sim, clock, target, { mode: 'remove', key: line }).out?.result).toBe('absent');
    callOk(sim, 'RebootInstance', { InstanceId: target });
    clock.advance(1_000);
    expect(loginFile(sim, target)).not.toContain(line);
  });

  it('works on ecs-user: its own file under /home, root’s untouched', () => {
    const { sim, clock } = setup();
    const target = readyInstances(sim, HZ, 1, (i) => i.ImageOptions?.LoginAsNonRoot === true)[0] ?? '';
    const res = runToEnd(sim, clock, target, { mode: 'add', user: 'ecs-user', key: NEW_KEY });
    expect(res.out).toMatchObject({ result: 'added', user: 'ecs-user', file: '/home/ecs-user/.ssh/authorized_keys' });
    expect(sim.sshState(target)?.files.get('ecs-user')).toContain(NEW_KEY);
    expect(sim.sshState(target)?.files.get('root')).toEqual([]);
  });

  it.each<[string, KeyScriptCall, string]>([
    ['a user the instance does not have', { mode: 'add', user: 'ecs-user', key: NEW_KEY }, 'no-such-user'],
    ['a user name that is not one', { mode: 'list', user: '../etc' }, 'bad-user'],
    ['a key that does not parse', { mode: 'add', key: 'ssh-ed25519 AAAA' }, 'bad-key'],
    ['two lines for one key', { mode: 'add', key: `${NEW_KEY}\n${NEW_KEY}` }, 'bad-key'],
    ['a mode it does not know', { mode: 'renew', key: NEW_KEY }, 'bad-mode'],
  ])('refuses %s: RESULT=refused with a REASON, a non-zero exit, nothing written', (_label, call, reason) => {
    const { sim, clock } = setup();
    const target = readyInstances(sim, HZ, 1, (i) => i.ImageOptions?.LoginAsNonRoot === false)[0] ?? '';
    const before = sim.sshState(target);
    const { row, out } = runToEnd(sim, clock, target, call);
    expect(row).toMatchObject({ InvocationStatus: 'Failed', ErrorCode: 'ExitCodeNonzero' });
    expect(row?.ExitCode).not.toBe(0);
    expect(out).toMatchObject({ result: 'refused', reason });
    expect(sim.sshState(target)).toEqual(before);
  });

  it('refuses to run as anyone but root, and a user the instance lacks fails that instance (AccountNotExists)', () => {
    const { sim, clock } = setup();
    const nonRoot = readyInstances(sim, HZ, 1, (i) => i.ImageOptions?.LoginAsNonRoot === true)[0] ?? '';
    const asUser = runToEnd(sim, clock, nonRoot, { mode: 'list', user: 'ecs-user' }, { Username: 'ecs-user' });
    expect(asUser.out).toMatchObject({ result: 'refused', reason: 'not-root' });
    const rootOnly = readyInstances(sim, HZ, 1, (i) => i.ImageOptions?.LoginAsNonRoot === false)[0] ?? '';
    const missing = runToEnd(sim, clock, rootOnly, { mode: 'list' }, { Username: 'ecs-user' });
    expect(missing.row).toMatchObject({ InvocationStatus: 'Invalid', ErrorCode: 'AccountNotExists', InvokeRecordStatus: 'Failed' });
    expect(missing.row).not.toHaveProperty('ExitCode');
    expect(missing.out).toBeUndefined();
  });

  it('answers any other script with ExitCode 127 and "not simulated", never a fake success', () => {
    const { sim, clock } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const before = sim.sshState(id);
    const res = callOk(sim, 'RunCommand', {
      RegionId: HZ,
      Type: 'RunShellScript',
      CommandContent: b64('#!/bin/bash\necho "$(whoami)" >> /root/.ssh/authorized_keys\n'),
      ContentEncoding: 'Base64',
      InstanceId: [id],
    });
    clock.advance(2_000);
    const row = results(sim, res.InvokeId, 'PlainText')[0];
    expect(row).toMatchObject({ InvocationStatus: 'Failed', ExitCode: 127, ErrorCode: 'ExitCodeNonzero' });
    expect(row?.Output).toMatch(/^not simulated: /);
    expect(parseKeyScriptOutput(row?.Output ?? '')).toBeUndefined();
    expect(sim.sshState(id)).toEqual(before);
  });
});

describe('injected command faults (SimControl.commandFaults)', () => {
  it('agent-lost: the call is accepted, the command is Aborted (ClientNotRunning), and the agent stays offline', () => {
    const { sim, clock } = setup();
    const [lost = '', fine = ''] = readyInstances(sim, HZ, 2);
    sim.setControl({ commandFaults: { [lost]: { mode: 'agent-lost', remaining: 1 } } });
    const res = run(sim, [lost, fine], { mode: 'add', key: NEW_KEY });
    expect(agentRows(sim, HZ, [lost]).get(lost)?.CloudAssistantStatus).toBe('false');
    expect(sim.control.agents[lost]).toBe('offline');
    expect(sim.control.commandFaults).toEqual({});
    clock.advance(2_000);
    const rows = results(sim, res.InvokeId);
    expect(rows.find((r) => r.InstanceId === lost)).toMatchObject({ InvocationStatus: 'Aborted', ErrorCode: 'ClientNotRunning' });
    expect(rows.find((r) => r.InstanceId === fine)).toMatchObject({ InvocationStatus: 'Success' });
    expect(loginFile(sim, lost)).not.toContain(NEW_KEY);
    expect(callErr(sim, 'RunCommand', toWire('RunCommand', keyScriptRequest(HZ, [lost], { mode: 'list' }))).Code).toBe(
      'InvalidInstance.NotMatch',
    );
  });

  it('an agent set offline after the call was accepted: the command is Aborted (ClientNotRunning) at delivery', () => {
    const { sim, clock } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    const res = run(sim, [id], { mode: 'add', key: NEW_KEY });
    sim.setControl({ agents: { [id]: 'offline' } });
    clock.advance(2_000);
    expect(results(sim, res.InvokeId)[0]).toMatchObject({ InvocationStatus: 'Aborted', ErrorCode: 'ClientNotRunning' });
    expect(loginFile(sim, id)).not.toContain(NEW_KEY);
  });

  it('timeout: Timeout with ExecutionTimeout after the call’s Timeout; a command slower than its Timeout times out too', () => {
    const { sim, clock } = setup();
    const [stuck = '', slow = ''] = readyInstances(sim, HZ, 2);
    sim.setControl({ commandFaults: { [stuck]: { mode: 'timeout', remaining: 1 } } });
    const a = run(sim, [stuck], { mode: 'add', key: NEW_KEY }, { Timeout: 10 });
    clock.advance(10_400);
    expect(results(sim, a.InvokeId)[0]?.InvocationStatus).toBe('Running');
    clock.advance(200);
    expect(results(sim, a.InvokeId)[0]).toMatchObject({ InvocationStatus: 'Timeout', ErrorCode: 'ExecutionTimeout' });
    expect(loginFile(sim, stuck)).not.toContain(NEW_KEY);

    sim.setControl({ commandMs: { run: 20_000 } });
    const b = run(sim, [slow], { mode: 'list' }, { Timeout: 10 });
    clock.advance(11_000);
    expect(results(sim, b.InvokeId)[0]?.InvocationStatus).toBe('Timeout');
  });

  it('write-lost: the script says added, the file is unchanged, and a list read back shows it', () => {
    const { sim, clock } = setup();
    const [id = ''] = readyInstances(sim, HZ, 1);
    sim.setControl({ commandFaults: { [id]: { mode: 'write-lost', remaining: 1 } } });
    const before = sim.sshState(id);
    expect(runToEnd(sim, clock, id, { mode: 'add', key: NEW_KEY }).out?.result).toBe('added');
    expect(sim.sshState(id)).toEqual(before);
    const listed = runToEnd(sim, clock, id, { mode: 'list' }).out;
    expect(listed?.keys.map((k) => k.md5)).not.toContain(ecsFingerprint(parsePublicKey(NEW_KEY)));
  });

  it('counts down per accepted call; a refused call does not consume the fault', () => {
    const { sim, clock } = setup();
    const [id = '', other = ''] = readyInstances(sim, HZ, 2);
    sim.setControl({ commandFaults: { [id]: { mode: 'exit', remaining: 2 } }, agents: { [other]: 'offline' } });
    expect(callErr(sim, 'RunCommand', toWire('RunCommand', keyScriptRequest(HZ, [id, other], { mode: 'list' }))).Code).toBe(
      'InvalidInstance.NotMatch',
    );
    expect(sim.control.commandFaults[id]?.remaining).toBe(2);
    expect(runToEnd(sim, clock, id, { mode: 'list' }).row).toMatchObject({ InvocationStatus: 'Failed', ExitCode: 1 });
    expect(runToEnd(sim, clock, id, { mode: 'list' }).row?.ExitCode).toBe(1);
    expect(runToEnd(sim, clock, id, { mode: 'list' }).row).toMatchObject({ InvocationStatus: 'Success', ExitCode: 0 });
  });
});
