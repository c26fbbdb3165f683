import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createSimulator, type Simulator } from '../sim/model/simulator';
import type { AppSettings } from './app';
import type { AuditStore, SqliteAuditStoreOptions } from './audit';
import { buildProxy } from './compose';
import { loadConfig, type Config } from './config';
import { createSimServer, type SimRequestRecord, type SimServer } from '../sim/http/server';
import type { CircuitBreaker, CircuitBreakerOptions } from './upstream/circuit-breaker';
import { staticCredentials, type CredentialSource } from './upstream/credentials';
import type { EcsClient } from './upstream/ecs-client';
import type { EngineOptions } from './runs/driver';

/**
 * Builds the whole proxy for `inject()` tests through the same composition root as server.ts (compose.ts): the
 * real signer, client, region directory, identity, policy and audit store, talking over loopback HTTP to the
 * simulated ECS. Parts can be swapped for fakes where a test needs a failure the simulator cannot produce.
 */

// inject() sends Host: localhost:80, so the console's public origin in tests is http://localhost.
export const TEST_ORIGIN = 'http://localhost';
export const SIM_SECRET = 'test-secret-0f9e8d7c6b5a-DO-NOT-LEAK';

/** One HTTP request as the simulated ECS received it. */
export interface UpstreamCall {
  /** The Action the request named (absent only for requests ECS could not read at all). */
  action: string | undefined;
  /** The business parameters on the wire (empty for a request ECS refused before reading them). */
  wire: Record<string, string>;
  /** The request's RegionId parameter (RebootInstance/StartInstance carry none). */
  regionId: string | undefined;
  /** What the simulated ECS answered; null when it dropped the connection. */
  status: number | null;
  code: string | undefined;
  at: number;
}

export interface TestProxy {
  app: FastifyInstance;
  simulator: Simulator;
  /** The simulated ECS's HTTP door (its request record, or close/listen it to make ECS unreachable). */
  sim: SimServer;
  /** The door's port, to listen again on the same address after closing it. */
  simPort: number;
  /** The same door, by the name the readiness tests use. */
  simServer: SimServer;
  audit: AuditStore;
  config: Config;
  /**
   * Every HTTP request that reached the simulated ECS, oldest first: one entry per attempt, retries included,
   * because it is read from the simulator's own record (sim-server.ts), below the proxy's retry loop.
   */
  readonly upstreamCalls: UpstreamCall[];
  /** The upstream client's circuit breaker. */
  breaker: CircuitBreaker;
  logs: string[];
  close(): Promise<void>;
}

export interface TestProxyOptions {
  env?: Record<string, string>;
  /** Replace the upstream client; the default signs and calls the simulated ECS over HTTP. */
  ecs?: (real: EcsClient) => EcsClient;
  audit?: (real: AuditStore) => AuditStore;
  /** Options of the real audit store (lock wait, free-space threshold). */
  auditOptions?: SqliteAuditStoreOptions;
  readiness?: AppSettings['readiness'];
  credentials?: CredentialSource;
  upstream?: Partial<{ timeoutMs: number; connectTimeoutMs: number; maxRetries: number; maxDelayMs: number }>;
  /** Send ECS calls here instead of the simulated ECS (which still runs, e.g. a port that never answers). */
  upstreamBase?: URL;
  breaker?: CircuitBreakerOptions;
  webDist?: string;
  /** The app's clock (audit times, denial windows); the real one by default. */
  clock?: () => number;
  /** Run engine settings (fast health-gate polls). */
  runs?: Partial<EngineOptions>;
  /** Size of the simulated fleet (default 150). */
  instances?: number;
}

export async function createTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'proxy-test-'));
  const loaded = loadConfig({
    AUDIT_DB: path.join(dir, 'audit.sqlite'),
    PUBLIC_ORIGIN: TEST_ORIGIN,
    // API only unless a test serves a web build: a folder without index.html.
    WEB_DIST: options.webDist ?? path.join(dir, 'no-web-app'),
    ...options.env,
  });
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.errors.join('; ')}`);
  const config = loaded.config;

  const simulator = createSimulator({ instances: options.instances ?? 150 });
  const simServer: SimServer = createSimServer({ simulator, accessKeys: { 'test-ak': SIM_SECRET } });
  const { url, port: simPort } = await simServer.listen(0, '127.0.0.1');
  const logs: string[] = [];
  const proxy = await buildProxy(config, {
    upstream: {
      mode: { kind: 'fixed', base: options.upstreamBase ?? new URL(url) },
      credentials: options.credentials ?? staticCredentials({ accessKeyId: 'test-ak', accessKeySecret: SIM_SECRET }, 'static (test)'),
    },
    client: {
      connectTimeoutMs: options.upstream?.connectTimeoutMs ?? 1000,
      timeoutMs: options.upstream?.timeoutMs ?? 3000,
      concurrencyPerRegion: 4,
      maxRetries: options.upstream?.maxRetries ?? 2,
      baseDelayMs: 1,
      maxDelayMs: options.upstream?.maxDelayMs ?? 5,
      sleep: () => Promise.resolve(),
    },
    ...(options.breaker ? { breaker: options.breaker } : {}),
    ...(options.ecs ? { wrapEcs: options.ecs } : {}),
    ...(options.auditOptions ? { auditOptions: options.auditOptions } : {}),
    ...(options.audit ? { wrapAudit: options.audit } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.runs ? { runs: options.runs } : {}),
    logger: { level: 'trace', stream: { write: (line: string) => logs.push(line) } },
  });
  await proxy.app.ready();
  const toCall = (entry: SimRequestRecord): UpstreamCall => ({
    action: entry.action,
    wire: entry.params,
    regionId: entry.regionId,
    status: entry.status,
    code: entry.code,
    at: entry.at,
  });
  return {
    app: proxy.app,
    simulator,
    sim: simServer,
    simPort,
    simServer,
    audit: proxy.audit,
    config,
    get upstreamCalls() {
      return simServer.requests().map(toCall);
    },
    breaker: proxy.breaker,
    logs,
    async close() {
      await proxy.close();
      await simServer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headers of a same-origin JSON call from the console. */
export const jsonFromConsole = { 'content-type': 'application/json', origin: TEST_ORIGIN } as const;
