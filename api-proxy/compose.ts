import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import { createApp, type AppSettings } from './app';
import { openSqliteAuditStore, type AuditStore, type SqliteAuditStoreOptions } from './audit';
import type { Config } from './config';
import type { EngineOptions } from './runs/driver';
import { createIdentityResolver } from './identity';
import type { CircuitBreaker, CircuitBreakerOptions } from './upstream/circuit-breaker';
import { defaultChainCredentials, staticCredentials, type CredentialSource } from './upstream/credentials';
import type { EcsClient, EcsClientOptions } from './upstream/ecs-client';
import type { RegionDirectory, RegionEndpointMode } from './upstream/regions';
import { createUpstream } from './upstream/wiring';

/**
 * The one composition root: from the configuration to the dependencies (credentials, upstream client and
 * circuit breaker, region directory, identity, audit store) to the app. server.ts and the tests
 * (test-support.ts) both build the proxy here, so what the `inject()` suite runs is what production runs;
 * overrides only swap what a test must control. Nothing here reads the environment or listens.
 */

/** Where ECS calls go (one base URL, or Alibaba's endpoint per region) and what they are signed with. */
export interface UpstreamTarget {
  mode: RegionEndpointMode;
  credentials: CredentialSource;
}

/**
 * Sim mode: every call is signed and sent over HTTP to the simulated ECS at `url`, exactly as live mode does
 * (docs/conventions.md#one-simulator-several-doors), so the demo path runs the real signer, allowlist,
 * identity and audit code. The one piece of wiring that knows about the simulator: it only needs its address.
 */
export function simUpstream(config: Config, url: string): UpstreamTarget {
  return {
    mode: { kind: 'fixed', base: new URL(url) },
    credentials: staticCredentials(
      { accessKeyId: config.sim.accessKeyId, accessKeySecret: config.sim.accessKeySecret },
      'static (simulator)',
    ),
  };
}

/** The ECS client's settings that a test may tighten (short timeouts, no real sleeping between attempts). */
export type ClientTuning = Partial<
  Pick<EcsClientOptions, 'connectTimeoutMs' | 'timeoutMs' | 'concurrencyPerRegion' | 'maxRetries' | 'baseDelayMs' | 'maxDelayMs' | 'sleep'>
>;

export interface ProxyOverrides {
  /** Required in sim mode (`simUpstream`); in live mode the default is the credentials chain and Alibaba's endpoints (or ECS_ENDPOINT). */
  upstream?: UpstreamTarget;
  client?: ClientTuning;
  /** The per-endpoint circuit breaker's settings (defaults: open after 5 connection failures, for 5 s). */
  breaker?: CircuitBreakerOptions;
  /** Wraps the signed client (tests record or fake calls); the region directory learns regions through the wrapper too. */
  wrapEcs?: (signed: EcsClient) => EcsClient;
  auditOptions?: SqliteAuditStoreOptions;
  /** Wraps the audit store the app uses (tests make it fail); `Proxy.audit` stays the real one. */
  wrapAudit?: (store: AuditStore) => AuditStore;
  readiness?: AppSettings['readiness'];
  /** The app's clock (audit times, denial windows); the real one by default. */
  clock?: () => number;
  /** The run engine's settings beyond the configuration (tests poll the health gate faster). */
  runs?: Partial<EngineOptions>;
  /** A logger instance (server.ts: pino with redaction), or Fastify's logger options (tests capture lines). */
  loggerInstance?: FastifyServerOptions['loggerInstance'];
  logger?: FastifyServerOptions['logger'];
}

export interface Proxy {
  app: FastifyInstance;
  /** The real audit store, whatever wraps it. */
  audit: AuditStore;
  /** The client the app calls ECS through (wrapped, if a test wrapped it). */
  ecs: EcsClient;
  regions: RegionDirectory;
  /** Whether ECS endpoints are failing fast right now. */
  breaker: CircuitBreaker;
  credentials: CredentialSource;
  /** Closes the app (flushing refusal summaries into the trail), then the client, then the store. */
  close(): Promise<void>;
}

export async function buildProxy(config: Config, overrides: ProxyOverrides = {}): Promise<Proxy> {
  const target = overrides.upstream ?? liveUpstream(config);
  const { credentials } = target;
  // The upstream's events are logged through the app's logger, which exists once the app does; calls (and so
  // events) only start after that.
  const built: { app?: FastifyInstance } = {};
  const log = (): FastifyBaseLogger | undefined => built.app?.log;
  const errorText = (error: unknown): string => (error instanceof Error ? error.message : 'unknown');

  let signed: EcsClient | undefined;
  const { ecs, regions, breaker } = createUpstream({
    mode: target.mode,
    bootstrapRegion: config.ecs.bootstrapRegion,
    credentials,
    client: {
      connectTimeoutMs: config.upstream.connectTimeoutMs,
      timeoutMs: config.upstream.timeoutMs,
      concurrencyPerRegion: config.upstream.concurrency,
      maxRetries: config.upstream.maxRetries,
      ...overrides.client,
      onRetry: (info) => log()?.warn({ component: 'upstream', ...info }, 'retrying ECS call'),
      onCredentialsError: (error) => log()?.error({ component: 'credentials', err: errorText(error) }, 'credentials unavailable'),
    },
    ...(overrides.breaker ? { breaker: overrides.breaker } : {}),
    onRefreshError: (error) =>
      log()?.warn({ component: 'regions', err: errorText(error) }, 'region list refresh failed; serving the cached list'),
    wrap: (client) => {
      signed = client;
      return overrides.wrapEcs ? overrides.wrapEcs(client) : client;
    },
  });

  const audit = openSqliteAuditStore(config.auditDb, overrides.auditOptions);
  const app = await createApp({
    settings: {
      mode: config.ecs.mode,
      auth: config.auth,
      roles: config.roles,
      publicOrigins: config.publicOrigins ?? [],
      trustedProxyCidrs: config.trustedProxyCidrs,
      rateLimitPerMinute: config.rateLimitPerMinute,
      bootstrapRegion: config.ecs.bootstrapRegion,
      webDist: config.webDist,
      ...(overrides.readiness ? { readiness: overrides.readiness } : {}),
    },
    identity: createIdentityResolver(config.auth),
    ecs,
    regions,
    audit: overrides.wrapAudit ? overrides.wrapAudit(audit) : audit,
    credentials,
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    // A run's reads share the per-region cap with its attach batches (api-proxy/runs/attach-phase.ts).
    runs: { ...config.runs, readsInFlight: overrides.client?.concurrencyPerRegion ?? config.upstream.concurrency, ...overrides.runs },
    ...(overrides.loggerInstance ? { loggerInstance: overrides.loggerInstance } : { logger: overrides.logger ?? false }),
  });
  // Which file holds the trail is the first thing to check when pending activations seem forgotten.
  app.log.info({ component: 'audit', path: config.auditDb }, 'audit trail opened');
  built.app = app;

  return {
    app,
    audit,
    ecs,
    regions,
    breaker,
    credentials,
    async close() {
      await app.close();
      await signed?.close();
      audit.close();
    },
  };
}

/** Live mode: the default credentials chain, and Alibaba's endpoint per region (or ECS_ENDPOINT for all). */
function liveUpstream(config: Config): UpstreamTarget {
  if (config.ecs.mode === 'sim') throw new Error('sim mode: the proxy needs the simulator’s address (simUpstream)');
  return {
    mode: config.ecs.endpoint ? { kind: 'fixed', base: new URL(config.ecs.endpoint) } : { kind: 'aliyun', network: config.ecs.network },
    credentials: defaultChainCredentials(),
  };
}
