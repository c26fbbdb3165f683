import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { actions, isActionName, type ActionName } from '../../ecs/contract';
import type { AuditStore } from '../audit';
import { createDenialLedger } from './denials';
import type { AuditIntentOf } from './audit-intent';
import { sendError, type Refuse } from './errors';
import { isEcsRoute } from './identity';

/**
 * Every refused mutating call whose caller is known is audited as denied, whatever the reason (role,
 * parameters, region, origin, host name, content type, body, rate limit); at most DENIAL_AUDIT_BUDGET one by
 * one per user and window, the rest in one summary record (denials.ts).
 */

/** Denials audited per user per window, and the window for exact repeats. */
const DENIAL_AUDIT_WINDOW_MS = 10_000;
const DENIAL_AUDIT_BUDGET = 30;

export interface RefusalsOptions {
  audit: AuditStore;
  intentOf: AuditIntentOf;
  clock: () => number;
  log: () => FastifyBaseLogger;
}

export interface Refusals {
  refuse: Refuse;
  /** Writes the summaries of refusals that were only counted; before the audit store closes. */
  flush(): Promise<void>;
}

export function createRefusals({ audit, intentOf, clock, log }: RefusalsOptions): Refusals {
  const denials = createDenialLedger({
    windowMs: DENIAL_AUDIT_WINDOW_MS,
    budget: DENIAL_AUDIT_BUDGET,
    clock,
    write: (intent, reason) => audit.recordDenied(intent, reason),
    onError: (error, what) => log().error({ err: (error as Error).message, what }, 'audit of a refusal failed'),
    onSuppressed: (user, action) => log().warn({ user, action }, 'refusal counted, not audited one by one (denial budget)'),
  });
  return {
    async refuse(request, reply, refusal) {
      const action = mutatingActionOf(request);
      const who = request.identityResult;
      if (refusal.audited !== undefined && action !== undefined && who?.ok === true) {
        const { reason, params } = refusal.audited;
        const intent = intentOf(request, who.identity, action, params);
        const key = `${who.identity.user}\u0000${action}\u0000${intent.instanceIds.join(',')}\u0000${reason}`;
        await denials.record(intent, `refused: ${reason}`, key);
      }
      return sendError(reply, refusal.status, refusal.code, refusal.message);
    },
    flush: () => denials.flush(),
  };
}

/** The mutating ECS action this request asks for, if any (refusals of these are audited). */
function mutatingActionOf(request: FastifyRequest): ActionName | undefined {
  if (!isEcsRoute(request)) return undefined;
  const name = (request.params as { action?: unknown }).action;
  return typeof name === 'string' && isActionName(name) && actions[name].mutating ? name : undefined;
}
