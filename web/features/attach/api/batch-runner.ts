import { ApiError } from '@web/lib/api-error';
import { CONSOLE_CODES, type InstanceResult } from '../model';
import { failedCallStatus } from './read-results';

/**
 * Sends per-instance ECS calls in batches: a fixed batch size, a few batches in flight, every failure reported per
 * instance and never retried blindly (docs/product.md#step-5-attach). The proxy owns retries
 * (docs/decisions/retries.md): it has already retried a throttled call as far as it would. When it hands one back
 * with a `Retry-After`, the batch waits exactly that long (the countdown the operator sees) and is sent once more;
 * throttled again, or throttled without a wait to honour, the batch fails with the throttling code and "Retry
 * failed instances" can send it later. So one batch goes to the proxy at most twice.
 * Plain and injectable (`send`, `sleep`, `random`), so the rules are unit-tested without a clock or a network;
 * the attach run and the Start/Reboot follow-ups both drive it from hooks.
 */

export interface ThrottleNotice {
  batch: readonly string[];
  /** How long the runner waits before sending this batch again: the server's `Retry-After`. */
  waitMs: number;
  error: ApiError;
}

export interface BatchRunOptions {
  ids: readonly string[];
  batchSize: number;
  /** Batches in flight at once (a throttled batch keeps its slot while it waits). */
  concurrency: number;
  /** One call for one batch; throws ApiError when the call as a whole failed. */
  send: (batch: readonly string[]) => Promise<InstanceResult[]>;
  /** Resolves after `ms`, or early when `cancel` aborts. */
  sleep: (ms: number, cancel: AbortSignal) => Promise<void>;
  /** Aborting stops sending further batches; batches already in flight finish (docs/product.md#step-5-attach). */
  cancel?: AbortSignal | undefined;
  onBatchStart?: ((batch: readonly string[]) => void) | undefined;
  /** Called once per instance, as soon as its outcome is known. */
  onResults?: ((results: InstanceResult[]) => void) | undefined;
  onThrottled?: ((notice: ThrottleNotice) => void) | undefined;
}

/** The official SDK caps a server-given x-acs-retry-after at 120 s (ecs/sim/simulator.ts, countCall). */
export const MAX_RETRY_AFTER_MS = 120_000;
/** Sends of one batch after its first throttled answer. The proxy retries each send itself, so this stays 1. */
export const THROTTLED_RESENDS = 1;

/**
 * How long to wait before sending a throttled batch again: the server's Retry-After (capped like the official
 * SDK caps ECS's), or undefined when the answer is not throttling or names no wait, which ends the batch.
 */
export function throttleWaitMs(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || !error.isThrottling || error.retryAfterMs === undefined) return undefined;
  return Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A whole call failed: every instance in it gets the same outcome. */
export function resultsForFailedCall(batch: readonly string[], error: unknown): InstanceResult[] {
  if (error instanceof ApiError) {
    // By the one outcome rule: a 5xx without an ECS code, InternalError, no reply at all… may have changed the
    // instances, so they are unknown, and retrying them blindly could double-act.
    const status = failedCallStatus(error);
    return batch.map((InstanceId) => ({ InstanceId, status, code: error.code, message: error.message, requestId: error.requestId }));
  }
  // A bug after the call may have gone out: reported instead of lost, and not known to have changed nothing.
  const message = error instanceof Error ? error.message : String(error);
  return batch.map((InstanceId) => ({ InstanceId, status: 'unknown', code: CONSOLE_CODES.unexpected, message }));
}

export async function runBatches(options: BatchRunOptions): Promise<InstanceResult[]> {
  const { send, sleep, concurrency, onBatchStart, onResults, onThrottled } = options;
  const cancel = options.cancel ?? new AbortController().signal;
  // The same instance twice in one request is not something ECS documents (mutate.ts answers it once).
  const batches = chunk([...new Set(options.ids)], options.batchSize);
  const all: InstanceResult[] = [];
  const report = (results: InstanceResult[]) => {
    all.push(...results);
    onResults?.(results);
  };
  const notSent = (batch: readonly string[]) =>
    report(batch.map((InstanceId) => ({ InstanceId, status: 'not-sent', code: CONSOLE_CODES.cancelled })));

  let next = 0;
  async function sendBatch(batch: readonly string[]): Promise<void> {
    for (let resends = 0; ; resends++) {
      onBatchStart?.(batch);
      try {
        report(await send(batch));
        return;
      } catch (error) {
        const waitMs = resends < THROTTLED_RESENDS ? throttleWaitMs(error) : undefined;
        if (waitMs === undefined || !(error instanceof ApiError)) {
          report(resultsForFailedCall(batch, error));
          return;
        }
        onThrottled?.({ batch, waitMs, error });
        await sleep(waitMs, cancel);
        // A throttled call changed nothing, so a batch cancelled while waiting is simply not sent.
        if (cancel.aborted) {
          notSent(batch);
          return;
        }
      }
    }
  }

  async function worker(): Promise<void> {
    while (!cancel.aborted) {
      const batch = batches[next++];
      if (batch === undefined) return;
      await sendBatch(batch);
    }
  }

  const workers = Math.max(1, Math.min(concurrency, batches.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  for (const batch of batches.slice(next)) notSent(batch);
  return all;
}

/** A `sleep` for the browser: a timer that a cancel cuts short. */
export function abortableSleep(ms: number, cancel: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (cancel.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    cancel.addEventListener('abort', done, { once: true });
  });
}
