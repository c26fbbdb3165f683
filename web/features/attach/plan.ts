import { isKnownInstanceStatus, type KnownInstanceStatus } from '#ecs/wire';
import type { ActivationPreview, ActivationTarget, InstanceActivation } from '@web/lib/activation-preview';
import type { AttachTarget } from './model';

/**
 * The review plan (docs/product.md#step-4-review): for every selected instance, what happens to its key pair and
 * when the new one takes effect (docs/ecs-notes.md#effect-on-the-instance: replaced silently; after a reboot when Running, after a start
 * when Stopped). Pure, so the dialog, its counts and the tests read the same rules.
 */

export type KeyChange = 'replace' | 'same' | 'none';
export type Effect = 'afterReboot' | 'afterStart' | 'starting' | 'stopping' | 'pending' | 'other';

export interface PlanRow {
  target: AttachTarget;
  keyChange: KeyChange;
  effect: Effect;
}

export interface Plan {
  rows: PlanRow[];
  counts: Record<KeyChange, number> & { afterReboot: number; afterStart: number; transitional: number };
  /** Key pairs that will be replaced, with how many instances carry each (largest first). */
  replaced: { KeyPairName: string; count: number }[];
}

/** Above this many instances the operator types the key pair name to confirm (docs/product.md#step-4-review). */
export const TYPED_CONFIRMATION_THRESHOLD = 20;

export function keyChangeOf(target: AttachTarget, keyPairName: string): KeyChange {
  // ECS reports "no key pair" as an empty or absent KeyPairName (docs/ecs-notes.md#instance-fields).
  if (target.KeyPairName === undefined || target.KeyPairName === '') return 'none';
  return target.KeyPairName === keyPairName ? 'same' : 'replace';
}

/** Keyed by the catalogue's states, so a state added there must be given its effect here. */
const EFFECTS: Record<KnownInstanceStatus, Effect> = {
  Running: 'afterReboot',
  Stopped: 'afterStart',
  Starting: 'starting',
  Stopping: 'stopping',
  Pending: 'pending',
};

export function effectOf(status: string): Effect {
  return isKnownInstanceStatus(status) ? EFFECTS[status] : 'other';
}

export function buildPlan(targets: readonly AttachTarget[], keyPairName: string): Plan {
  const counts = { replace: 0, same: 0, none: 0, afterReboot: 0, afterStart: 0, transitional: 0 };
  const replaced = new Map<string, number>();
  const rows = targets.map((target) => {
    const keyChange = keyChangeOf(target, keyPairName);
    const effect = effectOf(target.Status);
    counts[keyChange] += 1;
    if (effect === 'afterReboot') counts.afterReboot += 1;
    else if (effect === 'afterStart') counts.afterStart += 1;
    else counts.transitional += 1;
    if (keyChange === 'replace' && target.KeyPairName) replaced.set(target.KeyPairName, (replaced.get(target.KeyPairName) ?? 0) + 1);
    return { target, keyChange, effect };
  });
  return {
    rows,
    counts,
    replaced: [...replaced.entries()]
      .map(([KeyPairName, count]) => ({ KeyPairName, count }))
      .sort((a, b) => b.count - a.count || a.KeyPairName.localeCompare(b.KeyPairName)),
  };
}

/**
 * What the run will do to one instance, as its re-check decides (api-proxy/runs/recheck.ts): an instance that
 * already has the key pair is not sent, unless the key is still awaiting a reboot or start, when only the
 * activation is left to do; one that is starting or stopping is skipped unless it has settled by then.
 * `then` is undefined while the activation policy is invalid.
 */
export type Outcome =
  { kind: 'no-change' } | { kind: 'not-settled' } | { kind: 'attach' | 'activate-only'; then: InstanceActivation | undefined };

const isSettled = (status: string): boolean => status === 'Running' || status === 'Stopped';

function wouldActivate(row: PlanRow, keyPairName: string): boolean {
  if (!isSettled(row.target.Status)) return false;
  return row.keyChange !== 'same' || row.target.pendingKeyPairName === keyPairName;
}

/** The instances the run would activate if every attach succeeds, in the order they are sent (the waves follow it). */
export function activationTargetsOf(plan: Plan, keyPairName: string): ActivationTarget[] {
  return plan.rows.filter((row) => wouldActivate(row, keyPairName)).map((row) => row.target);
}

export function outcomeOf(row: PlanRow, keyPairName: string, preview: ActivationPreview | undefined): Outcome {
  if (row.keyChange === 'same' && row.target.pendingKeyPairName !== keyPairName) return { kind: 'no-change' };
  if (!isSettled(row.target.Status)) return { kind: 'not-settled' };
  return { kind: row.keyChange === 'same' ? 'activate-only' : 'attach', then: preview?.byInstance.get(row.target.InstanceId) };
}

export function needsTypedConfirmation(count: number): boolean {
  return count > TYPED_CONFIRMATION_THRESHOLD;
}
