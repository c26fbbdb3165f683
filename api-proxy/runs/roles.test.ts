import { afterEach, describe, expect, it } from 'vitest';
import { Run, RunEvent, RunInstancesPage, RunPage, type CreateRun } from '../../ecs/runs-api';
import { createTestProxy, jsonFromConsole, type TestProxy } from '../test-support';

/**
 * Who may do what with runs (docs/product.md#roles-per-action), with identities from a trusted SSO proxy's
 * headers (AUTH_MODE=header): viewers read, creating and controlling a run need the roles of the actions it
 * sends (attach; power for any start or reboot). Refusals are the one error envelope and reach nothing at the
 * simulated ECS, counted in its own request record.
 */

const REGION = 'cn-hangzhou';
const KEY = 'ops-team';
const as = (user: string, groups: string) => ({ 'x-forwarded-user': user, 'x-forwarded-groups': groups });
const viewer = as('vera', 'viewers');
const attacher = as('otto', 'ops');
const admin = as('sam', 'sre');

type Row = { InstanceId: string; Status: string; OSType: string; KeyPairName?: string; OperationLocks?: { LockReason?: unknown[] } };

let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function start(): Promise<TestProxy> {
  proxy = await createTestProxy({
    instances: 400,
    runs: { pollMs: 10, attachInFlight: 1 },
    env: {
      AUTH_MODE: 'header',
      TRUSTED_PROXY_CIDRS: '127.0.0.1/32',
      ROLE_VIEW_GROUPS: 'viewers,ops,sre',
      ROLE_ATTACH_GROUPS: 'ops,sre',
      ROLE_POWER_GROUPS: 'sre',
    },
  });
  proxy.simulator.setControl({ transitionMs: { stopping: 40, starting: 80 } });
  return proxy;
}

function linux(p: TestProxy, status: 'Running' | 'Stopped', count: number): string[] {
  return (p.simulator.instancesIn(REGION) as readonly Row[])
    .filter((i) => i.Status === status && i.OSType === 'linux' && !i.OperationLocks?.LockReason?.length && i.KeyPairName !== KEY)
    .slice(0, count)
    .map((i) => i.InstanceId);
}

const leave: CreateRun['policy'] = { stopped: 'leave', running: { mode: 'leave' } };
const waves: CreateRun['policy'] = {
  stopped: 'leave',
  running: {
    mode: 'waves',
    size: { kind: 'count', value: 10 },
    oneZoneAtATime: false,
    healthTimeoutMs: 10_000,
    failureBudget: 0,
    pauseBetweenWavesMs: 0,
    forceReboot: false,
  },
};

function post(p: TestProxy, who: Record<string, string>, url: string, payload: Record<string, unknown> = {}) {
  return p.app.inject({ method: 'POST', url, remoteAddress: '127.0.0.1', headers: { ...jsonFromConsole, ...who }, payload });
}

function get(p: TestProxy, who: Record<string, string>, url: string) {
  return p.app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1', headers: who });
}

function runBody(ids: string[], policy: CreateRun['policy'], kind: CreateRun['kind'] = 'attach') {
  return { RegionId: REGION, kind, ...(kind === 'attach' ? { KeyPairName: KEY } : {}), InstanceIds: ids, policy };
}

async function create(p: TestProxy, who: Record<string, string>, ids: string[], policy = leave): Promise<Run> {
  const res = await post(p, who, '/api/runs', runBody(ids, policy));
  expect(res.statusCode, res.body).toBe(201);
  return Run.parse(res.json());
}

async function until(p: TestProxy, id: string, done: (run: Run) => boolean): Promise<Run> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const run = Run.parse((await get(p, admin, `/api/runs/${id}`)).json());
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run still ${run.state}: ${JSON.stringify(run.counts)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const isFinal = (run: Run) => ['completed', 'completed_with_failures', 'cancelled'].includes(run.state);

/** A refusal in the one error envelope. */
function expectForbidden(res: Awaited<ReturnType<typeof post>>, what: string): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(403);
  const body = res.json<Record<string, unknown>>();
  expect(Object.keys(body).sort(), what).toEqual(['Code', 'Message', 'RequestId']);
  expect(body['Code'], what).toBe('Proxy.Forbidden');
}

function events(body: string): RunEvent[] {
  return [...body.matchAll(/^data: (.*)$/gm)].map((m) => RunEvent.parse(JSON.parse(m[1] ?? '{}')));
}

describe('runs and roles', () => {
  it('lets a viewer read runs, their instances and events, and refuses every change with nothing sent', async () => {
    const p = await start();
    const ids = linux(p, 'Running', 3);
    const run = await create(p, admin, ids);
    await until(p, run.id, isFinal);

    expect(RunPage.parse((await get(p, viewer, '/api/runs')).json()).items.map((r) => r.id)).toEqual([run.id]);
    expect(Run.parse((await get(p, viewer, `/api/runs/${run.id}`)).json()).createdBy).toBe('sam');
    expect(RunInstancesPage.parse((await get(p, viewer, `/api/runs/${run.id}/instances`)).json()).items).toHaveLength(3);
    const feed = await get(p, viewer, `/api/runs/${run.id}/events`);
    expect(feed.statusCode).toBe(200);
    expect(events(feed.body)[0]).toMatchObject({ kind: 'created', user: 'sam' });

    const sent = p.upstreamCalls.length;
    // The body does not matter: a viewer may create no run at all.
    expectForbidden(await post(p, viewer, '/api/runs', runBody(linux(p, 'Running', 2), leave)), 'create');
    expectForbidden(await post(p, viewer, '/api/runs', {}), 'create, no body');
    for (const action of ['pause', 'resume', 'cancel', 'retry']) {
      expectForbidden(await post(p, viewer, `/api/runs/${run.id}/${action}`), action);
    }
    expect(p.upstreamCalls).toHaveLength(sent);
    expect(RunPage.parse((await get(p, admin, '/api/runs')).json()).items).toHaveLength(1);
    expect(events((await get(p, admin, `/api/runs/${run.id}/events`)).body).filter((e) => e.kind === 'control')).toEqual([]);
  });

  it('lets a user with attach but not power create a run that leaves instances pending, and no run that starts or reboots', async () => {
    const p = await start();
    const run = await create(p, attacher, linux(p, 'Running', 2));
    expect((await until(p, run.id, isFinal)).counts).toEqual({ pending: 2 });

    const sent = p.upstreamCalls.length;
    const ids = linux(p, 'Running', 2).concat(linux(p, 'Stopped', 2));
    for (const [what, body] of [
      ['start', runBody(ids, { ...leave, stopped: 'start' })],
      ['waves', runBody(ids, waves)],
      ['start and waves', runBody(ids, { ...waves, stopped: 'start' })],
      ['an activation', runBody(ids, leave, 'activate')],
    ] as const) {
      const res = await post(p, attacher, '/api/runs', body);
      expectForbidden(res, what);
      expect(res.json<{ Message: string }>().Message, what).toMatch(/power role/);
    }
    expect(p.upstreamCalls).toHaveLength(sent);
    expect(RunPage.parse((await get(p, attacher, '/api/runs')).json()).items).toHaveLength(1);
  });

  it("needs the run's own roles for its controls", async () => {
    const p = await start();
    // Slow enough to still be running when the controls come.
    p.simulator.setControl({ latencyMs: 40 });
    const rebooting = await create(p, admin, linux(p, 'Running', 150), waves);
    for (const action of ['pause', 'cancel', 'resume', 'retry']) {
      expectForbidden(await post(p, attacher, `/api/runs/${rebooting.id}/${action}`), action);
    }
    const still = Run.parse((await get(p, admin, `/api/runs/${rebooting.id}`)).json());
    expect(still.state).toBe('running');
    // No retry run was made for the refused user.
    expect(RunPage.parse((await get(p, admin, '/api/runs')).json()).items).toHaveLength(1);
    expect((await post(p, admin, `/api/runs/${rebooting.id}/cancel`)).statusCode).toBe(200);
    await until(p, rebooting.id, isFinal);
    // The event stream of a finished run ends after its replay: only the creator's cancel is there.
    const controls = events((await get(p, admin, `/api/runs/${rebooting.id}/events`)).body).filter((e) => e.kind === 'control');
    expect(controls.map((e) => [e.user, e.detail])).toEqual([['sam', 'cancel']]);

    // A run that only attaches needs only attach: the same user may control it.
    const attaching = await create(p, admin, linux(p, 'Running', 150));
    expect((await post(p, attacher, `/api/runs/${attaching.id}/pause`)).statusCode).toBe(200);
    expect((await post(p, attacher, `/api/runs/${attaching.id}/cancel`)).statusCode).toBe(200);
    expect((await until(p, attaching.id, isFinal)).state).toBe('cancelled');
  });

  it('records who paused, resumed and cancelled a run, in its events and on the run', async () => {
    const p = await start();
    p.simulator.setControl({ latencyMs: 40 });
    const run = await create(p, admin, linux(p, 'Running', 150));
    await until(p, run.id, (r) => (r.counts.attached ?? 0) > 0);
    const paused = Run.parse((await post(p, attacher, `/api/runs/${run.id}/pause`)).json());
    expect(paused).toMatchObject({ state: 'paused', pausedReason: 'paused by otto' });
    expect((await post(p, admin, `/api/runs/${run.id}/resume`)).statusCode).toBe(200);
    expect((await post(p, attacher, `/api/runs/${run.id}/cancel`)).statusCode).toBe(200);
    expect((await until(p, run.id, isFinal)).state).toBe('cancelled');

    const feed = events((await get(p, viewer, `/api/runs/${run.id}/events`)).body);
    expect(feed[0]).toMatchObject({ kind: 'created', user: 'sam' });
    expect(feed.filter((e) => e.kind === 'control').map((e) => [e.user, e.detail])).toEqual([
      ['otto', 'pause'],
      ['sam', 'resume'],
      ['otto', 'cancel'],
    ]);
    // The run's ECS calls are audited as its creator, naming the run.
    const trail = (await get(p, admin, '/api/activity?action=AttachKeyPair')).json<{ items: { user: string; runId?: string }[] }>().items;
    expect(trail.length).toBeGreaterThan(0);
    expect(trail.every((a) => a.user === 'sam' && a.runId === run.id)).toBe(true);
  });
});
