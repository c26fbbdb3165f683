import type { FollowUpAction, InstanceResult } from './model';

/**
 * Where each instance is on its way to an active key pair (docs/product.md#step-7-activation). Pure transitions, driven by the
 * follow-up calls and by DescribeInstanceStatus polling.
 */
export type FollowUpState =
  | { kind: 'sending'; action: FollowUpAction }
  | {
      kind: 'waiting';
      action: FollowUpAction;
      sentAt: number;
      /** A reboot is only done once the instance was seen leaving Running and coming back. */
      hasLeftRunning: boolean;
      /** The call timed out at the proxy: ECS may or may not be rebooting it (Proxy.OutcomeUnknown). */
      isOutcomeUnknown: boolean;
      requestId?: string | undefined;
    }
  | { kind: 'active'; action: FollowUpAction; requestId?: string | undefined }
  | { kind: 'failed'; action: FollowUpAction; code: string; message?: string | undefined; requestId?: string | undefined };

/**
 * A reboot that went from Running back to Running between two polls is never seen leaving Running. ECS reboots
 * take tens of seconds, so after this long a Running instance is taken as rebooted.
 */
export const REBOOT_GRACE_MS = 30_000;

/** Which follow-up makes a freshly attached key pair take effect, by the instance's status (docs/ecs-notes.md#effect-on-the-instance). */
export function followUpFor(status: string | undefined): FollowUpAction | undefined {
  if (status === 'Running') return 'reboot';
  if (status === 'Stopped') return 'start';
  return undefined;
}

export function afterCall(action: FollowUpAction, result: InstanceResult, now: number): FollowUpState {
  if (result.status === 'succeeded' || result.status === 'unknown') {
    return {
      kind: 'waiting',
      action,
      sentAt: now,
      hasLeftRunning: result.currentStatus !== undefined && result.currentStatus !== 'Running',
      isOutcomeUnknown: result.status === 'unknown',
      requestId: result.requestId,
    };
  }
  return { kind: 'failed', action, code: result.code ?? '', message: result.message, requestId: result.requestId };
}

export function afterPoll(state: FollowUpState, status: string | undefined, now: number): FollowUpState {
  if (state.kind !== 'waiting' || status === undefined) return state;
  if (status !== 'Running') return state.hasLeftRunning ? state : { ...state, hasLeftRunning: true };
  const isDone = state.action === 'start' || state.hasLeftRunning || (!state.isOutcomeUnknown && now - state.sentAt >= REBOOT_GRACE_MS);
  return isDone ? { kind: 'active', action: state.action, requestId: state.requestId } : state;
}
