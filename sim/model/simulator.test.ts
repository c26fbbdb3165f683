import { ECS_ACTION_NAMES, ecsActions, toWire } from '../../ecs/contract';
import type { EcsActionName } from '../../ecs/contract';
import { EcsErrorBody } from '../../ecs/errors';
import { createSimulator } from './simulator';
import type { Simulator } from './simulator';
import { callErr, callOk, expectOk, fakeClock, findInstance, isPlainLinux, keyScriptRequest, readyInstances } from './test-support';
import type { FakeClock } from './test-support';

const HZ = 'cn-hangzhou';
const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

function setup(): { sim: Simulator; clock: FakeClock } {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 100, now: clock.now });
  clock.advance(60_000);
  return { sim, clock };
}

/** One successful wire request per action; the test below checks every action of the contract is here. */
function successfulCalls(sim: Simulator): Record<EcsActionName, Record<string, string>> {
  const running = findInstance(sim, HZ, isPlainLinux('Running')).InstanceId;
  const [stoppedA, stoppedB] = sim
    .instancesIn(HZ)
    .filter(isPlainLinux('Stopped'))
    .map((i) => i.InstanceId);
  const otherRunning = sim.instancesIn(HZ).filter(isPlainLinux('Running'))[1]?.InstanceId ?? '';
  const [ready = ''] = readyInstances(sim, HZ, 1, (i) => i.InstanceId !== running && i.InstanceId !== otherRunning);
  return {
    DescribeRegions: { AcceptLanguage: 'en-US' },
    DescribeInstances: { RegionId: HZ, Status: 'Running', 'Tag.1.Key': 'env', MaxResults: '20' },
    DescribeKeyPairs: { RegionId: HZ, KeyPairName: '*o*' },
    DescribeInstanceStatus: { RegionId: HZ, PageSize: '50' },
    AttachKeyPair: { RegionId: HZ, KeyPairName: 'ops-team', InstanceIds: JSON.stringify([running, 'i-bp1doesnotexist0000']) },
    RebootInstance: { InstanceId: running, ForceStop: 'false' },
    StartInstance: { InstanceId: stoppedA ?? '' },
    RebootInstances: { RegionId: HZ, 'InstanceId.1': otherRunning, BatchOptimization: 'SuccessFirst' },
    StartInstances: { RegionId: HZ, 'InstanceId.1': stoppedB ?? '' },
    DescribeCloudAssistantStatus: { RegionId: HZ, MaxResults: '20' },
    RunCommand: toWire('RunCommand', keyScriptRequest(HZ, [ready], { mode: 'list' }, { ClientToken: 'conformance' })),
    DescribeInvocations: { RegionId: HZ, IncludeOutput: 'true', InstanceId: ready },
    DescribeInvocationResults: { RegionId: HZ, InstanceId: ready },
  };
}

describe('contract conformance', () => {
  it("answers every action with a body that parses with the contract's response schema", () => {
    const { sim } = setup();
    const calls = successfulCalls(sim);
    expect(Object.keys(calls).sort()).toEqual([...ECS_ACTION_NAMES].sort());
    for (const action of ECS_ACTION_NAMES) {
      const res = sim.call(action, calls[action]);
      expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
      // strict enough to catch a missing RequestId or a wrapper without its element array
      const body = ecsActions[action].response.parse(res.body);
      expect(body.RequestId).toMatch(REQUEST_ID);
      expect(res.headers['x-acs-request-id']).toBe(body.RequestId);
    }
  });

  it('answers every error with the one envelope, RequestId, HostId and a Recommend link', () => {
    const { sim } = setup();
    const failing: [string, Record<string, string>][] = [
      ['NoSuchAction', {}],
      ['DescribeInstances', {}],
      ['DescribeInstances', { RegionId: 'cn-nowhere' }],
      ['DescribeInstances', { RegionId: HZ, NextToken: 'bm9wZQ' }],
      ['DescribeKeyPairs', { RegionId: HZ, PageSize: '500' }],
      ['AttachKeyPair', { RegionId: HZ, KeyPairName: 'nope-key', InstanceIds: '["i-a"]' }],
      ['RebootInstance', { InstanceId: 'i-bp1doesnotexist0000' }],
      ['StartInstances', { RegionId: HZ, 'InstanceId.1': 'i-bp1doesnotexist0000' }],
    ];
    for (const [action, wire] of failing) {
      const res = sim.call(action, wire, { hostId: 'ecs.cn-hangzhou.aliyuncs.com' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const body = EcsErrorBody.parse(res.body);
      expect(body.RequestId).toMatch(REQUEST_ID);
      expect(body.HostId).toBe('ecs.cn-hangzhou.aliyuncs.com');
      expect(body.Recommend).toContain(encodeURIComponent(body.Code));
    }
  });

  it('uses the caller’s RequestId and HostId, and defaults HostId to the regional endpoint', () => {
    const { sim } = setup();
    const ok = sim.call('DescribeRegions', {}, { requestId: 'REQ-1' });
    expect(ok.body.RequestId).toBe('REQ-1');
    expect(ok.headers['x-acs-request-id']).toBe('REQ-1');
    const err = callErr(sim, 'DescribeInstances', { RegionId: 'cn-shanghai', Status: 'Bogus' });
    expect(err.HostId).toBe('ecs.cn-shanghai.aliyuncs.com');
  });

  it('rejects an unknown action with InvalidAction.NotFound', () => {
    const { sim } = setup();
    expect(callErr(sim, 'DeleteInstance', { InstanceId: 'i-a' })).toMatchObject({ status: 400, Code: 'InvalidAction.NotFound' });
    expect(callErr(sim, 'toString', {})).toMatchObject({ Code: 'InvalidAction.NotFound' });
  });
});

describe('throttling', () => {
  it('counts per action and region in clock-aligned windows and says when to come back, in ms', () => {
    const { sim, clock } = setup(); // the clock is 10 s into a minute (plus the 60 s settle)
    sim.setControl({ throttle: { limit: 3, windowMs: 60_000 } });
    for (let n = 0; n < 3; n++) callOk(sim, 'DescribeInstances', { RegionId: HZ });
    const throttled = callErr(sim, 'DescribeInstances', { RegionId: HZ });
    expect([throttled.status, throttled.Code, throttled.Message]).toEqual([
      400,
      'Throttling.User',
      'Request was denied due to user flow control.',
    ]);
    expect(throttled.headers['x-acs-retry-after']).toBe('50000');

    // Independent budgets per API and per region (docs/ecs-notes.md#throttling).
    callOk(sim, 'DescribeInstances', { RegionId: 'cn-shanghai' });
    callOk(sim, 'DescribeKeyPairs', { RegionId: HZ });

    clock.advance(49_999);
    expect(callErr(sim, 'DescribeInstances', { RegionId: HZ }).headers['x-acs-retry-after']).toBe('1');
    clock.advance(1);
    callOk(sim, 'DescribeInstances', { RegionId: HZ });
  });

  it('counts Reboot/StartInstance against the instance’s region and can be limited to some actions', () => {
    const { sim } = setup();
    sim.setControl({ throttle: { limit: 1, windowMs: 60_000 }, throttleActions: ['RebootInstance'] });
    const [a, b] = sim
      .instancesIn(HZ)
      .filter(isPlainLinux('Running'))
      .map((i) => i.InstanceId);
    const elsewhere = findInstance(sim, 'us-west-1', isPlainLinux('Running')).InstanceId;
    callOk(sim, 'RebootInstance', { InstanceId: a ?? '' });
    expect(callErr(sim, 'RebootInstance', { InstanceId: b ?? '' }).Code).toBe('Throttling.User');
    expect(sim.instance(b ?? '')?.Status).toBe('Running');
    callOk(sim, 'RebootInstance', { InstanceId: elsewhere });
    for (let n = 0; n < 5; n++) callOk(sim, 'DescribeInstances', { RegionId: HZ });
  });
});

describe('faults', () => {
  it('errorRate 1 fails every call with InternalError or ServiceUnavailable before anything is applied', () => {
    const { sim } = setup();
    const linux = findInstance(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName !== 'ops-team');
    sim.setControl({ faults: { ...sim.control.faults, errorRate: 1 } });
    const codes = new Set<string>();
    for (let n = 0; n < 30; n++) {
      const err = callErr(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ops-team', InstanceIds: JSON.stringify([linux.InstanceId]) });
      expect([500, 503]).toContain(err.status);
      codes.add(err.Code);
    }
    expect(codes).toEqual(new Set(['InternalError', 'ServiceUnavailable']));
    expect(sim.instance(linux.InstanceId)?.KeyPairName).toBe(linux.KeyPairName);
  });

  it('draws faults from the seed, so two runs fail the same calls', () => {
    const run = () => {
      const sim = createSimulator({ instances: 10, now: () => 0 });
      sim.setControl({ faults: { ...sim.control.faults, errorRate: 0.5 } });
      return Array.from({ length: 40 }, () => sim.call('DescribeRegions', {}).status);
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(5);
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(5);
  });
});

describe('transportPlan', () => {
  it('has no delay and no fault by default', () => {
    const { sim } = setup();
    expect(sim.transportPlan()).toEqual({ delayMs: 0, fault: null });
  });

  it('adds latency ± jitter, never negative, plus slowMs on slow draws', () => {
    const { sim } = setup();
    sim.setControl({ latencyMs: 100, jitterMs: 20 });
    const delays = Array.from({ length: 200 }, () => sim.transportPlan().delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...delays)).toBeLessThanOrEqual(120);
    expect(new Set(delays).size).toBeGreaterThan(10);
    sim.setControl({ latencyMs: 5, jitterMs: 50 });
    expect(Math.min(...Array.from({ length: 200 }, () => sim.transportPlan().delayMs))).toBe(0);
    sim.setControl({ latencyMs: 10, jitterMs: 0, faults: { ...sim.control.faults, slowRate: 1, slowMs: 3000 } });
    expect(sim.transportPlan().delayMs).toBe(3010);
  });

  it('drops and garbles at the configured rates, reproducibly', () => {
    const plans = () => {
      const sim = createSimulator({ instances: 10 });
      sim.setControl({ faults: { ...sim.control.faults, dropRate: 0.2, malformedRate: 0.3 } });
      return Array.from({ length: 1000 }, () => sim.transportPlan().fault);
    };
    const faults = plans();
    expect(plans()).toEqual(faults);
    const share = (f: string | null) => faults.filter((x) => x === f).length / faults.length;
    expect(share('drop')).toBeCloseTo(0.2, 1);
    expect(share('malformed')).toBeCloseTo(0.3, 1);
    const always = createSimulator({ instances: 10 });
    always.setControl({ faults: { ...always.control.faults, dropRate: 1 } });
    expect(always.transportPlan().fault).toBe('drop');
  });
});

describe('control and reset', () => {
  it('setControl merges shallowly and copies injected faults', () => {
    const { sim } = setup();
    sim.setControl({ throttle: { limit: 1, windowMs: 1000 } });
    sim.setControl({ latencyMs: 50 });
    expect(sim.control).toMatchObject({ latencyMs: 50, throttle: { limit: 1, windowMs: 1000 } });
    const faults = { 'i-a': { Code: 'InternalError', Message: 'x', remaining: 1 } };
    sim.setControl({ instanceFaults: faults });
    expect(sim.control.instanceFaults).toEqual(faults);
    expect(sim.control.instanceFaults['i-a']).not.toBe(faults['i-a']);
  });

  it('reset() restores the seeded fleet, default control, counters and request IDs', () => {
    const clock = fakeClock();
    const sim = createSimulator({ instances: 100, now: clock.now });
    const pristine = JSON.stringify(sim.instancesIn(HZ));
    const firstRequestId = sim.call('DescribeRegions', {}).body.RequestId;

    clock.advance(60_000);
    const running = findInstance(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName !== 'ci-deploy').InstanceId;
    callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ci-deploy', InstanceIds: [running] });
    callOk(sim, 'RebootInstance', { InstanceId: running });
    sim.setControl({ latencyMs: 200, throttle: { limit: 1, windowMs: 60_000 } });
    callOk(sim, 'DescribeRegions', {});
    expect(callErr(sim, 'DescribeRegions', {}).Code).toBe('Throttling.User');

    clock.advance(-60_000);
    sim.reset();
    expect(JSON.stringify(sim.instancesIn(HZ))).toBe(pristine);
    expect(sim.control).toEqual(createSimulator({ instances: 1 }).control);
    expect(sim.call('DescribeRegions', {}).body.RequestId).toBe(firstRequestId);
    sim.setControl({ throttle: { limit: 1, windowMs: 60_000 } });
    expectOk(sim.call('DescribeRegions', {}), 'DescribeRegions');
  });

  it('never throws, even for odd input', () => {
    const { sim } = setup();
    const odd: Record<string, string> = { RegionId: HZ, InstanceIds: '{"a":1}', 'Tag.x.Key': 'k', 'Tag.1.Value': 'v', PageSize: '1e3' };
    for (const action of ECS_ACTION_NAMES) expect(() => sim.call(action, odd)).not.toThrow();
    expect(sim.call('DescribeInstances', { RegionId: HZ, 'Tag.1.Value': 'prod' }).status).toBe(400);
  });
});
