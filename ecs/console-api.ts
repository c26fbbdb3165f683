import { z } from 'zod';
import { ACTION_NAMES } from './contract';

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

export const OperationStatus = z.enum(['pending', 'succeeded', 'partial', 'failed', 'unknown', 'denied']);
export type OperationStatus = z.infer<typeof OperationStatus>;

export const InstanceOutcome = z.object({
  InstanceId: z.string(),
  ok: z.boolean(),
  Code: z.string(),
  Message: z.string().optional(),
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
});
export type PendingActivation = z.infer<typeof PendingActivation>;

export const PendingList = z.object({ RegionId: z.string(), Pending: z.array(PendingActivation) });
export type PendingList = z.infer<typeof PendingList>;
