import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditUnavailableError } from './errors';

/**
 * Waiting for a lock another connection holds (a backup, `sqlite3` in a shell, a second proxy on the same
 * file). SQLite's own busy_timeout waits by sleeping inside the call, i.e. on the event loop, and froze every
 * request of the proxy for the whole wait. So the store's connection never waits (busy_timeout = 0): a step that
 * finds the lock taken gives it up at once and is tried again after a short asynchronous sleep, until the same
 * deadline as before (`lockWaitMs`, 5 s). Other requests run in between. The alternatives weighed (a worker
 * thread) are in docs/decisions/audit-store.md.
 */

/** SQLITE_BUSY and its extended codes: another connection holds a lock this step needs. */
export function isLockBusy(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs one synchronous step (a whole transaction, so nothing is held between tries) and, while another
 * connection holds the lock, tries again after a short asynchronous sleep until `waitMs` have passed. The
 * event loop is free during every sleep; the step itself never waits, because busy_timeout is 0.
 */
export async function retryWhileLocked<T>(what: string, waitMs: number, step: () => T): Promise<T> {
  const deadline = performance.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return step();
    } catch (error) {
      const left = deadline - performance.now();
      if (!isLockBusy(error) || left <= 0) {
        if (isLockBusy(error)) {
          throw new AuditUnavailableError(`audit ${what} failed: another connection held the database lock for ${waitMs} ms`, {
            cause: error,
          });
        }
        throw error;
      }
      // 1, 2, 4 … ms up to 50 ms, with jitter so two waiting processes do not retry in lockstep.
      const pause = Math.min(50, 2 ** attempt) * (0.5 + Math.random() / 2);
      await sleep(Math.max(1, Math.min(pause, left)));
    }
  }
}
