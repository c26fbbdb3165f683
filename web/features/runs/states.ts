import type { ActionName } from '#ecs/contract';
import type { Run, RunInstance, RunInstanceState, RunState } from '#ecs/runs-api';

/**
 * The runs API's lists as values, without loading zod (ecs/runs-api.ts is type-only in the app, for the bundle
 * budget). `states.test.ts` holds them equal to the schemas' lists, so a state added there cannot be missed here.
 */
export const RUN_STATE_LIST = [
  'running',
  'paused',
  'cancelling',
  'cancelled',
  'completed',
  'completed_with_failures',
] as const satisfies readonly RunState[];

/**
 * Instance states in the order the filter chips and the counts summary show them: what needs a look first
 * (failures, unknowns), then what is moving, then what is settled.
 */
export const INSTANCE_STATE_ORDER = [
  'failed',
  'unknown',
  'activation_failed',
  'not_sent',
  'queued',
  'sending',
  'attached',
  'activating',
  'active',
  'pending',
  'skipped',
] as const satisfies readonly RunInstanceState[];

export const SKIP_REASON_LIST = [
  'windows',
  'locked',
  'already-has-key',
  'not-found',
  'not-pending',
  'bad-status',
] as const satisfies readonly NonNullable<RunInstance['skipReason']>[];

/** What "Retry failed…" sends again: the proxy's retry targets (api-proxy/runs/engine.ts retryTargets). */
export const RETRYABLE_STATES: ReadonlySet<RunInstanceState> = new Set(['failed', 'unknown', 'activation_failed', 'not_sent']);

export function isRunState(value: string): value is RunState {
  return (RUN_STATE_LIST as readonly string[]).includes(value);
}

export function isInstanceState(value: string): value is RunInstanceState {
  return (INSTANCE_STATE_ORDER as readonly string[]).includes(value);
}

export function retryableCount(run: Pick<Run, 'counts'>): number {
  return [...RETRYABLE_STATES].reduce((sum, state) => sum + (run.counts[state] ?? 0), 0);
}

/**
 * The ECS actions a run may send, hence what its creator and whoever controls it must be allowed
 * (docs/product.md#roles-per-action; the proxy's rolesForRun in api-proxy/http/routes/runs.ts): AttachKeyPair
 * for an attach, the power actions whenever it may start or reboot (an activation always may).
 */
export function actionsOfRun(run: Pick<Run, 'kind' | 'policy'>): ActionName[] {
  const starts = run.policy.stopped === 'start';
  const reboots = run.policy.running.mode === 'waves';
  const needed: ActionName[] = run.kind === 'attach' ? ['AttachKeyPair'] : [];
  if (starts) needed.push('StartInstances');
  if (reboots) needed.push('RebootInstances');
  // An activation with both kinds left pending sends nothing, but the proxy still asks for the power role.
  if (run.kind === 'activate' && !starts && !reboots) needed.push('RebootInstances');
  return needed;
}

/** pause / resume / cancel as the proxy allows them per state (api-proxy/runs/engine.ts control). */
export function controlsFor(state: RunState): { pause: boolean; resume: boolean; cancel: boolean } {
  return { pause: state === 'running', resume: state === 'paused', cancel: state === 'running' || state === 'paused' };
}
