import path from 'node:path';
import { z } from 'zod';
import { RegionId } from '../../ecs/contract';
import { simAccessKeyId, text, wholeNumber } from '#ecs/env';
import { authFields, buildAuth, buildRoles, trustedProxyCidrs } from './auth';
import { choice, fromItem, hostSchema, list, optional, parseLoginUser, parseOrigin, pathSchema } from './fields';

/**
 * The proxy's configuration: one schema (this file) over the environment, every problem reported at once, loud warnings
 * for insecure combinations (docs/conventions.md#fail-fast-on-configuration, docs/conventions.md#oauth2-proxy). Pure: `loadConfig` is handed the environment and
 * does no I/O, so `server.ts` stays the only place that reads `process.env` (docs/conventions.md#fastify-demo).
 *
 * Unset and empty variables both mean "use the default" (as in `sim-main.ts`). Lists are comma-separated;
 * blanks around items and empty items are ignored.
 *
 * | Variable | Default | Meaning |
 * |---|---|---|
 * | `HOST` | `127.0.0.1` | Address to listen on. `AUTH_MODE=none` requires a loopback address. |
 * | `PORT` | `8080` | Port to listen on (0 = ephemeral). |
 * | `LOG_LEVEL` | `info` | `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent` (pino levels). |
 * | `WEB_DIST` | `dist/web` | Directory of the built web app. |
 * | `PUBLIC_ORIGIN` | (required for `header` and `jwt`) | Allowed browser origins, e.g. `https://keys.example.com`: mutations must come from one (scheme, host and port), and only their host names are answered. Unset (`none` only): the origin the request was made to, loopback names only. |
 * | `ECS_MODE` | `sim` | `sim` (in-process simulated ECS) or `live` (real Alibaba Cloud ECS). |
 * | `ECS_NETWORK` | `public` | `public` (`ecs.<region>.aliyuncs.com`) or `vpc` (`ecs-vpc.<region>.aliyuncs.com`), docs/ecs-notes.md#endpoints. |
 * | `ECS_ENDPOINT` | (unset) | Live mode: one base URL (`https://host[:port]`) used for every region instead (private gateways, tests). Ignored in sim mode. |
 * | `ECS_BOOTSTRAP_REGION` | `cn-hangzhou` | Live mode: the region whose endpoint answers DescribeRegions (docs/ecs-notes.md#regions). |
 * | `UPSTREAM_CONNECT_TIMEOUT_MS` | `3000` | Connect timeout for ECS calls. |
 * | `UPSTREAM_TIMEOUT_MS` | `15000` | Whole-call timeout for ECS calls (at least the connect timeout). |
 * | `UPSTREAM_CONCURRENCY` | `8` | ECS calls in flight per region (docs/ecs-notes.md#throttling: limits are per region). 1–64. |
 * | `RUN_ATTACH_IN_FLIGHT` | `4` | AttachKeyPair batches (of 50) a run keeps in flight (api-proxy/runs/attach-phase.ts). 1–16. |
 * | `RUN_HEALTH_POLL_MS` | `5000` | How often a run's health gate reads the statuses of a rebooting wave. 100–60000. |
 * | `ACTIVATION_USERS` | `root,ecs-user` | Login users the Cloud Assistant key script may write keys for (docs/activation-script.md, docs/product.md#fixed-commands-only). |
 * | `UPSTREAM_MAX_RETRIES` | `4` | Retries of throttled/transient ECS calls (docs/ecs-notes.md#retry-policy). 0–10. |
 * | `SIM_SEED` | (unset) | Sim mode: seed of the simulated fleet. |
 * | `SIM_INSTANCES` | `300` | Sim mode: number of simulated instances. |
 * | `SIM_LATENCY_MS` / `SIM_JITTER_MS` | `0` / `0` | Sim mode: simulated ECS latency. |
 * | `SIM_PORT` | `0` | Sim mode: loopback port of the in-process simulated ECS (0 = ephemeral). |
 * | `SIM_ACCESS_KEY_ID` / `SIM_ACCESS_KEY_SECRET` | `sim-access-key-id` / `sim-access-key-secret` | Sim mode: the access key the proxy signs with and the simulator accepts. |
 * | `SIM_CONTROL` | `off` | Sim mode: `on` serves the simulator's unsigned `/__sim/` test door on its loopback port. |
 * | `AUTH_MODE` | `none` | `none` (local use only), `header` (trusted identity headers) or `jwt` (signed assertions). |
 * | `TRUSTED_PROXY_CIDRS` | (required for `header`) | Addresses/CIDRs (IPv4 or IPv6) of the proxies whose `X-Forwarded-For/-Proto/-Host` are believed, in every mode; in `header` mode also their identity headers. |
 * | `RATE_LIMIT_PER_MINUTE` | `1200` | Calls to `/api/ecs` per user per minute (0 = no limit); past it, 429 `Proxy.RateLimited` with `Retry-After`. |
 * | `AUTH_HEADER_USER` | `X-Forwarded-User` | `header` mode: user name header. |
 * | `AUTH_HEADER_EMAIL` | `X-Forwarded-Email` | `header` mode: e-mail header. |
 * | `AUTH_HEADER_GROUPS` | `X-Forwarded-Groups` | `header` mode: comma-separated groups header. |
 * | `JWT_HEADER` | (unset) | `jwt` mode: header carrying the assertion (`Authorization` means `Bearer <jwt>`). |
 * | `JWT_PRESET` | (unset) | `jwt` mode, instead of `JWT_HEADER`: `cloudflare`, `pomerium` or `iap`. |
 * | `JWT_JWKS_URL` | (required for `jwt`) | The issuer's JWKS; https unless the host is loopback. |
 * | `JWT_ISSUER` | (required for `jwt`) | Expected `iss`. |
 * | `JWT_AUDIENCE` | (required for `jwt`) | Expected `aud` (comma-separated: any of them). |
 * | `JWT_USER_CLAIM` | `email` | `jwt` mode: claim naming the user (falls back to `sub`). |
 * | `JWT_GROUPS_CLAIM` | `groups` | `jwt` mode: claim with the user's groups (array or comma-separated string). |
 * | `JWT_ALGORITHMS` | `RS256,ES256,PS256,EdDSA` | `jwt` mode: accepted signature algorithms; asymmetric only. |
 * | `JWT_MAX_AGE` | (unset) | `jwt` mode: refuse tokens whose `iat` is more than this many seconds ago (1–31536000). Tokens issued in the future (beyond 60 s of skew) are always refused. |
 * | `ROLE_VIEW_GROUPS` | `*` | Groups that may look (Describe*). `*` = every authenticated user. |
 * | `ROLE_ATTACH_GROUPS` | (nobody) | Groups that may attach key pairs. |
 * | `ROLE_POWER_GROUPS` | (nobody) | Groups that may reboot and start instances. |
 * | `AUDIT_DB` | `data/audit.sqlite` | SQLite file of the audit trail. A relative path is taken from the project folder (the one holding `package.json`), not from the working directory. |
 *
 * With `AUTH_MODE=none` the local operator has every role and the `ROLE_*` variables are ignored.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Per user and minute, counted on /api/ecs. The busiest thing an operator does by hand is watching a large
 * follow-up: 500 instances rebooting are polled every 2 s in calls of 50 IDs by the results screen and by the
 * instance list, ~600 calls a minute, on top of a 10,000-instance region load (100 DescribeInstances pages).
 * 1,200 leaves that ~40% headroom, while a script calling in a loop (hundreds a second through the proxy) is
 * stopped within seconds, before it spends the account's ECS quota that every other operator shares.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;

/**
 * The one schema: every variable the proxy reads. Each is parsed on its own so that one bad value does not
 * hide the others (every problem at once); rules across variables are checked in `loadConfig` (load.ts).
 * The SIM_* rules match `readSimConfig` in sim-main.ts (load.test.ts checks they agree), except SIM_PORT
 * whose default here is 0: the in-process simulator takes any free loopback port.
 */
export const envFields = {
  HOST: text(hostSchema, '127.0.0.1'),
  PORT: wholeNumber(0, 65_535, 8080),
  LOG_LEVEL: text(choice(LOG_LEVELS), 'info'),
  WEB_DIST: text(pathSchema, 'dist/web'),
  PUBLIC_ORIGIN: optional(list(parseOrigin)),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000, DEFAULT_RATE_LIMIT_PER_MINUTE),

  ECS_MODE: text(choice(['sim', 'live']), 'sim'),
  ECS_NETWORK: text(choice(['public', 'vpc']), 'public'),
  ECS_ENDPOINT: optional(
    fromItem((raw) => {
      const origin = parseOrigin(raw);
      return origin.ok ? origin : { ok: false, message: `${origin.message} (ECS RPC calls always use path /)` };
    }),
  ),
  ECS_BOOTSTRAP_REGION: text(z.string().trim().pipe(RegionId), 'cn-hangzhou'),

  UPSTREAM_CONNECT_TIMEOUT_MS: wholeNumber(1, 600_000, 3000),
  UPSTREAM_TIMEOUT_MS: wholeNumber(1, 600_000, 15_000),
  UPSTREAM_CONCURRENCY: wholeNumber(1, 64, 8),
  UPSTREAM_MAX_RETRIES: wholeNumber(0, 10, 4),
  RUN_ATTACH_IN_FLIGHT: wholeNumber(1, 16, 4),
  RUN_HEALTH_POLL_MS: wholeNumber(100, 60_000, 5000),
  // The only users a Cloud Assistant command may name (docs/product.md#fixed-commands-only): the login users of
  // Alibaba's images, root and ecs-user (docs/ecs-notes.md#boot-time-key-handling).
  ACTIVATION_USERS: text(
    list(parseLoginUser).refine((users) => users.length > 0, 'must name at least one user'),
    ['root', 'ecs-user'],
  ),

  SIM_SEED: optional(z.string().max(200)),
  SIM_INSTANCES: wholeNumber(0, 100_000, 300),
  SIM_LATENCY_MS: wholeNumber(0, 600_000, 0),
  SIM_JITTER_MS: wholeNumber(0, 600_000, 0),
  SIM_PORT: wholeNumber(0, 65_535, 0),
  SIM_ACCESS_KEY_ID: simAccessKeyId(),
  SIM_ACCESS_KEY_SECRET: text(z.string().max(256), 'sim-access-key-secret'),
  // The in-process simulator's /__sim/ door is unsigned (loopback only, but any local process could reset the
  // fleet or inject faults), so it is off unless a test harness asks for it.
  SIM_CONTROL: text(choice(['on', 'off']), 'off'),

  ...authFields,

  AUDIT_DB: text(pathSchema, 'data/audit.sqlite'),
} satisfies Record<string, z.ZodType>;

/** The environment as read, variable by variable. */
export const EnvSchema = z.object(envFields);
export type Env = z.output<typeof EnvSchema>;
export type EnvName = keyof typeof envFields;

/** Every variable `loadConfig` reads. */
export const CONFIG_VARIABLES = Object.keys(envFields) as EnvName[];

/**
 * The configuration the rest of the proxy sees: the environment schema, shaped. Its output type is `Config`;
 * `loadConfig` runs it once every variable parsed and every rule across variables held.
 */
export const ConfigSchema = EnvSchema.transform(toConfig);
export type Config = z.output<typeof ConfigSchema>;

function toConfig(e: Env) {
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    webDist: e.WEB_DIST,
    /**
     * Allowed browser origins (`scheme://host[:port]`); `undefined` = only the origin the request was made to
     * (allowed with AUTH_MODE=none only).
     */
    publicOrigins: e.PUBLIC_ORIGIN === undefined ? undefined : [...new Set(e.PUBLIC_ORIGIN)],
    /**
     * Canonical `address/prefix` strings of the proxies whose X-Forwarded-For/-Proto/-Host are believed, in
     * every auth mode (in `header` mode also their identity headers: the same list as `auth.trustedProxyCidrs`).
     */
    trustedProxyCidrs: trustedProxyCidrs(e),
    /** Calls to /api/ecs per user per minute; 0 = no limit. */
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    ecs: {
      mode: e.ECS_MODE,
      network: e.ECS_NETWORK,
      /** Live mode only: one origin for every region; `undefined` = built per region (docs/ecs-notes.md#endpoints). */
      endpoint: e.ECS_MODE === 'live' ? e.ECS_ENDPOINT : undefined,
      bootstrapRegion: e.ECS_BOOTSTRAP_REGION,
    },
    upstream: {
      connectTimeoutMs: e.UPSTREAM_CONNECT_TIMEOUT_MS,
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      /** Per region. */
      concurrency: e.UPSTREAM_CONCURRENCY,
      maxRetries: e.UPSTREAM_MAX_RETRIES,
    },
    runs: { attachInFlight: e.RUN_ATTACH_IN_FLIGHT, pollMs: e.RUN_HEALTH_POLL_MS },
    /** Login users the Cloud Assistant key script may name (api-proxy/cloud-assistant/command.ts). */
    activationUsers: [...new Set(e.ACTIVATION_USERS)],
    sim: {
      seed: e.SIM_SEED,
      instances: e.SIM_INSTANCES,
      latencyMs: e.SIM_LATENCY_MS,
      jitterMs: e.SIM_JITTER_MS,
      /** 0 = ephemeral loopback port. */
      port: e.SIM_PORT,
      accessKeyId: e.SIM_ACCESS_KEY_ID,
      accessKeySecret: e.SIM_ACCESS_KEY_SECRET,
      /** Serve the simulator's unsigned /__sim/ control door (tests only). */
      control: e.SIM_CONTROL === 'on',
    },
    auth: buildAuth(e),
    roles: buildRoles(e),
    auditDb: resolveAuditDb(e.AUDIT_DB),
  };
}

/**
 * The project folder (where package.json is): this file lives in `<root>/api-proxy/config/`. Computed from the
 * module's own location, which no environment or working directory can change.
 */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * AUDIT_DB as an absolute path. A relative one is taken from the project folder, not from the working
 * directory: the trail is also the memory of which instances still wait for a reboot, and a service started
 * from another directory (a unit file without WorkingDirectory, a cron job, a shell in $HOME) would otherwise
 * open a fresh, empty trail and silently forget them.
 */
function resolveAuditDb(value: string): string {
  return value === ':memory:' ? value : path.resolve(PROJECT_ROOT, value);
}
