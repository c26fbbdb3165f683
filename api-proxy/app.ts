import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { actions, InstanceId, isActionName, KeyPairName, RegionId, toWire, type ActionName } from '../ecs/contract';
import { ActivityQuery, PendingQuery, proxyRequestSchema, toUpstream } from '../ecs/console-api';
import type { EcsErrorBody } from '../ecs/errors';
import { instanceVerdict, readKeyPairReadings, type ReadOutcome } from '../ecs/outcomes';
import { AuditInputError, AuditUnavailableError, type AuditIntent, type AuditStore } from './audit';
import { createDenialLedger } from './denials';
import type { Identity, IdentityResolver, IdentityResult } from './identity';
import { addressSet, clientAddress } from './net';
import { NO_ANSWER_REPLIES, readOutcome } from './outcomes';
import { allowedActions, isAllowed, rolesOf } from './policy';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, type Config } from './config';
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
  /** Allowed browser origins for mutating calls; empty means only the origin the request was made to. */
  publicOrigins: readonly string[];
  /**
   * Proxies whose X-Forwarded-For/-Proto/-Host are believed (canonical CIDRs, config.ts); by default the
   * `header` mode's TRUSTED_PROXY_CIDRS, otherwise none.
   */
  trustedProxyCidrs?: readonly string[];
  /** Calls to /api/ecs per user per minute; 0 = no limit. Default DEFAULT_RATE_LIMIT_PER_MINUTE. */
  rateLimitPerMinute?: number;
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
    /** /api/ecs only: who is calling, resolved before anything is refused (so a refusal can name them). */
    identityResult?: IdentityResult;
    ecsAction?: string;
  }
}

/** Proxy-made errors use ECS's envelope with `Proxy.*` codes (STYLE.md habit 6). */
function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: EcsErrorBody = { RequestId: reply.request.id, Code: code, Message: message };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

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
 * `scheme://host[:port]` as a browser serializes it (default port dropped, host lowercased), or `undefined`
 * for anything else: `null`, other schemes, paths, credentials.
 */
function originOf(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.host === '') return undefined;
  return url.origin;
}

/** One value of a forwarded header; a list (several proxies, or a client's copy plus the proxy's) is not believed. */
function singleForwarded(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.includes(',') ? undefined : trimmed;
}

/** Text from a request, made fit for an audit reason: no control characters, bounded. */
function clip(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** The refusal of a call over the per-user limit; `@fastify/rate-limit` throws it and the error handler answers. */
class RateLimitedError extends Error {
  readonly statusCode = 429;
  constructor(readonly retryAfterSeconds: number) {
    super('rate limited');
    this.name = 'RateLimitedError';
  }
}

/** What the parser refused, as our envelope (status, code, message). */
function parserRefusal(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Proxy.HeadersTooLarge', 'The request line and headers are too large.'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Proxy.RequestTimeout', 'The request did not arrive in time.'];
    case 'HPE_INVALID_METHOD':
      return [400, 'Proxy.BadRequest', 'The HTTP method is not supported.'];
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_CHUNK_SIZE':
      return [400, 'Proxy.BadRequest', 'The request body is not framed correctly (Content-Length, Transfer-Encoding).'];
    default:
      return [400, 'Proxy.BadRequest', 'The request is not valid HTTP/1.1.'];
  }
}

/** A complete HTTP/1.1 answer in our envelope, for places that only have the socket. */
function rawEnvelope(status: number, code: string, message: string): string {
  const requestId = randomUUID();
  const body = JSON.stringify({ RequestId: requestId, Code: code, Message: message } satisfies EcsErrorBody);
  const headers = {
    ...SECURITY_HEADERS,
    'x-request-id': requestId,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('')}\r\n${body}`;
}

/**
 * Answers on a socket the parser gave up on, then closes it. Node's own rule: only when no answer to an
 * earlier request on this connection has started, since bytes in the middle of one would corrupt it.
 */
function answerOnSocket(socket: Duplex, status: number, code: string, message: string): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    socket.end(rawEnvelope(status, code, message));
    // The client may keep sending (an oversized header, a body): do not wait for it to finish.
    setTimeout(() => socket.destroy(), 1000).unref();
  } else {
    socket.destroy();
  }
}

/**
 * Everything one API call may take, below the 120 s socket timeout: past it the call is abandoned (an unsent
 * call is not sent; a sent mutating one is reported as unknown), so the browser always gets an answer.
 */
const REQUEST_DEADLINE_MS = 100_000;

/**
 * How long reading instances back after an attach of unknown outcome may take. The read happens before the reply
 * (see reconcileAttach) so it must stay short: a DescribeInstances of ≤ 50 IDs normally answers in well under
 * a second, and an ECS that does not answer in this time leaves the instances unknown, which is honest.
 */
const RECONCILE_TIMEOUT_MS = 3_000;

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
  // X-Forwarded-* are believed only from these peers (oauth2-proxy's rule); identity itself is checked
  // against the TCP peer by identity.ts, and client addresses are read by net.ts, not by Fastify's trustProxy.
  const forwardTrust = addressSet(settings.trustedProxyCidrs ?? (settings.auth.mode === 'header' ? settings.auth.trustedProxyCidrs : []));
  const perMinute = settings.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;

  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? false }),
    trustProxy: false,
    // Node answers a request without Host with a bare 400 before any hook runs; the Host check below refuses it
    // in our envelope instead.
    http: { requireHostHeader: false },
    // Requests the HTTP parser refuses (oversized headers, bad request lines, bare LF, NUL, CL+TE, unknown
    // methods) never become requests: answer them on the socket, in our envelope, with our headers.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, code, message] = parserRefusal(error.code);
      app.log.debug({ err: { code: error.code } }, 'client error');
      answerOnSocket(socket, status, code, message);
    },
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
      void plain.header('x-request-id', plain.request.id);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) void plain.header(name, value);
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        void sendError(plain, 414, 'Proxy.UriTooLong', 'The URL is too long.');
        return;
      }
      void sendError(plain, 400, 'Proxy.BadRequest', error.code === 'FST_ERR_BAD_URL' ? 'The URL is not valid.' : 'The request is not valid.');
    },
  });

  // `Expect: <anything but 100-continue>`: Node would answer 417 with an empty body and none of our headers.
  app.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const requestId = randomUUID();
    const body = JSON.stringify({ RequestId: requestId, Code: 'Proxy.ExpectationFailed', Message: 'Only "Expect: 100-continue" is supported.' } satisfies EcsErrorBody);
    response.writeHead(417, {
      ...SECURITY_HEADERS,
      'x-request-id': requestId,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    response.end(body);
  });
  // CONNECT is a tunnel request, not a request for a resource; without a listener Node drops the connection.
  app.server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, 405, 'Proxy.MethodNotAllowed', 'CONNECT is not supported.');
  });

  const hostnames = allowedHostnames(settings);
  const serveWeb = hasWebApp(settings);
  const denials = createDenialLedger({
    windowMs: DENIAL_AUDIT_WINDOW_MS,
    budget: DENIAL_AUDIT_BUDGET,
    clock,
    write: (intent, reason) => audit.recordDenied(intent, reason),
    onError: (error, what) => app.log.error({ err: (error as Error).message, what }, 'audit of a refusal failed'),
    onSuppressed: (user, action) => app.log.warn({ user, action }, 'refusal counted, not audited one by one (denial budget)'),
  });
  // Summaries of refusals that were only counted are written before the store closes.
  app.addHook('onClose', () => denials.flush());

  /** Whether the TCP peer is a proxy whose X-Forwarded-* headers are believed. */
  const fromTrustedProxy = (request: FastifyRequest): boolean => forwardTrust.has(request.socket.remoteAddress ?? '');

  /** The host the browser addressed: X-Forwarded-Host from a trusted proxy, else Host. */
  function requestHost(request: FastifyRequest): string | undefined {
    const forwarded = fromTrustedProxy(request) ? singleForwarded(request.headers['x-forwarded-host']) : undefined;
    if (forwarded !== undefined) return forwarded;
    return typeof request.headers.host === 'string' && request.headers.host !== '' ? request.headers.host : undefined;
  }

  /**
   * The origin the request was made to: the scheme of this connection (TLS or not), or X-Forwarded-Proto from
   * a trusted proxy that terminated TLS, with the host the browser addressed.
   */
  function requestOrigin(request: FastifyRequest): string | undefined {
    const host = requestHost(request);
    if (host === undefined) return undefined;
    const forwarded = fromTrustedProxy(request) ? singleForwarded(request.headers['x-forwarded-proto'])?.toLowerCase() : undefined;
    const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
    const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : encrypted ? 'https' : 'http';
    return originOf(`${scheme}://${host}`);
  }

  const isEcsRoute = (request: FastifyRequest): boolean => request.routeOptions.url === '/api/ecs/:action';

  /** The mutating ECS action this request asks for, if any (refusals of these are audited). */
  function mutatingActionOf(request: FastifyRequest): ActionName | undefined {
    if (!isEcsRoute(request)) return undefined;
    const name = (request.params as { action?: unknown }).action;
    return typeof name === 'string' && isActionName(name) && actions[name].mutating ? name : undefined;
  }

  /**
   * Refuses the request in our envelope; a refused mutating call whose caller is known is audited as denied
   * first (at most DENIAL_AUDIT_BUDGET one by one per user and window, the rest in one summary record).
   */
  async function refuse(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, reason: string, params?: unknown): Promise<FastifyReply> {
    const action = mutatingActionOf(request);
    const who = request.identityResult;
    if (action !== undefined && who?.ok === true) {
      const intent = intentOf(request, who.identity, action, params);
      const key = `${who.identity.user}\u0000${action}\u0000${intent.instanceIds.join(',')}\u0000${reason}`;
      await denials.record(intent, `refused: ${reason}`, key);
    }
    return sendError(reply, status, code, message);
  }

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    // Who is calling is settled before any check, so every refusal below can be audited under their name;
    // what is refused, and in which order, does not depend on it.
    if (isEcsRoute(request)) request.identityResult = await resolveIdentity(request);
    if (hostnames) {
      const host = requestHost(request);
      const hostname = hostnameOf(host);
      if (hostname === undefined || !hostnames.has(hostname)) {
        return refuse(request, reply, 421, 'Proxy.HostNotAllowed', 'This console does not answer to that host name.', `host name not allowed (${clip(host ?? 'no Host header', 100)})`);
      }
    }
    return undefined;
  });

  if (perMinute > 0) {
    await app.register(fastifyRateLimit, {
      // Only the routes that say so (/api/ecs): the console's own reads spend no ECS quota.
      global: false,
      max: perMinute,
      timeWindow: 60_000,
      // Per user: behind an SSO proxy every user arrives from the proxy's address.
      keyGenerator: (request) => (request.identityResult?.ok === true ? `user:${request.identityResult.identity.user}` : 'anonymous'),
      // A caller without an identity is refused (401) before anything is sent; there is no one to count.
      allowList: (request) => request.identityResult?.ok !== true,
      errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
    });
  }

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

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof RateLimitedError) {
      // @fastify/rate-limit has set Retry-After (seconds) already.
      return refuse(
        request,
        reply,
        429,
        'Proxy.RateLimited',
        `Too many calls: at most ${perMinute} a minute per user. Nothing was sent to ECS. Try again in ${error.retryAfterSeconds} s.`,
        `rate limited (more than ${perMinute} calls a minute)`,
      );
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ reqId: request.id, err: { message: error.message, code: error.code } }, 'unhandled error');
      return sendError(reply, 500, 'Proxy.InternalError', 'The proxy failed to handle the request. Quote the RequestId when reporting it.');
    }
    // The body could not be read: the route's handler never ran, so refusals of mutating calls are audited here.
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(request, reply, 413, 'Proxy.BodyTooLarge', 'The request body is too large.', 'the request body is too large');
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return refuse(request, reply, 415, 'Proxy.UnsupportedMediaType', 'Send the parameters as Content-Type: application/json.', 'not sent as Content-Type: application/json');
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
      return refuse(request, reply, 400, 'Proxy.MalformedBody', 'The request body is not valid JSON.', 'the request body is not valid JSON');
    return refuse(request, reply, status, 'Proxy.BadRequest', error.message.slice(0, 200), `bad request (${clip(error.code ?? String(status), 64)})`);
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
  function resolveIdentity(request: FastifyRequest): Promise<IdentityResult> {
    // Repeated headers are kept apart (Node would join them with ", "), so a duplicated identity header is
    // seen as ambiguous rather than silently merged.
    return identity.resolve(distinctHeaders(request.raw.rawHeaders), request.socket.remoteAddress ?? '');
  }

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Identity | undefined> {
    const result = request.identityResult ?? (await resolveIdentity(request));
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

  /**
   * The audit intent of a call. `raw` is validated parameters, or (for a refusal) whatever the caller sent:
   * only values that are valid by the contract are kept, so a refusal is recorded whatever its parameters.
   */
  function intentOf(request: FastifyRequest, who: Identity, action: ActionName, raw: unknown): AuditIntent {
    const params: Record<string, unknown> = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const ids = instanceIdsOf(params).filter((id) => InstanceId.safeParse(id).success).slice(0, 1000);
    const options: Record<string, string | number | boolean> = {};
    for (const key of ['ForceStop', 'ForceReboot', 'BatchOptimization', 'DryRun'] as const) {
      const value = params[key];
      if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) options[key] = value;
      else if (typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value)) options[key] = value;
    }
    const region = RegionId.safeParse(params['RegionId']);
    const keyPair = KeyPairName.safeParse(params['KeyPairName']);
    return {
      at: clock(),
      user: who.user,
      ...(who.email === undefined ? {} : { email: who.email }),
      groups: who.groups,
      clientAddress: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], forwardTrust),
      action,
      regionId: region.success ? region.data : settings.bootstrapRegion,
      ...(keyPair.success ? { keyPairName: keyPair.data } : {}),
      instanceIds: ids,
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  }

  /**
   * CSRF (issue 3 §6): a mutating call must be JSON and come from our own origin, compared in full (scheme,
   * host, port): with PUBLIC_ORIGIN's entries, or without it with the origin the request was made to.
   */
  function sameOrigin(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return false;
    const claimed = originOf(origin);
    if (claimed === undefined) return false;
    if (settings.publicOrigins.length > 0) return settings.publicOrigins.includes(claimed);
    return claimed === requestOrigin(request);
  }

  app.post<{ Params: { action: string } }>('/api/ecs/:action', { config: { rateLimit: perMinute > 0 ? {} : false } }, async (request, reply) => {
    const name = request.params.action;
    // Deny by default (STYLE.md habit 4): nothing off the list is ever signed or sent. Not audited: the trail
    // records actions of the contract, and this is none.
    if (!isActionName(name)) {
      return sendError(reply, 403, 'Proxy.ActionNotAllowed', `The action "${name.slice(0, 64)}" is not allowed through this console.`);
    }
    request.ecsAction = name;
    const spec = actions[name];
    const contentType = request.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(contentType)) {
      return refuse(request, reply, 415, 'Proxy.UnsupportedMediaType', 'Send the parameters as Content-Type: application/json.', 'not sent as Content-Type: application/json', request.body);
    }
    if (spec.mutating && !sameOrigin(request)) {
      const origin = typeof request.headers.origin === 'string' ? `Origin ${clip(request.headers.origin, 100)}` : 'no Origin header';
      return refuse(
        request,
        reply,
        403,
        'Proxy.CrossOrigin',
        'Mutating calls must come from the console itself (same-origin Origin header).',
        `not from the console's origin (${origin})`,
        request.body,
      );
    }
    const who = await authenticate(request, reply);
    if (!who) return reply;

    const parsed = proxyRequestSchema(name).safeParse(request.body ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 5)
        .map((issue) => (issue.code === 'unrecognized_keys' ? `unknown parameter(s) ${issue.keys.join(', ')}` : `${issue.path.join('.') || 'body'}: ${issue.message}`));
      const message = `Invalid parameters for ${name}: ${problems.join('; ')}.`;
      return refuse(request, reply, 400, 'Proxy.InvalidParameter', message, `invalid parameters: ${clip(problems.join('; '), 300)}`, request.body);
    }
    const params: Record<string, unknown> = parsed.data;

    if (!isAllowed(who, name, settings.roles, settings.auth.mode)) {
      return refuse(request, reply, 403, 'Proxy.Forbidden', `Your groups do not allow ${name}. Ask for the role that grants it.`, 'not permitted for the caller’s groups', params);
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
      if (!known) {
        return refuse(request, reply, 400, 'Proxy.UnknownRegion', `The region "${regionId}" is not one of this account's ECS regions.`, `region ${regionId} is not one of the account's ECS regions`, params);
      }
    }
    const wire = toUpstream(name, params);

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
    if (intent && operationId !== undefined) {
      const read = await completeAudit(request, operationId, name, intent.instanceIds, outcome, started);
      if (name === 'AttachKeyPair' && intent.keyPairName !== undefined) {
        await reconcileAttach(request, operationId, regionId, intent.keyPairName, read);
      }
    }

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
    // ECS's answer, status and body unchanged (issue 3 §3), also a 5xx after a mutating call: the browser reads
    // it with the same rule as the audit (ecs/outcomes.ts), so a gateway's 502 shows as unknown there too, with
    // ECS's RequestId where there is one. Keep the throttling hint for the browser.
    const retryAfter = outcome.headers['x-acs-retry-after'];
    if (retryAfter !== undefined) void reply.header('x-acs-retry-after', retryAfter);
    // The proxy has done its retrying; the standard header says how long the browser waits before its one
    // resend (docs/decisions/retries.md). Whole seconds, rounded up, so it never resends early.
    if (outcome.retryAfterMs !== undefined) {
      void reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
    }
    return reply.code(outcome.status).type('application/json; charset=utf-8').send(outcome.body);
  });

  async function completeAudit(
    request: FastifyRequest,
    operationId: string,
    name: ActionName,
    instanceIds: readonly string[],
    outcome: UpstreamOutcome,
    started: number,
  ): Promise<ReadOutcome> {
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
    return read;
  }

  /**
   * After an AttachKeyPair whose outcome is unknown for some instances, reads those instances' KeyPairName through
   * the same signed client and records what it finds, so pending activation says "attached, reboot it" or "not
   * attached" instead of "may be". A read that fails, times out or does not list an instance leaves it unknown.
   *
   * Done inline, before the reply, bounded by RECONCILE_TIMEOUT_MS: the browser refreshes pending activation and
   * the activity trail as soon as its attach calls settle, so a read finished before the reply is what the
   * operator sees next; unknown outcomes are rare, so the wait is paid rarely; and no work outlives the
   * request (nothing to lose at shutdown). The caller's abort is not followed: the record should learn the
   * truth even when the browser went away.
   *
   * A read right after a timeout can precede an attach that ECS was still carrying out; "not attached" then
   * means "not attached when read", which the activity trail shows with its time.
   */
  async function reconcileAttach(request: FastifyRequest, operationId: string, regionId: string, keyPairName: string, read: ReadOutcome): Promise<void> {
    const ids = read.instances.filter((i) => instanceVerdict(i) === 'unknown').map((i) => i.InstanceId);
    if (ids.length === 0) return;
    let described: UpstreamOutcome;
    try {
      described = await ecs.call('DescribeInstances', toWire('DescribeInstances', { RegionId: regionId, InstanceIds: ids, PageSize: ids.length }), {
        regionId,
        mutating: false,
        signal: AbortSignal.timeout(RECONCILE_TIMEOUT_MS),
      });
    } catch (error) {
      request.log.error({ operationId, err: (error as Error).message }, 'reading instances back after an unknown attach failed');
      return;
    }
    const readings = described.kind === 'response' ? readKeyPairReadings(keyPairName, ids, described.status, described.body) : [];
    request.log.info({ operationId, unknown: ids.length, reconciled: readings.length }, 'attach of unknown outcome read back');
    if (readings.length === 0) return;
    const at = clock();
    try {
      await audit.reconcile(
        operationId,
        readings.map((r) => ({ ...r, KeyPairName: r.KeyPairName.slice(0, 256), at })),
      );
    } catch (error) {
      request.log.error({ operationId, err: (error as Error).message }, 'reconciliation could not be written');
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
    try {
      return await audit.list(parsed.data);
    } catch (error) {
      if (error instanceof AuditUnavailableError) return sendError(reply, 503, 'Proxy.AuditUnavailable', 'The audit trail cannot be read right now. Try again later.');
      // The store refuses a forged cursor or an impossible range: that is bad input, not a 5xx.
      if (error instanceof AuditInputError) return sendError(reply, 400, 'Proxy.InvalidParameter', `Invalid activity filter: ${error.message.slice(0, 200)}`);
      throw error;
    }
  });

  app.get('/api/pending', async (request, reply) => {
    const who = await authenticateViewer(request, reply);
    if (!who) return reply;
    const parsed = PendingQuery.safeParse(request.query);
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
