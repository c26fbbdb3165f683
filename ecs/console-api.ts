import { z } from 'zod';
import { ACTION_NAMES, actions, RegionId, toWire, type ActionName } from './contract';
import { OPERATION_STATUSES } from './wire';

/**
 * The proxy's own endpoints (beside `POST /api/ecs/{Action}`, whose shapes are ECS's, in contract.ts): the
 * session, the audit trail and pending activation; and what the proxy accepts on `POST /api/ecs/{Action}` and
 * sends on from it. The proxy, its audit store, the web app and the msw mocks all take their types and rules
 * from these schemas (docs/conventions.md#one-contract), so they cannot drift apart.
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
  /** The run (ecs/runs-api.ts) that sent this call, if a run did. */
  runId: z.string().optional(),
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

/**
 * The filters of `GET /api/activity`, as query-string values. The browser builds its query from the input type;
 * the proxy parses the query with this schema and hands the output to the audit store.
 */
export const ActivityQuery = z.strictObject({
  user: z.string().max(256).optional(),
  action: z.enum(ACTION_NAMES as [ActionName, ...ActionName[]], { error: 'is not an allowed action' }).optional(),
  regionId: RegionId.optional(),
  instanceId: z.string().max(64).optional(),
  status: OperationStatus.optional(),
  /** Inclusive lower bound on the operation's `at` (ms since the epoch). */
  from: z.coerce.number().int().nonnegative().optional(),
  /** Inclusive upper bound on the operation's `at`. */
  to: z.coerce.number().int().nonnegative().optional(),
  /** Page size: default 50, at most 200. */
  limit: z.coerce.number().int().min(1).max(200).optional(),
  /** Opaque, from a previous page's `nextCursor`. */
  cursor: z.string().max(512).optional(),
});
export type ActivityQueryInput = z.input<typeof ActivityQuery>;
export type ActivityQuery = z.output<typeof ActivityQuery>;

/** `GET /api/pending?RegionId=`. */
export const PendingQuery = z.strictObject({ RegionId });
export type PendingQuery = z.output<typeof PendingQuery>;

/**
 * RebootInstance and StartInstance carry no RegionId on the wire, but they must go to the instance's regional
 * endpoint (docs/ecs-notes.md#endpoints): the browser names the region and the proxy strips it before signing.
 * DescribeRegions takes none and goes to the bootstrap region.
 */
function isRoutedByProxy(action: ActionName): boolean {
  return action !== 'DescribeRegions' && !actions[action].regional;
}

function proxyRequestOf(action: ActionName): z.ZodObject {
  const request: z.ZodObject = actions[action].request;
  return isRoutedByProxy(action) ? request.extend({ RegionId }) : request;
}

const proxyRequests = new Map<ActionName, z.ZodObject>(ACTION_NAMES.map((action) => [action, proxyRequestOf(action)]));

/**
 * What `POST /api/ecs/{action}` accepts: the contract's request, plus a routing RegionId for the actions ECS
 * takes without one.
 */
export function proxyRequestSchema(action: ActionName): z.ZodObject {
  return proxyRequests.get(action) ?? proxyRequestOf(action);
}

/** The wire parameters sent to ECS for a request `proxyRequestSchema` accepted: the routing RegionId removed. */
export function toUpstream(action: ActionName, params: Record<string, unknown>): Record<string, string> {
  const sent = { ...params };
  if (isRoutedByProxy(action)) delete sent['RegionId'];
  return toWire(action, sent);
}
