import { InstanceId, type ActionName } from '../../ecs/contract';
import type { PendingActivation } from '../../ecs/console-api';

/**
 * Pending activation, the core rule of the audit store (docs/product.md#step-9-pending-activation): which
 * instances carry a key pair attached through the console that has not taken effect yet, because no reboot or
 * start of theirs came after it (docs/ecs-notes.md#effect-on-the-instance).
 *
 * Kept per (region, instance), from stamps of one event clock that counts every begin and every completion
 * (wall-clock times can tie or step backwards):
 *
 * - An attach counts from the moment it was confirmed (its completion stamp); a reboot or start counts from the
 *   moment it was requested (its begin stamp). So only a reboot or start *requested after* ECS confirmed the
 *   attach clears it: one that was already under way when the key landed may not have picked the key up, and
 *   forgetting a pending instance is the failure this feature exists to prevent.
 * - An attach whose outcome is unknown for an instance makes it "may be pending", kept beside the confirmed
 *   attach: reading the instance back turns it into pending (attached) or drops it (not attached), and then an
 *   earlier confirmed attach that still awaits its reboot shows again.
 * - A reboot or start that may not have happened clears nothing; one that failed clears nothing.
 * - Dry runs change nothing (docs/ecs-notes.md#batch-reboot-and-start).
 * - An attach whose process died before its outcome may have happened: "may be pending", stamped when the
 *   store found it, so only a reboot or start requested after that can be known to come after it. Reading the
 *   instances back (at the next start) settles it like any unknown attach, from that same stamp.
 *
 * The functions below decide; a store only keeps the stamps they name.
 */

/** A successful one of these, after an attach, makes the new key pair take effect. */
const ACTIVATING_ACTIONS: ReadonlySet<string> = new Set<ActionName>([
  'RebootInstance',
  'RebootInstances',
  'StartInstance',
  'StartInstances',
]);

/**
 * The errorMessage (and each instance's Message) of an operation whose process died between intent and outcome:
 * the call may have reached ECS, so by the one outcome rule (ecs/outcomes.ts) it is unknown, never failed.
 */
export const UNKNOWN_OUTCOME_MESSAGE =
  "The proxy stopped before it recorded ECS's answer: the change may or may not have been made. Check the instances before acting again.";

export function isDryRun(options: Readonly<Record<string, unknown>> | undefined): boolean {
  return options?.['DryRun'] === true;
}

/** What one instance's outcome does to its activation state. */
export type ActivationChange =
  /** The key pair is attached: pending from the attach's completion stamp. */
  | { kind: 'attached'; instanceId: string }
  /** The attach may have happened: "may be pending" from the attach's completion stamp. */
  | { kind: 'maybe-attached'; instanceId: string }
  /** Rebooted or started: clears every attach confirmed before this operation's begin stamp. */
  | { kind: 'activated'; instanceId: string };

/** The changes a completed operation makes, from its per-instance outcomes (already read by the one outcome rule). */
export function activationChanges(
  operation: { action: string; isDryRun: boolean },
  instances: readonly { instanceId: string; ok: boolean; unknown: boolean }[],
): ActivationChange[] {
  if (operation.isDryRun) return [];
  const isAttach = operation.action === 'AttachKeyPair';
  if (!isAttach && !ACTIVATING_ACTIONS.has(operation.action)) return [];
  const changes: ActivationChange[] = [];
  for (const item of instances) {
    // ECS may report odd IDs; only a valid instance ID can become a pending activation.
    if (!InstanceId.safeParse(item.instanceId).success) continue;
    // An attach that may have happened must not be forgotten; a reboot or start that may not have happened
    // must not clear anything.
    if (isAttach && item.unknown) changes.push({ kind: 'maybe-attached', instanceId: item.instanceId });
    if (!item.ok) continue;
    changes.push({ kind: isAttach ? 'attached' : 'activated', instanceId: item.instanceId });
  }
  return changes;
}

/** An attach as a store keeps it for one instance: its stamp and the operation that made it. */
export interface AttachState {
  stamp: number;
  operationId: string;
  keyPairName: string;
  user: string;
  /** When ECS confirmed it (or, failing that, when it was requested). */
  at: number;
}

/** One (region, instance) of a store's activation state. */
export interface ActivationState {
  instanceId: string;
  regionId: string;
  attach?: AttachState;
  maybeAttach?: AttachState;
  /** Begin stamp of the latest successful reboot or start. */
  activateStamp?: number;
}

/**
 * Whether the instance awaits activation, and of which attach: the newer of the confirmed and the "may be"
 * attach tells, if it is newer than the latest activation. (If the newer one is not, the older one is not
 * either.)
 */
export function pendingActivationOf(state: ActivationState): PendingActivation | undefined {
  const { attach, maybeAttach } = state;
  const isMaybe = maybeAttach !== undefined && (attach === undefined || maybeAttach.stamp > attach.stamp);
  const latest = isMaybe ? maybeAttach : attach;
  if (latest === undefined || (state.activateStamp !== undefined && latest.stamp <= state.activateStamp)) return undefined;
  return {
    InstanceId: state.instanceId,
    regionId: state.regionId,
    keyPairName: latest.keyPairName,
    user: latest.user,
    at: latest.at,
    operationId: latest.operationId,
    ...(isMaybe ? { mayBePending: true } : {}),
  };
}
