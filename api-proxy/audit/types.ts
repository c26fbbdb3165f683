import type { ActionName } from '../../ecs/contract';
import type { Run, RunEvent, RunInstance } from '../../ecs/runs-api';
import type { ActivityPage, ActivityQuery, InstanceOutcome, OperationStatus, PendingActivation } from '../../ecs/console-api';

/**
 * The audit store as the rest of the proxy sees it: the durable trail of every mutating call and the memory of
 * pending activations (docs/product.md#audit-before-and-after, docs/product.md#step-9-pending-activation). The
 * shapes it returns are the console API's (ecs/console-api.ts), so the web app reads exactly these.
 *
 * Any store (SQLite today, sqlite-store.ts) implements `AuditStore` and passes the contract suite
 * (contract.test-suite.ts).
 */

export interface AuditIntent {
  /** ms since the epoch. */
  at: number;
  user: string;
  email?: string;
  groups: string[];
  clientAddress: string;
  action: ActionName;
  regionId: string;
  keyPairName?: string;
  instanceIds: string[];
  /** e.g. ForceReboot, BatchOptimization, DryRun; never secrets (option names that look like one are refused). */
  options?: Record<string, string | number | boolean>;
  /** The run that sends this call (api-proxy/runs/), so the activity trail links to it. */
  runId?: string;
}

export interface AuditOutcome {
  at: number;
  status: Exclude<OperationStatus, 'pending' | 'denied'>;
  httpStatus?: number;
  /** ECS RequestId. */
  requestId?: string;
  errorCode?: string;
  errorMessage?: string;
  durationMs: number;
  /** One per instance when known. */
  instances: InstanceOutcome[];
}

/** What reading an instance back found after an AttachKeyPair whose outcome was unknown for it. */
export interface AuditReconciliation {
  InstanceId: string;
  /** When the instance was read (ms since the epoch). */
  at: number;
  /** As ECS reported it; empty when the instance has no key pair. */
  KeyPairName: string;
  /** The instance carries the key pair the attach asked for. */
  attached: boolean;
}

/** An attach whose process died between its intent and its outcome, and the instances still to read back. */
export interface CrashLeftAttach {
  operationId: string;
  regionId: string;
  keyPairName: string;
  instanceIds: string[];
}

/** What `check()` found: writable, or the first problem in words fit for a readiness answer (no paths). */
export type AuditCheck = { ok: true } | { ok: false; problem: string };

/**
 * Every method that touches the stored data returns a promise. Bad input rejects with AuditInputError; a store
 * that cannot be used rejects with AuditUnavailableError (errors.ts).
 */
export interface AuditStore extends RunStore {
  /**
   * Resolves with the operation id once the intent is durably written; rejects with AuditUnavailableError if it
   * cannot be by the deadline. `alongside` (a run's call) is given the new operation id and its run rows are
   * written in the same transaction: both land, or neither does and nothing may be sent.
   */
  begin(intent: AuditIntent, alongside?: (operationId: string) => RunRows): Promise<string>;
  /**
   * Records the outcome; rejects with AuditUnavailableError on failure (the action already happened: log it).
   * `alongside` (a run's call): its run rows and event are written in the same transaction; resolves with the
   * event's seq (0 without one).
   */
  complete(id: string, outcome: AuditOutcome, alongside?: RunWrite): Promise<number>;
  /** A refused action is audited too. */
  recordDenied(intent: AuditIntent, reason: string): Promise<void>;
  /**
   * Records what reading the instances back found after a completed AttachKeyPair, for instances whose outcome
   * was unknown; each instance is reconciled at most once. An attached one becomes pending activation, one that
   * is not attached stops being "may be pending".
   */
  reconcile(id: string, readings: readonly AuditReconciliation[]): Promise<void>;
  /**
   * AttachKeyPair operations a previous process began and never completed (their outcome is unknown), with the
   * instances not read back yet, newest first: what the proxy reads back at start-up. `reconcile` takes them like
   * a completed attach of unknown outcome; once every instance is read back, an operation is no longer listed.
   */
  crashLeftAttaches(limit?: number): Promise<CrashLeftAttach[]>;
  /** Newest first, keyset pagination on (at, begin order): stable while new operations are written. */
  list(query: ActivityQuery): Promise<ActivityPage>;
  /** Instances of the region whose attached key pair awaits a reboot or start (pending.ts). */
  pending(regionId: string): Promise<PendingActivation[]>;
  /** Readiness: whether the store takes a new write now, and if not, why. */
  check(): Promise<AuditCheck>;
  close(): void;
}

/** One line of a run's live feed, before the store numbers it. */
export interface RunEventInput {
  at: number;
  kind: RunEvent['kind'];
  user?: string;
  detail?: string;
}

/** A run's per-instance row as stored: the API's row plus what the engine needs to resume after a crash. */
export type StoredRunInstance = RunInstance & {
  /** The audited operation of the last mutating call sent for this instance (its intent is in the trail). */
  operationId?: string;
};

/** A run's record and the rows of it that changed, as one write. */
export interface RunRows {
  run: StoredRun;
  rows: readonly StoredRunInstance[];
}

/** A run write with the event that reports it. */
export interface RunWrite extends RunRows {
  event?: RunEventInput;
}

/** A run as stored: the API's run plus the engine's bookkeeping. */
export type StoredRun = Run & {
  /** Failures counted against the budget since the run was last resumed. */
  budgetFailures?: number;
  /** When the run sent its first StartInstances: the start health gate's deadline counts from it. */
  startGateSince?: number;
  /** Who the run's ECS calls are audited as: the creator, as they were when they created it. */
  creator?: { email?: string; groups: string[]; clientAddress: string };
};

/**
 * The runs part of the store (docs/product.md#step-7-activation): a run and its rows are written in one
 * transaction, with the event that reports the change.
 */
export interface RunStore {
  /** Writes a new run with all its rows and its 'created' event; resolves with the event's seq. */
  createRun(run: StoredRun, instances: readonly StoredRunInstance[], event: RunEventInput): Promise<number>;
  /** Replaces the run's record and the given rows (by InstanceId), and appends the event if any; resolves with its seq (0 without). */
  saveRun(run: StoredRun, instances: readonly StoredRunInstance[], event?: RunEventInput): Promise<number>;
  getRun(id: string): Promise<StoredRun | undefined>;
  /** In progress (running, paused, cancelling) first, then newest first; keyset pagination. */
  listRuns(query: RunsQueryInput): Promise<{ items: StoredRun[]; nextCursor: string | null }>;
  /** Rows in plan order, optionally of one state; keyset pagination on the position. */
  runInstances(
    id: string,
    query: { state?: RunInstance['state']; limit?: number; cursor?: string },
  ): Promise<{ items: StoredRunInstance[]; nextCursor: string | null }>;
  /** Events after `afterSeq`, oldest first. */
  runEvents(id: string, afterSeq: number, limit?: number): Promise<RunEvent[]>;
  /** Ids of runs not in a final state (running, paused, cancelling), oldest first: what a restart resumes. */
  unfinishedRuns(): Promise<string[]>;
}

export interface RunsQueryInput {
  state?: Run['state'];
  creator?: string;
  regionId?: string;
  keyPairName?: string;
  limit?: number;
  cursor?: string;
}
