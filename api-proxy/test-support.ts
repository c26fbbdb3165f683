import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ActionName } from '../ecs/contract';
import { createSimulator, type Simulator } from '../ecs/sim/simulator';
import { createApp } from './app';
import { openAuditStore, type AuditStore } from './audit';
import { loadConfig, type Config } from './config';
import { createIdentityResolver } from './identity';
import { createSimServer, type SimServer } from './sim-server';
import { staticCredentials, type CredentialSource } from './upstream/credentials';
import type { EcsClient, UpstreamOutcome } from './upstream/ecs-client';
import { createUpstream } from './upstream/wiring';

/**
 * Builds the whole proxy for `inject()` tests the way server.ts does in sim mode: the real signer, client,
 * region directory, identity, policy and audit store, talking over loopback HTTP to the simulated ECS. Parts
 * can be swapped for fakes where a test needs a failure the simulator cannot produce.
 */

// inject() sends Host: localhost:80, so the console's public origin in tests is http://localhost.
export const TEST_ORIGIN = 'http://localhost';
export const SIM_SECRET = 'test-secret-0f9e8d7c6b5a-DO-NOT-LEAK';

export interface TestProxy {
  app: FastifyInstance;
  simulator: Simulator;
  audit: AuditStore;
  config: Config;
  /** Every call that reached the upstream client (action, wire params, region). */
  upstreamCalls: { action: ActionName; wire: Record<string, string>; regionId: string }[];
  logs: string[];
  close(): Promise<void>;
}

export interface TestProxyOptions {
  env?: Record<string, string>;
  /** Replace the upstream client; the default signs and calls the simulated ECS over HTTP. */
  ecs?: (real: EcsClient) => EcsClient;
  audit?: (real: AuditStore) => AuditStore;
  credentials?: CredentialSource;
  upstream?: Partial<{ timeoutMs: number; maxRetries: number }>;
  webDist?: string;
  /** The app's clock (audit times, denial windows); the real one by default. */
  clock?: () => number;
}

export async function createTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'proxy-test-'));
  const loaded = loadConfig({ AUDIT_DB: path.join(dir, 'audit.sqlite'), PUBLIC_ORIGIN: TEST_ORIGIN, ...options.env });
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.errors.join('; ')}`);
  const config = loaded.config;

  const simulator = createSimulator({ instances: 150 });
  const simServer: SimServer = createSimServer({ simulator, accessKeys: { 'test-ak': SIM_SECRET } });
  const { url } = await simServer.listen(0, '127.0.0.1');
  const base = new URL(url);
  const credentials = options.credentials ?? staticCredentials({ accessKeyId: 'test-ak', accessKeySecret: SIM_SECRET }, 'static (test)');
  const upstreamCalls: TestProxy['upstreamCalls'] = [];
  let realEcs: EcsClient | undefined;
  const { ecs, regions } = createUpstream({
    mode: { kind: 'fixed', base },
    bootstrapRegion: config.ecs.bootstrapRegion,
    credentials,
    client: {
      connectTimeoutMs: 1000,
      timeoutMs: options.upstream?.timeoutMs ?? 3000,
      concurrencyPerRegion: 4,
      maxRetries: options.upstream?.maxRetries ?? 2,
      baseDelayMs: 1,
      maxDelayMs: 5,
      sleep: () => Promise.resolve(),
    },
    wrap: (signed) => {
      realEcs = signed;
      const inner = options.ecs ? options.ecs(signed) : signed;
      return {
        async call(action, wire, route): Promise<UpstreamOutcome> {
          upstreamCalls.push({ action, wire, regionId: route.regionId });
          return inner.call(action, wire, route);
        },
        close: () => signed.close(),
      };
    },
  });
  const realAudit = openAuditStore(config.auditDb);
  const audit = options.audit ? options.audit(realAudit) : realAudit;
  const logs: string[] = [];
  const app = await createApp({
    settings: {
      mode: 'sim',
      auth: config.auth,
      roles: config.roles,
      publicOrigins: config.publicOrigins ?? [],
      trustedProxyCidrs: config.trustedProxyCidrs,
      rateLimitPerMinute: config.rateLimitPerMinute,
      bootstrapRegion: config.ecs.bootstrapRegion,
      ...(options.webDist === undefined ? {} : { webDist: options.webDist }),
    },
    identity: createIdentityResolver(config.auth),
    ecs,
    regions,
    audit,
    credentials,
    ...(options.clock ? { clock: options.clock } : {}),
    logger: { level: 'trace', stream: { write: (line: string) => logs.push(line) } },
  });
  await app.ready();
  return {
    app,
    simulator,
    audit: realAudit,
    config,
    upstreamCalls,
    logs,
    async close() {
      await app.close();
      await realEcs?.close();
      realAudit.close();
      await simServer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headers of a same-origin JSON call from the console. */
export const jsonFromConsole = { 'content-type': 'application/json', origin: TEST_ORIGIN } as const;
