import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import type { Simulator } from '../ecs/sim/simulator';
import { createSimulator } from '../ecs/sim/simulator';
import { createApp } from './app';
import { openSqliteAuditStore } from './audit';
import { loadConfig, type Config } from './config';
import { createIdentityResolver } from './identity';
import { createSimServer, type SimServer } from './sim-server';
import { defaultChainCredentials, staticCredentials, type CredentialSource } from './upstream/credentials';
import type { RegionEndpointMode } from './upstream/regions';
import { createUpstream } from './upstream/wiring';

/**
 * The only file that reads the environment and listens (STYLE.md, fastify/demo). `startServer` is exported
 * for the process-level test; running this file directly (or `npm start`) starts it with `process.env`.
 */

/** Log redaction: belt and braces, since the app never logs headers or credentials in the first place. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.accessKeySecret',
  '*.AccessKeySecret',
  '*.securityToken',
  '*.SecurityToken',
  '*.Signature',
  '*.authorization',
];

export interface RunningServer {
  url: string;
  simUrl?: string;
  simulator?: Simulator;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: { destination?: pino.DestinationStream } = {}): Promise<RunningServer> {
  const logger = pino(
    { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'ecs-keypair-proxy' } },
    options.destination ?? pino.destination(1),
  );

  let sim: { server: SimServer; simulator: Simulator; url: string } | undefined;
  let credentials: CredentialSource;
  let mode: RegionEndpointMode;
  if (config.ecs.mode === 'sim') {
    // Demo mode signs every call and sends it over HTTP to the simulated ECS, exactly as live mode does
    // (STYLE.md habit 2), so the demo path runs the real signer, allowlist, identity and audit code.
    const simulator = createSimulator({ ...(config.sim.seed === undefined ? {} : { seed: config.sim.seed }), instances: config.sim.instances });
    simulator.setControl({ latencyMs: config.sim.latencyMs, jitterMs: config.sim.jitterMs });
    const server = createSimServer({
      simulator,
      accessKeys: { [config.sim.accessKeyId]: config.sim.accessKeySecret },
      controlEndpoint: config.sim.control,
      log: (line) => logger.debug({ component: 'sim' }, line),
    });
    const { url } = await server.listen(config.sim.port, '127.0.0.1');
    sim = { server, simulator, url };
    credentials = staticCredentials({ accessKeyId: config.sim.accessKeyId, accessKeySecret: config.sim.accessKeySecret }, 'static (simulator)');
    mode = { kind: 'fixed', base: new URL(url) };
  } else {
    credentials = defaultChainCredentials();
    mode = config.ecs.endpoint ? { kind: 'fixed', base: new URL(config.ecs.endpoint) } : { kind: 'aliyun', network: config.ecs.network };
  }

  const { ecs, regions } = createUpstream({
    mode,
    bootstrapRegion: config.ecs.bootstrapRegion,
    credentials,
    client: {
      connectTimeoutMs: config.upstream.connectTimeoutMs,
      timeoutMs: config.upstream.timeoutMs,
      concurrencyPerRegion: config.upstream.concurrency,
      maxRetries: config.upstream.maxRetries,
      onRetry: (info) => logger.warn({ component: 'upstream', ...info }, 'retrying ECS call'),
      onCredentialsError: (error) =>
        logger.error({ component: 'credentials', err: error instanceof Error ? error.message : 'unknown' }, 'credentials unavailable'),
    },
    onRefreshError: (error) =>
      logger.warn({ component: 'regions', err: error instanceof Error ? error.message : 'unknown' }, 'region list refresh failed; serving the cached list'),
  });

  const audit = openSqliteAuditStore(config.auditDb);
  // Which file holds the trail is the first thing to check when pending activations seem forgotten.
  logger.info({ component: 'audit', path: config.auditDb }, 'audit trail opened');
  const identity = createIdentityResolver(config.auth);
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
    },
    identity,
    ecs,
    regions,
    audit,
    credentials,
    loggerInstance: logger,
  });

  const address = await app.listen({ host: config.host, port: config.port });
  logger.info({ url: address, mode: config.ecs.mode, auth: config.auth.mode, credentials: credentials.description }, 'proxy listening');
  if (sim && config.sim.control) logger.warn({ component: 'sim', control: `${sim.url}/__sim/` }, 'simulator control door is on (SIM_CONTROL=on)');

  return {
    url: address,
    ...(sim ? { simUrl: sim.url, simulator: sim.simulator } : {}),
    async close() {
      await app.close();
      await ecs.close();
      audit.close();
      if (sim) await sim.server.close();
    },
  };
}

/** Loads the configuration from the environment, starts, and stops cleanly on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    // Fail fast with every problem at once (STYLE.md habit 5).
    console.error(`ecs-keypair-console: invalid configuration (${loaded.errors.length} problem${loaded.errors.length === 1 ? '' : 's'}):`);
    for (const error of loaded.errors) console.error(`  - ${error}`);
    process.exit(1);
  }
  for (const warning of loaded.warnings) {
    console.error(`\n*** WARNING: ${warning} ***\n`);
  }
  const running = await startServer(loaded.config);
  console.error(`ecs-keypair-console: open ${running.url} (${loaded.config.ecs.mode === 'sim' ? 'simulated ECS' : 'LIVE ECS'})`);
  if (running.simUrl && loaded.config.sim.control) console.error(`ecs-keypair-console: simulator control door on ${running.simUrl}/__sim/ (SIM_CONTROL=on)`);
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`ecs-keypair-console: ${signal}, shutting down`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  main().catch((error: unknown) => {
    console.error('ecs-keypair-console: failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
