import type { FastifyBaseLogger } from 'fastify';
import { toWire, type ActionName } from '../../ecs/contract';
import type { RunEvent, RunInstance } from '../../ecs/runs-api';
import type { AuditStore, RunEventInput, StoredRun, StoredRunInstance } from '../audit';
import { auditedEcsCall, type AuditedCallResult } from '../http/routes/ecs-audit';
import type { EcsClient, UpstreamOutcome } from '../upstream/ecs-client';

/**
 * What the phases of a run (recheck, attach, activation) see of it: its record and rows in memory, durable
 * saves, the one audited ECS call, reads, and the controls (docs/product.md#step-7-activation).
 */

export interface EngineOptions {
  /** AttachKeyPair batches in flight (RUN_ATTACH_IN_FLIGHT). */
  attachInFlight: number;
  /** How often the health gate reads DescribeInstanceStatus. */
  pollMs: number;
  /** Per-call timeout of the engine's ECS calls. */
  callTimeoutMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { attachInFlight: 4, pollMs: 5_000, callTimeoutMs: 60_000 };

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

export class RunDriver {
  readonly rows: Map<string, StoredRunInstance>;
  private wakers = new Set<() => void>();

  constructor(
    public run: StoredRun,
    rows: readonly StoredRunInstance[],
    readonly deps: EngineDeps,
    readonly options: EngineOptions,
    private readonly isStopping: () => boolean,
    private readonly publish: (event: RunEvent) => void,
  ) {
    this.rows = new Map(rows.map((r) => [r.InstanceId, r]));
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
      changed.push(next);
    }
    return changed;
  }

  /** Writes the run's record with the changed rows and an event, in one transaction, then tells the listeners. */
  async save(rows: readonly StoredRunInstance[], event?: Omit<RunEventInput, 'at'>): Promise<void> {
    const at = this.deps.clock();
    const counts: Record<string, number> = {};
    for (const row of this.rows.values()) counts[row.state] = (counts[row.state] ?? 0) + 1;
    this.run = { ...this.run, counts, updatedAt: at };
    const full = event === undefined ? undefined : { ...event, at };
    const seq = await this.deps.audit.saveRun(this.run, rows, full);
    if (full !== undefined) this.publish({ seq, runId: this.run.id, ...full });
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

  /** A mutating call through the one audited path, as the run's creator, naming the run. */
  async mutate(
    name: ActionName,
    params: Record<string, unknown>,
    instanceIds: string[],
    onBegun?: (operationId: string) => Promise<void>,
  ): Promise<AuditedCallResult> {
    const { run } = this;
    const options: Record<string, string | number | boolean> = {};
    for (const key of ['ForceReboot', 'BatchOptimization'] as const) {
      const value = params[key];
      if (typeof value === 'string' || typeof value === 'boolean') options[key] = value;
    }
    return auditedEcsCall({ id: `run:${run.id}`, log: this.deps.log() }, this.deps, {
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
      ...(onBegun ? { onBegun } : {}),
    });
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

/** The objects of `body[wrapper][item]`, as ECS nests its lists. */
export function nestedList(body: Record<string, unknown>, wrapper: string, item: string): Record<string, unknown>[] {
  const outer = body[wrapper];
  if (typeof outer !== 'object' || outer === null) return [];
  const list = (outer as Record<string, unknown>)[item];
  return Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}
