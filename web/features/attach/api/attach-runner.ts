import type { ResponseOf } from '../../../../ecs/contract';
import { isResultOk, LIMITS } from '../../../../ecs/wire';
import { ApiError } from '../../../lib/api-error';
import { CONSOLE_CODES, runBatches, type BatchRunOptions, type InstanceResult } from './batch-runner';

/**
 * The attach run (issue 4 §7): AttachKeyPair in calls of at most 50 instances (ecs-api.md §0.2), at most three
 * in flight, read per instance (§0.3: HTTP 200 only means the batch ran).
 */

export const ATTACH_CONCURRENCY = 3;

type AttachBody = ResponseOf<'AttachKeyPair'>;

/**
 * One result per requested instance, read defensively (§0.1: counts, codes and flags arrive as strings or as
 * numbers/booleans). Entries for instances that were not asked about are ignored; an instance ECS did not
 * answer for is a failure, never a silent success.
 */
export function readAttachResults(batch: readonly string[], body: AttachBody): InstanceResult[] {
  const requestId = typeof body.RequestId === 'string' ? body.RequestId : undefined;
  const loose = body as Record<string, unknown>;
  // A gateway may answer 200 with an error envelope (ecs-api.md §8.1, pop-core's defensive check).
  if (body.Results === undefined && typeof loose['Code'] === 'string' && loose['Code'] !== '200') {
    throw new ApiError({ status: 200, code: loose['Code'], message: typeof loose['Message'] === 'string' ? loose['Message'] : loose['Code'], requestId });
  }
  const entries = Array.isArray(body.Results?.Result) ? body.Results.Result : [];
  const byId = new Map<string, (typeof entries)[number]>();
  for (const entry of entries) {
    if (typeof entry === 'object' && entry !== null && typeof entry.InstanceId === 'string') byId.set(entry.InstanceId, entry);
  }
  return batch.map((InstanceId) => {
    const entry = byId.get(InstanceId);
    if (entry === undefined) return { InstanceId, status: 'failed', code: CONSOLE_CODES.noResult, requestId };
    const code = String(entry.Code);
    if (isResultOk(entry)) return { InstanceId, status: 'succeeded', code, message: entry.Message, requestId };
    // Code "200" with Success "false" contradicts itself; it is reported as a failure, with ECS's own words.
    return { InstanceId, status: 'failed', code, message: entry.Message ?? `Success=${String(entry.Success)}`, requestId };
  });
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
