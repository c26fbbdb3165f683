import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { text, unsetIfEmpty, wholeNumber } from './env';
import { formatCidr, isLoopbackHost, parseCidr, type Cidr } from './net';
import { RegionId } from '../ecs/contract';

/**
 * The proxy's configuration: one schema over the environment, every problem reported at once, loud warnings
 * for insecure combinations (STYLE.md habit 5, oauth2-proxy). Pure: `loadConfig` is handed the environment and
 * does no I/O, so `server.ts` stays the only place that reads `process.env` (STYLE.md, fastify/demo).
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
 * | `ECS_NETWORK` | `public` | `public` (`ecs.<region>.aliyuncs.com`) or `vpc` (`ecs-vpc.<region>.aliyuncs.com`), ecs-api.md §3.2. |
 * | `ECS_ENDPOINT` | (unset) | Live mode: one base URL (`https://host[:port]`) used for every region instead (private gateways, tests). Ignored in sim mode. |
 * | `ECS_BOOTSTRAP_REGION` | `cn-hangzhou` | Live mode: the region whose endpoint answers DescribeRegions (ecs-api.md §3.1). |
 * | `UPSTREAM_CONNECT_TIMEOUT_MS` | `3000` | Connect timeout for ECS calls. |
 * | `UPSTREAM_TIMEOUT_MS` | `15000` | Whole-call timeout for ECS calls (at least the connect timeout). |
 * | `UPSTREAM_CONCURRENCY` | `8` | ECS calls in flight per region (ecs-api.md §13: limits are per region). 1–64. |
 * | `UPSTREAM_MAX_RETRIES` | `4` | Retries of throttled/transient ECS calls (ecs-api.md §8.2). 0–10. |
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

// ---------------------------------------------------------------------------------------------------------
// The configuration the rest of the proxy sees.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Asymmetric JWS algorithms only: with an HMAC algorithm the "secret" would be the issuer's public key. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Where well-known SSO proxies put their signed assertion. */
export const JWT_PRESETS = {
  cloudflare: 'cf-access-jwt-assertion',
  pomerium: 'x-pomerium-jwt-assertion',
  iap: 'x-goog-iap-jwt-assertion',
} as const;
export type JwtPreset = keyof typeof JWT_PRESETS;

export type AuthConfig =
  | { mode: 'none' }
  | {
      mode: 'header';
      /**
       * Canonical `address/prefix` strings (IPv4-mapped IPv6 already turned into IPv4), usable as is by
       * Fastify's `trustProxy`; `parseCidr` reads them back.
       */
      trustedProxyCidrs: readonly string[];
      /** Header names, lowercase (Node's `IncomingHttpHeaders` keys). */
      userHeader: string;
      emailHeader: string;
      groupsHeader: string;
    }
  | {
      mode: 'jwt';
      /** Lowercase header name; `authorization` means `Authorization: Bearer <jwt>`. */
      header: string;
      jwksUrl: string;
      issuer: string;
      /** Any of these is accepted as `aud`. */
      audience: readonly string[];
      userClaim: string;
      groupsClaim: string;
      algorithms: readonly JwtAlgorithm[];
      /** JWT_MAX_AGE: refuse tokens issued longer ago than this (seconds); absent = only `exp` limits age. */
      maxAgeSeconds?: number;
    };

/** Group names per role; `*` means every authenticated user. An empty list means nobody. */
export interface RolesConfig {
  view: readonly string[];
  attach: readonly string[];
  power: readonly string[];
}

export interface Config {
  host: string;
  port: number;
  logLevel: LogLevel;
  webDist: string;
  /**
   * Allowed browser origins (`scheme://host[:port]`); `undefined` = only the origin the request was made to
   * (allowed with AUTH_MODE=none only).
   */
  publicOrigins: readonly string[] | undefined;
  /**
   * Canonical `address/prefix` strings of the proxies whose X-Forwarded-For/-Proto/-Host are believed, in
   * every auth mode (in `header` mode also their identity headers: the same list as `auth.trustedProxyCidrs`).
   */
  trustedProxyCidrs: readonly string[];
  /** Calls to /api/ecs per user per minute; 0 = no limit. */
  rateLimitPerMinute: number;
  ecs: {
    mode: 'sim' | 'live';
    network: 'public' | 'vpc';
    /** Live mode only: one origin for every region; `undefined` = built per region (ecs-api.md §3.2). */
    endpoint: string | undefined;
    bootstrapRegion: string;
  };
  upstream: {
    connectTimeoutMs: number;
    timeoutMs: number;
    /** Per region. */
    concurrency: number;
    maxRetries: number;
  };
  sim: {
    seed: string | undefined;
    instances: number;
    latencyMs: number;
    jitterMs: number;
    /** 0 = ephemeral loopback port. */
    port: number;
    accessKeyId: string;
    accessKeySecret: string;
    /** Serve the simulator's unsigned /__sim/ control door (tests only). */
    control: boolean;
  };
  auth: AuthConfig;
  roles: RolesConfig;
  auditDb: string;
}

export type LoadConfigResult = { ok: true; config: Config; warnings: string[] } | { ok: false; errors: string[] };

// ---------------------------------------------------------------------------------------------------------
// Field schemas

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function optional<T>(schema: z.ZodType<T, string>) {
  return z.preprocess(unsetIfEmpty, schema.optional());
}

/** A case-insensitive choice among fixed words. */
function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .trim()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` }));
}

type ItemResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** A comma-separated list; every bad item is reported (with the item), not just the first. */
function list<T>(item: (raw: string) => ItemResult<T>) {
  return z.string().transform((raw, ctx) => {
    const out: T[] = [];
    for (const part of raw.split(',')) {
      const trimmed = part.trim();
      if (trimmed === '') continue;
      const result = item(trimmed);
      if (result.ok) out.push(result.value);
      else ctx.issues.push({ code: 'custom', message: result.message, input: raw });
    }
    return out;
  });
}

const plainText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((value) => !CONTROL_CHARS.test(value), 'must not contain control characters');

const hostSchema = z
  .string()
  .trim()
  .max(253)
  .refine(
    (value) =>
      isIP(value) !== 0 ||
      /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value),
    'must be a host name or an IP address (IPv6 without brackets)',
  );

const pathSchema = plainText(4096).pipe(z.string().min(1));

/** RFC 9110 token; stored lowercase because Node lowercases incoming header names. */
const headerName = z
  .string()
  .trim()
  .max(128)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name')
  .transform((value) => value.toLowerCase());

/** Claim names may be URLs (Auth0-style namespaced claims), so anything printable. */
const claimName = plainText(256).pipe(z.string().min(1));

/** An absolute http(s) URL with nothing that could smuggle a second destination or a secret into it. */
function parseUrl(raw: string): ItemResult<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `"${raw}" is not a URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: `"${raw}" must be an http or https URL` };
  if (url.username !== '' || url.password !== '') return { ok: false, message: `"${raw}" must not contain credentials` };
  if (url.hash !== '') return { ok: false, message: `"${raw}" must not contain a fragment` };
  return { ok: true, value: url };
}

/** `scheme://host[:port]` with no path or query: what `Origin` headers and per-region bases look like. */
function parseOrigin(raw: string): ItemResult<string> {
  if (raw === '*') return { ok: false, message: '"*" is not allowed: list the origins the console is served from' };
  const parsed = parseUrl(raw);
  if (!parsed.ok) return parsed;
  if (parsed.value.pathname !== '/' || parsed.value.search !== '') {
    return { ok: false, message: `"${raw}" must be scheme://host[:port] with no path or query` };
  }
  return { ok: true, value: parsed.value.origin };
}

function fromItem<T>(item: (raw: string) => ItemResult<T>) {
  return z.string().trim().transform((raw, ctx) => {
    const result = item(raw);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.message, input: raw });
    return z.NEVER;
  });
}

/** The JWKS is where trust comes from: plaintext http would let anyone on the path swap the keys. */
function parseJwksUrl(raw: string): ItemResult<string> {
  const parsed = parseUrl(raw);
  if (!parsed.ok) return parsed;
  if (parsed.value.protocol === 'http:' && !isLoopbackHost(parsed.value.hostname)) {
    return { ok: false, message: `"${raw}" must use https (plain http is allowed only for a loopback host)` };
  }
  return { ok: true, value: parsed.value.href };
}

function parseCidrItem(raw: string): ItemResult<Cidr> {
  const cidr = parseCidr(raw);
  return cidr === undefined ? { ok: false, message: `"${raw}" is not an IPv4/IPv6 address or CIDR` } : { ok: true, value: cidr };
}

function parseAlgorithm(raw: string): ItemResult<JwtAlgorithm> {
  const known = JWT_ALGORITHMS.find((alg) => alg.toLowerCase() === raw.toLowerCase());
  if (known !== undefined) return { ok: true, value: known };
  if (/^hs\d+$/i.test(raw)) {
    return { ok: false, message: `"${raw}" is symmetric (HMAC): only the issuer's public keys are trusted, use ${JWT_ALGORITHMS.join(', ')}` };
  }
  if (raw.toLowerCase() === 'none') return { ok: false, message: '"none" means unsigned tokens and is never accepted' };
  return { ok: false, message: `"${raw}" is not one of ${JWT_ALGORITHMS.join(', ')}` };
}

function parseGroup(raw: string): ItemResult<string> {
  if (raw.length > 256) return { ok: false, message: `"${raw.slice(0, 32)}…" is longer than 256 characters` };
  if (CONTROL_CHARS.test(raw)) return { ok: false, message: 'group names must not contain control characters' };
  if (raw.includes('*') && raw !== '*') return { ok: false, message: `"${raw}": "*" is allowed only on its own (every authenticated user)` };
  return { ok: true, value: raw };
}

function parseAudience(raw: string): ItemResult<string> {
  if (raw.length > 1024) return { ok: false, message: 'an audience is longer than 1024 characters' };
  if (CONTROL_CHARS.test(raw)) return { ok: false, message: 'audiences must not contain control characters' };
  return { ok: true, value: raw };
}

const DEFAULT_JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

/** A year: an SSO session older than that is not a session. */
const MAX_JWT_MAX_AGE_S = 365 * 24 * 3600;

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
 * hide the others (every problem at once); rules across variables are checked in `loadConfig`.
 * The SIM_* rules match `readSimConfig` in sim-main.ts (config.test.ts checks they agree), except SIM_PORT
 * whose default here is 0: the in-process simulator takes any free loopback port.
 */
const fields = {
  HOST: text(hostSchema, '127.0.0.1'),
  PORT: wholeNumber(0, 65_535, 8080),
  LOG_LEVEL: text(choice(LOG_LEVELS), 'info'),
  WEB_DIST: text(pathSchema, 'dist/web'),
  PUBLIC_ORIGIN: optional(list(parseOrigin)),

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

  SIM_SEED: optional(z.string().max(200)),
  SIM_INSTANCES: wholeNumber(0, 100_000, 300),
  SIM_LATENCY_MS: wholeNumber(0, 600_000, 0),
  SIM_JITTER_MS: wholeNumber(0, 600_000, 0),
  SIM_PORT: wholeNumber(0, 65_535, 0),
  // The ID travels inside `Authorization: … Credential=<id>,…` (ecs-api.md §10.3), so no commas or spaces.
  SIM_ACCESS_KEY_ID: text(z.string().max(128).regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"'), 'sim-access-key-id'),
  SIM_ACCESS_KEY_SECRET: text(z.string().max(256), 'sim-access-key-secret'),
  // The in-process simulator's /__sim/ door is unsigned (loopback only, but any local process could reset the
  // fleet or inject faults), so it is off unless a test harness asks for it.
  SIM_CONTROL: text(choice(['on', 'off']), 'off'),

  AUTH_MODE: text(choice(['none', 'header', 'jwt']), 'none'),
  TRUSTED_PROXY_CIDRS: optional(list(parseCidrItem)),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000, DEFAULT_RATE_LIMIT_PER_MINUTE),
  AUTH_HEADER_USER: text(headerName, 'x-forwarded-user'),
  AUTH_HEADER_EMAIL: text(headerName, 'x-forwarded-email'),
  AUTH_HEADER_GROUPS: text(headerName, 'x-forwarded-groups'),

  JWT_HEADER: optional(headerName),
  JWT_PRESET: optional(choice(['cloudflare', 'pomerium', 'iap'])),
  JWT_JWKS_URL: optional(fromItem(parseJwksUrl)),
  JWT_ISSUER: optional(plainText(1024)),
  JWT_AUDIENCE: optional(list(parseAudience)),
  JWT_USER_CLAIM: text(claimName, 'email'),
  JWT_GROUPS_CLAIM: text(claimName, 'groups'),
  JWT_ALGORITHMS: text(list(parseAlgorithm), DEFAULT_JWT_ALGORITHMS),
  JWT_MAX_AGE: optional(
    z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number of seconds')
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_JWT_MAX_AGE_S)),
  ),

  ROLE_VIEW_GROUPS: text(list(parseGroup), ['*']),
  ROLE_ATTACH_GROUPS: text(list(parseGroup), []),
  ROLE_POWER_GROUPS: text(list(parseGroup), []),

  AUDIT_DB: text(pathSchema, 'data/audit.sqlite'),
} satisfies Record<string, z.ZodType>;

type Env = { [K in keyof typeof fields]: z.output<(typeof fields)[K]> };
type EnvName = keyof typeof fields;

/** Every variable `loadConfig` reads, for documentation and `server.ts` start-up messages. */
export const CONFIG_VARIABLES = Object.keys(fields) as EnvName[];

// ---------------------------------------------------------------------------------------------------------
// loadConfig

/**
 * Validates the whole environment and lists every problem at once as `VAR: message`; on success, also the
 * warnings `server.ts` must print loudly. Never echoes secret values.
 */
export function loadConfig(env: Record<string, string | undefined>): LoadConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const values: Partial<Record<EnvName, unknown>> = {};
  for (const name of CONFIG_VARIABLES) {
    const result = (fields[name] as z.ZodType).safeParse(env[name]);
    if (result.success) values[name] = result.data;
    else for (const issue of result.error.issues) errors.push(`${name}: ${issue.message}`);
  }
  // Parsed fields only: a variable that failed above is simply absent, so the cross-field rules below skip it.
  const v = values as Partial<Env>;
  const isSet = (name: string): boolean => unsetIfEmpty(env[name]) !== undefined;
  const setAmong = (prefix: string, except: readonly string[] = []): string[] =>
    Object.keys(env)
      .filter((name) => name.startsWith(prefix) && !except.includes(name) && isSet(name))
      .sort();

  // --- Roles (PRODUCT.md: "Who may attach, reboot or start is decided per action by SSO group").
  // A misspelt ROLE_ variable would silently leave a role with nobody (or everybody) in it.
  for (const name of setAmong('ROLE_', ['ROLE_VIEW_GROUPS', 'ROLE_ATTACH_GROUPS', 'ROLE_POWER_GROUPS'])) {
    errors.push(`${name}: unknown role variable (known: ROLE_VIEW_GROUPS, ROLE_ATTACH_GROUPS, ROLE_POWER_GROUPS)`);
  }

  // --- Authentication (PRODUCT.md safety rules: identity comes from the SSO layer in front).
  const mode = v.AUTH_MODE;
  if (mode === 'none') {
    if (v.HOST !== undefined && !isLoopbackHost(v.HOST)) {
      errors.push(`AUTH_MODE: "none" is allowed only when HOST is a loopback address (HOST is ${v.HOST}); use header or jwt behind your SSO proxy`);
    }
    warnings.push("AUTH_MODE=none: no authentication: every request acts as 'local operator', who may view, attach, reboot and start");
    const roleVars = setAmong('ROLE_');
    if (roleVars.length > 0) warnings.push(`${roleVars.join(', ')}: ignored with AUTH_MODE=none (the local operator has every role)`);
  }
  if (mode !== undefined && mode !== 'header') {
    // TRUSTED_PROXY_CIDRS still names whose X-Forwarded-For/-Proto/-Host are believed; identity headers are not.
    const ignored = setAmong('AUTH_HEADER_');
    if (ignored.length > 0) warnings.push(`${ignored.join(', ')}: ignored with AUTH_MODE=${mode}`);
    for (const cidr of v.TRUSTED_PROXY_CIDRS ?? []) {
      if (cidr.prefix === 0) {
        warnings.push(
          `TRUSTED_PROXY_CIDRS: ${cidr.address}/0 believes X-Forwarded-For/-Proto/-Host from every ${cidr.family === 'ipv4' ? 'IPv4' : 'IPv6'} address: any client can choose the address the audit trail records`,
        );
      }
    }
  }
  if (mode === 'header' || mode === 'jwt') {
    // Behind SSO the Host header is whatever the SSO proxy sends (it may rewrite it), so the origin that
    // mutations must come from has to be named, not inferred.
    if (!isSet('PUBLIC_ORIGIN')) {
      errors.push(`PUBLIC_ORIGIN: required with AUTH_MODE=${mode} (the origin operators open the console at, e.g. https://keys.example.com)`);
    } else if (v.PUBLIC_ORIGIN?.length === 0) {
      errors.push('PUBLIC_ORIGIN: lists no origin');
    }
  }
  if (mode !== undefined && mode !== 'jwt') {
    const ignored = setAmong('JWT_');
    if (ignored.length > 0) warnings.push(`${ignored.join(', ')}: ignored with AUTH_MODE=${mode}`);
  }
  if (mode === 'header') {
    if (!isSet('TRUSTED_PROXY_CIDRS')) {
      errors.push('TRUSTED_PROXY_CIDRS: required with AUTH_MODE=header (the addresses of the SSO proxy whose identity headers are believed)');
    } else if (v.TRUSTED_PROXY_CIDRS !== undefined) {
      if (v.TRUSTED_PROXY_CIDRS.length === 0) errors.push('TRUSTED_PROXY_CIDRS: lists no address');
      for (const cidr of v.TRUSTED_PROXY_CIDRS) {
        if (cidr.prefix === 0) {
          warnings.push(
            `TRUSTED_PROXY_CIDRS: ${cidr.address}/0 trusts identity headers from every ${cidr.family === 'ipv4' ? 'IPv4' : 'IPv6'} address: anyone who can reach the proxy can claim to be anyone`,
          );
        }
      }
    }
    const names = [
      ['AUTH_HEADER_USER', v.AUTH_HEADER_USER],
      ['AUTH_HEADER_EMAIL', v.AUTH_HEADER_EMAIL],
      ['AUTH_HEADER_GROUPS', v.AUTH_HEADER_GROUPS],
    ] as const;
    for (const [index, [name, value]] of names.entries()) {
      const earlier = names.slice(0, index).find(([, other]) => other !== undefined && other === value);
      if (earlier !== undefined) errors.push(`${name}: must differ from ${earlier[0]} (both are ${value})`);
    }
  }
  if (mode === 'jwt') {
    if (v.JWT_HEADER !== undefined && v.JWT_PRESET !== undefined && v.JWT_HEADER !== JWT_PRESETS[v.JWT_PRESET]) {
      errors.push(`JWT_HEADER: conflicts with JWT_PRESET=${v.JWT_PRESET} (which means ${JWT_PRESETS[v.JWT_PRESET]}); set only one`);
    }
    if (!isSet('JWT_HEADER') && !isSet('JWT_PRESET')) {
      errors.push(`JWT_HEADER: required with AUTH_MODE=jwt (or set JWT_PRESET to ${Object.keys(JWT_PRESETS).join(', ')})`);
    }
    for (const name of ['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
      if (!isSet(name)) errors.push(`${name}: required with AUTH_MODE=jwt`);
    }
    if (v.JWT_AUDIENCE?.length === 0) errors.push('JWT_AUDIENCE: lists no audience');
    if (v.JWT_ALGORITHMS?.length === 0) errors.push('JWT_ALGORITHMS: lists no algorithm');
  }
  if (mode === 'header' || mode === 'jwt') {
    const roles = [
      ['ROLE_ATTACH_GROUPS', v.ROLE_ATTACH_GROUPS, 'attach key pairs'],
      ['ROLE_POWER_GROUPS', v.ROLE_POWER_GROUPS, 'reboot or start instances'],
    ] as const;
    for (const [name, groups, what] of roles) {
      if (groups === undefined) continue;
      if (groups.length === 0) warnings.push(`${name} is empty: nobody can ${what}`);
      else if (groups.includes('*')) warnings.push(`${name}=*: every authenticated user can ${what}`);
    }
    if (v.ROLE_VIEW_GROUPS?.length === 0) warnings.push('ROLE_VIEW_GROUPS lists no group: nobody can view instances');
  }

  // --- ECS (PRODUCT.md: the proxy builds the upstream host itself).
  if (v.ECS_MODE === 'sim') {
    if (isSet('ECS_ENDPOINT')) warnings.push('ECS_ENDPOINT: ignored with ECS_MODE=sim (requests go to the in-process simulator)');
  } else if (v.ECS_MODE === 'live') {
    if (v.ECS_ENDPOINT !== undefined) {
      const endpoint = new URL(v.ECS_ENDPOINT);
      if (endpoint.protocol === 'http:' && !isLoopbackHost(endpoint.hostname)) {
        warnings.push(
          `ECS_ENDPOINT: ${v.ECS_ENDPOINT} is plain http to a non-loopback host: signatures do not reveal the secret, but every request and response (instances, IPs, key pair names) crosses the network unencrypted`,
        );
      }
      if (isSet('ECS_NETWORK')) warnings.push('ECS_NETWORK: ignored because ECS_ENDPOINT is set');
    }
    const simVars = setAmong('SIM_');
    if (simVars.length > 0) warnings.push(`${simVars.join(', ')}: ignored with ECS_MODE=live`);
  }

  // --- Upstream.
  if (v.UPSTREAM_TIMEOUT_MS !== undefined && v.UPSTREAM_CONNECT_TIMEOUT_MS !== undefined && v.UPSTREAM_TIMEOUT_MS < v.UPSTREAM_CONNECT_TIMEOUT_MS) {
    errors.push(`UPSTREAM_TIMEOUT_MS: must be at least UPSTREAM_CONNECT_TIMEOUT_MS (${v.UPSTREAM_CONNECT_TIMEOUT_MS})`);
  }

  // --- Audit (PRODUCT.md: every mutating call is audited durably).
  if (v.AUDIT_DB === ':memory:') warnings.push('AUDIT_DB=:memory: the audit trail and pending activations are lost when the proxy stops');

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: build(values as Env), warnings };
}

function build(e: Env): Config {
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    webDist: e.WEB_DIST,
    publicOrigins: e.PUBLIC_ORIGIN === undefined ? undefined : [...new Set(e.PUBLIC_ORIGIN)],
    trustedProxyCidrs: [...new Set((e.TRUSTED_PROXY_CIDRS ?? []).map(formatCidr))],
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    ecs: {
      mode: e.ECS_MODE,
      network: e.ECS_NETWORK,
      endpoint: e.ECS_MODE === 'live' ? e.ECS_ENDPOINT : undefined,
      bootstrapRegion: e.ECS_BOOTSTRAP_REGION,
    },
    upstream: {
      connectTimeoutMs: e.UPSTREAM_CONNECT_TIMEOUT_MS,
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      concurrency: e.UPSTREAM_CONCURRENCY,
      maxRetries: e.UPSTREAM_MAX_RETRIES,
    },
    sim: {
      seed: e.SIM_SEED,
      instances: e.SIM_INSTANCES,
      latencyMs: e.SIM_LATENCY_MS,
      jitterMs: e.SIM_JITTER_MS,
      port: e.SIM_PORT,
      accessKeyId: e.SIM_ACCESS_KEY_ID,
      accessKeySecret: e.SIM_ACCESS_KEY_SECRET,
      control: e.SIM_CONTROL === 'on',
    },
    auth: buildAuth(e),
    roles: {
      view: [...new Set(e.ROLE_VIEW_GROUPS)],
      attach: [...new Set(e.ROLE_ATTACH_GROUPS)],
      power: [...new Set(e.ROLE_POWER_GROUPS)],
    },
    auditDb: resolveAuditDb(e.AUDIT_DB),
  };
}

/**
 * The project folder (where package.json is): this file lives in `<root>/api-proxy/`. Computed from the
 * module's own location, which no environment or working directory can change.
 */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/**
 * AUDIT_DB as an absolute path. A relative one is taken from the project folder, not from the working
 * directory: the trail is also the memory of which instances still wait for a reboot, and a service started
 * from another directory (a unit file without WorkingDirectory, a cron job, a shell in $HOME) would otherwise
 * open a fresh, empty trail and silently forget them.
 */
function resolveAuditDb(value: string): string {
  return value === ':memory:' ? value : path.resolve(PROJECT_ROOT, value);
}

/** Only called once `loadConfig` found no error, so the mode's required variables are present. */
function buildAuth(e: Env): AuthConfig {
  switch (e.AUTH_MODE) {
    case 'none':
      return { mode: 'none' };
    case 'header':
      return {
        mode: 'header',
        trustedProxyCidrs: [...new Set((e.TRUSTED_PROXY_CIDRS ?? []).map(formatCidr))],
        userHeader: e.AUTH_HEADER_USER,
        emailHeader: e.AUTH_HEADER_EMAIL,
        groupsHeader: e.AUTH_HEADER_GROUPS,
      };
    case 'jwt':
      return {
        mode: 'jwt',
        header: e.JWT_HEADER ?? (e.JWT_PRESET === undefined ? '' : JWT_PRESETS[e.JWT_PRESET]),
        jwksUrl: e.JWT_JWKS_URL ?? '',
        issuer: e.JWT_ISSUER ?? '',
        audience: [...new Set(e.JWT_AUDIENCE ?? [])],
        userClaim: e.JWT_USER_CLAIM,
        groupsClaim: e.JWT_GROUPS_CLAIM,
        algorithms: [...new Set(e.JWT_ALGORITHMS)],
        ...(e.JWT_MAX_AGE === undefined ? {} : { maxAgeSeconds: e.JWT_MAX_AGE }),
      };
  }
}
