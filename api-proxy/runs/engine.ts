import { randomUUID } from 'node:crypto';
import type { CreateRun, RunEvent, RunInstance } from '../../ecs/runs-api';
import type { RunsQueryInput, StoredRun, StoredRunInstance } from '../audit';
import { planActivation, readStatuses, startPhase, wavesPhase } from './activation-phase';
import { attachPhase } from './attach-phase';
import { DEFAULT_ENGINE_OPTIONS, EngineStopped, RunDriver, type EngineDeps, type EngineOptions } from './driver';
import { readInstances, recheck } from './recheck';

/**
 * The run engine (docs/product.md#step-7-activation): runs an attach or an activation to its end in the proxy,
 * so closing the browser stops nothing and a restart resumes it.
 *
 * A run: running → (paused ⇄ running) → completed | completed_with_failures, or → cancelling → cancelled.
 * Phases: recheck → attach (attach runs; the two are one pipeline, and the run enters 'attach' with its first
 * batch) → start → waves → done. An instance: queued → skipped (why) | sending → attached | failed | unknown →
 * activating → active | activation_failed, or pending (the policy leaves it), or not_sent (cancelled before it
 * was sent).
 *
 * Controls send no call: pause and cancel stop new calls (calls in flight finish and are recorded); cancel
 * ends every unsent instance `not_sent`.
 */

export interface RunCreator {
  user: string;
  email?: string;
  groups: string[];
  clientAddress: string;
}

export type RunControl = 'pause' | 'resume' | 'cancel';

const FINAL_STATES = new Set(['completed', 'completed_with_failures', 'cancelled']);

export class RunEngine {
  private readonly live = new Map<string, { driver: RunDriver; loop: Promise<void> }>();
  private readonly listeners = new Map<string, Set<(event: RunEvent) => void>>();
  private stopping = false;
  readonly options: EngineOptions;

  constructor(
    private readonly deps: EngineDeps,
    options: Partial<EngineOptions> = {},
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
  }

  /** Writes the run and its rows (one transaction), then starts it. */
  async create(input: CreateRun, creator: RunCreator): Promise<StoredRun> {
    const at = this.deps.clock();
    const ids = [...new Set(input.InstanceIds)];
    const run: StoredRun = {
      id: randomUUID(),
      createdAt: at,
      createdBy: creator.user,
      regionId: input.RegionId,
      kind: input.kind,
      ...(input.KeyPairName === undefined ? {} : { keyPairName: input.KeyPairName }),
      policy: input.policy,
      state: 'running',
      phase: 'recheck',
      counts: { queued: ids.length },
      total: ids.length,
      waves: [],
      ...(input.retryOf === undefined ? {} : { retryOf: input.retryOf }),
      updatedAt: at,
      creator: {
        ...(creator.email === undefined ? {} : { email: creator.email }),
        groups: creator.groups,
        clientAddress: creator.clientAddress,
      },
    };
    const rows: StoredRunInstance[] = ids.map((InstanceId) => ({ InstanceId, state: 'queued', requestIds: [], updatedAt: at }));
    const seq = await this.deps.audit.createRun(run, rows, {
      at,
      kind: 'created',
      user: creator.user,
      detail: `${input.kind} of ${ids.length}`,
    });
    this.publish({ seq, runId: run.id, at, kind: 'created', user: creator.user });
    this.start(run, rows);
    return run;
  }

  /** The in-memory run if it is executing here, else the stored one. */
  async get(id: string): Promise<StoredRun | undefined> {
    return this.live.get(id)?.driver.run ?? (await this.deps.audit.getRun(id));
  }

  /** Pause, resume or cancel; audited in the run's events with who did it. Undefined: no such run. */
  async control(id: string, action: RunControl, user: string): Promise<{ run: StoredRun; changed: boolean } | undefined> {
    const entry = this.live.get(id);
    if (entry === undefined) {
      const stored = await this.deps.audit.getRun(id);
      return stored === undefined ? undefined : { run: stored, changed: false };
    }
    const { driver } = entry;
    const state = driver.run.state;
    const next =
      action === 'pause' && state === 'running'
        ? 'paused'
        : action === 'resume' && state === 'paused'
          ? 'running'
          : action === 'cancel' && (state === 'running' || state === 'paused')
            ? 'cancelling'
            : undefined;
    if (next === undefined) return { run: driver.run, changed: false };
    const rest = { ...driver.run };
    delete rest.pausedReason;
    driver.run = {
      ...rest,
      state: next,
      ...(next === 'paused' ? { pausedReason: `paused by ${user}` } : {}),
      // Resuming accepts the failures so far: the budget counts again from here.
      ...(action === 'resume' ? { budgetFailures: 0 } : {}),
    };
    await driver.save([], { kind: 'control', user, detail: action });
    driver.wake();
    return { run: driver.run, changed: true };
  }

  /** Resumes the runs a previous process left unfinished (reconciling first what it may have sent). */
  async resumeUnfinished(): Promise<void> {
    for (const id of await this.deps.audit.unfinishedRuns()) {
      if (this.live.has(id)) continue;
      const run = await this.deps.audit.getRun(id);
      if (run === undefined) continue;
      const rows = (await this.deps.audit.runInstances(id, { limit: 10_000 })).items;
      this.start(run, rows, true);
    }
  }

  list(query: RunsQueryInput): Promise<{ items: StoredRun[]; nextCursor: string | null }> {
    return this.deps.audit.listRuns(query);
  }

  instances(
    id: string,
    query: { state?: RunInstance['state']; limit?: number; cursor?: string },
  ): Promise<{ items: StoredRunInstance[]; nextCursor: string | null }> {
    return this.deps.audit.runInstances(id, query);
  }

  events(id: string, afterSeq: number): Promise<RunEvent[]> {
    return this.deps.audit.runEvents(id, afterSeq, 1000);
  }

  /** The instances a retry sends again: failed, unknown, activation failed, not sent. */
  async retryTargets(id: string): Promise<string[]> {
    const rows = (await this.deps.audit.runInstances(id, { limit: 10_000 })).items;
    return rows.filter((r) => ['failed', 'unknown', 'activation_failed', 'not_sent'].includes(r.state)).map((r) => r.InstanceId);
  }

  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    let set = this.listeners.get(runId);
    if (set === undefined) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Whether a run is executing in this process. */
  isLive(id: string): boolean {
    return this.live.has(id);
  }

  /** Stops every loop at its next step without changing the stored state; a restart resumes them. */
  async close(): Promise<void> {
    this.stopping = true;
    for (const { driver } of this.live.values()) driver.wake();
    await Promise.allSettled([...this.live.values()].map((e) => e.loop));
    this.listeners.clear();
  }

  private publish(event: RunEvent): void {
    for (const listener of this.listeners.get(event.runId) ?? []) listener(event);
  }

  private start(run: StoredRun, rows: readonly StoredRunInstance[], afterRestart = false): void {
    const driver = new RunDriver(
      run,
      rows,
      this.deps,
      this.options,
      () => this.stopping,
      (event) => this.publish(event),
    );
    const loop = this.execute(driver, afterRestart).catch((error: unknown) => {
      if (error instanceof EngineStopped) return;
      this.deps.log().error({ runId: run.id, err: error instanceof Error ? error.message : String(error) }, 'run failed in the engine');
      // A bug or a store that cannot be written: pause, so an operator sees the run stopped and why.
      driver.run = { ...driver.run, state: 'paused', pausedReason: 'the proxy hit an error running this run; resume to try again' };
      return driver.save([], { kind: 'state', detail: driver.run.pausedReason }).catch(() => undefined);
    });
    this.live.set(run.id, { driver, loop });
    void loop.finally(() => {
      if (this.live.get(run.id)?.driver === driver && FINAL_STATES.has(driver.run.state)) this.live.delete(run.id);
    });
  }

  private async execute(driver: RunDriver, afterRestart: boolean): Promise<void> {
    if (afterRestart) await reconcileAfterRestart(driver);
    for (;;) {
      const { phase, kind } = driver.run;
      if (phase === 'recheck' && kind === 'activate') {
        if (!(await driver.mayContinue())) break;
        if (!(await recheck(driver))) {
          await pauseUnread(driver);
          continue;
        }
        await this.enter(driver, 'start');
      } else if (phase === 'recheck' || phase === 'attach') {
        // An attach run re-checks and attaches as one pipeline (attach-phase.ts); it enters 'attach' with its
        // first batch.
        if (!(await driver.mayContinue())) break;
        const isRead = await attachPhase(driver);
        if (driver.run.state === 'cancelling') break;
        if (!isRead) {
          await pauseUnread(driver);
          continue;
        }
        await this.enter(driver, 'start');
      } else if (phase === 'start') {
        await planActivation(driver);
        await startPhase(driver);
        if (driver.run.state === 'cancelling') break;
        await this.enter(driver, 'waves');
      } else if (phase === 'waves') {
        await wavesPhase(driver);
        if (driver.run.state === 'cancelling') break;
        // A pause after the last wave's failures still waits for resume or cancel before the run ends.
        if (!(await driver.mayContinue())) break;
        if (driver.run.waves.some((w) => w.state === 'waiting' || w.state === 'rebooting')) continue;
        await this.enter(driver, 'done');
      } else break;
    }
    await finish(driver);
  }

  private async enter(driver: RunDriver, phase: StoredRun['phase']): Promise<void> {
    driver.run = { ...driver.run, phase };
    await driver.save([], { kind: 'state', detail: `phase ${phase}` });
  }
}

/** A re-check read that failed pauses the run: nothing is sent on a plan that was not re-checked. */
async function pauseUnread(driver: RunDriver): Promise<void> {
  driver.run = {
    ...driver.run,
    state: 'paused',
    pausedReason: 'ECS could not be read to re-check the instances; resume to try again',
  };
  await driver.save([], { kind: 'state', detail: driver.run.pausedReason });
}

/** The run's final state: cancelled (unsent instances not_sent), or completed with or without failures. */
async function finish(driver: RunDriver): Promise<void> {
  if (driver.run.state === 'cancelling') {
    const unsent = driver
      .all()
      .filter((r) => r.state === 'queued' || r.state === 'sending' || (r.state === 'attached' && r.wave !== undefined));
    const changed = driver.set(
      unsent.filter((r) => r.state !== 'attached').map((r) => r.InstanceId),
      { state: 'not_sent' },
    );
    // Attached but never rebooted: the key is there, awaiting a boot.
    changed.push(
      ...driver.set(
        unsent.filter((r) => r.state === 'attached').map((r) => r.InstanceId),
        { state: 'pending' },
      ),
    );
    driver.run = {
      ...driver.run,
      state: 'cancelled',
      phase: 'done',
      waves: driver.run.waves.map((w) => (w.state === 'waiting' ? { ...w, state: 'skipped' } : w)),
    };
    await driver.save(changed, { kind: 'state', detail: 'cancelled' });
    return;
  }
  if (driver.run.phase !== 'done') return;
  const failed = driver.all().some((r) => r.state === 'failed' || r.state === 'unknown' || r.state === 'activation_failed');
  driver.run = { ...driver.run, state: failed ? 'completed_with_failures' : 'completed' };
  await driver.save([], { kind: 'state', detail: driver.run.state });
}

/**
 * After a crash: a row left 'sending' or 'activating' with an operation id had its intent written, so the
 * call may have reached ECS. It is read before anything is sent again (nothing is sent twice blindly): for an
 * attach, the key pair (there → attached; not there → queued, to send); for a reboot or start, the status (out
 * of Running → it is booting: the gate waits on it; Running → it may be back already, or never got the call:
 * the boot cannot be told from the status, so it is left pending rather than rebooted again). A row without
 * an operation id never had its intent written, so nothing was sent: it goes back to be sent.
 */
async function reconcileAfterRestart(driver: RunDriver): Promise<void> {
  const changed: StoredRunInstance[] = [];
  const sending = driver.inState('sending');
  const maybeSent = sending.filter((r) => r.operationId !== undefined);
  changed.push(
    ...driver.set(
      sending.filter((r) => r.operationId === undefined).map((r) => r.InstanceId),
      { state: 'queued' },
    ),
  );
  if (maybeSent.length > 0) {
    const found = await readInstances(
      driver,
      maybeSent.map((r) => r.InstanceId),
    );
    for (const row of maybeSent) {
      const instance = found?.get(row.InstanceId);
      if (instance === undefined) continue;
      const attached = instance['KeyPairName'] === driver.run.keyPairName;
      changed.push(...driver.set([row.InstanceId], { state: attached ? 'attached' : 'queued' }));
    }
  }
  const activating = driver.inState('activating');
  const notSent = activating.filter((r) => r.operationId === undefined);
  changed.push(
    ...driver.set(
      notSent.map((r) => r.InstanceId),
      { state: driver.run.kind === 'attach' ? 'attached' : 'queued' },
    ),
  );
  const maybeBooting = activating.filter((r) => r.operationId !== undefined);
  if (maybeBooting.length > 0) {
    const statuses = await readStatuses(
      driver,
      maybeBooting.map((r) => r.InstanceId),
    );
    for (const row of maybeBooting) {
      const status = statuses.get(row.InstanceId);
      if (status === undefined || status === 'Running') {
        changed.push(
          ...driver.set([row.InstanceId], {
            state: 'pending',
            Code: 'Console.BootUnconfirmed',
            Message:
              'The proxy restarted while this reboot or start was sent; the instance was Running when read, so the boot is not confirmed.',
          }),
        );
      }
      // Out of Running: booting. A wave's gate, or the start phase's, waits for it (activation-phase.ts).
    }
  }
  await driver.save(changed, { kind: 'state', detail: `resumed after a restart (${changed.length} instance(s) reconciled)` });
}
