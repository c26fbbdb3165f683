import type { ActionName } from '../ecs/contract';
import { readEcsAnswer, type ReadOutcome } from '../ecs/outcomes';
import type { UpstreamOutcome } from './upstream/ecs-client';

/**
 * The audit's view of an upstream outcome: ECS's answer read per instance (ecs/outcomes.ts), or, when no
 * answer came, every instance marked with the proxy's reason.
 */
export function readOutcome(action: ActionName, instanceIds: readonly string[], outcome: UpstreamOutcome): ReadOutcome {
  if (outcome.kind === 'response') return readEcsAnswer(action, instanceIds, outcome.status, outcome.body);
  // 'unknown': the call may have reached ECS; 'unreachable': it did not. Either way no instance is known to
  // have changed, but only 'unreachable' is a plain failure.
  const status = outcome.kind === 'unknown' ? 'unknown' : 'failed';
  const code = outcome.kind === 'unknown' ? 'Proxy.OutcomeUnknown' : 'Proxy.UpstreamUnreachable';
  return {
    status,
    errorCode: code,
    errorMessage: outcome.reason,
    instances: instanceIds.map((InstanceId) => ({ InstanceId, ok: false, Code: code, Message: outcome.reason })),
  };
}
