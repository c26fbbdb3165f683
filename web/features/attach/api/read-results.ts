import { failedCallVerdict, instanceVerdict, NO_RESULT_CODE, type ReadOutcome } from '#ecs/outcomes';
import { ApiError } from '@web/lib/api-error';
import type { InstanceResult } from '../model';

/**
 * The results screen's side of the one outcome rule (ecs/outcomes.ts): the same reader that writes the proxy's
 * audit record decides here whether an instance succeeded, failed or is unknown, so the screen and the trail
 * never disagree about the same call.
 */

/** Per-instance results of an answer the shared reader has read. */
export function toInstanceResults(read: ReadOutcome): InstanceResult[] {
  return read.instances.map((outcome) => ({
    InstanceId: outcome.InstanceId,
    status: instanceVerdict(outcome),
    code: outcome.Code,
    // The reader's note for an instance ECS did not mention is the console's words, not ECS's.
    message: outcome.Code === NO_RESULT_CODE ? undefined : outcome.Message,
    requestId: read.requestId,
  }));
}

/**
 * A 2xx answer that is an error envelope as a whole (a gateway's): thrown like the same code on an error status,
 * so a throttled one is waited out and every other one is read by the rule below.
 */
export function throwIfWholeCallFailed(read: ReadOutcome): void {
  if (read.errorCode === undefined) return;
  throw new ApiError({ status: 200, code: read.errorCode, message: read.errorMessage ?? read.errorCode, requestId: read.requestId });
}

/** How a call that did not answer 2xx ended for its instances. */
export function failedCallStatus(error: ApiError): 'failed' | 'unknown' {
  return failedCallVerdict(error.status, error.isCodeFromBody ? error.code : undefined);
}
