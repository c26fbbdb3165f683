import type { InstanceStatus } from '../../ecs/contract';
import { createSimulator } from './simulator';
import type { SimOptions, Simulator } from './simulator';
import { callErr, callOk, fakeClock, findInstance, findInstances, isPlainLinux } from './test-support';
import type { FakeClock } from './test-support';

// Boot durations, their jitter and injected failures to boot: what a health-gated reboot wave is tested against.

const HZ = 'cn-hangzhou';

/** A fleet whose construction-time transitions have already finished. */
function setup(options: SimOptions = {}): { sim: Simulator; clock: FakeClock } {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 300, now: clock.now, ...options });
  clock.advance(60_000);
  return { sim, clock };
}

const running = (sim: Simulator, count: number) => findInstances(sim, HZ, isPlainLinux('Running'), count).map((i) => i.InstanceId);
const stopped = (sim: Simulator, count: number) => findInstances(sim, HZ, isPlainLinux('Stopped'), count).map((i) => i.InstanceId);
const statusOf = (sim: Simulator, id: string) => sim.statusesOf([id])[0];

/** Each instance's status changes over the next `horizonMs`, as [status, ms after now], sampled every ms. */
function timeline(sim: Simulator, clock: FakeClock, ids: readonly string[], horizonMs: number): [InstanceStatus | undefined, number][][] {
  const seen = sim.statusesOf(ids).map((status): [InstanceStatus | undefined, number][] => [[status, 0]]);
  for (let t = 1; t <= horizonMs; t++) {
    clock.advance(1);
    sim.statusesOf(ids).forEach((status, n) => {
      const changes = seen[n];
      if (changes !== undefined && changes[changes.length - 1]?.[0] !== status) changes.push([status, t]);
    });
  }
  return seen;
}

describe('boot durations (transitionMs)', () => {
  it('start from the constructor option, are set through the control field by field, and a reset restores them', () => {
    const { sim, clock } = setup({ transitionMs: { stopping: 10, starting: 20 } });
    expect(sim.control.transitionMs).toEqual({ stopping: 10, starting: 20 });
    sim.setControl({ transitionMs: { starting: 70 } });
    expect(sim.control.transitionMs).toEqual({ stopping: 10, starting: 70 });
    const [id = ''] = running(sim, 1);
    callOk(sim, 'RebootInstance', { InstanceId: id });
    expect(timeline(sim, clock, [id], 200)).toEqual([
      [
        ['Stopping', 0],
        ['Starting', 10],
        ['Running', 80],
      ],
    ]);
    sim.reset();
    expect(sim.control.transitionMs).toEqual({ stopping: 10, starting: 20 });
  });

  it('apply to boots accepted after the change; a boot under way keeps its times', () => {
    const { sim, clock } = setup();
    const [early = '', late = ''] = running(sim, 2);
    callOk(sim, 'RebootInstance', { InstanceId: early });
    sim.setControl({ transitionMs: { stopping: 30, starting: 40 } });
    callOk(sim, 'RebootInstance', { InstanceId: late });
    expect(timeline(sim, clock, [early, late], 4100)).toEqual([
      [
        ['Stopping', 0],
        ['Starting', 1500],
        ['Running', 4000],
      ],
      [
        ['Stopping', 0],
        ['Starting', 30],
        ['Running', 70],
      ],
    ]);
  });

  it('time starts, single and batch, by `starting` alone', () => {
    const { sim, clock } = setup();
    sim.setControl({ transitionMs: { stopping: 5, starting: 25 } });
    const [single = '', batched = ''] = stopped(sim, 2);
    callOk(sim, 'StartInstance', { InstanceId: single });
    callOk(sim, 'StartInstances', { RegionId: HZ, InstanceId: [batched], BatchOptimization: 'SuccessFirst' });
    expect(timeline(sim, clock, [single, batched], 50)).toEqual([
      [
        ['Starting', 0],
        ['Running', 25],
      ],
      [
        ['Starting', 0],
        ['Running', 25],
      ],
    ]);
  });
});

describe('boot jitter (bootJitterMs)', () => {
  it('varies each phase of each boot within ± bootJitterMs', () => {
    const { sim, clock } = setup();
    sim.setControl({ transitionMs: { stopping: 100, starting: 200 }, bootJitterMs: 50 });
    const ids = running(sim, 20);
    callOk(sim, 'RebootInstances', { RegionId: HZ, InstanceId: ids, BatchOptimization: 'SuccessFirst' });
    const phases = timeline(sim, clock, ids, 400).map((changes) => {
      expect(changes.map(([status]) => status)).toEqual(['Stopping', 'Starting', 'Running']);
      const [, startingAt = 0] = changes[1] ?? [];
      const [, runningAt = 0] = changes[2] ?? [];
      return { stopping: startingAt, starting: runningAt - startingAt };
    });
    for (const { stopping, starting } of phases) {
      expect(stopping).toBeGreaterThanOrEqual(50);
      expect(stopping).toBeLessThanOrEqual(150);
      expect(starting).toBeGreaterThanOrEqual(150);
      expect(starting).toBeLessThanOrEqual(250);
    }
    // Spread out, not in lockstep.
    expect(new Set(phases.map((p) => p.stopping + p.starting)).size).toBeGreaterThan(10);
  });

  it('is the same from run to run for the same seed, whatever order the calls arrive in; each boot draws anew', () => {
    function bootTimes(order: 'forward' | 'backward', seed = 'boot-jitter'): Map<string, number[]> {
      const { sim, clock } = setup({ seed });
      sim.setControl({ transitionMs: { stopping: 100, starting: 100 }, bootJitterMs: 80 });
      const ids = running(sim, 6);
      const sent = order === 'forward' ? ids : [...ids].reverse();
      const times = new Map<string, number[]>(ids.map((id) => [id, []]));
      for (let round = 0; round < 2; round++) {
        for (const id of sent) callOk(sim, 'RebootInstance', { InstanceId: id });
        timeline(sim, clock, sent, 400).forEach((changes, n) => times.get(sent[n] ?? '')?.push(changes[changes.length - 1]?.[1] ?? -1));
      }
      return times;
    }
    const forward = bootTimes('forward');
    expect(bootTimes('backward')).toEqual(forward);
    for (const [first, second] of forward.values()) expect(first).not.toBe(second);
    expect(bootTimes('forward', 'another seed')).not.toEqual(forward);
  });

  it('never makes a phase shorter than 1 ms, so the accepted call still finds the instance out of Running', () => {
    const { sim } = setup();
    sim.setControl({ transitionMs: { stopping: 1, starting: 1 }, bootJitterMs: 10_000 });
    const ids = running(sim, 10);
    const body = callOk(sim, 'RebootInstances', { RegionId: HZ, InstanceId: ids });
    expect(body.InstanceResponses?.InstanceResponse?.map((r) => r.CurrentStatus)).toEqual(ids.map(() => 'Stopping'));
  });

  it('leaves the request IDs and the transport draws alone', () => {
    const quiet = setup().sim;
    const jittery = setup().sim;
    jittery.setControl({ bootJitterMs: 1000 });
    for (const sim of [quiet, jittery]) callOk(sim, 'RebootInstance', { InstanceId: running(sim, 1)[0] ?? '' });
    expect(jittery.call('DescribeRegions', {}).body.RequestId).toBe(quiet.call('DescribeRegions', {}).body.RequestId);
    expect(jittery.transportPlan()).toEqual(quiet.transportPlan());
  });
});

describe('injected failures to boot (bootFaults)', () => {
  it('never-returns: the reboot is accepted and the instance stays Starting; ECS refuses to act on it meanwhile', () => {
    const { sim, clock } = setup();
    const [id = ''] = running(sim, 1);
    sim.setControl({ bootFaults: { [id]: { mode: 'never-returns', remaining: 1 } } });
    expect(sim.call('RebootInstance', { InstanceId: id }).status).toBe(200);
    expect(sim.control.bootFaults).toEqual({});
    clock.advance(1500);
    expect(statusOf(sim, id)).toBe('Starting');
    clock.advance(3_600_000);
    expect(callOk(sim, 'DescribeInstanceStatus', { RegionId: HZ, InstanceId: [id] }).InstanceStatuses?.InstanceStatus?.[0]?.Status).toBe(
      'Starting',
    );
    expect(callErr(sim, 'RebootInstance', { InstanceId: id }).Code).toBe('IncorrectInstanceStatus');
    expect(callErr(sim, 'StartInstance', { InstanceId: id }).Code).toBe('IncorrectInstanceStatus');
    // A reset brings back the seeded fleet.
    sim.reset();
    clock.advance(60_000);
    expect(statusOf(sim, id)).toBe('Running');
  });

  it('never-returns on a start: Starting for good', () => {
    const { sim, clock } = setup();
    const [id = ''] = stopped(sim, 1);
    sim.setControl({ bootFaults: { [id]: { mode: 'never-returns', remaining: 1 } } });
    callOk(sim, 'StartInstance', { InstanceId: id });
    clock.advance(3_600_000);
    expect(statusOf(sim, id)).toBe('Starting');
  });

  it('stops: the boot ends Stopped after its Starting phase, for the next `remaining` boots, then boots work again', () => {
    const { sim, clock } = setup({ transitionMs: { stopping: 10, starting: 20 } });
    const [id = ''] = running(sim, 1);
    sim.setControl({ bootFaults: { [id]: { mode: 'stops', remaining: 2 } } });
    callOk(sim, 'RebootInstance', { InstanceId: id });
    expect(timeline(sim, clock, [id], 100)).toEqual([
      [
        ['Stopping', 0],
        ['Starting', 10],
        ['Stopped', 30],
      ],
    ]);
    expect(sim.instance(id)?.StoppedMode).toBe('KeepCharging');
    expect(sim.control.bootFaults).toEqual({ [id]: { mode: 'stops', remaining: 1 } });
    callOk(sim, 'StartInstance', { InstanceId: id });
    expect(timeline(sim, clock, [id], 100)).toEqual([
      [
        ['Starting', 0],
        ['Stopped', 20],
      ],
    ]);
    callOk(sim, 'StartInstance', { InstanceId: id });
    expect(timeline(sim, clock, [id], 100)).toEqual([
      [
        ['Starting', 0],
        ['Running', 20],
      ],
    ]);
    expect(sim.control.bootFaults).toEqual({});
  });

  it('in a SuccessFirst batch: every instance answers 200, only the faulty one fails to come back', () => {
    const { sim, clock } = setup();
    const ids = running(sim, 3);
    const [, faulty = ''] = ids;
    sim.setControl({ bootFaults: { [faulty]: { mode: 'never-returns', remaining: 1 } } });
    const body = callOk(sim, 'RebootInstances', { RegionId: HZ, InstanceId: ids, BatchOptimization: 'SuccessFirst' });
    expect(body.InstanceResponses?.InstanceResponse?.map((r) => r.Code)).toEqual(['200', '200', '200']);
    clock.advance(4000);
    expect(sim.statusesOf(ids)).toEqual(['Running', 'Starting', 'Running']);
  });

  it('counts only calls ECS accepts: refusals, dry runs and injected refusals leave it armed', () => {
    const { sim, clock } = setup();
    const [id = '', other = ''] = running(sim, 2);
    const [idle = ''] = stopped(sim, 1);
    sim.setControl({
      bootFaults: { [id]: { mode: 'never-returns', remaining: 1 } },
      instanceFaults: { [id]: { Code: 'InternalError', Message: 'injected', remaining: 1 } },
    });
    expect(callErr(sim, 'RebootInstance', { InstanceId: id }).Code).toBe('InternalError');
    expect(callErr(sim, 'StartInstance', { InstanceId: id }).Code).toBe('IncorrectInstanceStatus');
    expect(callErr(sim, 'RebootInstance', { InstanceId: id, DryRun: 'true' }).Code).toBe('DryRunOperation');
    expect(callErr(sim, 'RebootInstances', { RegionId: HZ, 'InstanceId.1': id, 'InstanceId.2': other, DryRun: 'true' }).Code).toBe(
      'DRYRUN.SUCCESS',
    );
    // AllTogether: one instance in the wrong state and nothing is acted on.
    expect(callErr(sim, 'RebootInstances', { RegionId: HZ, 'InstanceId.1': id, 'InstanceId.2': idle }).Code).toBe(
      'IncorrectInstanceStatus',
    );
    expect(sim.control.bootFaults).toEqual({ [id]: { mode: 'never-returns', remaining: 1 } });
    callOk(sim, 'RebootInstance', { InstanceId: id });
    clock.advance(60_000);
    expect(statusOf(sim, id)).toBe('Starting');
  });

  it('are replaced by the next patch that names them, copied in, and cleared by a reset', () => {
    const { sim } = setup();
    const faults = { 'i-a': { mode: 'stops' as const, remaining: 1 } };
    sim.setControl({ bootFaults: faults });
    expect(sim.control.bootFaults['i-a']).not.toBe(faults['i-a']);
    sim.setControl({ latencyMs: 5 });
    expect(sim.control.bootFaults).toEqual(faults);
    sim.setControl({ bootFaults: { 'i-b': { mode: 'never-returns', remaining: 3 } } });
    expect(Object.keys(sim.control.bootFaults)).toEqual(['i-b']);
    sim.reset();
    expect(sim.control.bootFaults).toEqual({});
  });
});

describe('statusesOf (a sampler for tests)', () => {
  it('answers in the order asked, undefined for unknown IDs, at one instant of the lazy state machine', () => {
    const { sim, clock } = setup();
    const [a = '', b = ''] = running(sim, 2);
    const [c = ''] = stopped(sim, 1);
    const frankfurt = findInstance(sim, 'eu-central-1', isPlainLinux('Running')).InstanceId;
    callOk(sim, 'RebootInstance', { InstanceId: a });
    expect(sim.statusesOf([c, 'i-nope', a, frankfurt, b])).toEqual(['Stopped', undefined, 'Stopping', 'Running', 'Running']);
    clock.advance(1500);
    expect(sim.statusesOf([a])).toEqual(['Starting']);
    expect(sim.statusesOf([a])[0]).toBe(sim.instance(a)?.Status);
    clock.advance(2500);
    expect(sim.statusesOf([a, b])).toEqual(['Running', 'Running']);
    expect(sim.statusesOf([])).toEqual([]);
  });

  it('lets a test count how many instances are out of Running at once', () => {
    const { sim, clock } = setup();
    sim.setControl({ transitionMs: { stopping: 40, starting: 60 }, bootJitterMs: 30 });
    const ids = running(sim, 30);
    let mostOut = 0;
    for (let wave = 0; wave < 3; wave++) {
      const members = ids.slice(wave * 10, wave * 10 + 10);
      callOk(sim, 'RebootInstances', { RegionId: HZ, InstanceId: members, BatchOptimization: 'SuccessFirst' });
      // The health gate: wait until the whole wave is Running again.
      while (sim.statusesOf(members).some((s) => s !== 'Running')) {
        mostOut = Math.max(mostOut, sim.statusesOf(ids).filter((s) => s !== 'Running').length);
        clock.advance(5);
      }
    }
    expect(mostOut).toBe(10);
  });
});
