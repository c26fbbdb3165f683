import { z } from 'zod';
import { ACTION_NAMES } from './contract';
import { OPERATION_STATUSES } from './wire';

/**
 * The proxy's own endpoints (beside `POST /api/ecs/{Action}`, whose shapes are ECS's, in contract.ts): the
 * session, the audit trail and pending activation. The proxy's audit store, the web app and the msw mocks all
 * take their types from these schemas (STYLE.md habit 1), so the three cannot drift apart.
 */

export const Session = z.object({
  user: z.string(),
  email: z.string().optional(),
  groups: z.array(z.string()),
  allowedActions: z.array(z.enum(ACTION_NAMES as [string, ...string[]])),
  mode: z.enum(['sim', 'live']),
  authMode: z.enum(['none', 'header', 'jwt']),
});
export type Session = z.infer<typeof Session>;

export const OperationStatus = z.enum(OPERATION_STATUSES);
export type OperationStatus = z.infer<typeof OperationStatus>;

/** What a later read of the instance found: its KeyPairName, and whether that is the key pair the call attached. */
export const InstanceReconciliation = z.object({
  /** When the instance was read (ms since the epoch). */
  at: z.number(),
  /** As ECS reported it; empty when the instance has no key pair. */
  KeyPairName: z.string(),
  attached: z.boolean(),
});
export type InstanceReconciliation = z.infer<typeof InstanceReconciliation>;

export const InstanceOutcome = z.object({
  InstanceId: z.string(),
  ok: z.boolean(),
  Code: z.string(),
  Message: z.string().optional(),
  /**
   * Set (with ok false) when the call may have reached ECS but no definite answer came back: the change may or
   * may not have been applied. Read it through instanceVerdict() in ecs/outcomes.ts, never on its own.
   */
  unknown: z.boolean().optional(),
  /** For an unknown AttachKeyPair: what reading the instance back found. */
  reconciled: InstanceReconciliation.optional(),
});
export type InstanceOutcome = z.infer<typeof InstanceOutcome>;

export const ActivityRecord = z.object({
  id: z.string(),
  at: z.number(),
  completedAt: z.number().optional(),
  user: z.string(),
  email: z.string().optional(),
  groups: z.array(z.string()),
  clientAddress: z.string(),
  action: z.enum(ACTION_NAMES as [string, ...string[]]),
  regionId: z.string(),
  keyPairName: z.string().optional(),
  instanceIds: z.array(z.string()),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  status: OperationStatus,
  httpStatus: z.number().optional(),
  /** ECS RequestId. */
  requestId: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  durationMs: z.number().optional(),
  instances: z.array(InstanceOutcome),
});
export type ActivityRecord = z.infer<typeof ActivityRecord>;

export const ActivityPage = z.object({ items: z.array(ActivityRecord), nextCursor: z.string().nullable() });
export type ActivityPage = z.infer<typeof ActivityPage>;

export const PendingActivation = z.object({
  InstanceId: z.string(),
  regionId: z.string(),
  keyPairName: z.string(),
  /** Who attached the key pair. */
  user: z.string(),
  /** When the attach was confirmed. */
  at: z.number(),
  /** The attach operation. */
  operationId: z.string(),
  /**
   * True when ECS gave no definite answer to that attach and reading the instance back has not confirmed it:
   * the key pair may be attached and waiting for a reboot or start, or may not be attached at all.
   */
  mayBePending: z.boolean().optional(),
});
export type PendingActivation = z.infer<typeof PendingActivation>;

export const PendingList = z.object({ RegionId: z.string(), Pending: z.array(PendingActivation) });
export type PendingList = z.infer<typeof PendingList>;
