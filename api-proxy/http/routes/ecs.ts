import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { actions, isActionName, type ActionName } from '#ecs/contract';
import { proxyRequestSchema, toUpstream } from '#ecs/console-api';
import type { AuditStore } from '../../audit';
import type { Config } from '../../config';
import type { Identity } from '../../identity';
import { NO_ANSWER_REPLIES } from '../../outcomes';
import { isAllowed } from '../../policy';
import type { EcsClient, UpstreamOutcome } from '../../upstream/ecs-client';
import type { RegionDirectory } from '../../upstream/regions';
import type { AuditIntentOf } from '../audit-intent';
import { clip, ProxyError, sendError } from '../errors';
import { originOf, type Forwarded } from '../forwarded';
import { ECS_ROUTE } from '../identity';
import { untilAborted } from '../until-aborted';
import { auditedEcsCall, sendEcs } from './ecs-audit';

/**
 * `POST /api/ecs/{Action}`: a JSON body of ECS parameters in, ECS's JSON body and status out, unchanged. The
 * proxy signs the call itself and is not an open relay. A call goes through these steps in this order, each
 * one refusing in our envelope (and, for a mutating call whose caller is known, in the audit trail):
 *
 *   allow → media type → origin → (identity) → parse → authorize → region → audit begin → call → audit complete → reply
 */

export interface EcsRoutesOptions {
  ecs: EcsClient;
  regions: RegionDirectory;
  audit: AuditStore;
  roles: Config['roles'];
  authMode: Config['auth']['mode'];
  /** Allowed browser origins for mutating calls; empty means only the origin the request was made to. */
  publicOrigins: readonly string[];
  /** Where DescribeRegions goes (it takes no RegionId; docs/ecs-notes.md#regions). */
  bootstrapRegion: string;
  forwarded: Forwarded;
  intentOf: AuditIntentOf;
  clock: () => number;
  /** The per-user rate limit applies (rate-limit.ts). */
  isRateLimited: boolean;
  /** Every ECS answer passed on, for readiness (health.ts). */
  onUpstreamAnswer: (outcome: UpstreamOutcome) => void;
}

/**
 * Everything one API call may take, below the 120 s socket timeout: past it the call is abandoned (an unsent
 * call is not sent; a sent mutating one is reported as unknown), so the browser always gets an answer.
 */
const REQUEST_DEADLINE_MS = 100_000;

export const ecsRoutes: FastifyPluginCallback<EcsRoutesOptions> = (app, options, done) => {
  app.post<{ Params: { action: string } }>(
    ECS_ROUTE,
    { config: { rateLimit: options.isRateLimited ? {} : false } },
    async (request, reply) => {
      const name = allow(request.params.action);
      request.ecsAction = name;
      requireJson(request);
      requireOwnOrigin(request, name, options);
      const who = await app.authenticate(request);
      const params = parse(name, request.body);
      authorize(who, name, params, options);
      const signal = deadline(reply);
      const regionId = await knownRegion(request, name, params, signal, options);
      const wire = toUpstream(name, params);
      if (signal.aborted)
        throw new ProxyError(503, 'Proxy.Timeout', 'The console could not send the call in time, so nothing was sent. Try again.');
      const outcome = actions[name].mutating
        ? (await auditedEcsCall(request, options, { name, wire, regionId, signal, intent: options.intentOf(request, who, name, params) }))
            .outcome
        : await sendEcs(request, options, name, wire, regionId, signal, undefined, options.clock());
      if (!actions[name].mutating) options.onUpstreamAnswer(outcome);
      return replyWith(reply, outcome);
    },
  );
  done();
};

/**
 * Allow: deny by default (docs/conventions.md#deny-by-default): nothing off the list is ever signed or sent.
 * Not audited: the trail records actions of the contract, and this is none.
 */
function allow(name: string): ActionName {
  if (!isActionName(name))
    throw new ProxyError(403, 'Proxy.ActionNotAllowed', `The action "${name.slice(0, 64)}" is not allowed through this console.`);
  return name;
}

/** Media type: parameters come as JSON, which a cross-site form cannot send. */
export function requireJson(request: FastifyRequest): void {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    throw new ProxyError(415, 'Proxy.UnsupportedMediaType', 'Send the parameters as Content-Type: application/json.', {
      reason: 'not sent as Content-Type: application/json',
      params: request.body,
    });
  }
}

/**
 * Origin (CSRF, docs/product.md#roles-per-action): a mutating call must come from our own origin, compared in
 * full (scheme, host, port): with PUBLIC_ORIGIN's entries, or without it with the origin the request was made to.
 */
function requireOwnOrigin(
  request: FastifyRequest,
  name: ActionName,
  { publicOrigins, forwarded }: Pick<EcsRoutesOptions, 'publicOrigins' | 'forwarded'>,
): void {
  if (!actions[name].mutating || isSameOrigin(request, publicOrigins, forwarded)) return;
  const origin = typeof request.headers.origin === 'string' ? `Origin ${clip(request.headers.origin, 100)}` : 'no Origin header';
  throw new ProxyError(403, 'Proxy.CrossOrigin', 'Mutating calls must come from the console itself (same-origin Origin header).', {
    reason: `not from the console's origin (${origin})`,
    params: request.body,
  });
}

export function isSameOrigin(request: FastifyRequest, publicOrigins: readonly string[], forwarded: Forwarded): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  const claimed = originOf(origin);
  if (claimed === undefined) return false;
  if (publicOrigins.length > 0) return publicOrigins.includes(claimed);
  return claimed === forwarded.origin(request);
}

/** Parse: strict, by the proxy's request schema (the contract's, plus a routing RegionId where ECS takes none). */
function parse(name: ActionName, body: unknown): Record<string, unknown> {
  const parsed = proxyRequestSchema(name).safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter(s) ${issue.keys.join(', ')}`
        : `${issue.path.join('.') || 'body'}: ${issue.message}`,
    );
  throw new ProxyError(400, 'Proxy.InvalidParameter', `Invalid parameters for ${name}: ${problems.join('; ')}.`, {
    reason: `invalid parameters: ${clip(problems.join('; '), 300)}`,
    params: body,
  });
}

/** Authorize: the caller's groups must grant the action's role (docs/product.md#roles-per-action). */
function authorize(
  who: Identity,
  name: ActionName,
  params: Record<string, unknown>,
  { roles, authMode }: Pick<EcsRoutesOptions, 'roles' | 'authMode'>,
): void {
  if (isAllowed(who, name, roles, authMode)) return;
  throw new ProxyError(403, 'Proxy.Forbidden', `Your groups do not allow ${name}. Ask for the role that grants it.`, {
    reason: 'not permitted for the caller’s groups',
    params,
  });
}

/**
 * One deadline for the whole call, and an abort when the browser goes away: an abandoned call is not sent, and
 * a sent one is not retried (the client reports the outcome as unknown).
 */
function deadline(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) gone.abort(new Error('the client went away'));
  });
  return AbortSignal.any([gone.signal, AbortSignal.timeout(REQUEST_DEADLINE_MS)]);
}

/**
 * Region: the upstream host is built only from a region on the account's DescribeRegions list
 * (docs/product.md#upstream-host-built-by-the-proxy). Returns the region the call is routed to.
 */
async function knownRegion(
  request: FastifyRequest,
  name: ActionName,
  params: Record<string, unknown>,
  signal: AbortSignal,
  { regions, bootstrapRegion }: Pick<EcsRoutesOptions, 'regions' | 'bootstrapRegion'>,
): Promise<string> {
  const regionId = typeof params['RegionId'] === 'string' ? params['RegionId'] : bootstrapRegion;
  if (name === 'DescribeRegions') return regionId;
  let isKnown: boolean;
  try {
    isKnown = await untilAborted(regions.has(regionId), signal);
  } catch (error) {
    request.log.warn({ err: (error as Error).message }, 'region list unavailable');
    throw new ProxyError(502, 'Proxy.UpstreamUnreachable', 'The list of ECS regions could not be loaded, so nothing was sent. Try again.');
  }
  if (!isKnown) {
    throw new ProxyError(400, 'Proxy.UnknownRegion', `The region "${regionId}" is not one of this account's ECS regions.`, {
      reason: `region ${regionId} is not one of the account's ECS regions`,
      params,
    });
  }
  return regionId;
}

/** Reply: ECS's answer as it came, or the proxy's own words where no answer came. */
function replyWith(reply: FastifyReply, outcome: UpstreamOutcome): FastifyReply {
  if (outcome.kind === 'unknown') {
    // The reason (a timeout, a reset, a garbled answer) is the proxy's own words and never holds a secret.
    return sendError(
      reply,
      NO_ANSWER_REPLIES.unknown.status,
      NO_ANSWER_REPLIES.unknown.code,
      `ECS gave no definite answer (${outcome.reason}). The change may or may not have been applied: check the instances before retrying.`,
    );
  }
  if (outcome.kind === 'unreachable') {
    const { status, code } = NO_ANSWER_REPLIES.unreachable;
    if (outcome.circuitOpen === true) {
      return sendError(reply, status, code, 'ECS could not be reached a moment ago, so nothing was sent. Try again in a few seconds.');
    }
    return sendError(reply, status, code, 'ECS could not be reached. Nothing was changed. Try again.');
  }
  // ECS's answer, status and body unchanged (docs/ecs-notes.md#error-shape), also a 5xx after a mutating call:
  // the browser reads it with the same rule as the audit (ecs/outcomes.ts), so a gateway's 502 shows as unknown
  // there too, with ECS's RequestId where there is one. Keep the throttling hint for the browser.
  const retryAfter = outcome.headers['x-acs-retry-after'];
  if (retryAfter !== undefined) void reply.header('x-acs-retry-after', retryAfter);
  // The proxy has done its retrying; the standard header says how long the browser waits before its one
  // resend (docs/decisions/retries.md). Whole seconds, rounded up, so it never resends early.
  if (outcome.retryAfterMs !== undefined) {
    void reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
  }
  return reply.code(outcome.status).type('application/json; charset=utf-8').send(outcome.body);
}
