import type { ResponseOf } from '#ecs/contract';
import { LIMITS } from '#ecs/wire';
import { readEcsAnswer } from '#ecs/outcomes';
import { ecsCall } from '@web/lib/api-client';
import type { FollowUpAction, InstanceResult } from '../model';
import { throwIfWholeCallFailed, toInstanceResults } from './read-results';

/**
 * Follow-ups after an attach (docs/product.md#step-7-activation, docs/ecs-notes.md#reboot-and-start): a key pair takes effect on a Running instance after a
 * reboot and on a Stopped one after a start. Batches go through RebootInstances/StartInstances with
 * SuccessFirst, so one instance in the wrong state does not block the others (docs/ecs-notes.md#batch-reboot-and-start); graceful unless the operator
 * asked for force.
 */

/** The RAM/SSO action each control needs (docs/product.md#console-qualities), single and batch. */
export const FOLLOW_UP_ACTIONS = {
  reboot: { single: 'RebootInstance', batch: 'RebootInstances' },
  start: { single: 'StartInstance', batch: 'StartInstances' },
} as const;

/** At most 100 instances per batch call (docs/ecs-notes.md#batch-reboot-and-start). */
export const FOLLOW_UP_BATCH_SIZE = LIMITS.batchInstanceIds;

type BatchBody = ResponseOf<'RebootInstances'>;

/**
 * Per-instance answers of a batch Start/Reboot, by the one outcome rule (ecs/outcomes.ts): an instance ECS did
 * not mention is unknown, never silently passed. CurrentStatus says where the instance is right after the call.
 */
export function readInstanceResponses(batch: readonly string[], body: BatchBody): InstanceResult[] {
  const read = readEcsAnswer('RebootInstances', batch, 200, body);
  throwIfWholeCallFailed(read);
  const entries = Array.isArray(body.InstanceResponses?.InstanceResponse) ? body.InstanceResponses.InstanceResponse : [];
  const current = new Map(entries.filter((e) => typeof e === 'object' && e !== null).map((e) => [e.InstanceId, e.CurrentStatus]));
  return toInstanceResults(read).map((result) => ({ ...result, currentStatus: current.get(result.InstanceId) || undefined }));
}

export interface FollowUpCall {
  regionId: string;
  action: FollowUpAction;
  /** ForceReboot / ForceStop: like pulling the power (docs/ecs-notes.md#reboot-instance). Reboot only. */
  isForce: boolean;
}

/** One batch call (≤ 100 instances). */
export async function sendFollowUpBatch({ regionId, action, isForce }: FollowUpCall, batch: readonly string[]): Promise<InstanceResult[]> {
  const InstanceId = [...batch];
  const body =
    action === 'reboot'
      ? await ecsCall('RebootInstances', {
          RegionId: regionId,
          InstanceId,
          BatchOptimization: 'SuccessFirst',
          ...(isForce ? { ForceReboot: true } : {}),
        })
      : await ecsCall('StartInstances', { RegionId: regionId, InstanceId, BatchOptimization: 'SuccessFirst' });
  return readInstanceResponses(batch, body);
}

/** One instance through RebootInstance/StartInstance; RegionId only routes the call at the proxy (docs/ecs-notes.md#endpoints). */
export async function sendFollowUpSingle({ regionId, action, isForce }: FollowUpCall, batch: readonly string[]): Promise<InstanceResult[]> {
  const [id] = batch;
  if (id === undefined || batch.length !== 1) throw new RangeError('a single follow-up takes exactly one instance');
  const body =
    action === 'reboot'
      ? await ecsCall('RebootInstance', { RegionId: regionId, InstanceId: id, ...(isForce ? { ForceStop: true } : {}) })
      : await ecsCall('StartInstance', { RegionId: regionId, InstanceId: id });
  const read = readEcsAnswer(FOLLOW_UP_ACTIONS[action].single, batch, 200, body);
  throwIfWholeCallFailed(read);
  return toInstanceResults(read);
}
