import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { actions, isActionName, RegionId, toWire, type ActionName } from '../ecs/contract';
import type { EcsErrorBody } from '../ecs/errors';
import { AuditUnavailableError, type AuditIntent, type AuditStore } from './audit';
import type { Identity, IdentityResolver } from './identity';
import { readOutcome } from './outcomes';
import { allowedActions, isAllowed, rolesOf } from './policy';
import type { Config } from './config';
import type { CredentialSource } from './upstream/credentials';
import type { EcsClient, UpstreamOutcome } from './upstream/ecs-client';
import type { RegionDirectory } from './upstream/regions';

/**
 * The proxy's HTTP surface, built from injected dependencies with no side effects at import (STYLE.md,
 * fastify/demo). `server.ts` is the only file that reads the environment and listens; tests call `inject()`.
 *
 * The API (issue 3) is the only one the web app uses:
 *   POST /api/ecs/{Action}   JSON body of ECS parameters → ECS's JSON body and status, unchanged
 *   GET  /api/session        { user, email, groups, allowedActions, mode, authMode }
 *   GET  /api/activity       the audit trail, newest first, filtered, paginated
 *   GET  /api/pending        instances whose key pair awaits a reboot or start
 *   GET  /healthz, /readyz
 */

export interface AppSettings {
  mode: 'sim' | 'live';
  auth: Config['auth'];
  roles: Config['roles'];
  /** Allowed browser origins for mutating calls; empty means "the request's own Host" only. */
  publicOrigins: readonly string[];
  /** Where DescribeRegions goes (it takes no RegionId; ecs-api.md §3.1). */
  bootstrapRegion: string;
  /** Built web app to serve; absent or missing on disk means API only. */
  webDist?: string;
  /** Request body limit in bytes: ECS parameters for 100 instances fit in a few KiB. */
  bodyLimit?: number;
  /** `/readyz` tuning (tests shorten it); see READY_UPSTREAM_CACHE_MS and READY_TIMEOUT_MS. */
  readiness?: { upstreamCacheMs?: number; timeoutMs?: number };
}

export interface AppDeps {
  settings: AppSettings;
  identity: IdentityResolver;
  ecs: EcsClient;
  regions: RegionDirectory;
  audit: AuditStore;
  credentials: CredentialSource;
  clock?: () => number;
  logger?: FastifyServerOptions['logger'];
  /** Optional stream/instance for logs (tests capture it to prove no secret is logged). */
  loggerInstance?: FastifyServerOptions['loggerInstance'];
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
    ecsAction?: string;
  }
}

/** Proxy-made errors use ECS's envelope with `Proxy.*` codes (STYLE.md habit 6). */
function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: EcsErrorBody = { RequestId: reply.request.id, Code: code, Message: message };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Every ECS action's proxy schema: the contract's request, plus a routing RegionId for regionless calls. */
const proxySchemas = Object.fromEntries(
  (Object.keys(actions) as ActionName[]).map((name) => {
    const request = actions[name].request as unknown as z.ZodObject;
    // RebootInstance/StartInstance carry no RegionId on the wire, but they must go to the instance's regional
    // endpoint (ecs-api.md §3.2); the browser names the region and the proxy strips it before signing.
    const schema = name === 'DescribeRegions' || actions[name].regional ? request : request.extend({ RegionId });
    return [name, schema];
  }),
) as Record<ActionName, z.ZodObject>;

const ActivityQuery = z.strictObject({
  user: z.string().max(256).optional(),
  action: z.string().refine(isActionName, 'is not an allowed action').optional(),
  regionId: RegionId.optional(),
  instanceId: z.string().max(64).optional(),
  status: z.enum(['pending', 'succeeded', 'partial', 'failed', 'unknown', 'denied']).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(512).optional(),
});

/**
 * Host names a browser may use to reach the console. Without SSO (AUTH_MODE=none) only loopback names are
 * accepted: otherwise a web page could rebind its own domain to 127.0.0.1 and drive the console, since its
 * Origin and Host would then agree (DNS rebinding). With PUBLIC_ORIGIN set, only its hosts are accepted.
 */
const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function allowedHostnames(settings: AppSettings): ReadonlySet<string> | undefined {
  if (settings.auth.mode === 'none') return LOOPBACK_HOSTNAMES;
  if (settings.publicOrigins.length > 0) return new Set(settings.publicOrigins.map((origin) => new URL(origin).hostname));
  return undefined;
}

function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Everything one API call may take, below the 120 s socket timeout: past it the call is abandoned (an unsent
 * call is not sent; a sent mutating one is reported as unknown), so the browser always gets an answer.
 */
const REQUEST_DEADLINE_MS = 100_000;

/** Denials audited per user per window, and the window for exact repeats (see the denial branch below). */
const DENIAL_AUDIT_WINDOW_MS = 10_000;
const DENIAL_AUDIT_BUDGET = 30;

/**
 * `/readyz` asks ECS with one cheap live call (DescribeRegions) rather than reading the region list, which is
 * cached for an hour and would say "ready" all through an outage. The answer is reused for this long, so a
 * probe every second (or a flood of them: the route needs no identity) adds at most one call per window.
 */
const READY_UPSTREAM_CACHE_MS = 10_000;
/** Every readiness check is bounded by this: a probe that hangs is as bad as one that fails. */
const READY_TIMEOUT_MS = 2_000;

const SECURITY_HEADERS: Record<string, string> = {
  // Hand-written rather than @fastify/helmet: seven fixed headers are easier to audit than a plugin's defaults.
  // MUI (emotion) injects <style> elements, so styles allow 'unsafe-inline'; scripts never do.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), clipboard-write=(self)',
};

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { settings, identity, ecs, regions, audit, credentials } = deps;
  const clock = deps.clock ?? Date.now;
  const trusted = settings.auth.mode === 'header' ? [...settings.auth.trustedProxyCidrs] : false;

  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? false }),
    // request.ip follows X-Forwarded-For only from the configured proxies (oauth2-proxy's rule); identity
    // itself is checked against the TCP peer, never against request.ip.
    trustProxy: trusted,
    bodyLimit: settings.bodyLimit ?? 64 * 1024,
    connectionTimeout: 120_000,
    requestTimeout: 120_000,
    // Fastify's own per-request lines would include headers; we write one sanitized line in onResponse.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    // Malformed URLs and the like fail before any hook runs: answer them in our envelope with our headers.
    frameworkErrors: (error, _request, reply) => {
      const plain = reply as unknown as FastifyReply;
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) void plain.header(name, value);
      void sendError(plain, 400, 'Proxy.BadRequest', error.code === 'FST_ERR_BAD_URL' ? 'The URL is not valid.' : 'The request is not valid.');
    },
  });

  const hostnames = allowedHostnames(settings);
  const deniedAt = new Map<string, number>();
  const deniedBudget = new Map<string, { windowStart: number; count: number }>();
  const serveWeb = hasWebApp(settings);

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    if (hostnames) {
      const hostname = hostnameOf(request.headers.host);
      if (hostname === undefined || !hostnames.has(hostname)) {
        return sendError(reply, 421, 'Proxy.HostNotAllowed', 'This console does not answer to that host name.');
      }
    }
    return undefined;
  });

  app.addHook('onResponse', async (request, reply) => {
    // One structured line per request; headers are never logged, so tokens and identity assertions stay out.
    request.log.info(
      {
        method: request.method,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        user: request.identity?.user,
        action: request.ecsAction,
      },
      'request',
    );
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ reqId: request.id, err: { message: error.message, code: error.code } }, 'unhandled error');
      return sendError(reply, 500, 'Proxy.InternalError', 'The proxy failed to handle the request. Quote the RequestId when reporting it.');
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, 'Proxy.BodyTooLarge', 'The request body is too large.');
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendError(reply, 415, 'Proxy.UnsupportedMediaType', 'Send the parameters as Content-Type: application/json.');
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
      return sendError(reply, 400, 'Proxy.MalformedBody', 'The request body is not valid JSON.');
    return sendError(reply, status, 'Proxy.BadRequest', error.message.slice(0, 200));
  });

  app.setNotFoundHandler(async (request, reply) => {
    if (request.method === 'GET' && !request.url.startsWith('/api/') && serveWeb && acceptsHtml(request)) {
      // Single-page app: any other GET that wants HTML gets index.html, never cached (issue 3 §9).
      void reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    }
    return sendError(reply, 404, 'Proxy.NotFound', 'No such resource.');
  });

  // -------------------------------------------------------------------------------------------------------
  // Identity: every /api route needs one (PRODUCT.md safety rules).
  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Identity | undefined> {
    // Repeated headers are kept apart (Node would join them with ", "), so a duplicated identity header is
    // seen as ambiguous rather than silently merged.
    const result = await identity.resolve(distinctHeaders(request.raw.rawHeaders), request.socket.remoteAddress ?? '');
    if (!result.ok) {
      sendError(reply, 401, result.code, result.message);
      return undefined;
    }
    request.identity = result.identity;
    return result.identity;
  }

  /** The proxy's own read endpoints need the view role, like the Describe* actions (issue 3 §6). */
  async function authenticateViewer(request: FastifyRequest, reply: FastifyReply): Promise<Identity | undefined> {
    const who = await authenticate(request, reply);
    if (!who) return undefined;
    if (!rolesOf(who, settings.roles, settings.auth.mode).has('view')) {
      sendError(reply, 403, 'Proxy.Forbidden', 'Your groups do not allow viewing this console. Ask for the role that grants it.');
      return undefined;
    }
    return who;
  }

  function intentOf(request: FastifyRequest, who: Identity, action: ActionName, params: Record<string, unknown>): AuditIntent {
    const ids = instanceIdsOf(params);
    const options: Record<string, string | number | boolean> = {};
    for (const key of ['ForceStop', 'ForceReboot', 'BatchOptimization', 'DryRun'] as const) {
      const value = params[key];
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') options[key] = value;
    }
    return {
      at: clock(),
      user: who.user,
      ...(who.email === undefined ? {} : { email: who.email }),
      groups: who.groups,
      clientAddress: request.ip,
      action,
      regionId: typeof params['RegionId'] === 'string' ? params['RegionId'] : settings.bootstrapRegion,
      ...(typeof params['KeyPairName'] === 'string' ? { keyPairName: params['KeyPairName'] } : {}),
      instanceIds: ids,
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  }

  /** CSRF (issue 3 §6): a mutating call must be JSON and come from our own origin. */
  function sameOrigin(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return false;
    if (settings.publicOrigins.length > 0) return settings.publicOrigins.includes(origin);
    const host = request.headers.host;
    if (typeof host !== 'string') return false;
    try {
      const url = new URL(origin);
      return url.host === host && (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/';
    } catch {
      return false;
    }
  }

  app.post<{ Params: { action: string } }>('/api/ecs/:action', async (request, reply) => {
    const name = request.params.action;
    // Deny by default (STYLE.md habit 4): nothing off the list is ever signed or sent.
    if (!isActionName(name)) {
      return sendError(reply, 403, 'Proxy.ActionNotAllowed', `The action "${name.slice(0, 64)}" is not allowed through this console.`);
    }
    request.ecsAction = name;
    const spec = actions[name];
    const contentType = request.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(contentType)) {
      return sendError(reply, 415, 'Proxy.UnsupportedMediaType', 'Send the parameters as Content-Type: application/json.');
    }
    if (spec.mutating && !sameOrigin(request)) {
      return sendError(reply, 403, 'Proxy.CrossOrigin', 'Mutating calls must come from the console itself (same-origin Origin header).');
    }
    const who = await authenticate(request, reply);
    if (!who) return reply;

    const parsed = proxySchemas[name].safeParse(request.body ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 5)
        .map((issue) => (issue.code === 'unrecognized_keys' ? `unknown parameter(s) ${issue.keys.join(', ')}` : `${issue.path.join('.') || 'body'}: ${issue.message}`));
      return sendError(reply, 400, 'Proxy.InvalidParameter', `Invalid parameters for ${name}: ${problems.join('; ')}.`);
    }
    const params: Record<string, unknown> = parsed.data;

    if (!isAllowed(who, name, settings.roles, settings.auth.mode)) {
      // Each denial is audited, but an exact repeat within the window, or more than DENIAL_AUDIT_BUDGET
      // denials of one user per window, are only logged: nobody can fill the disk with fsynced records.
      const intent = intentOf(request, who, name, params);
      const key = `${who.user}\u0000${name}\u0000${intent.instanceIds.join(',')}`;
      const now = clock();
      const windowStart = now - (now % DENIAL_AUDIT_WINDOW_MS);
      const budget = deniedBudget.get(who.user);
      const used = budget?.windowStart === windowStart ? budget.count : 0;
      const last = deniedAt.get(key);
      if ((last === undefined || now - last >= DENIAL_AUDIT_WINDOW_MS) && used < DENIAL_AUDIT_BUDGET) {
        if (deniedAt.size > 10_000) deniedAt.clear();
        if (deniedBudget.size > 10_000) deniedBudget.clear();
        deniedAt.set(key, now);
        deniedBudget.set(who.user, { windowStart, count: used + 1 });
        try {
          await audit.recordDenied(intent, 'not permitted for the caller’s groups');
        } catch (error) {
          request.log.error({ reqId: request.id, err: (error as Error).message }, 'audit of a denial failed');
        }
      } else {
        request.log.warn({ reqId: request.id, user: who.user, action: name }, 'repeated denial not audited again within the window');
      }
      return sendError(reply, 403, 'Proxy.Forbidden', `Your groups do not allow ${name}. Ask for the role that grants it.`);
    }

    const regionId = typeof params['RegionId'] === 'string' ? params['RegionId'] : settings.bootstrapRegion;
    // One deadline for the whole call, and an abort when the browser goes away: an abandoned call is not
    // sent, and a sent one is not retried (the client reports the outcome as unknown).
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableEnded) gone.abort(new Error('the client went away'));
    });
    const signal = AbortSignal.any([gone.signal, AbortSignal.timeout(REQUEST_DEADLINE_MS)]);
    // The upstream host is built only from a region on the DescribeRegions list (PRODUCT.md safety rules).
    if (name !== 'DescribeRegions') {
      let known: boolean;
      try {
        known = await untilAborted(regions.has(regionId), signal);
      } catch (error) {
        request.log.warn({ err: (error as Error).message }, 'region list unavailable');
        return sendError(reply, 502, 'Proxy.UpstreamUnreachable', 'The list of ECS regions could not be loaded, so nothing was sent. Try again.');
      }
      if (!known) return sendError(reply, 400, 'Proxy.UnknownRegion', `The region "${regionId}" is not one of this account's ECS regions.`);
    }
    const wireParams = { ...params };
    if (!spec.regional && name !== 'DescribeRegions') delete wireParams['RegionId'];
    const wire = toWire(name, wireParams);

    if (signal.aborted) {
      return sendError(reply, 503, 'Proxy.Timeout', 'The console could not send the call in time, so nothing was sent. Try again.');
    }
    let operationId: string | undefined;
    const intent = spec.mutating ? intentOf(request, who, name, params) : undefined;
    if (intent) {
      try {
        operationId = await audit.begin(intent);
      } catch (error) {
        request.log.error({ reqId: request.id, err: (error as Error).message }, 'audit intent could not be written');
        if (error instanceof AuditUnavailableError || error instanceof Error) {
          return sendError(reply, 503, 'Proxy.AuditUnavailable', 'The audit trail cannot be written, so no change was sent to ECS. Try again later.');
        }
        throw error;
      }
    }

    const started = clock();
    let outcome: UpstreamOutcome;
    try {
      outcome = await ecs.call(name, wire, { regionId, mutating: spec.mutating, signal });
    } catch (error) {
      // A bug, not an answer: the record is still completed (as unknown) before the 500 goes out.
      if (intent && operationId !== undefined) {
        await completeAudit(request, operationId, name, intent.instanceIds, { kind: 'unknown', reason: 'the proxy failed while sending', attempts: 0, durationMs: clock() - started }, started);
      }
      throw error;
    }
    // ECS only uses real HTTP statuses; anything else (a broken gateway) is reported as a bad answer.
    if (outcome.kind === 'response' && (outcome.status < 200 || outcome.status > 599)) {
      outcome = {
        ...outcome,
        status: 502,
        body: { RequestId: request.id, Code: 'Proxy.BadUpstreamResponse', Message: `ECS answered with HTTP status ${outcome.status}.` },
      };
    }
    noteUpstreamAnswer(outcome);
    if (intent && operationId !== undefined) await completeAudit(request, operationId, name, intent.instanceIds, outcome, started);

    if (outcome.kind === 'unknown') {
      return sendError(
        reply,
        504,
        'Proxy.OutcomeUnknown',
        'ECS did not answer in time. The change may or may not have been applied: check the instances before retrying.',
      );
    }
    if (outcome.kind === 'unreachable') {
      if (outcome.circuitOpen === true) {
        return sendError(reply, 502, 'Proxy.UpstreamUnreachable', 'ECS could not be reached a moment ago, so nothing was sent. Try again in a few seconds.');
      }
      return sendError(reply, 502, 'Proxy.UpstreamUnreachable', 'ECS could not be reached. Nothing was changed. Try again.');
    }
    // ECS's answer, status and body unchanged (issue 3 §3); keep the throttling hint for the browser.
    const retryAfter = outcome.headers['x-acs-retry-after'];
    if (retryAfter !== undefined) void reply.header('x-acs-retry-after', retryAfter);
    // The proxy has done its retrying; the standard header says how long the browser waits before its one
    // resend (docs/decisions/retries.md). Whole seconds, rounded up, so it never resends early.
    if (outcome.retryAfterMs !== undefined) {
      void reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
    }
    return reply.code(outcome.status).type('application/json; charset=utf-8').send(outcome.body);
  });

  async function completeAudit(request: FastifyRequest, operationId: string, name: ActionName, instanceIds: readonly string[], outcome: UpstreamOutcome, started: number): Promise<void> {
    const read = readOutcome(name, instanceIds, outcome);
    // Identifiers from ECS are clipped rather than refused: the action has happened and must be recorded.
    const requestId = read.requestId?.slice(0, 256);
    const errorCode = read.errorCode?.slice(0, 256);
    try {
      await audit.complete(operationId, {
        at: clock(),
        status: read.status,
        ...(outcome.kind === 'response' ? { httpStatus: outcome.status } : {}),
        ...(requestId === undefined ? {} : { requestId }),
        ...(errorCode === undefined ? {} : { errorCode }),
        ...(read.errorMessage === undefined ? {} : { errorMessage: read.errorMessage }),
        durationMs: clock() - started,
        instances: read.instances,
      });
    } catch (error) {
      // The action already happened; the intent record stays 'pending' and is reported as unknown later.
      request.log.error({ operationId, err: (error as Error).message }, 'audit completion could not be written');
    }
  }

  app.get('/api/session', async (request, reply) => {
    const who = await authenticate(request, reply);
    if (!who) return reply;
    return {
      user: who.user,
      ...(who.email === undefined ? {} : { email: who.email }),
      groups: who.groups,
      allowedActions: allowedActions(who, settings.roles, settings.auth.mode),
      mode: settings.mode,
      authMode: settings.auth.mode,
    };
  });

  app.get('/api/activity', async (request, reply) => {
    const who = await authenticateViewer(request, reply);
    if (!who) return reply;
    const parsed = ActivityQuery.safeParse(request.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendError(reply, 400, 'Proxy.InvalidParameter', `Invalid activity filter: ${issue?.path.join('.') || 'query'} ${issue?.message ?? ''}`.trim());
    }
    const { action, ...rest } = parsed.data;
    try {
      return await audit.list({ ...rest, ...(action === undefined ? {} : { action }) });
    } catch (error) {
      if (error instanceof AuditUnavailableError) return sendError(reply, 503, 'Proxy.AuditUnavailable', 'The audit trail cannot be read right now. Try again later.');
      // The store refuses a forged cursor or an impossible range with a TypeError: that is bad input, not a 5xx.
      if (error instanceof TypeError) return sendError(reply, 400, 'Proxy.InvalidParameter', `Invalid activity filter: ${error.message.slice(0, 200)}`);
      throw error;
    }
  });

  app.get('/api/pending', async (request, reply) => {
    const who = await authenticateViewer(request, reply);
    if (!who) return reply;
    const parsed = z.strictObject({ RegionId }).safeParse(request.query);
    if (!parsed.success) return sendError(reply, 400, 'Proxy.InvalidParameter', 'RegionId is required and must be a region ID.');
    try {
      return { RegionId: parsed.data.RegionId, Pending: await audit.pending(parsed.data.RegionId) };
    } catch (error) {
      if (error instanceof AuditUnavailableError) return sendError(reply, 503, 'Proxy.AuditUnavailable', 'The audit trail cannot be read right now. Try again later.');
      throw error;
    }
  });

  app.get('/healthz', () => ({ status: 'ok' }));

  // Readiness of ECS: the verdict of the last live probe, or any 2xx answer a real call got since, reused for
  // a short while; one probe in flight at a time.
  const upstreamCacheMs = settings.readiness?.upstreamCacheMs ?? READY_UPSTREAM_CACHE_MS;
  const readyTimeoutMs = settings.readiness?.timeoutMs ?? READY_TIMEOUT_MS;
  let upstreamVerdict: { at: number; problem: string | undefined } | undefined;
  let upstreamProbe: Promise<string | undefined> | undefined;

  function noteUpstreamAnswer(outcome: UpstreamOutcome): void {
    // Only a success proves a call can succeed now; an error answer might be ECS or a gateway in front of it.
    if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) upstreamVerdict = { at: clock(), problem: undefined };
  }

  function upstreamProblem(signal: AbortSignal): Promise<string | undefined> {
    if (upstreamVerdict !== undefined && clock() - upstreamVerdict.at < upstreamCacheMs) return Promise.resolve(upstreamVerdict.problem);
    upstreamProbe ??= (async () => {
      let problem: string | undefined;
      try {
        const outcome = await untilAborted(ecs.call('DescribeRegions', {}, { regionId: settings.bootstrapRegion, mutating: false, signal }), signal);
        const code = outcome.kind === 'response' ? outcome.body['Code'] : undefined;
        if (outcome.kind !== 'response') problem = 'ECS did not answer DescribeRegions';
        // Throttling is ECS answering: the account's quota is shared, and calling ourselves unready would only
        // move the load to the other replicas.
        else if (outcome.status !== 200 && !(typeof code === 'string' && /(^|\.)Throttling(\.|$)/.test(code))) {
          problem = `ECS answered DescribeRegions with HTTP ${outcome.status}${typeof code === 'string' ? ` ${code.slice(0, 64)}` : ''}`;
        }
      } catch {
        problem = `ECS did not answer DescribeRegions within ${readyTimeoutMs} ms`;
      }
      upstreamVerdict = { at: clock(), problem };
      return problem;
    })().finally(() => {
      upstreamProbe = undefined;
    });
    return upstreamProbe;
  }

  app.get('/readyz', async (_request, reply) => {
    // Ready means a call could succeed now: credentials resolve, ECS answers, the audit trail takes a write
    // that needs space. The three run in parallel, each bounded by the same short timeout.
    const signal = AbortSignal.timeout(readyTimeoutMs);
    const [credentialsCheck, upstreamCheck, auditCheck] = await Promise.all([
      untilAborted(credentials.get(), signal).then(
        () => 'ok',
        () => 'credentials could not be resolved',
      ),
      upstreamProblem(signal).then((problem) => problem ?? 'ok'),
      untilAborted(audit.check(), signal).then(
        (result) => (result.ok ? 'ok' : result.problem),
        () => `the audit store did not answer within ${readyTimeoutMs} ms`,
      ),
    ]);
    const checks: Record<string, string> = { credentials: credentialsCheck, upstream: upstreamCheck, audit: auditCheck };
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  if (serveWeb && settings.webDist) {
    await app.register(fastifyStatic, {
      root: path.resolve(settings.webDist),
      prefix: '/',
      index: false,
      wildcard: true,
      cacheControl: false,
      dotfiles: 'deny',
      // Hashed assets never change; index.html must always be revalidated so a deploy takes effect.
      setHeaders(res, filePath) {
        const relative = path.relative(path.resolve(settings.webDist ?? '.'), filePath);
        res.setHeader('cache-control', relative.startsWith(`assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    app.get('/', async (_request, reply) => {
      void reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    });
  }

  return app;
}

function hasWebApp(settings: AppSettings): boolean {
  return settings.webDist !== undefined && existsSync(path.join(settings.webDist, 'index.html'));
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

/** Waits for `promise`, or rejects as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function distinctHeaders(raw: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    (headers[name] ??= []).push(raw[i + 1] ?? '');
  }
  return headers;
}

function instanceIdsOf(params: Record<string, unknown>): string[] {
  const ids = params['InstanceIds'] ?? params['InstanceId'];
  if (Array.isArray(ids)) return ids.filter((id): id is string => typeof id === 'string');
  return typeof ids === 'string' ? [ids] : [];
}
