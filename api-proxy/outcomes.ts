import type { ActionName } from '../ecs/contract';
import { readEcsAnswer, type ReadOutcome } from '../ecs/outcomes';
import type { UpstreamOutcome } from './upstream/ecs-client';

/** What the proxy answers the browser when no ECS answer can be passed through. */
export const NO_ANSWER_REPLIES = {
  /** The call may have reached ECS: timeout after sending, reset, garbled answer. */
  unknown: { status: 504, code: 'Proxy.OutcomeUnknown' },
  /** Nothing reached ECS. */
  unreachable: { status: 502, code: 'Proxy.UpstreamUnreachable' },
} as const;

/**
 * The audit's view of an upstream outcome. An ECS answer is read by the shared reader (ecs/outcomes.ts); when no
 * answer came, the reader is given exactly the reply the browser will get, so the audit record, pending
 * activation and the results screen cannot disagree about the same call.
 */
export function readOutcome(action: ActionName, instanceIds: readonly string[], outcome: UpstreamOutcome): ReadOutcome {
  if (outcome.kind === 'response') return readEcsAnswer(action, instanceIds, outcome.status, outcome.body);
  const reply = NO_ANSWER_REPLIES[outcome.kind];
  return readEcsAnswer(action, instanceIds, reply.status, { Code: reply.code, Message: outcome.reason });
}
