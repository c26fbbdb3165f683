import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { simAccessKeyId, text, unsetIfEmpty, wholeNumber } from '#ecs/env';
import { startSim } from './start';

/**
 * `npm run sim`: the simulated ECS on its own port, for demo mode and Playwright. The only file of the
 * simulator that reads the environment (docs/conventions.md#fastify-demo); importing it has no side effects,
 * so `readSimConfig` can be tested.
 *
 *   SIM_PORT (9090)  SIM_HOST (127.0.0.1)  SIM_SEED  SIM_INSTANCES (300)
 *   SIM_ACCESS_KEY_ID (sim-access-key-id)  SIM_ACCESS_KEY_SECRET (sim-access-key-secret)
 *   SIM_LATENCY_MS (0)  SIM_JITTER_MS (0)
 */

const SimConfigFromEnv = z
  .object({
    SIM_PORT: wholeNumber(0, 65_535, 9090),
    SIM_HOST: text(
      z
        .string()
        .trim()
        .max(255)
        .regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or IP address'),
      '127.0.0.1',
    ),
    SIM_SEED: z.preprocess(unsetIfEmpty, z.string().max(200).optional()),
    SIM_INSTANCES: wholeNumber(0, 100_000, 300),
    SIM_ACCESS_KEY_ID: simAccessKeyId(),
    SIM_ACCESS_KEY_SECRET: text(z.string().max(256), 'sim-access-key-secret'),
    SIM_LATENCY_MS: wholeNumber(0, 600_000, 0),
    SIM_JITTER_MS: wholeNumber(0, 600_000, 0),
  })
  .transform((e) => ({
    port: e.SIM_PORT,
    host: e.SIM_HOST,
    seed: e.SIM_SEED,
    instances: e.SIM_INSTANCES,
    accessKeyId: e.SIM_ACCESS_KEY_ID,
    accessKeySecret: e.SIM_ACCESS_KEY_SECRET,
    latencyMs: e.SIM_LATENCY_MS,
    jitterMs: e.SIM_JITTER_MS,
  }));

export type SimConfig = z.output<typeof SimConfigFromEnv>;

/** Validates the whole environment at once and lists every problem (docs/conventions.md#fail-fast-on-configuration). Pure. */
export function readSimConfig(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: SimConfig } | { ok: false; problems: string[] } {
  const parsed = SimConfigFromEnv.safeParse(env);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
  }
  return { ok: true, config: parsed.data };
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

async function main(): Promise<void> {
  const result = readSimConfig(process.env);
  if (!result.ok) {
    console.error(`sim: invalid configuration:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  const config = result.config;
  // The standalone simulator is a test tool: its control door is always on (loopback peers only).
  const sim = await startSim({ ...config, controlEndpoint: true, log: (line) => console.log(line) });
  console.log(
    `sim: simulated ECS on ${sim.url} (AccessKeyId ${config.accessKeyId}, ${config.instances} instances in cn-hangzhou, seed ${config.seed ?? 'default'})`,
  );
  if (!isLoopbackHost(config.host)) {
    console.warn(`sim: WARNING: listening on ${config.host}, not loopback. /__sim/ still answers loopback peers only.`);
  }
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** True when this file is the program being run (tsx sim/main.ts), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    console.error(`sim: failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
