import { LIMITS } from '../../ecs/contract';
import { instanceVerdict, type ReadOutcome } from '../../ecs/outcomes';
import type { KeyPairReading } from '../../ecs/outcomes';
import type { StoredRunInstance } from '../audit';
import type { RunDriver } from './driver';
import { notRechecked, recheck } from './recheck';

/**
 * The attach phase of an attach run, with its re-check as one pipeline: pages of 100 targets are re-checked
 * (recheck.ts) and what they leave ready goes out as AttachKeyPair batches of 50 (ECS's limit), a sliding window
 * of `attachInFlight` batches in flight, while the next pages are read. Every instance is still re-checked
 * before it is sent; the re-check just does not wait for the last page before the first batch goes.
 *
 * Re-check reads take the share of the region's calls in flight (upstream/gate.ts) that the batches leave, and
 * stop reading ahead once a few windows of batches are ready, so they never hold a batch back at the gate.
 *
 * The ECS client alone retries (docs/decisions/retries.md); a throttled batch it hands back with a retry-after
 * is waited out and sent once more, the browser's rule. Each batch's rows are durably 'sending', with the
 * operation id of their written intent, in the intent's own transaction, before the call is sent, so a restart
 * knows what may have been sent (engine.ts); their outcome is written in the outcome's transaction.
 */

/** ECS's words for "the read-back found no such key pair on the instance". */
export const NOT_ATTACHED_CODE = 'Console.NotAttached';

/**
 * Re-checks what still needs it and attaches what is ready. Resolves false when a re-check read failed (what
 * was ready has been sent; the run pauses and a resume re-checks the rest), true otherwise.
 */
export async function attachPhase(driver: RunDriver): Promise<boolean> {
  const size = LIMITS.attachInstanceIds;
  const inFlight = Math.max(1, driver.options.attachInFlight);
  // Re-checked before a pause or a restart: ready as they are.
  const ready = driver
    .inState('queued')
    .filter((r) => r.statusBefore !== undefined)
    .map((r) => r.InstanceId);
  let producing = notRechecked(driver).length > 0;
  let sending = inFlight;
  const arrived: (() => void)[] = [];
  const taken: (() => void)[] = [];
  const wake = (list: (() => void)[]): void => list.forEach((resolve) => resolve());
  const wakeSenders = (): void => wake(arrived.splice(0));
  const wakeReader = (): void => wake(taken.splice(0));

  const reader = producing
    ? recheck(driver, {
        inFlight: Math.max(1, driver.options.readsInFlight - inFlight),
        onPage: (ids) => {
          ready.push(...ids);
          wakeSenders();
        },
        hold: async () => {
          while (ready.length >= size * inFlight * 2 && sending > 0) await new Promise<void>((resolve) => taken.push(resolve));
        },
      }).finally(() => {
        producing = false;
        wakeSenders();
      })
    : Promise.resolve(true);

  const sender = async (): Promise<void> => {
    try {
      for (;;) {
        while (ready.length < size && producing) await new Promise<void>((resolve) => arrived.push(resolve));
        if (!(await driver.mayContinue())) return;
        if (ready.length === 0) {
          if (!producing) return;
          continue;
        }
        const batch = ready.splice(0, size);
        wakeReader();
        if (driver.run.phase === 'recheck') {
          driver.run = { ...driver.run, phase: 'attach' };
          await driver.save([], { kind: 'state', detail: 'phase attach' });
        }
        await sendBatch(driver, batch);
      }
    } finally {
      // The reader must not wait for senders that are gone (cancelled, shutting down).
      if (--sending === 0) wakeReader();
    }
  };
  // Every call in flight finishes and is recorded before the phase ends, even when one stops early.
  const settled = await Promise.allSettled([reader, ...Array.from({ length: inFlight }, sender)]);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  const [read] = settled;
  return read?.status === 'fulfilled' ? read.value : true;
}

async function sendBatch(driver: RunDriver, ids: string[]): Promise<void> {
  const keyPairName = driver.run.keyPairName ?? '';
  for (let attempt = 0; attempt < 2; attempt++) {
    let retryAfter: number | undefined;
    let awaitingReadBack: string[] = [];
    const { read, readings } = await driver.mutate(
      'AttachKeyPair',
      { RegionId: driver.run.regionId, KeyPairName: keyPairName, InstanceIds: ids },
      ids,
      {
        // 'sending' becomes durable together with the operation id, in the intent's transaction: a row
        // without an operation id was never sent, whatever its state (engine.ts, restart).
        begun: (operationId) => driver.set(ids, { state: 'sending', operationId }),
        answered: ({ outcome, read }) => {
          retryAfter = outcome.kind === 'response' ? outcome.retryAfterMs : undefined;
          if (retryAfter !== undefined && attempt === 0) {
            // Throttled as a whole, nothing attached: wait out ECS's hint, then the one resend.
            return { rows: driver.set(ids, { state: 'queued', ...(read.requestId ? { requestIds: [read.requestId] } : {}) }) };
          }
          // Instances of unknown outcome stay 'sending' until they are read back (below).
          awaitingReadBack = read.instances.filter((i) => instanceVerdict(i) === 'unknown').map((i) => i.InstanceId);
          const rows = settle(driver, read, [], new Set(awaitingReadBack));
          return awaitingReadBack.length > 0 ? { rows } : { rows, event: attachEvent(driver, ids) };
        },
      },
    );
    if (retryAfter !== undefined && attempt === 0) {
      await driver.sleep(retryAfter);
      continue;
    }
    if (awaitingReadBack.length > 0) {
      await driver.save(settle(driver, read, readings, new Set(), new Set(awaitingReadBack)), attachEvent(driver, ids));
    }
    return;
  }
}

function attachEvent(driver: RunDriver, ids: readonly string[]) {
  const attached = ids.filter((id) => driver.rows.get(id)?.state === 'attached').length;
  return { kind: 'instances' as const, detail: `attach: ${attached} of ${ids.length} attached` };
}

/**
 * The rows an attach's answer settles, with what reading instances of unknown outcome back found: attached,
 * failed (ECS's code, or "not there when read back") or unknown. `skip`: left as they are; `only`: just these.
 */
function settle(
  driver: RunDriver,
  read: ReadOutcome,
  readings: readonly KeyPairReading[],
  skip: ReadonlySet<string>,
  only?: ReadonlySet<string>,
): StoredRunInstance[] {
  const readBack = new Map(readings.map((r) => [r.InstanceId, r]));
  const changed: StoredRunInstance[] = [];
  for (const instance of read.instances) {
    if (skip.has(instance.InstanceId) || (only !== undefined && !only.has(instance.InstanceId))) continue;
    const row = driver.rows.get(instance.InstanceId);
    if (row === undefined) continue;
    const requestIds = read.requestId === undefined ? row.requestIds : [...row.requestIds, read.requestId];
    const verdict = instanceVerdict(instance);
    const reading = readBack.get(instance.InstanceId);
    let patch: Partial<StoredRunInstance>;
    if (verdict === 'succeeded' || reading?.attached === true) patch = { state: 'attached', requestIds };
    else if (verdict === 'unknown' && reading !== undefined) {
      patch = {
        state: 'failed',
        Code: NOT_ATTACHED_CODE,
        Message: 'The key pair was not on the instance when it was read back.',
        requestIds,
      };
    } else {
      patch = {
        state: verdict === 'unknown' ? 'unknown' : 'failed',
        Code: instance.Code,
        ...(instance.Message === undefined ? {} : { Message: instance.Message }),
        requestIds,
      };
    }
    changed.push(...driver.set([instance.InstanceId], patch));
  }
  return changed;
}
