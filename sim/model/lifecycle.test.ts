import { ecsErrors } from '../../ecs/errors';
import { formatMinute } from './model';
import { createSimulator } from './simulator';
import type { Simulator } from './simulator';
import { callErr, callOk, fakeClock, findInstance, findInstances, isPlainLinux } from './test-support';
import type { FakeClock } from './test-support';

const HZ = 'cn-hangzhou';

/** A fleet whose construction-time transitions have already finished. */
function setup(): { sim: Simulator; clock: FakeClock } {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 300, now: clock.now });
  clock.advance(60_000);
  return { sim, clock };
}

const statusOf = (sim: Simulator, id: string) => sim.instance(id)?.Status;
const securityLocked = (status: string) => (i: { Status: string; OperationLocks: { LockReason?: { LockReason: string }[] } }) =>
  i.Status === status && i.OperationLocks.LockReason?.[0]?.LockReason === 'security';

describe('RebootInstance', () => {
  it('goes Running → Stopping → Starting → Running at the configured times and records StartTime', () => {
    const { sim, clock } = setup();
    const id = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
    const rebootedAt = clock.now();
    callOk(sim, 'RebootInstance', { InstanceId: id });
    expect(statusOf(sim, id)).toBe('Stopping');
    clock.advance(1499);
    expect(statusOf(sim, id)).toBe('Stopping');
    clock.advance(1);
    expect(statusOf(sim, id)).toBe('Starting');
    clock.advance(2499);
    expect(statusOf(sim, id)).toBe('Starting');
    // The list and the poller see the same lazy state as the introspection helper.
    expect(callOk(sim, 'DescribeInstanceStatus', { RegionId: HZ, InstanceId: [id] }).InstanceStatuses?.InstanceStatus?.[0]?.Status).toBe(
      'Starting',
    );
    clock.advance(1);
    expect(callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: [id] }).Instances?.Instance?.[0]?.Status).toBe('Running');
    expect(sim.instance(id)?.StartTime).toBe(formatMinute(rebootedAt + 4000));
  });

  it('uses transitionMs from the options', () => {
    const clock = fakeClock();
    const sim = createSimulator({ instances: 50, now: clock.now, transitionMs: { stopping: 10, starting: 20 } });
    clock.advance(60_000);
    const id = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
    callOk(sim, 'RebootInstance', { InstanceId: id, ForceStop: true });
    clock.advance(10);
    expect(statusOf(sim, id)).toBe('Starting');
    clock.advance(20);
    expect(statusOf(sim, id)).toBe('Running');
  });

  it('refuses instances that are not Running with IncorrectInstanceStatus (403), also mid-reboot', () => {
    const { sim } = setup();
    const stopped = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    const err = callErr(sim, 'RebootInstance', { InstanceId: stopped });
    expect([err.status, err.Code]).toEqual([403, 'IncorrectInstanceStatus']);
    const running = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
    callOk(sim, 'RebootInstance', { InstanceId: running });
    expect(callErr(sim, 'RebootInstance', { InstanceId: running }).Code).toBe('IncorrectInstanceStatus');
  });

  it('checks the security lock before the status', () => {
    const { sim } = setup();
    for (const status of ['Running', 'Stopped']) {
      const locked = findInstance(sim, HZ, securityLocked(status)).InstanceId;
      const err = callErr(sim, 'RebootInstance', { InstanceId: locked });
      expect([err.status, err.Code]).toEqual([403, 'InstanceLockedForSecurity']);
      expect(statusOf(sim, locked)).toBe(status);
    }
  });

  it('answers an unknown ID with InvalidInstanceId.NotFound (404)', () => {
    const { sim } = setup();
    const err = callErr(sim, 'RebootInstance', { InstanceId: 'i-bp1doesnotexist0000' });
    expect([err.status, err.Code]).toEqual([404, 'InvalidInstanceId.NotFound']);
  });

  it('answers a valid dry run with DryRunOperation and changes nothing; an invalid one with the real error', () => {
    const { sim } = setup();
    const running = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
    const err = callErr(sim, 'RebootInstance', { InstanceId: running, DryRun: 'true' });
    expect([err.status, err.Code, err.Message]).toEqual([
      400,
      'DryRunOperation',
      'Request validation has been passed with DryRun flag set.',
    ]);
    expect(statusOf(sim, running)).toBe('Running');
    const stopped = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    expect(callErr(sim, 'RebootInstance', { InstanceId: stopped, DryRun: 'true' }).Code).toBe('IncorrectInstanceStatus');
  });

  it('finds instances in any region without a RegionId, and ignores one if sent', () => {
    const { sim } = setup();
    const frankfurt = findInstance(sim, 'eu-central-1', isPlainLinux('Running')).InstanceId;
    expect(sim.call('RebootInstance', { InstanceId: frankfurt, RegionId: HZ }).status).toBe(200);
    expect(statusOf(sim, frankfurt)).toBe('Stopping');
  });
});

describe('StartInstance', () => {
  it('goes Stopped → Starting → Running and leaves StoppedMode behind', () => {
    const { sim, clock } = setup();
    const id = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    callOk(sim, 'StartInstance', { InstanceId: id });
    expect(statusOf(sim, id)).toBe('Starting');
    clock.advance(2499);
    expect(statusOf(sim, id)).toBe('Starting');
    clock.advance(1);
    expect(sim.instance(id)).toMatchObject({ Status: 'Running', StoppedMode: 'Not-applicable', StartTime: formatMinute(clock.now()) });
  });

  it('refuses Running instances, financially locked ones and dry runs', () => {
    const { sim } = setup();
    const running = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
    expect(callErr(sim, 'StartInstance', { InstanceId: running }).Code).toBe('IncorrectInstanceStatus');
    const overdue = findInstance(sim, HZ, (i) => i.OperationLocks.LockReason?.[0]?.LockReason === 'financial').InstanceId;
    expect(callErr(sim, 'StartInstance', { InstanceId: overdue })).toMatchObject({ status: 403, Code: 'InstanceExpiredOrInArrears' });
    const stopped = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    expect(callErr(sim, 'StartInstance', { InstanceId: stopped, DryRun: 'true' }).Code).toBe('DryRunOperation');
    expect(statusOf(sim, stopped)).toBe('Stopped');
  });

  it('fails with an injected fault until it runs out', () => {
    const { sim } = setup();
    const id = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    sim.setControl({ instanceFaults: { [id]: { Code: 'InstanceNotReady', Message: 'not yet', remaining: 2 } } });
    for (let n = 0; n < 2; n++) {
      expect(callErr(sim, 'StartInstance', { InstanceId: id })).toMatchObject({
        status: 500,
        Code: 'InstanceNotReady',
        Message: 'not yet',
      });
      expect(statusOf(sim, id)).toBe('Stopped');
    }
    callOk(sim, 'StartInstance', { InstanceId: id });
    expect(statusOf(sim, id)).toBe('Starting');
  });
});

describe('RebootInstances / StartInstances (batch)', () => {
  it('AllTogether (default): one bad instance fails the request and nothing is acted on', () => {
    const { sim } = setup();
    const running = findInstances(sim, HZ, isPlainLinux('Running'), 2).map((i) => i.InstanceId);
    const stopped = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    const err = callErr(sim, 'RebootInstances', {
      RegionId: HZ,
      'InstanceId.1': running[0] ?? '',
      'InstanceId.2': stopped,
      'InstanceId.3': running[1] ?? '',
    });
    expect([err.status, err.Code]).toEqual([403, 'IncorrectInstanceStatus']);
    for (const id of running) expect(statusOf(sim, id)).toBe('Running');
  });

  it('AllTogether: acts on all and reports previous and current status', () => {
    const { sim } = setup();
    const running = findInstances(sim, HZ, isPlainLinux('Running'), 3).map((i) => i.InstanceId);
    const body = callOk(sim, 'RebootInstances', { RegionId: HZ, InstanceId: running, ForceReboot: true });
    expect(body.InstanceResponses?.InstanceResponse).toEqual(
      running.map((id) => ({ InstanceId: id, Code: '200', Message: 'success', PreviousStatus: 'Running', CurrentStatus: 'Stopping' })),
    );
    for (const id of running) expect(statusOf(sim, id)).toBe('Stopping');
  });

  it('SuccessFirst: each instance is handled separately', () => {
    const { sim } = setup();
    const running = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
    const stopped = findInstance(sim, HZ, isPlainLinux('Stopped')).InstanceId;
    const foreign = findInstance(sim, 'cn-shenzhen', isPlainLinux('Running')).InstanceId;
    const body = callOk(sim, 'RebootInstances', {
      RegionId: HZ,
      InstanceId: [running, stopped, foreign, 'i-bp1doesnotexist0000'],
      BatchOptimization: 'SuccessFirst',
    });
    expect(body.InstanceResponses?.InstanceResponse).toEqual([
      { InstanceId: running, Code: '200', Message: 'success', PreviousStatus: 'Running', CurrentStatus: 'Stopping' },
      {
        InstanceId: stopped,
        Code: 'IncorrectInstanceStatus',
        Message: ecsErrors.incorrectInstanceStatus().message,
        PreviousStatus: 'Stopped',
        CurrentStatus: 'Stopped',
      },
      {
        InstanceId: foreign,
        Code: 'InvalidInstanceId.NotFound',
        Message: ecsErrors.instanceNotFound().message,
        PreviousStatus: '',
        CurrentStatus: '',
      },
      {
        InstanceId: 'i-bp1doesnotexist0000',
        Code: 'InvalidInstanceId.NotFound',
        Message: ecsErrors.instanceNotFound().message,
        PreviousStatus: '',
        CurrentStatus: '',
      },
    ]);
    expect(statusOf(sim, running)).toBe('Stopping');
    expect(statusOf(sim, foreign)).toBe('Running');
  });

  it('dry runs: DRYRUN.SUCCESS when valid; AllTogether reports the real error; SuccessFirst always succeeds', () => {
    const { sim } = setup();
    const stopped = findInstances(sim, HZ, isPlainLinux('Stopped'), 2).map((i) => i.InstanceId);
    const running = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
    const valid = callErr(sim, 'StartInstances', {
      RegionId: HZ,
      'InstanceId.1': stopped[0] ?? '',
      'InstanceId.2': stopped[1] ?? '',
      DryRun: 'true',
    });
    expect([valid.status, valid.Code]).toEqual([400, 'DRYRUN.SUCCESS']);
    for (const id of stopped) expect(statusOf(sim, id)).toBe('Stopped');
    const invalid = callErr(sim, 'StartInstances', {
      RegionId: HZ,
      'InstanceId.1': stopped[0] ?? '',
      'InstanceId.2': running,
      DryRun: 'true',
    });
    expect(invalid.Code).toBe('IncorrectInstanceStatus');
    const successFirst = callErr(sim, 'StartInstances', {
      RegionId: HZ,
      'InstanceId.1': running,
      DryRun: 'true',
      BatchOptimization: 'SuccessFirst',
    });
    expect(successFirst.Code).toBe('DRYRUN.SUCCESS');
  });

  it('StartInstances starts stopped instances, which become Running after transitionMs.starting', () => {
    const { sim, clock } = setup();
    const stopped = findInstances(sim, HZ, isPlainLinux('Stopped'), 3).map((i) => i.InstanceId);
    const body = callOk(sim, 'StartInstances', { RegionId: HZ, InstanceId: stopped });
    expect(body.InstanceResponses?.InstanceResponse?.map((r) => [r.PreviousStatus, r.CurrentStatus])).toEqual(
      stopped.map(() => ['Stopped', 'Starting']),
    );
    clock.advance(2500);
    const statuses = callOk(sim, 'DescribeInstanceStatus', { RegionId: HZ, InstanceId: stopped }).InstanceStatuses?.InstanceStatus;
    expect(statuses?.map((s) => s.Status)).toEqual(['Running', 'Running', 'Running']);
  });

  it('validates the ID list: 1..100 IDs, RegionId required', () => {
    const { sim } = setup();
    const wire: Record<string, string> = { RegionId: HZ };
    for (let n = 1; n <= 101; n++) wire[`InstanceId.${n}`] = `i-bp1${String(n).padStart(17, '0')}`;
    expect(callErr(sim, 'RebootInstances', wire)).toMatchObject({ status: 400, Code: 'InvalidParameter' });
    expect(callErr(sim, 'RebootInstances', { RegionId: HZ })).toMatchObject({ Code: 'MissingParameter' });
    expect(callErr(sim, 'StartInstances', { 'InstanceId.1': 'i-a' })).toMatchObject({ Code: 'MissingParameter' });
    expect(callErr(sim, 'StartInstances', { RegionId: HZ, 'InstanceId.1': 'i-a', BatchOptimization: 'Whatever' })).toMatchObject({
      Code: 'InvalidParameter',
    });
  });
});
