import type { ActionName } from '../../ecs/contract';
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

/** What `check()` found: writable, or the first problem in words fit for a readiness answer (no paths). */
export type AuditCheck = { ok: true } | { ok: false; problem: string };

/**
 * Every method that touches the stored data returns a promise. Bad input rejects with AuditInputError; a store
 * that cannot be used rejects with AuditUnavailableError (errors.ts).
 */
export interface AuditStore {
  /** Resolves with the operation id once the intent is durably written; rejects with AuditUnavailableError if it cannot be by the deadline. */
  begin(intent: AuditIntent): Promise<string>;
  /** Records the outcome; rejects with AuditUnavailableError on failure (the action already happened: log it). */
  complete(id: string, outcome: AuditOutcome): Promise<void>;
  /** A refused action is audited too. */
  recordDenied(intent: AuditIntent, reason: string): Promise<void>;
  /**
   * Records what reading the instances back found after a completed AttachKeyPair, for instances whose outcome
   * was unknown; each instance is reconciled at most once. An attached one becomes pending activation, one that
   * is not attached stops being "may be pending".
   */
  reconcile(id: string, readings: readonly AuditReconciliation[]): Promise<void>;
  /** Newest first, keyset pagination on (at, begin order): stable while new operations are written. */
  list(query: ActivityQuery): Promise<ActivityPage>;
  /** Instances of the region whose attached key pair awaits a reboot or start (pending.ts). */
  pending(regionId: string): Promise<PendingActivation[]>;
  /** Readiness: whether the store takes a new write now, and if not, why. */
  check(): Promise<AuditCheck>;
  close(): void;
}
