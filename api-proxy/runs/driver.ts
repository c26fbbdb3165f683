import type { FastifyBaseLogger } from 'fastify';
import { toWire, type ActionName } from '../../ecs/contract';
import type { RunEvent, RunInstance } from '../../ecs/runs-api';
import type { ReadOutcome } from '../../ecs/outcomes';
import type { AuditStore, RunEventInput, RunWrite, StoredRun, StoredRunInstance } from '../audit';
import { auditedEcsCall, type AuditedCallResult } from '../http/routes/ecs-audit';
import type { EcsClient, UpstreamOutcome } from '../upstream/ecs-client';

/**
 * What the phases of a run (recheck, attach, activation) see of it: its record and rows in memory, durable
 * saves, the one audited ECS call, reads, and the controls (docs/product.md#step-7-activation).
 */

export interface EngineOptions {
  /** AttachKeyPair batches in flight (RUN_ATTACH_IN_FLIGHT). */
  attachInFlight: number;
  /**
   * The ECS client's cap on calls in flight per region (UPSTREAM_CONCURRENCY, upstream/gate.ts): reads go this
   * many at a time, or, beside attach batches in flight, what those leave of it.
   */
  readsInFlight: number;
  /** How often the health gate reads DescribeInstanceStatus. */
  pollMs: number;
  /** Per-call timeout of the engine's ECS calls. */
  callTimeoutMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { attachInFlight: 4, readsInFlight: 8, pollMs: 5_000, callTimeoutMs: 60_000 };

export interface EngineDeps {
  ecs: EcsClient;
  audit: AuditStore;
  clock: () => number;
  log: () => FastifyBaseLogger;
  onUpstreamAnswer?: (outcome: UpstreamOutcome) => void;
}

/** Thrown out of a phase when the proxy shuts down: the run stays as stored and a restart resumes it. */
export class EngineStopped extends Error {
  constructor() {
    super('the run engine is stopping');
  }
}

/** What a run does with its rows around one of its mutating calls (RunDriver.mutate). */
export interface CallRows {
  /** The rows the call is about to change, given the intent's operation id; written with the intent. */
  begun: (operationId: string) => StoredRunInstance[];
  /** The rows the answer changes, and the event reporting it; written with the outcome. */
  answered: (answer: { outcome: UpstreamOutcome; read: ReadOutcome }) => { rows: StoredRunInstance[]; event?: Omit<RunEventInput, 'at'> };
}

export class RunDriver {
  readonly rows: Map<string, StoredRunInstance>;
  private wakers = new Set<() => void>();
  /** Rows per state, kept as rows change: a save then costs nothing per row of the run (10,000 of them). */
  private readonly counts = new Map<RunInstance['state'], number>();

  constructor(
    public run: StoredRun,
    rows: readonly StoredRunInstance[],
    readonly deps: EngineDeps,
    readonly options: EngineOptions,
    private readonly isStopping: () => boolean,
    private readonly publish: (event: RunEvent) => void,
  ) {
    this.rows = new Map(rows.map((r) => [r.InstanceId, r]));
    for (const row of rows) this.count(row.state, 1);
  }

  private count(state: RunInstance['state'], by: number): void {
    const next = (this.counts.get(state) ?? 0) + by;
    if (next === 0) this.counts.delete(state);
    else this.counts.set(state, next);
  }

  /** Rows in plan order. */
  all(): StoredRunInstance[] {
    return [...this.rows.values()];
  }

  inState(...states: RunInstance['state'][]): StoredRunInstance[] {
    return this.all().filter((r) => states.includes(r.state));
  }

  /** Changes rows in memory (the caller saves them). */
  set(ids: readonly string[], patch: Partial<StoredRunInstance>): StoredRunInstance[] {
    const at = this.deps.clock();
    const changed: StoredRunInstance[] = [];
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row === undefined) continue;
      const next = { ...row, ...patch, updatedAt: at };
      // A new call is about to be sent: the operation id of the previous one no longer says "maybe sent".
      if ((patch.state === 'sending' || patch.state === 'activating') && patch.operationId === undefined) delete next.operationId;
      this.rows.set(id, next);
      this.count(row.state, -1);
      this.count(next.state, 1);
      changed.push(next);
    }
    return changed;
  }

  /** The run's record as of now with the changed rows and an event: one write for the store. */
  private snapshot(rows: readonly StoredRunInstance[], event?: Omit<RunEventInput, 'at'>): RunWrite {
    const at = this.deps.clock();
    this.run = { ...this.run, counts: Object.fromEntries(this.counts), updatedAt: at };
    return { run: this.run, rows, ...(event === undefined ? {} : { event: { ...event, at } }) };
  }

  /** Tells the listeners of an event once the store has numbered it. */
  private announce(write: RunWrite, seq: number): void {
    if (write.event !== undefined && seq > 0) this.publish({ seq, runId: this.run.id, ...write.event });
  }

  /** Writes the run's record with the changed rows and an event, in one transaction, then tells the listeners. */
  async save(rows: readonly StoredRunInstance[], event?: Omit<RunEventInput, 'at'>): Promise<void> {
    const write = this.snapshot(rows, event);
    this.announce(write, await this.deps.audit.saveRun(write.run, write.rows, write.event));
  }

  /** Resolves true while new calls may be sent, waiting while paused; false once cancelling. */
  async mayContinue(): Promise<boolean> {
    for (;;) {
      if (this.isStopping()) throw new EngineStopped();
      if (this.run.state === 'running') return true;
      if (this.run.state !== 'paused') return false;
      await new Promise<void>((resolve) => this.wakers.add(resolve));
    }
  }

  /** Wakes whatever waits on a control (pause, sleep). */
  wake(): void {
    const waiting = [...this.wakers];
    this.wakers.clear();
    for (const resolve of waiting) resolve();
  }

  /** Sleeps `ms`, cut short by a control or by shutdown. */
  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.add(done);
    });
    if (this.isStopping()) throw new EngineStopped();
  }

  /**
   * A mutating call through the one audited path, as the run's creator, naming the run. The rows it changes are
   * written in the audit's own transactions: with the intent (`begun`, so a row with an operation id may have
   * been sent and one without was not) and with the outcome (`answered`). Two writes per call, not four.
   */
  async mutate(name: ActionName, params: Record<string, unknown>, instanceIds: string[], rows: CallRows): Promise<AuditedCallResult> {
    const { run } = this;
    const options: Record<string, string | number | boolean> = {};
    for (const key of ['ForceReboot', 'BatchOptimization'] as const) {
      const value = params[key];
      if (typeof value === 'string' || typeof value === 'boolean') options[key] = value;
    }
    let answered: { rows: StoredRunInstance[]; event?: Omit<RunEventInput, 'at'> } | undefined;
    let written: RunWrite | undefined;
    const result = await auditedEcsCall({ id: `run:${run.id}`, log: this.deps.log() }, this.deps, {
      name,
      wire: toWire(name, params),
      regionId: run.regionId,
      signal: AbortSignal.timeout(this.options.callTimeoutMs),
      intent: {
        at: this.deps.clock(),
        user: run.createdBy,
        ...(run.creator?.email === undefined ? {} : { email: run.creator.email }),
        groups: run.creator?.groups ?? [],
        clientAddress: run.creator?.clientAddress ?? '',
        action: name,
        regionId: run.regionId,
        ...(typeof params['KeyPairName'] === 'string' ? { keyPairName: params['KeyPairName'] } : {}),
        instanceIds,
        ...(Object.keys(options).length > 0 ? { options } : {}),
        runId: run.id,
      },
      withIntent: (operationId) => this.snapshot(rows.begun(operationId)),
      withOutcome: (answer) => {
        answered = rows.answered(answer);
        written = this.snapshot(answered.rows, answered.event);
        return written;
      },
    });
    if (result.recorded && written !== undefined) this.announce(written, result.eventSeq);
    // The audit record could not be written: the rows still are, on their own (or the store is down, and the
    // engine pauses the run on the error).
    else if (answered !== undefined) await this.save(answered.rows, answered.event);
    return result;
  }

  /** A read (Describe*): not audited, like a read through `POST /api/ecs`. */
  async read(name: ActionName, params: Record<string, unknown>): Promise<UpstreamOutcome> {
    const outcome = await this.deps.ecs.call(name, toWire(name, params), {
      regionId: this.run.regionId,
      mutating: false,
      signal: AbortSignal.timeout(this.options.callTimeoutMs),
    });
    this.deps.onUpstreamAnswer?.(outcome);
    return outcome;
  }
}

/** Splits a list into chunks of at most `size`. */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Runs `step` over `pages`, `inFlight` at a time (the ECS client caps calls per region, upstream/gate.ts), in
 * order of taking; a step that resolves false stops the others from taking more. Every page taken finishes
 * before this resolves, even when one stops early or throws.
 */
export async function inPages<T>(pages: readonly T[], inFlight: number, step: (page: T) => Promise<boolean>): Promise<void> {
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < pages.length) {
      const page = pages[next++] as T;
      if (!(await step(page))) stopped = true;
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(inFlight, pages.length)) }, worker));
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
}

/** The objects of `body[wrapper][item]`, as ECS nests its lists. */
export function nestedList(body: Record<string, unknown>, wrapper: string, item: string): Record<string, unknown>[] {
  const outer = body[wrapper];
  if (typeof outer !== 'object' || outer === null) return [];
  const list = (outer as Record<string, unknown>)[item];
  return Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}
