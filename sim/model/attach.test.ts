import { isResultOk } from '../../ecs/contract';
import { ecsErrors } from '../../ecs/errors';
import { createSimulator } from './simulator';
import { callErr, callOk, expectOk, fakeClock, findInstance, findInstances, isLocked, isPlainLinux } from './test-support';

const HZ = 'cn-hangzhou';

function setup() {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 400, now: clock.now });
  return { clock, sim };
}

const attachWire = (keyPair: string, instanceIds: readonly string[]) => ({
  RegionId: HZ,
  KeyPairName: keyPair,
  InstanceIds: JSON.stringify(instanceIds),
});

describe('AttachKeyPair', () => {
  it('partly succeeds: HTTP 200, one result per instance, loose wire types as in the docs example', () => {
    const { sim } = setup();
    const linux = findInstance(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName === undefined);
    const windows = findInstance(sim, HZ, (i) => i.OSType === 'windows');
    const unknown = 'i-bp1doesnotexist0000';
    const res = sim.call('AttachKeyPair', attachWire('ci-deploy', [linux.InstanceId, windows.InstanceId, unknown]));
    const body = expectOk(res, 'AttachKeyPair');

    // docs/ecs-notes.md#loose-types and #attach-response: counts are numbers, Success a boolean, Code a string.
    expect(res.body).toMatchObject({ KeyPairName: 'ci-deploy', TotalCount: 3, FailCount: 2 });
    expect(body.Results?.Result).toEqual([
      { InstanceId: linux.InstanceId, Code: '200', Message: 'successful', Success: true },
      {
        InstanceId: windows.InstanceId,
        Code: 'DependencyViolation.WindowsInstance',
        Message: ecsErrors.windowsInstance().message,
        Success: false,
      },
      { InstanceId: unknown, Code: 'InvalidInstanceId.NotFound', Message: 'The specified InstanceId does not exist.', Success: false },
    ]);
    expect(body.Results?.Result?.map(isResultOk)).toEqual([true, false, false]);

    expect(sim.instance(linux.InstanceId)?.KeyPairName).toBe('ci-deploy');
    expect(sim.instance(windows.InstanceId)?.KeyPairName).toBeUndefined();
  });

  it('replaces an existing key pair on running and stopped instances alike', () => {
    const { sim } = setup();
    const [running] = findInstances(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName === 'ops-team', 1);
    const stopped = findInstance(
      sim,
      HZ,
      (i) => isPlainLinux('Stopped')(i) && i.KeyPairName !== undefined && i.KeyPairName !== 'break-glass-2026',
    );
    const targets = [running?.InstanceId ?? '', stopped.InstanceId];
    const body = callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'break-glass-2026', InstanceIds: targets });
    expect(body.FailCount).toBe(0);
    for (const id of targets) expect(sim.instance(id)?.KeyPairName).toBe('break-glass-2026');

    const opsTeam = callOk(sim, 'DescribeInstances', { RegionId: HZ, KeyPairName: 'ops-team', PageSize: 100 });
    expect(opsTeam.Instances?.Instance?.map((i) => i.InstanceId)).not.toContain(running?.InstanceId);
    const glass = callOk(sim, 'DescribeInstances', { RegionId: HZ, KeyPairName: 'break-glass-2026', InstanceIds: targets });
    expect(glass.TotalCount).toBe(2);
  });

  it('fails the whole request for an unknown key pair and applies nothing', () => {
    const { sim } = setup();
    const linux = findInstance(sim, HZ, isPlainLinux('Running'));
    const before = sim.instance(linux.InstanceId);
    const err = callErr(sim, 'AttachKeyPair', attachWire('nobody-has-this', [linux.InstanceId]));
    expect([err.status, err.Code]).toEqual([400, 'InvalidKeyPairName.NotFound']);
    expect(sim.instance(linux.InstanceId)).toEqual(before);
  });

  it('does not find key pairs of another region', () => {
    const { sim } = setup();
    const shanghaiOnly =
      callOk(sim, 'DescribeKeyPairs', { RegionId: 'cn-shanghai', PageSize: 50 }).KeyPairs?.KeyPair?.map((k) => k.KeyPairName) ?? [];
    const hangzhou = new Set(callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, PageSize: 50 }).KeyPairs?.KeyPair?.map((k) => k.KeyPairName));
    const foreign = shanghaiOnly.find((name) => !hangzhou.has(name));
    expect(foreign).toBeDefined();
    expect(callErr(sim, 'AttachKeyPair', attachWire(foreign ?? '', [findInstance(sim, HZ, isPlainLinux('Running')).InstanceId])).Code).toBe(
      'InvalidKeyPairName.NotFound',
    );
  });

  it('rejects 51 IDs with InvalidInstanceIds.ValueNotSupported and applies nothing', () => {
    const { sim } = setup();
    const targets = findInstances(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName !== 'ops-team', 51);
    const err = callErr(
      sim,
      'AttachKeyPair',
      attachWire(
        'ops-team',
        targets.map((i) => i.InstanceId),
      ),
    );
    expect([err.status, err.Code]).toEqual([400, 'InvalidInstanceIds.ValueNotSupported']);
    for (const target of targets) expect(sim.instance(target.InstanceId)?.KeyPairName).toBe(target.KeyPairName);
  });

  it.each([
    ['malformed JSON', '["i-a", '],
    ['an empty array', '[]'],
    ['the repeat-list form', 'i-a'],
  ])('rejects %s with InvalidInstanceIds.ValueNotSupported', (_what, instanceIds) => {
    const { sim } = setup();
    const err = callErr(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ops-team', InstanceIds: instanceIds });
    expect([err.status, err.Code]).toEqual([400, 'InvalidInstanceIds.ValueNotSupported']);
  });

  it('accepts exactly 50 IDs', () => {
    const { sim } = setup();
    const fifty = findInstances(sim, HZ, isPlainLinux('Running'), 50).map((i) => i.InstanceId);
    const body = callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ops-team', InstanceIds: fifty });
    expect([body.TotalCount, body.FailCount]).toEqual([50, 0]);
  });

  it('requires KeyPairName and RegionId', () => {
    const { sim } = setup();
    const err = callErr(sim, 'AttachKeyPair', { RegionId: HZ, InstanceIds: '["i-a"]' });
    expect([err.Code, err.Message]).toEqual(['MissingParameter', expect.stringContaining('KeyPairName')]);
    expect(callErr(sim, 'AttachKeyPair', { KeyPairName: 'ops-team', InstanceIds: '["i-a"]' }).Code).toBe('MissingParameter');
  });

  it('reports per-instance failures for other regions, unsettled states and security locks', () => {
    const { sim } = setup();
    const foreign = sim.instancesIn('cn-beijing')[0]?.InstanceId ?? '';
    const starting = findInstance(sim, HZ, (i) => i.OSType === 'linux' && i.Status === 'Starting' && !isLocked(i));
    const locked = findInstance(sim, HZ, (i) => i.OSType === 'linux' && i.OperationLocks.LockReason?.[0]?.LockReason === 'security');
    const body = callOk(sim, 'AttachKeyPair', {
      RegionId: HZ,
      KeyPairName: 'ops-team',
      InstanceIds: [foreign, starting.InstanceId, locked.InstanceId],
    });
    expect(body.FailCount).toBe(3);
    expect(body.Results?.Result?.map((r) => [r.Code, r.Success])).toEqual([
      ['InvalidInstanceId.NotFound', false],
      ['IncorrectInstanceStatus', false],
      ['InstanceLockedForSecurity', false],
    ]);
    expect(body.Results?.Result?.[1]?.Message).toBe('The current status of the resource does not support this operation.');
    expect(sim.instance(starting.InstanceId)?.KeyPairName).toBe(starting.KeyPairName);
  });

  it('applies injected per-instance faults, counting them down', () => {
    const { sim } = setup();
    const linux = findInstance(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName !== 'ci-deploy');
    sim.setControl({ instanceFaults: { [linux.InstanceId]: { Code: 'InternalError', Message: 'injected', remaining: 1 } } });
    const first = callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ci-deploy', InstanceIds: [linux.InstanceId] });
    expect(first.Results?.Result?.[0]).toMatchObject({ Code: 'InternalError', Message: 'injected', Success: false });
    expect(sim.instance(linux.InstanceId)?.KeyPairName).toBe(linux.KeyPairName);
    expect(sim.control.instanceFaults).toEqual({});
    const second = callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ci-deploy', InstanceIds: [linux.InstanceId] });
    expect(second.FailCount).toBe(0);
    expect(sim.instance(linux.InstanceId)?.KeyPairName).toBe('ci-deploy');
  });
});
