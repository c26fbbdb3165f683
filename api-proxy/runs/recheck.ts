import { LIMITS } from '../../ecs/contract';
import type { StoredRunInstance } from '../audit';
import { chunks, nestedList, type RunDriver } from './driver';

/**
 * The re-check at the start of a run: every target is read again (DescribeInstances by `InstanceIds`, at most
 * 100 per call) because the plan was reviewed minutes ago in a browser. An instance that cannot or need not be
 * sent is skipped with its reason and never sent (docs/product.md#step-7-activation).
 */

/** Reads instances by ID; an ID missing from the map was not found (or the read failed: `undefined` returned). */
export async function readInstances(driver: RunDriver, ids: readonly string[]): Promise<Map<string, Record<string, unknown>> | undefined> {
  const found = new Map<string, Record<string, unknown>>();
  const pages = chunks(ids, LIMITS.describeInstancesIds);
  let next = 0;
  let failed = false;
  // Reads go several at a time (the ECS client caps calls per region): 10,000 targets are 100 reads.
  const worker = async (): Promise<void> => {
    while (!failed && next < pages.length) {
      const chunk = pages[next++] ?? [];
      const outcome = await driver.read('DescribeInstances', {
        RegionId: driver.run.regionId,
        InstanceIds: chunk,
        PageSize: LIMITS.describeInstancesIds,
      });
      if (outcome.kind !== 'response' || outcome.status < 200 || outcome.status >= 300) {
        failed = true;
        return;
      }
      for (const instance of nestedList(outcome.body, 'Instances', 'Instance')) {
        if (typeof instance['InstanceId'] === 'string') found.set(instance['InstanceId'], instance);
      }
    }
  };
  await Promise.all(Array.from({ length: READS_IN_FLIGHT }, worker));
  return failed ? undefined : found;
}

/** Re-check reads in flight at once. */
const READS_IN_FLIGHT = 8;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function isLocked(instance: Record<string, unknown>): boolean {
  const locks = instance['OperationLocks'];
  if (typeof locks !== 'object' || locks === null) return false;
  const reasons = (locks as Record<string, unknown>)['LockReason'];
  return Array.isArray(reasons) && reasons.length > 0;
}

/**
 * Re-checks the queued rows. Returns false when ECS could not be read (the run then pauses with the reason:
 * nothing is sent on a plan that was not re-checked).
 */
export async function recheck(driver: RunDriver): Promise<boolean> {
  const { run } = driver;
  const targets = driver.inState('queued').filter((r) => r.statusBefore === undefined && r.skipReason === undefined);
  if (targets.length === 0) return true;
  const found = await readInstances(
    driver,
    targets.map((r) => r.InstanceId),
  );
  if (found === undefined) return false;
  // Pending activation, from the trail: "already has this key" is only a no-change when nothing awaits a reboot.
  const pending = new Map((await driver.deps.audit.pending(run.regionId)).map((p) => [p.InstanceId, p]));
  const changed: StoredRunInstance[] = [];
  for (const row of targets) {
    const instance = found.get(row.InstanceId);
    if (instance === undefined) {
      changed.push(...driver.set([row.InstanceId], { state: 'skipped', skipReason: 'not-found' }));
      continue;
    }
    const status = text(instance['Status']) ?? 'Unknown';
    const keyPair = text(instance['KeyPairName']);
    const seen = {
      statusBefore: status,
      ...(keyPair === undefined ? {} : { previousKeyPairName: keyPair }),
      ...(text(instance['InstanceName']) === undefined ? {} : { InstanceName: text(instance['InstanceName']) }),
      ...(text(instance['ZoneId']) === undefined ? {} : { ZoneId: text(instance['ZoneId']) }),
    };
    const skip = (skipReason: NonNullable<StoredRunInstance['skipReason']>) =>
      driver.set([row.InstanceId], { ...seen, state: 'skipped', skipReason });
    const awaiting = pending.get(row.InstanceId);
    if (run.kind === 'attach') {
      // Key pairs only log in to Linux (docs/ecs-notes.md#windows); a locked instance refuses changes.
      if (text(instance['OSType'])?.toLowerCase() === 'windows') changed.push(...skip('windows'));
      else if (isLocked(instance)) changed.push(...skip('locked'));
      else if (keyPair === run.keyPairName) {
        // Already there: nothing to attach. Still awaiting a reboot, it goes on to activation; else no change.
        // A retry re-activates too: the failed boot it retries may have counted as an activation in the trail.
        if ((awaiting !== undefined && awaiting.keyPairName === keyPair) || run.retryOf !== undefined)
          changed.push(...driver.set([row.InstanceId], { ...seen, state: 'attached' }));
        else changed.push(...skip('already-has-key'));
      } else if (status !== 'Running' && status !== 'Stopped') changed.push(...skip('bad-status'));
      else changed.push(...driver.set([row.InstanceId], seen));
    } else {
      if (isLocked(instance)) changed.push(...skip('locked'));
      else if (awaiting === undefined && run.retryOf === undefined) changed.push(...skip('not-pending'));
      else if (status !== 'Running' && status !== 'Stopped') changed.push(...skip('bad-status'));
      else changed.push(...driver.set([row.InstanceId], seen));
    }
  }
  await driver.save(changed, { kind: 'instances', detail: `re-checked ${targets.length}` });
  return true;
}
