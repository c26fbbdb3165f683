import { afterEach, describe, expect, it } from 'vitest';
import { Run, RunInstancesPage, type CreateRun } from '../../ecs/runs-api';
import { createTestProxy, jsonFromConsole, type TestProxy } from '../test-support';

/**
 * Runs over the simulated ECS (docs/product.md#step-7-activation), through `inject()`; side effects are
 * counted at the simulator: its request record (`upstreamCalls`) and its instances' statuses.
 */

type Row = {
  InstanceId: string;
  Status: string;
  OSType: string;
  KeyPairName?: string;
  ZoneId: string;
  OperationLocks?: { LockReason?: unknown[] };
};
const REGION = 'cn-hangzhou';
const KEY = 'ops-team';

let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function start(): Promise<TestProxy> {
  proxy = await createTestProxy({ instances: 400, runs: { pollMs: 10, attachInFlight: 4 } });
  // Short boots, with jitter, so a wave's instances do not come back in lockstep.
  proxy.simulator.setControl({ transitionMs: { stopping: 40, starting: 80 }, bootJitterMs: 30 });
  return proxy;
}

function linux(p: TestProxy, status: 'Running' | 'Stopped', count: number, withoutKey = KEY): string[] {
  const ids = (p.simulator.instancesIn(REGION) as readonly Row[])
    .filter(
      (i) =>
        i.Status === status && i.OSType === 'linux' && (i.OperationLocks?.LockReason?.length ?? 0) === 0 && i.KeyPairName !== withoutKey,
    )
    .slice(0, count)
    .map((i) => i.InstanceId);
  expect(ids).toHaveLength(count);
  return ids;
}

const waves = (size: number, extra: Record<string, unknown> = {}): CreateRun['policy'] => ({
  stopped: 'leave',
  running: {
    mode: 'waves',
    size: { kind: 'count', value: size },
    oneZoneAtATime: false,
    healthTimeoutMs: 10_000,
    failureBudget: 0,
    pauseBetweenWavesMs: 0,
    forceReboot: false,
    ...extra,
  },
});

async function create(p: TestProxy, body: Partial<CreateRun> & { InstanceIds: string[] }): Promise<Run> {
  const res = await p.app.inject({
    method: 'POST',
    url: '/api/runs',
    headers: jsonFromConsole,
    payload: { RegionId: REGION, kind: 'attach', KeyPairName: KEY, policy: { stopped: 'leave', running: { mode: 'leave' } }, ...body },
  });
  expect(res.statusCode, res.body).toBe(201);
  return Run.parse(res.json());
}

async function getRun(p: TestProxy, id: string): Promise<Run> {
  return Run.parse((await p.app.inject({ method: 'GET', url: `/api/runs/${id}` })).json());
}

async function rows(p: TestProxy, id: string) {
  return RunInstancesPage.parse((await p.app.inject({ method: 'GET', url: `/api/runs/${id}/instances?limit=1000` })).json()).items;
}

async function control(p: TestProxy, id: string, action: string) {
  return p.app.inject({ method: 'POST', url: `/api/runs/${id}/${action}`, headers: jsonFromConsole, payload: {} });
}

async function until(p: TestProxy, id: string, done: (run: Run) => boolean, timeoutMs = 8_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(p, id);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run still ${run.state} (${run.phase}): ${JSON.stringify(run.counts)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const isFinal = (run: Run) => ['completed', 'completed_with_failures', 'cancelled'].includes(run.state);
const rebootsOf = (p: TestProxy) => p.upstreamCalls.filter((c) => c.action === 'RebootInstances');
const attachesOf = (p: TestProxy) => p.upstreamCalls.filter((c) => c.action === 'AttachKeyPair');
const idsIn = (wire: Record<string, string>) =>
  Object.entries(wire)
    .filter(([k]) => /^InstanceId(\.\d+)?$/.test(k))
    .map(([, v]) => v);

describe('runs', () => {
  it('reboots 30 running instances in waves of 10, never more than 10 out of Running at once', async () => {
    const p = await start();
    const ids = linux(p, 'Running', 30);
    let maxDown = 0;
    const sampler = setInterval(() => {
      const down = p.simulator.statusesOf(ids).filter((s) => s !== 'Running').length;
      maxDown = Math.max(maxDown, down);
    }, 5);
    try {
      const run = await create(p, { InstanceIds: ids, policy: waves(10) });
      const done = await until(p, run.id, isFinal);
      expect(done.state).toBe('completed');
      expect(done.waves.map((w) => [w.size, w.state])).toEqual([
        [10, 'done'],
        [10, 'done'],
        [10, 'done'],
      ]);
    } finally {
      clearInterval(sampler);
    }
    expect(maxDown).toBeGreaterThan(0);
    expect(maxDown).toBeLessThanOrEqual(10);
    const reboots = rebootsOf(p);
    expect(reboots).toHaveLength(3);
    for (const call of reboots) {
      expect(call.wire['BatchOptimization']).toBe('SuccessFirst');
      expect(call.wire['ForceReboot']).toBeUndefined();
      expect(idsIn(call.wire)).toHaveLength(10);
    }
    expect(p.simulator.statusesOf(ids).every((s) => s === 'Running')).toBe(true);
    const final = await rows(
      p,
      (await until(p, (await p.app.inject({ method: 'GET', url: '/api/runs' })).json<{ items: Run[] }>().items[0]?.id ?? '', isFinal)).id,
    );
    expect(final.every((r) => r.state === 'active' && r.evidence === 'inferred-reboot')).toBe(true);
    // Every call of the run is in the activity trail, naming the run.
    const activity = (await p.app.inject({ method: 'GET', url: '/api/activity?limit=200' })).json<{
      items: { action: string; runId?: string; user: string }[];
    }>().items;
    expect(activity.filter((a) => a.action === 'RebootInstances').every((a) => typeof a.runId === 'string')).toBe(true);
  });

  it('pauses at a boot failure in wave 2 and leaves wave 3 unsent; resume goes on', async () => {
    const p = await start();
    const ids = linux(p, 'Running', 30);
    const victim = ids[14] ?? '';
    p.simulator.setControl({ bootFaults: { [victim]: { mode: 'stops', remaining: 1 } } });
    const run = await create(p, { InstanceIds: ids, policy: waves(10) });
    const paused = await until(p, run.id, (r) => r.state === 'paused' || isFinal(r));
    expect(paused.state).toBe('paused');
    expect(paused.pausedReason).toMatch(/failure budget/);
    expect(paused.waves.map((w) => w.state)).toEqual(['done', 'failed', 'waiting']);
    expect(rebootsOf(p)).toHaveLength(2);
    const wave3 = ids.slice(20);
    expect(
      rebootsOf(p)
        .flatMap((c) => idsIn(c.wire))
        .some((id) => wave3.includes(id)),
    ).toBe(false);
    const victimRow = (await rows(p, run.id)).find((r) => r.InstanceId === victim);
    expect(victimRow?.state).toBe('activation_failed');
    await new Promise((r) => setTimeout(r, 100));
    expect(rebootsOf(p)).toHaveLength(2);

    expect((await control(p, run.id, 'resume')).statusCode).toBe(200);
    const done = await until(p, run.id, isFinal);
    expect(done.state).toBe('completed_with_failures');
    expect(rebootsOf(p)).toHaveLength(3);

    // Retry failed: a new run of the failed instance alone, linked to the first; its key is there, so it is
    // not attached again, only activated by the policy.
    const retried = await control(p, run.id, 'retry');
    expect(retried.statusCode).toBe(201);
    const retry = Run.parse(retried.json());
    expect(retry.retryOf).toBe(run.id);
    expect(retry.total).toBe(1);
    const attachesBefore = attachesOf(p).length;
    p.simulator.setControl({ bootFaults: {} });
    expect((await until(p, retry.id, isFinal)).state).toBe('completed');
    expect(attachesOf(p)).toHaveLength(attachesBefore);
    // The failed boot left it Stopped, and this policy leaves stopped instances pending.
    expect((await rows(p, retry.id)).map((r) => [r.InstanceId, r.statusBefore, r.state])).toEqual([[victim, 'Stopped', 'pending']]);
  });

  it('gates the instances it starts: active once Running, failed if one goes back to Stopped or is not Running in 10 min', async () => {
    // The engine's clock, so the 10-minute default can pass without waiting it out.
    let skew = 0;
    proxy = await createTestProxy({ instances: 400, runs: { pollMs: 10, attachInFlight: 4 }, clock: () => Date.now() + skew });
    const p = proxy;
    p.simulator.setControl({ transitionMs: { stopping: 40, starting: 80 }, bootJitterMs: 30 });
    const ids = linux(p, 'Stopped', 6);
    const [stops = '', hangs = ''] = ids;
    p.simulator.setControl({ bootFaults: { [stops]: { mode: 'stops', remaining: 1 }, [hangs]: { mode: 'never-returns', remaining: 1 } } });
    const run = await create(p, { InstanceIds: ids, policy: { stopped: 'start', running: { mode: 'leave' } } });

    // Accepted is not active: the instances are activating until the gate reads them Running.
    await until(p, run.id, (r) => (r.counts.active ?? 0) === 4 && (r.counts.activation_failed ?? 0) === 1);
    const waiting = await getRun(p, run.id);
    expect(waiting.state).toBe('running');
    expect(waiting.counts).toEqual({ active: 4, activation_failed: 1, activating: 1 });
    skew = 601_000;
    const done = await until(p, run.id, isFinal);
    expect(done.state).toBe('completed_with_failures');

    const byId = new Map((await rows(p, run.id)).map((r) => [r.InstanceId, r]));
    expect(byId.get(stops)).toMatchObject({ state: 'activation_failed', Code: 'Console.DidNotBoot' });
    expect(byId.get(stops)?.Message).toMatch(/back to Stopped/);
    expect(byId.get(hangs)).toMatchObject({ state: 'activation_failed', Code: 'Console.HealthGateTimeout' });
    expect(byId.get(hangs)?.Message).toMatch(/600 s of its start/);
    for (const id of ids.slice(2)) {
      expect(byId.get(id)).toMatchObject({ state: 'active', evidence: 'inferred-start' });
      expect(p.simulator.statusesOf([id])).toEqual(['Running']);
    }
    expect(p.upstreamCalls.filter((c) => c.action === 'StartInstances')).toHaveLength(1);
    expect(p.upstreamCalls.filter((c) => c.action === 'DescribeInstanceStatus').length).toBeGreaterThan(1);
  });

  it("gates starts with the waves policy's health timeout when it has one", async () => {
    let skew = 0;
    proxy = await createTestProxy({ instances: 400, runs: { pollMs: 10, attachInFlight: 4 }, clock: () => Date.now() + skew });
    const p = proxy;
    const [hangs = ''] = linux(p, 'Stopped', 1);
    p.simulator.setControl({ bootFaults: { [hangs]: { mode: 'never-returns', remaining: 1 } } });
    const run = await create(p, { InstanceIds: [hangs], policy: { ...waves(10, { healthTimeoutMs: 30_000 }), stopped: 'start' } });
    await until(p, run.id, (r) => (r.counts.activating ?? 0) === 1);
    skew = 29_000;
    await new Promise((r) => setTimeout(r, 100));
    expect((await getRun(p, run.id)).counts).toEqual({ activating: 1 });
    skew = 31_000;
    expect((await until(p, run.id, isFinal)).state).toBe('completed_with_failures');
    const [row] = await rows(p, run.id);
    expect(row).toMatchObject({ state: 'activation_failed', Code: 'Console.HealthGateTimeout' });
    expect(row?.Message).toMatch(/30 s of its start/);
  });

  it('replays the events after Last-Event-ID', async () => {
    const p = await start();
    const run = await create(p, { InstanceIds: linux(p, 'Running', 2) });
    await until(p, run.id, isFinal);
    const res = await p.app.inject({ method: 'GET', url: `/api/runs/${run.id}/events`, headers: { 'last-event-id': '2' } });
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const ids = [...res.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids[0]).toBe(3);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(res.body).toMatch(/"detail":"completed"/);
  });

  it('cancel sends nothing more; unsent instances end not_sent', async () => {
    const p = await start();
    p.simulator.setControl({ transitionMs: { stopping: 100, starting: 200 } });
    const ids = linux(p, 'Running', 30);
    const run = await create(p, { InstanceIds: ids, policy: waves(10) });
    await until(p, run.id, (r) => r.waves[0]?.state === 'rebooting');
    const res = await control(p, run.id, 'cancel');
    expect(res.statusCode).toBe(200);
    const sentAtCancel = p.upstreamCalls.filter((c) => c.action !== 'DescribeInstanceStatus' && c.action !== 'DescribeInstances').length;
    const done = await until(p, run.id, isFinal);
    expect(done.state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.upstreamCalls.filter((c) => c.action !== 'DescribeInstanceStatus' && c.action !== 'DescribeInstances')).toHaveLength(
      sentAtCancel,
    );
    expect(rebootsOf(p)).toHaveLength(1);
    expect(done.waves.map((w) => w.state)).toEqual(['done', 'skipped', 'skipped']);
    const byState = (await rows(p, run.id)).reduce<Record<string, number>>(
      (acc, r) => ({ ...acc, [r.state]: (acc[r.state] ?? 0) + 1 }),
      {},
    );
    // Attached but never rebooted: the key is on them, awaiting a boot.
    expect(byState).toEqual({ active: 10, pending: 20 });
    const events = (await p.app.inject({ method: 'GET', url: `/api/runs/${run.id}/events` })).body;
    expect(events).toMatch(/event: control\ndata: .*"user":"local operator","detail":"cancel"/);
  });

  it('pauses and resumes between attach batches', async () => {
    const p = await start();
    p.simulator.setControl({ latencyMs: 30 });
    const ids = linux(p, 'Running', 120).concat(linux(p, 'Stopped', 30));
    const run = await create(p, { InstanceIds: ids });
    const pause = await control(p, run.id, 'pause');
    expect(pause.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const sent = attachesOf(p).length;
    expect(sent).toBeLessThan(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(attachesOf(p)).toHaveLength(sent);
    expect((await getRun(p, run.id)).state).toBe('paused');
    expect((await control(p, run.id, 'pause')).statusCode).toBe(409);
    expect((await control(p, run.id, 'resume')).statusCode).toBe(200);
    const done = await until(p, run.id, isFinal);
    expect(done.state).toBe('completed');
    expect(done.counts).toEqual({ pending: 150 });
    expect(attachesOf(p)).toHaveLength(3);
    expect(attachesOf(p).every((c) => (JSON.parse(c.wire['InstanceIds'] ?? '[]') as string[]).length <= 50)).toBe(true);
  });

  it('re-checks and attaches as one pipeline: batches go while later pages are read, each after its own re-check', async () => {
    const p = await start();
    p.simulator.setControl({ latencyMs: 30 });
    const ids = linux(p, 'Running', 170).concat(linux(p, 'Stopped', 80));
    const run = await create(p, { InstanceIds: ids });
    const done = await until(p, run.id, isFinal);
    expect(done.state).toBe('completed');
    expect(done.counts).toEqual({ pending: 250 });
    const reads = p.upstreamCalls.filter((c) => c.action === 'DescribeInstances');
    expect(reads).toHaveLength(3);
    const attaches = attachesOf(p);
    expect(attaches).toHaveLength(5);
    // The first batch did not wait for the last page of the re-check.
    expect(Math.min(...attaches.map((c) => c.at))).toBeLessThan(Math.max(...reads.map((c) => c.at)));
    // Yet every instance was read before it was sent.
    for (const attach of attaches) {
      const readBefore = new Set(
        reads.filter((r) => r.at < attach.at).flatMap((r) => JSON.parse(r.wire['InstanceIds'] ?? '[]') as string[]),
      );
      for (const id of JSON.parse(attach.wire['InstanceIds'] ?? '[]') as string[]) expect(readBefore.has(id), id).toBe(true);
    }
    expect((await rows(p, run.id)).every((r) => r.statusBefore !== undefined)).toBe(true);
  });

  it('pauses when a page of the re-check cannot be read, having sent only what was re-checked; resume reads the rest', async () => {
    const p = await start();
    // One DescribeInstances a minute: the first page is read, the second is throttled (and stays throttled
    // through the ECS client's retries).
    p.simulator.setControl({ throttle: { limit: 1, windowMs: 60_000 }, throttleActions: ['DescribeInstances'] });
    const ids = linux(p, 'Running', 150);
    const run = await create(p, { InstanceIds: ids });
    const paused = await until(p, run.id, (r) => r.state === 'paused' && (r.counts.sending ?? 0) === 0);
    expect(paused.pausedReason).toMatch(/could not be read to re-check/);
    const sent = attachesOf(p).flatMap((c) => JSON.parse(c.wire['InstanceIds'] ?? '[]') as string[]);
    expect(new Set(sent)).toEqual(new Set(ids.slice(0, 100)));
    expect(paused.counts).toEqual({ attached: 100, queued: 50 });

    p.simulator.setControl({ throttle: null });
    expect((await control(p, run.id, 'resume')).statusCode).toBe(200);
    const done = await until(p, run.id, isFinal);
    expect(done.state).toBe('completed');
    expect(done.counts).toEqual({ pending: 150 });
    expect(
      attachesOf(p)
        .flatMap((c) => JSON.parse(c.wire['InstanceIds'] ?? '[]') as string[])
        .sort(),
    ).toEqual([...ids].sort());
  });

  it('never sends instances with no change: already this key and not pending, Windows, unknown IDs', async () => {
    const p = await start();
    const all = p.simulator.instancesIn(REGION) as readonly Row[];
    const haveKey = all
      .filter((i) => i.KeyPairName === KEY && i.Status === 'Running' && i.OSType === 'linux' && !i.OperationLocks?.LockReason?.length)
      .slice(0, 3)
      .map((i) => i.InstanceId);
    const windows = all
      .filter((i) => i.OSType === 'windows')
      .slice(0, 2)
      .map((i) => i.InstanceId);
    expect(haveKey).toHaveLength(3);
    const fresh = linux(p, 'Running', 2);
    const run = await create(p, { InstanceIds: [...haveKey, ...windows, ...fresh, 'i-doesnotexist'], policy: waves(10) });
    const done = await until(p, run.id, isFinal);
    expect(done.state).toBe('completed');
    const sentIds = p.upstreamCalls
      .filter((c) => c.action === 'AttachKeyPair' || c.action === 'RebootInstances')
      .flatMap((c) => (c.action === 'AttachKeyPair' ? (JSON.parse(c.wire['InstanceIds'] ?? '[]') as string[]) : idsIn(c.wire)));
    expect(new Set(sentIds)).toEqual(new Set(fresh));
    const byId = new Map((await rows(p, run.id)).map((r) => [r.InstanceId, r]));
    expect(haveKey.map((id) => byId.get(id)?.skipReason)).toEqual(['already-has-key', 'already-has-key', 'already-has-key']);
    expect(windows.map((id) => byId.get(id)?.skipReason)).toEqual(['windows', 'windows']);
    expect(byId.get('i-doesnotexist')?.skipReason).toBe('not-found');
  });

  it('refuses a cross-origin create, and a run the caller has no role for', async () => {
    const p = await start();
    const res = await p.app.inject({
      method: 'POST',
      url: '/api/runs',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      payload: {},
    });
    expect(res.statusCode).toBe(403);
    const ids = linux(p, 'Running', 1);
    const bad = await p.app.inject({
      method: 'POST',
      url: '/api/runs',
      headers: jsonFromConsole,
      payload: { RegionId: REGION, kind: 'attach', InstanceIds: ids, policy: { stopped: 'leave', running: { mode: 'leave' } } },
    });
    expect(bad.statusCode).toBe(400);
    expect(p.upstreamCalls.filter((c) => c.action === 'AttachKeyPair')).toHaveLength(0);
  });
});
