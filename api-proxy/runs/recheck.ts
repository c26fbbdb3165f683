import { LIMITS } from '../../ecs/contract';
import type { PendingActivation } from '../../ecs/console-api';
import type { StoredRunInstance } from '../audit';
import { chunks, inPages, nestedList, type RunDriver } from './driver';

/**
 * The re-check of a run's targets: every target is read again (DescribeInstances by `InstanceIds`, at most 100
 * per call) because the plan was reviewed minutes ago in a browser. An instance that cannot or need not be sent
 * is skipped with its reason and never sent (docs/product.md#step-7-activation). Each page of 100 is saved as
 * it is read, so an attach can send what a page found ready while the next pages are read (attach-phase.ts).
 */

/** Reads instances by ID; an ID missing from the map was not found (or the read failed: `undefined` returned). */
export async function readInstances(
  driver: RunDriver,
  ids: readonly string[],
  inFlight = driver.options.readsInFlight,
): Promise<Map<string, Record<string, unknown>> | undefined> {
  const found = new Map<string, Record<string, unknown>>();
  let failed = false;
  await inPages(chunks(ids, LIMITS.describeInstancesIds), inFlight, async (chunk) => {
    const page = failed ? undefined : await readPage(driver, chunk);
    if (page === undefined) failed = true;
    else for (const [id, instance] of page) found.set(id, instance);
    return !failed;
  });
  return failed ? undefined : found;
}

/** One DescribeInstances of ≤ 100 IDs; `undefined` when ECS did not answer it. */
async function readPage(driver: RunDriver, ids: readonly string[]): Promise<Map<string, Record<string, unknown>> | undefined> {
  const outcome = await driver.read('DescribeInstances', {
    RegionId: driver.run.regionId,
    InstanceIds: ids,
    PageSize: LIMITS.describeInstancesIds,
  });
  if (outcome.kind !== 'response' || outcome.status < 200 || outcome.status >= 300) return undefined;
  const found = new Map<string, Record<string, unknown>>();
  for (const instance of nestedList(outcome.body, 'Instances', 'Instance')) {
    if (typeof instance['InstanceId'] === 'string') found.set(instance['InstanceId'], instance);
  }
  return found;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function isLocked(instance: Record<string, unknown>): boolean {
  const locks = instance['OperationLocks'];
  if (typeof locks !== 'object' || locks === null) return false;
  const reasons = (locks as Record<string, unknown>)['LockReason'];
  return Array.isArray(reasons) && reasons.length > 0;
}

/** The queued rows that still need their re-check (a row re-checked before a pause or a restart keeps it). */
export function notRechecked(driver: RunDriver): StoredRunInstance[] {
  return driver.inState('queued').filter((r) => r.statusBefore === undefined && r.skipReason === undefined);
}

export interface RecheckOptions {
  /** Reads in flight at once. */
  inFlight: number;
  /** Hears the IDs of each page that are still queued after it: re-checked and ready to send. */
  onPage?: (ready: string[]) => void;
  /** Awaited before each read: the attach pipeline holds the re-check back while enough is ready to send. */
  hold?: () => Promise<void>;
}

/**
 * Re-checks the queued rows not re-checked yet, page by page. Resolves false when ECS could not be read (the run
 * then pauses with the reason: nothing is sent on a plan that was not re-checked), true otherwise, including
 * when a cancel stopped it. Reads stop while the run is paused: a re-check is only worth its freshness.
 */
export async function recheck(driver: RunDriver, options: RecheckOptions = { inFlight: driver.options.readsInFlight }): Promise<boolean> {
  const targets = notRechecked(driver);
  if (targets.length === 0) return true;
  // Pending activation, from the trail: "already has this key" is only a no-change when nothing awaits a reboot.
  const pending = new Map((await driver.deps.audit.pending(driver.run.regionId)).map((p) => [p.InstanceId, p]));
  let failed = false;
  let checked = 0;
  await inPages(
    chunks(
      targets.map((r) => r.InstanceId),
      LIMITS.describeInstancesIds,
    ),
    options.inFlight,
    async (chunk) => {
      await options.hold?.();
      if (!(await driver.mayContinue())) return false;
      const found = await readPage(driver, chunk);
      if (found === undefined) {
        failed = true;
        return false;
      }
      const changed = chunk.flatMap((id) => classify(driver, id, found.get(id), pending));
      checked += chunk.length;
      await driver.save(changed);
      options.onPage?.(chunk.filter((id) => driver.rows.get(id)?.state === 'queued'));
      return true;
    },
  );
  if (checked > 0) await driver.save([], { kind: 'instances', detail: `re-checked ${checked}` });
  return !failed;
}

/** What the re-check makes of one row, from the instance as read (undefined: not found). */
function classify(
  driver: RunDriver,
  id: string,
  instance: Record<string, unknown> | undefined,
  pending: ReadonlyMap<string, PendingActivation>,
): StoredRunInstance[] {
  const { run } = driver;
  if (instance === undefined) return driver.set([id], { state: 'skipped', skipReason: 'not-found' });
  const status = text(instance['Status']) ?? 'Unknown';
  const keyPair = text(instance['KeyPairName']);
  const seen = {
    statusBefore: status,
    ...(keyPair === undefined ? {} : { previousKeyPairName: keyPair }),
    ...(text(instance['InstanceName']) === undefined ? {} : { InstanceName: text(instance['InstanceName']) }),
    ...(text(instance['ZoneId']) === undefined ? {} : { ZoneId: text(instance['ZoneId']) }),
  };
  const skip = (skipReason: NonNullable<StoredRunInstance['skipReason']>) => driver.set([id], { ...seen, state: 'skipped', skipReason });
  const awaiting = pending.get(id);
  if (run.kind === 'attach') {
    // Key pairs only log in to Linux (docs/ecs-notes.md#windows); a locked instance refuses changes.
    if (text(instance['OSType'])?.toLowerCase() === 'windows') return skip('windows');
    if (isLocked(instance)) return skip('locked');
    if (keyPair === run.keyPairName) {
      // Already there: nothing to attach. Still awaiting a reboot, it goes on to activation; else no change.
      // A retry re-activates too: the failed boot it retries may have counted as an activation in the trail.
      if ((awaiting !== undefined && awaiting.keyPairName === keyPair) || run.retryOf !== undefined)
        return driver.set([id], { ...seen, state: 'attached' });
      return skip('already-has-key');
    }
    if (status !== 'Running' && status !== 'Stopped') return skip('bad-status');
    return driver.set([id], seen);
  }
  if (isLocked(instance)) return skip('locked');
  if (awaiting === undefined && run.retryOf === undefined) return skip('not-pending');
  if (status !== 'Running' && status !== 'Stopped') return skip('bad-status');
  return driver.set([id], seen);
}
