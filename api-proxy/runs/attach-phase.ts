import { LIMITS } from '../../ecs/contract';
import { instanceVerdict } from '../../ecs/outcomes';
import type { StoredRunInstance } from '../audit';
import { chunks, type RunDriver } from './driver';

/**
 * The attach phase: AttachKeyPair in batches of 50 (ECS's limit), `attachInFlight` batches at a time. The ECS
 * client alone retries (docs/decisions/retries.md); a throttled batch it hands back with a retry-after is
 * waited out and sent once more, the browser's rule. Each batch's rows are durably 'sending', with the
 * operation id of their written intent, before the call is sent, so a restart knows what may have been sent
 * (engine.ts).
 */

/** ECS's words for "the read-back found no such key pair on the instance". */
export const NOT_ATTACHED_CODE = 'Console.NotAttached';

export async function attachPhase(driver: RunDriver): Promise<void> {
  const batches = chunks(
    driver.inState('queued').map((r) => r.InstanceId),
    LIMITS.attachInstanceIds,
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      if (!(await driver.mayContinue())) return;
      const batch = batches[next++];
      if (batch === undefined) return;
      await sendBatch(driver, batch);
    }
  };
  // Every worker's call in flight finishes and is recorded before the phase ends, even when one stops early.
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, driver.options.attachInFlight) }, worker));
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
}

async function sendBatch(driver: RunDriver, ids: string[]): Promise<void> {
  const keyPairName = driver.run.keyPairName ?? '';
  for (let attempt = 0; attempt < 2; attempt++) {
    // 'sending' becomes durable together with the operation id, once the intent is written and before the
    // call goes: a row without an operation id was never sent, whatever its state (engine.ts, restart).
    driver.set(ids, { state: 'sending' });
    const result = await driver.mutate(
      'AttachKeyPair',
      { RegionId: driver.run.regionId, KeyPairName: keyPairName, InstanceIds: ids },
      ids,
      (operationId) => driver.save(driver.set(ids, { operationId })),
    );
    const { outcome, read, readings } = result;
    const retryAfter = outcome.kind === 'response' ? outcome.retryAfterMs : undefined;
    if (retryAfter !== undefined && attempt === 0) {
      // Throttled as a whole, nothing attached: wait out ECS's hint, then the one resend.
      await driver.save(driver.set(ids, { state: 'queued', ...(read.requestId ? { requestIds: [read.requestId] } : {}) }));
      await driver.sleep(retryAfter);
      continue;
    }
    const readBack = new Map(readings.map((r) => [r.InstanceId, r]));
    const changed: StoredRunInstance[] = [];
    for (const instance of read.instances) {
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
    const attached = changed.filter((r) => r.state === 'attached').length;
    await driver.save(changed, { kind: 'instances', detail: `attach: ${attached} of ${ids.length} attached` });
    return;
  }
}
