/**
 * The attach feature's model: what an attach is sent to, one run and the outcome of each of its instances, and
 * the follow-ups that activate the key pair. Types and constants only: every layer of the feature (api, hooks,
 * components) imports this file and it imports none of them, so the feature has no import cycle.
 */

/** A selected instance as the attach flow receives it: selectable (Linux, unlocked), as it was when confirmed. */
export interface AttachTarget {
  InstanceId: string;
  InstanceName: string;
  Status: string;
  KeyPairName: string | undefined;
  ZoneId: string | undefined;
}

/** What happened to one instance. `not-sent` = cancelled before its batch went out (nothing was changed). */
export type InstanceResultStatus = 'succeeded' | 'failed' | 'unknown' | 'not-sent';

export interface InstanceResult {
  InstanceId: string;
  status: InstanceResultStatus;
  /** ECS code ("200" on success), a proxy code (`Proxy.*`) or a console code (`Console.*`). */
  code?: string | undefined;
  message?: string | undefined;
  /** The ECS RequestId of the call that carried this instance. */
  requestId?: string | undefined;
  /** The status ECS reported right after a batch Start/Reboot (docs/ecs-notes.md#batch-reboot-and-start). */
  currentStatus?: string | undefined;
}

/** Console codes for outcomes ECS never named; the results screen explains them from the attach catalogue. */
export const CONSOLE_CODES = {
  /** ECS answered the batch but said nothing about this instance (docs/ecs-notes.md#attach-response). */
  noResult: 'Console.NoResult',
  /** The operator cancelled before this instance's batch was sent. */
  cancelled: 'Console.Cancelled',
  /** Something other than an ApiError was thrown: a bug, reported instead of lost. */
  unexpected: 'Console.Unexpected',
} as const;

export interface AttachRun {
  /** Changes with every new run (not with a retry), so per-run state elsewhere can reset. */
  runId: number;
  regionId: string;
  keyPairName: string;
  /** The selection as it was confirmed: the list may change underneath while the run goes on. */
  targets: AttachTarget[];
  /** Latest outcome per instance; absent = not answered yet. */
  results: Record<string, InstanceResult>;
  isRunning: boolean;
  /** The current pass (the first run or a retry): how many of its instances have an outcome. */
  progress: { done: number; total: number };
  /** Set while a throttled batch waits (docs/product.md#step-5-attach: the wait is shown). */
  throttledUntil: number | undefined;
  isCancelling: boolean;
}

/** The follow-up that makes a freshly attached key pair take effect: a reboot when Running, a start when Stopped. */
export type FollowUpAction = 'reboot' | 'start';
