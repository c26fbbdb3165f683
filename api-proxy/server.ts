import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { buildProxy, simUpstream } from './compose';
import { loadConfig, type Config } from './config';
import { startSimMode } from './sim-mode';

/**
 * The only file that reads the environment and listens (docs/conventions.md#fastify-demo). `startServer` is
 * exported for the process-level test; running this file directly (or `npm start`) starts it with
 * `process.env`. The proxy itself is built by compose.ts.
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
  /** Sim mode: the in-process simulated ECS's address (its /__sim/ door, when SIM_CONTROL=on). */
  simUrl?: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: { destination?: pino.DestinationStream } = {}): Promise<RunningServer> {
  const logger = pino(
    { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'ecs-keypair-proxy' } },
    options.destination ?? pino.destination(1),
  );
  // Sim mode only: the simulator is loaded by sim-mode.ts with import(), so live mode never loads it.
  const sim = config.ecs.mode === 'sim' ? await startSimMode(config.sim, (line) => logger.debug({ component: 'sim' }, line)) : undefined;
  const proxy = await buildProxy(config, { loggerInstance: logger, ...(sim ? { upstream: simUpstream(config, sim.url) } : {}) });

  const address = await proxy.app.listen({ host: config.host, port: config.port });
  logger.info(
    { url: address, mode: config.ecs.mode, auth: config.auth.mode, credentials: proxy.credentials.description },
    'proxy listening',
  );
  if (sim && config.sim.control)
    logger.warn({ component: 'sim', control: `${sim.url}/__sim/` }, 'simulator control door is on (SIM_CONTROL=on)');

  return {
    url: address,
    ...(sim ? { simUrl: sim.url } : {}),
    async close() {
      await proxy.close();
      await sim?.close();
    },
  };
}

/** Loads the configuration from the environment, starts, and stops cleanly on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    // Fail fast with every problem at once (docs/conventions.md#fail-fast-on-configuration).
    console.error(`ecs-keypair-console: invalid configuration (${loaded.errors.length} problem${loaded.errors.length === 1 ? '' : 's'}):`);
    for (const error of loaded.errors) console.error(`  - ${error}`);
    process.exit(1);
  }
  for (const warning of loaded.warnings) {
    console.error(`\n*** WARNING: ${warning} ***\n`);
  }
  const running = await startServer(loaded.config);
  console.error(`ecs-keypair-console: open ${running.url} (${loaded.config.ecs.mode === 'sim' ? 'simulated ECS' : 'LIVE ECS'})`);
  if (running.simUrl && loaded.config.sim.control)
    console.error(`ecs-keypair-console: simulator control door on ${running.simUrl}/__sim/ (SIM_CONTROL=on)`);
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
