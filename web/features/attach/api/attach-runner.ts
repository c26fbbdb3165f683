import type { ResponseOf } from '#ecs/contract';
import { readEcsAnswer } from '#ecs/outcomes';
import { LIMITS } from '#ecs/wire';
import type { InstanceResult } from '../model';
import { runBatches, type BatchRunOptions } from './batch-runner';
import { throwIfWholeCallFailed, toInstanceResults } from './read-results';

/**
 * The attach run (docs/product.md#step-5-attach): AttachKeyPair in calls of at most 50 instances (docs/ecs-notes.md#limits), at most three
 * in flight, read per instance (docs/ecs-notes.md#partial-failure: HTTP 200 only means the batch ran).
 */

export const ATTACH_CONCURRENCY = 3;

type AttachBody = ResponseOf<'AttachKeyPair'>;

/**
 * One result per requested instance, read by the one outcome rule (ecs/outcomes.ts; docs/ecs-notes.md#loose-types: counts, codes and flags
 * arrive as strings or as numbers/booleans). Entries for instances that were not asked about are ignored; an
 * instance ECS did not answer for is unknown, never a silent success nor a failure (the batch ran).
 */
export function readAttachResults(batch: readonly string[], body: AttachBody): InstanceResult[] {
  const read = readEcsAnswer('AttachKeyPair', batch, 200, body);
  throwIfWholeCallFailed(read);
  return toInstanceResults(read);
}

export interface AttachRunOptions extends Omit<BatchRunOptions, 'batchSize' | 'concurrency' | 'send'> {
  /** Sends one AttachKeyPair call and returns ECS's body (throws ApiError when the call failed as a whole). */
  attach: (batch: readonly string[]) => Promise<AttachBody>;
  batchSize?: number;
  concurrency?: number;
}

export function runAttach(options: AttachRunOptions): Promise<InstanceResult[]> {
  const { attach, batchSize, concurrency, ...rest } = options;
  return runBatches({
    ...rest,
    batchSize: Math.min(batchSize ?? LIMITS.attachInstanceIds, LIMITS.attachInstanceIds),
    concurrency: concurrency ?? ATTACH_CONCURRENCY,
    send: async (batch) => readAttachResults(batch, await attach(batch)),
  });
}
