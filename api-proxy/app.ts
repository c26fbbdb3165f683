import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AuditStore } from './audit';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, type Config } from './config';
import { auditIntentOf } from './http/audit-intent';
import { answerServerLevelErrors, clientErrorHandler, errorHandling, frameworkErrors } from './http/errors';
import { forwardedFrom } from './http/forwarded';
import { createUpstreamReadiness, health, type ReadinessTuning } from './http/health';
import { identityHook } from './http/identity';
import { rateLimit } from './http/rate-limit';
import { createRefusals } from './http/refusals';
import { requestLog } from './http/request-log';
import { consoleRoutes } from './http/routes/console';
import { ecsRoutes } from './http/routes/ecs';
import { reconcileCrashLeftAttaches } from './http/routes/ecs-audit';
import { runsRoutes } from './http/routes/runs';
import type { EngineOptions } from './runs/driver';
import { RunEngine } from './runs/engine';
import { allowedHostnames, hostAllowlist, SECURITY_HEADERS, securityHeaders } from './http/security';
import { hasWebApp, spaFallback, staticWeb } from './http/static';
import type { IdentityResolver } from './identity';
import { addressSet } from './net';
import type { CredentialSource } from './upstream/credentials';
import type { EcsClient } from './upstream/ecs-client';
import type { RegionDirectory } from './upstream/regions';

/**
 * The proxy's HTTP surface, built from injected dependencies with no side effects at import
 * (docs/conventions.md#fastify-demo): the plugins of http/, registered in the order their hooks must run.
 * compose.ts builds the dependencies; server.ts listens; tests call `inject()`.
 *
 * The API is the only one the web app uses:
 *   POST /api/ecs/{Action}   JSON body of ECS parameters → ECS's JSON body and status, unchanged (http/routes/ecs.ts)
 *   GET  /api/session        { user, email, groups, allowedActions, mode, authMode } (http/routes/console.ts)
 *   GET  /api/activity       the audit trail, newest first, filtered, paginated
 *   GET  /api/pending        instances whose key pair awaits a reboot or start
 *   /api/runs…               runs executed by the proxy (http/routes/runs.ts, api-proxy/runs/)
 *   GET  /healthz, /readyz   (http/health.ts)
 */

export interface AppSettings {
  mode: Config['ecs']['mode'];
  auth: Config['auth'];
  roles: Config['roles'];
  /** Allowed browser origins for mutating calls; empty means only the origin the request was made to. */
  publicOrigins: readonly string[];
  /**
   * Proxies whose X-Forwarded-For/-Proto/-Host are believed (canonical CIDRs, config/); by default the
   * `header` mode's TRUSTED_PROXY_CIDRS, otherwise none.
   */
  trustedProxyCidrs?: readonly string[];
  /** Calls to /api/ecs per user per minute; 0 = no limit. Default DEFAULT_RATE_LIMIT_PER_MINUTE. */
  rateLimitPerMinute?: number;
  /** Where DescribeRegions goes (it takes no RegionId; docs/ecs-notes.md#regions). */
  bootstrapRegion: string;
  /** Built web app to serve; absent or missing on disk means API only. */
  webDist?: string;
  /** Request body limit in bytes: ECS parameters for 100 instances fit in a few KiB. */
  bodyLimit?: number;
  /** `/readyz` tuning (tests shorten it; http/health.ts). */
  readiness?: ReadinessTuning;
}

export interface AppDeps {
  settings: AppSettings;
  identity: IdentityResolver;
  ecs: EcsClient;
  regions: RegionDirectory;
  audit: AuditStore;
  credentials: CredentialSource;
  clock?: () => number;
  /** The run engine's settings (attach batches in flight, health-gate polling). */
  runs?: Partial<EngineOptions>;
  logger?: FastifyServerOptions['logger'];
  /** Optional stream/instance for logs (tests capture it to prove no secret is logged). */
  loggerInstance?: FastifyServerOptions['loggerInstance'];
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { settings, ecs, regions, audit, credentials } = deps;
  const clock = deps.clock ?? Date.now;
  const perMinute = settings.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  const webDist = hasWebApp(settings.webDist) ? settings.webDist : undefined;

  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? false }),
    trustProxy: false,
    // Node answers a request without Host with a bare 400 before any hook runs; the host allowlist refuses it
    // in our envelope instead.
    http: { requireHostHeader: false },
    clientErrorHandler: clientErrorHandler(SECURITY_HEADERS, (): FastifyBaseLogger => app.log),
    frameworkErrors: frameworkErrors(SECURITY_HEADERS),
    bodyLimit: settings.bodyLimit ?? 64 * 1024,
    connectionTimeout: 120_000,
    requestTimeout: 120_000,
    // Fastify's own per-request lines would include headers; http/request-log.ts writes one sanitized line.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
  });
  answerServerLevelErrors(app.server, SECURITY_HEADERS);

  // X-Forwarded-* are believed only from these peers (oauth2-proxy's rule); identity itself is checked
  // against the TCP peer by identity.ts, and client addresses are read by net.ts, not by Fastify's trustProxy.
  const forwarded = forwardedFrom(
    addressSet(settings.trustedProxyCidrs ?? (settings.auth.mode === 'header' ? settings.auth.trustedProxyCidrs : [])),
  );
  const intentOf = auditIntentOf({ forwarded, bootstrapRegion: settings.bootstrapRegion, clock });
  const refusals = createRefusals({ audit, intentOf, clock, log: () => app.log });
  // Summaries of refusals that were only counted are written before the store closes.
  app.addHook('onClose', () => refusals.flush());
  const readiness = createUpstreamReadiness({
    ecs,
    bootstrapRegion: settings.bootstrapRegion,
    clock,
    ...(settings.readiness ? { tuning: settings.readiness } : {}),
  });

  // Hooks run in this order: headers, identity, host name, rate limit.
  await app.register(securityHeaders);
  await app.register(identityHook, { resolver: deps.identity, roles: settings.roles, authMode: settings.auth.mode });
  await app.register(hostAllowlist, { hostnames: allowedHostnames(settings.auth.mode, settings.publicOrigins), forwarded });
  if (perMinute > 0) await app.register(rateLimit, { perMinute });
  await app.register(requestLog);
  await app.register(errorHandling, { refuse: refusals.refuse, ...(webDist === undefined ? {} : { notFound: spaFallback }) });

  await app.register(ecsRoutes, {
    ecs,
    regions,
    audit,
    roles: settings.roles,
    authMode: settings.auth.mode,
    publicOrigins: settings.publicOrigins,
    bootstrapRegion: settings.bootstrapRegion,
    forwarded,
    intentOf,
    clock,
    isRateLimited: perMinute > 0,
    onUpstreamAnswer: readiness.note,
  });
  const engine = new RunEngine({ ecs, audit, clock, log: () => app.log, onUpstreamAnswer: readiness.note }, deps.runs);
  app.decorate('runs', engine);
  // Runs left unfinished by a previous process resume once the app is ready; they stop (as stored) at close.
  // Attaches a previous process began and never completed are read back meanwhile (ecs-audit.ts).
  app.addHook('onReady', () => {
    reconcileCrashLeftAttaches({ id: 'start-up', log: app.log }, { ecs, audit, clock, regions }).catch((error: unknown) =>
      app.log.error(
        { component: 'audit', err: error instanceof Error ? error.message : String(error) },
        'reading back crash-left attaches failed',
      ),
    );
    engine
      .resumeUnfinished()
      .catch((error: unknown) =>
        app.log.error({ component: 'runs', err: error instanceof Error ? error.message : String(error) }, 'resuming runs failed'),
      );
  });
  app.addHook('preClose', () => engine.close());
  await app.register(runsRoutes, {
    engine,
    regions,
    roles: settings.roles,
    authMode: settings.auth.mode,
    publicOrigins: settings.publicOrigins,
    forwarded,
  });
  await app.register(consoleRoutes, { mode: settings.mode, authMode: settings.auth.mode, roles: settings.roles, audit });
  await app.register(health, { credentials, audit, upstream: readiness });
  if (webDist !== undefined) await app.register(staticWeb, { webDist });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The run engine (api-proxy/runs/engine.ts). */
    runs: RunEngine;
  }
}
