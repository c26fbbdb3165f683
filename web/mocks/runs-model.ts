import { LIMITS } from '../../ecs/contract';
import { instanceVerdict, readEcsAnswer } from '../../ecs/outcomes';
import { CreateRun, RunInstancesQuery, RunsQuery } from '../../ecs/runs-api';
import type { Run, RunEvent, RunInstance, RunInstanceState } from '../../ecs/runs-api';
import { planWaves } from '../../ecs/waves';
import type { Session } from '../../ecs/console-api';
import type { ConsoleAnswer } from './answer';

/** What the runs model needs of the console model: its calls (so the same rules apply) and its pending list. */
export interface RunsHost {
  readonly session: Session;
  ecs(action: string, body: unknown, from?: { runId?: string }): ConsoleAnswer;
  pending(regionId: string | null): ConsoleAnswer;
}

/**
 * Runs for `npm run dev:mock` and the component tests: the proxy's run engine (api-proxy/runs/) in miniature,
 * executed in the browser over the console model, so every call it sends is a call of the console model (the
 * same allowlist, roles, activity records and pending rule). It keeps the engine's states, skip reasons,
 * waves and controls; it has no store and no restart. Steps are timers of `stepMs`, so a test can watch a run
 * move. Where the mock and the engine disagree, the engine is right: fix the mock.
 */

export interface RunsModel {
  create(body: unknown): ConsoleAnswer;
  list(query: URLSearchParams): ConsoleAnswer;
  get(id: string): ConsoleAnswer;
  instances(id: string, query: URLSearchParams): ConsoleAnswer;
  control(id: string, action: string): ConsoleAnswer;
  events(id: string): RunEvent[];
  reset(): void;
}

interface MockRun {
  run: Run;
  rows: Map<string, RunInstance>;
  events: RunEvent[];
}

const FINAL = new Set(['completed', 'completed_with_failures', 'cancelled']);
let seq = 0;
let nextId = 0;

const error = (status: number, Code: string, Message: string): ConsoleAnswer => ({
  status,
  body: { RequestId: `mock-run-${++nextId}`, Code, Message },
});

const list = (body: unknown, outer: string, inner: string): Record<string, unknown>[] => {
  const wrap = (body as Record<string, unknown> | undefined)?.[outer] as Record<string, unknown> | undefined;
  const items = wrap?.[inner];
  return Array.isArray(items) ? (items as Record<string, unknown>[]) : [];
};
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export function createRunsModel(model: RunsHost, options: { stepMs?: number; pollMs?: number } = {}): RunsModel {
  const stepMs = options.stepMs ?? 50;
  const pollMs = options.pollMs ?? 200;
  let runs = new Map<string, MockRun>();
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  const event = (m: MockRun, kind: RunEvent['kind'], detail?: string, user?: string): void => {
    m.events.push({ seq: ++seq, runId: m.run.id, at: Date.now(), kind, ...(user ? { user } : {}), ...(detail ? { detail } : {}) });
  };
  const set = (m: MockRun, ids: readonly string[], patch: Partial<RunInstance>): void => {
    const at = Date.now();
    for (const id of ids) {
      const row = m.rows.get(id);
      if (row) m.rows.set(id, { ...row, ...patch, updatedAt: at });
    }
    const counts: Partial<Record<RunInstanceState, number>> = {};
    for (const row of m.rows.values()) counts[row.state] = (counts[row.state] ?? 0) + 1;
    m.run = { ...m.run, counts, updatedAt: at };
  };
  const inState = (m: MockRun, state: RunInstanceState) => [...m.rows.values()].filter((r) => r.state === state);
  /** A run forgotten by reset() stops at its next step: the next test must not see its calls. */
  const isForgotten = (m: MockRun): boolean => runs.get(m.run.id) !== m;
  /** Waits while paused; false once cancelled. */
  const mayContinue = async (m: MockRun): Promise<boolean> => {
    while (m.run.state === 'paused' && !isForgotten(m)) await sleep(stepMs);
    return m.run.state === 'running' && !isForgotten(m);
  };
  // Every call names its run, so its activity record links to it (the proxy records runId the same way).
  const call = (m: MockRun, action: string, params: Record<string, unknown>): ConsoleAnswer =>
    isForgotten(m) ? error(503, 'Mock.RunForgotten', 'The mock console was reset.') : model.ecs(action, params, { runId: m.run.id });

  function recheck(m: MockRun): void {
    const { run } = m;
    const pending = new Map(
      ((model.pending(run.regionId).body as { Pending: { InstanceId: string; keyPairName: string }[] }).Pending ?? []).map((p) => [
        p.InstanceId,
        p,
      ]),
    );
    for (const ids of chunk([...m.rows.keys()], LIMITS.describeInstancesIds)) {
      const answer = call(m, 'DescribeInstances', { RegionId: run.regionId, InstanceIds: ids, PageSize: ids.length });
      const found = new Map(list(answer.body, 'Instances', 'Instance').map((i) => [String(i['InstanceId']), i]));
      for (const id of ids) {
        const i = found.get(id);
        if (!i) {
          set(m, [id], { state: 'skipped', skipReason: 'not-found' });
          continue;
        }
        const status = text(i['Status']) ?? 'Unknown';
        const keyPair = text(i['KeyPairName']);
        const seen: Partial<RunInstance> = {
          statusBefore: status,
          ...(keyPair ? { previousKeyPairName: keyPair } : {}),
          ...(text(i['InstanceName']) ? { InstanceName: text(i['InstanceName']) } : {}),
          ...(text(i['ZoneId']) ? { ZoneId: text(i['ZoneId']) } : {}),
        };
        const locked = ((i['OperationLocks'] as { LockReason?: unknown[] } | undefined)?.LockReason?.length ?? 0) > 0;
        const awaiting = pending.get(id);
        const skip = (skipReason: NonNullable<RunInstance['skipReason']>) => set(m, [id], { ...seen, state: 'skipped', skipReason });
        if (run.kind === 'attach') {
          if (text(i['OSType'])?.toLowerCase() === 'windows') skip('windows');
          else if (locked) skip('locked');
          else if (keyPair === run.keyPairName) {
            if (awaiting?.keyPairName === keyPair || run.retryOf !== undefined) set(m, [id], { ...seen, state: 'attached' });
            else skip('already-has-key');
          } else if (status !== 'Running' && status !== 'Stopped') skip('bad-status');
          else set(m, [id], seen);
        } else if (locked) skip('locked');
        else if (!awaiting && run.retryOf === undefined) skip('not-pending');
        else if (status !== 'Running' && status !== 'Stopped') skip('bad-status');
        else set(m, [id], seen);
      }
    }
    event(m, 'instances', `re-checked ${m.rows.size}`);
  }

  async function attach(m: MockRun): Promise<void> {
    m.run = { ...m.run, phase: 'attach' };
    for (const ids of chunk(
      inState(m, 'queued').map((r) => r.InstanceId),
      LIMITS.attachInstanceIds,
    )) {
      if (!(await mayContinue(m))) return;
      set(m, ids, { state: 'sending' });
      await sleep(stepMs);
      const answer = call(m, 'AttachKeyPair', { RegionId: m.run.regionId, KeyPairName: m.run.keyPairName, InstanceIds: ids });
      const read = readEcsAnswer('AttachKeyPair', ids, answer.status, answer.body as Record<string, unknown>);
      for (const i of read.instances) {
        const verdict = instanceVerdict(i);
        const requestIds = read.requestId ? [read.requestId] : [];
        set(m, [i.InstanceId], {
          state: verdict === 'succeeded' ? 'attached' : verdict === 'failed' ? 'failed' : 'unknown',
          ...(verdict === 'succeeded' ? {} : { Code: i.Code, ...(i.Message ? { Message: i.Message } : {}) }),
          requestIds,
        });
      }
      event(m, 'instances', `attach: ${ids.length}`);
    }
  }

  function boot(m: MockRun, action: 'RebootInstances' | 'StartInstances', ids: string[], force: boolean): string[] {
    set(m, ids, { state: 'activating' });
    const answer = call(m, action, {
      RegionId: m.run.regionId,
      InstanceId: ids,
      BatchOptimization: 'SuccessFirst',
      ...(force ? { ForceReboot: true } : {}),
    });
    const read = readEcsAnswer(action, ids, answer.status, answer.body as Record<string, unknown>);
    const accepted: string[] = [];
    for (const i of read.instances) {
      const requestIds = [...(m.rows.get(i.InstanceId)?.requestIds ?? []), ...(read.requestId ? [read.requestId] : [])];
      if (instanceVerdict(i) === 'succeeded') {
        accepted.push(i.InstanceId);
        set(m, [i.InstanceId], { requestIds });
      } else set(m, [i.InstanceId], { state: 'activation_failed', Code: i.Code, ...(i.Message ? { Message: i.Message } : {}), requestIds });
    }
    return accepted;
  }

  /** Like the engine's health gate: Running → active, Stopped → did not boot, past the timeout → failed. */
  async function gate(m: MockRun, ids: string[], timeoutMs: number, evidence: 'inferred-reboot' | 'inferred-start'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let waiting = ids;
    while (waiting.length > 0 && !isForgotten(m)) {
      await sleep(pollMs);
      const answer = call(m, 'DescribeInstanceStatus', { RegionId: m.run.regionId, InstanceId: waiting, PageSize: 50 });
      const status = new Map(list(answer.body, 'InstanceStatuses', 'InstanceStatus').map((s) => [String(s['InstanceId']), s['Status']]));
      const up = waiting.filter((id) => status.get(id) === 'Running');
      const down = waiting.filter((id) => status.get(id) === 'Stopped' && evidence === 'inferred-reboot');
      set(m, up, { state: 'active', evidence });
      set(m, down, {
        state: 'activation_failed',
        Code: 'Console.DidNotBoot',
        Message: 'The instance stopped instead of coming back to Running.',
      });
      waiting = waiting.filter((id) => !up.includes(id) && !down.includes(id));
      if (Date.now() >= deadline) {
        set(m, waiting, {
          state: 'activation_failed',
          Code: 'Console.HealthGateTimeout',
          Message: `Not Running again within ${Math.round(timeoutMs / 1000)} s.`,
        });
        waiting = [];
      }
      event(m, 'instances', 'health gate');
    }
  }

  async function activate(m: MockRun): Promise<void> {
    const { policy } = m.run;
    const ready = inState(m, m.run.kind === 'attach' ? 'attached' : 'queued');
    const leave = ready.filter((r) => (r.statusBefore === 'Stopped' ? policy.stopped === 'leave' : policy.running.mode === 'leave'));
    set(
      m,
      leave.map((r) => r.InstanceId),
      { state: 'pending' },
    );
    const running = policy.running;
    const timeout = running.mode === 'waves' ? running.healthTimeoutMs : 600_000;
    if (running.mode === 'waves') {
      const plan = planWaves(
        ready.filter((r) => r.statusBefore === 'Running'),
        running,
      );
      plan.waves.forEach((ids, i) => set(m, ids, { wave: i + 1 }));
      m.run = { ...m.run, waves: plan.waves.map((ids, i) => ({ index: i + 1, size: ids.length, state: 'waiting', failures: 0 })) };
    }
    event(m, 'state', `activation planned: ${m.run.waves.length} wave(s)`);
    m.run = { ...m.run, phase: 'start' };
    const stopped = ready.filter((r) => r.statusBefore === 'Stopped' && policy.stopped === 'start').map((r) => r.InstanceId);
    for (const ids of chunk(stopped, LIMITS.batchInstanceIds)) {
      if (!(await mayContinue(m))) return;
      await gate(m, boot(m, 'StartInstances', ids, false), timeout, 'inferred-start');
    }
    if (running.mode !== 'waves') return;
    m.run = { ...m.run, phase: 'waves' };
    let failuresSoFar = 0;
    for (const wave of m.run.waves) {
      if (!(await mayContinue(m))) return;
      const ids = [...m.rows.values()].filter((r) => r.wave === wave.index).map((r) => r.InstanceId);
      const setWave = (patch: Partial<Run['waves'][number]>) => {
        m.run = { ...m.run, waves: m.run.waves.map((w) => (w.index === wave.index ? { ...w, ...patch } : w)) };
      };
      setWave({ state: 'rebooting', startedAt: Date.now() });
      event(m, 'wave', `wave ${wave.index} of ${m.run.waves.length}: rebooting ${ids.length}`);
      for (const part of chunk(ids, LIMITS.batchInstanceIds))
        await gate(m, boot(m, 'RebootInstances', part, running.forceReboot), timeout, 'inferred-reboot');
      const failures = ids.filter((id) => m.rows.get(id)?.state === 'activation_failed').length;
      setWave({ state: failures > 0 ? 'failed' : 'done', endedAt: Date.now(), failures });
      failuresSoFar += failures;
      if (failuresSoFar > running.failureBudget && m.run.state === 'running') {
        m.run = {
          ...m.run,
          state: 'paused',
          pausedReason: `${failuresSoFar} activation failure(s), past the failure budget of ${running.failureBudget} (wave ${wave.index})`,
        };
        event(m, 'state', m.run.pausedReason);
      } else if (wave.index < m.run.waves.length && running.pauseBetweenWavesMs > 0) await sleep(running.pauseBetweenWavesMs);
    }
  }

  async function execute(m: MockRun): Promise<void> {
    await sleep(stepMs);
    recheck(m);
    if (m.run.kind === 'attach') await attach(m);
    if (m.run.state === 'running' || m.run.state === 'paused') await activate(m);
    if (m.run.state === 'cancelling' || m.run.state === 'cancelled') {
      set(
        m,
        [...m.rows.values()]
          .filter((r) => r.state === 'queued' || (r.state === 'attached' && r.wave !== undefined))
          .map((r) => r.InstanceId),
        { state: 'not_sent' },
      );
      m.run = { ...m.run, state: 'cancelled', phase: 'done' };
    } else {
      const failed = [...m.rows.values()].some((r) => ['failed', 'unknown', 'activation_failed', 'not_sent'].includes(r.state));
      m.run = { ...m.run, state: failed ? 'completed_with_failures' : 'completed', phase: 'done' };
    }
    event(m, 'state', m.run.state);
  }

  function rolesMissing(input: Pick<CreateRun, 'kind' | 'policy'>): string | undefined {
    const allowed = model.session.allowedActions;
    if (input.kind === 'attach' && !allowed.includes('AttachKeyPair')) return 'attach';
    const activates = input.kind === 'activate' || input.policy.stopped === 'start' || input.policy.running.mode === 'waves';
    if (activates && !allowed.includes('RebootInstances')) return 'power';
    return undefined;
  }

  function start(input: CreateRun): MockRun {
    const at = Date.now();
    const ids = [...new Set(input.InstanceIds)];
    const run: Run = {
      id: `run-${++nextId}`,
      createdAt: at,
      createdBy: model.session.user,
      regionId: input.RegionId,
      kind: input.kind,
      ...(input.KeyPairName ? { keyPairName: input.KeyPairName } : {}),
      policy: input.policy,
      state: 'running',
      phase: 'recheck',
      counts: { queued: ids.length },
      total: ids.length,
      waves: [],
      ...(input.retryOf ? { retryOf: input.retryOf } : {}),
      updatedAt: at,
    };
    const m: MockRun = {
      run,
      rows: new Map(ids.map((id) => [id, { InstanceId: id, state: 'queued', requestIds: [], updatedAt: at }])),
      events: [],
    };
    runs.set(run.id, m);
    event(m, 'created', `${input.kind} of ${ids.length}`, model.session.user);
    void execute(m);
    return m;
  }

  const page = <T>(items: T[], query: { limit?: number | undefined; cursor?: string | undefined }, size: number) => {
    const offset = Number(query.cursor ?? 0) || 0;
    const limit = query.limit ?? size;
    return { items: items.slice(offset, offset + limit), nextCursor: offset + limit < items.length ? String(offset + limit) : null };
  };

  return {
    create(body) {
      const parsed = CreateRun.safeParse(body ?? {});
      if (!parsed.success) return error(400, 'Proxy.InvalidParameter', `Invalid run: ${parsed.error.issues[0]?.message ?? ''}`);
      const missing = rolesMissing(parsed.data);
      if (missing) return error(403, 'Proxy.Forbidden', `Your groups do not allow this run (it needs the ${missing} role).`);
      return { status: 201, body: start(parsed.data).run };
    },
    list(query) {
      const parsed = RunsQuery.safeParse(Object.fromEntries(query));
      if (!parsed.success) return error(400, 'Proxy.InvalidParameter', 'Invalid query.');
      const f = parsed.data;
      const items = [...runs.values()]
        .map((m) => m.run)
        .filter(
          (r) =>
            (!f.state || r.state === f.state) &&
            (!f.creator || r.createdBy === f.creator) &&
            (!f.regionId || r.regionId === f.regionId) &&
            (!f.keyPairName || r.keyPairName === f.keyPairName),
        )
        // In progress first, then newest first: as the proxy lists them.
        .sort((a, b) => Number(FINAL.has(a.state)) - Number(FINAL.has(b.state)) || b.createdAt - a.createdAt);
      return { status: 200, body: page(items, f, 50) };
    },
    get(id) {
      const m = runs.get(id);
      return m ? { status: 200, body: m.run } : error(404, 'Proxy.RunNotFound', 'There is no run with this id.');
    },
    instances(id, query) {
      const m = runs.get(id);
      if (!m) return error(404, 'Proxy.RunNotFound', 'There is no run with this id.');
      const parsed = RunInstancesQuery.safeParse(Object.fromEntries(query));
      if (!parsed.success) return error(400, 'Proxy.InvalidParameter', 'Invalid query.');
      const rows = [...m.rows.values()].filter((r) => !parsed.data.state || r.state === parsed.data.state);
      return { status: 200, body: page(rows, parsed.data, 1000) };
    },
    control(id, action) {
      const m = runs.get(id);
      if (!m) return error(404, 'Proxy.RunNotFound', 'There is no run with this id.');
      const missing = rolesMissing(m.run);
      if (missing) return error(403, 'Proxy.Forbidden', `Your groups do not allow this run (it needs the ${missing} role).`);
      if (action === 'retry') {
        const failed = [...m.rows.values()]
          .filter((r) => ['failed', 'unknown', 'activation_failed', 'not_sent'].includes(r.state))
          .map((r) => r.InstanceId);
        if (failed.length === 0) return error(409, 'Proxy.NothingToRetry', 'This run has no failed, unknown or unsent instances.');
        const retry = start({
          RegionId: m.run.regionId,
          kind: m.run.kind,
          ...(m.run.keyPairName ? { KeyPairName: m.run.keyPairName } : {}),
          InstanceIds: failed,
          policy: m.run.policy,
          retryOf: m.run.id,
        });
        return { status: 201, body: retry.run };
      }
      const { state } = m.run;
      const next =
        action === 'pause' && state === 'running'
          ? 'paused'
          : action === 'resume' && state === 'paused'
            ? 'running'
            : action === 'cancel' && (state === 'running' || state === 'paused')
              ? 'cancelling'
              : undefined;
      if (!next) return error(409, 'Proxy.RunStateConflict', `A ${state} run cannot be ${action}d.`);
      m.run = {
        ...m.run,
        state: next,
        ...(next === 'running' ? { pausedReason: undefined } : {}),
        ...(next === 'paused' ? { pausedReason: `paused by ${model.session.user}` } : {}),
      };
      event(m, 'control', action, model.session.user);
      return { status: 200, body: m.run };
    },
    events(id) {
      return runs.get(id)?.events ?? [];
    },
    reset() {
      runs = new Map();
    },
  };
}
