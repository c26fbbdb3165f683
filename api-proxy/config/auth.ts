import { z } from 'zod';
import { text } from '#ecs/env';
import { formatCidr, isLoopbackHost, parseCidr, type Cidr } from '../net';
import {
  CONTROL_CHARS,
  choice,
  fromItem,
  headerName,
  list,
  optional,
  parseUrl,
  plainText,
  type EnvChecks,
  type ItemResult,
} from './fields';

/**
 * Who is calling and what they may do, as configured: AUTH_MODE with its header or JWT settings, the trusted
 * proxies, and the groups per role. The variables, how they become `Config['auth']` and `Config['roles']`,
 * and the rules across them (docs/conventions.md#oauth2-proxy: believe identity only from configured proxies,
 * validate it all at start-up).
 */

/** Asymmetric JWS algorithms only: with an HMAC algorithm the "secret" would be the issuer's public key. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Where well-known SSO proxies put their signed assertion. */
export const JWT_PRESETS = {
  cloudflare: 'cf-access-jwt-assertion',
  pomerium: 'x-pomerium-jwt-assertion',
  iap: 'x-goog-iap-jwt-assertion',
} as const;

const DEFAULT_JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

/** A year: an SSO session older than that is not a session. */
const MAX_JWT_MAX_AGE_S = 365 * 24 * 3600;

/** Claim names may be URLs (Auth0-style namespaced claims), so anything printable. */
const claimName = plainText(256).pipe(z.string().min(1));

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
    return {
      ok: false,
      message: `"${raw}" is symmetric (HMAC): only the issuer's public keys are trusted, use ${JWT_ALGORITHMS.join(', ')}`,
    };
  }
  if (raw.toLowerCase() === 'none') return { ok: false, message: '"none" means unsigned tokens and is never accepted' };
  return { ok: false, message: `"${raw}" is not one of ${JWT_ALGORITHMS.join(', ')}` };
}

function parseGroup(raw: string): ItemResult<string> {
  if (raw.length > 256) return { ok: false, message: `"${raw.slice(0, 32)}…" is longer than 256 characters` };
  if (CONTROL_CHARS.test(raw)) return { ok: false, message: 'group names must not contain control characters' };
  if (raw.includes('*') && raw !== '*')
    return { ok: false, message: `"${raw}": "*" is allowed only on its own (every authenticated user)` };
  return { ok: true, value: raw };
}

function parseAudience(raw: string): ItemResult<string> {
  if (raw.length > 1024) return { ok: false, message: 'an audience is longer than 1024 characters' };
  if (CONTROL_CHARS.test(raw)) return { ok: false, message: 'audiences must not contain control characters' };
  return { ok: true, value: raw };
}

/** The identity and role variables of the one environment schema (schema.ts). */
export const authFields = {
  AUTH_MODE: text(choice(['none', 'header', 'jwt']), 'none'),
  TRUSTED_PROXY_CIDRS: optional(list(parseCidrItem)),
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
} satisfies Record<string, z.ZodType>;

type AuthEnv = z.output<z.ZodObject<typeof authFields>>;

/** TRUSTED_PROXY_CIDRS as canonical `address/prefix` strings (IPv4-mapped IPv6 already turned into IPv4), without repeats. */
export function trustedProxyCidrs(e: Pick<AuthEnv, 'TRUSTED_PROXY_CIDRS'>): string[] {
  return [...new Set((e.TRUSTED_PROXY_CIDRS ?? []).map(formatCidr))];
}

/** Only called once `loadConfig` found no error, so the mode's required variables are present. */
export function buildAuth(e: AuthEnv) {
  switch (e.AUTH_MODE) {
    case 'none':
      return { mode: 'none' as const };
    case 'header':
      return {
        mode: 'header' as const,
        /**
         * Canonical `address/prefix` strings (IPv4-mapped IPv6 already turned into IPv4), usable as is by
         * Fastify's `trustProxy`; `parseCidr` reads them back.
         */
        trustedProxyCidrs: trustedProxyCidrs(e),
        /** Header names, lowercase (Node's `IncomingHttpHeaders` keys). */
        userHeader: e.AUTH_HEADER_USER,
        emailHeader: e.AUTH_HEADER_EMAIL,
        groupsHeader: e.AUTH_HEADER_GROUPS,
      };
    case 'jwt':
      return {
        mode: 'jwt' as const,
        /** Lowercase header name; `authorization` means `Authorization: Bearer <jwt>`. */
        header: e.JWT_HEADER ?? (e.JWT_PRESET === undefined ? '' : JWT_PRESETS[e.JWT_PRESET]),
        jwksUrl: e.JWT_JWKS_URL ?? '',
        issuer: e.JWT_ISSUER ?? '',
        /** Any of these is accepted as `aud`. */
        audience: [...new Set(e.JWT_AUDIENCE ?? [])],
        userClaim: e.JWT_USER_CLAIM,
        groupsClaim: e.JWT_GROUPS_CLAIM,
        algorithms: [...new Set(e.JWT_ALGORITHMS)],
        /** JWT_MAX_AGE: refuse tokens issued longer ago than this (seconds); absent = only `exp` limits age. */
        ...(e.JWT_MAX_AGE === undefined ? {} : { maxAgeSeconds: e.JWT_MAX_AGE }),
      };
  }
}

/** Group names per role; `*` means every authenticated user. An empty list means nobody. */
export function buildRoles(e: AuthEnv) {
  return {
    view: [...new Set(e.ROLE_VIEW_GROUPS)],
    attach: [...new Set(e.ROLE_ATTACH_GROUPS)],
    power: [...new Set(e.ROLE_POWER_GROUPS)],
  };
}

/**
 * The rules across the identity variables, on whatever parsed (a variable that failed to parse is absent, so
 * its rules are skipped). HOST and PUBLIC_ORIGIN are read too: where the console listens and which origin it
 * answers to depend on the mode.
 */
export function checkAuth(
  v: Partial<AuthEnv & { HOST: string; PUBLIC_ORIGIN: string[] }>,
  { errors, warnings, isSet, setAmong }: EnvChecks,
): void {
  // --- Roles (docs/product.md#roles-per-action). A misspelt ROLE_ variable would silently leave a role with
  // nobody (or everybody) in it.
  for (const name of setAmong('ROLE_', ['ROLE_VIEW_GROUPS', 'ROLE_ATTACH_GROUPS', 'ROLE_POWER_GROUPS'])) {
    errors.push(`${name}: unknown role variable (known: ROLE_VIEW_GROUPS, ROLE_ATTACH_GROUPS, ROLE_POWER_GROUPS)`);
  }

  // --- Authentication (docs/product.md#identity-from-sso).
  const mode = v.AUTH_MODE;
  if (mode === 'none') {
    if (v.HOST !== undefined && !isLoopbackHost(v.HOST)) {
      errors.push(
        `AUTH_MODE: "none" is allowed only when HOST is a loopback address (HOST is ${v.HOST}); use header or jwt behind your SSO proxy`,
      );
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
      errors.push(
        `PUBLIC_ORIGIN: required with AUTH_MODE=${mode} (the origin operators open the console at, e.g. https://keys.example.com)`,
      );
    } else if (v.PUBLIC_ORIGIN?.length === 0) {
      errors.push('PUBLIC_ORIGIN: lists no origin');
    }
  }
  if (mode !== undefined && mode !== 'jwt') {
    const ignored = setAmong('JWT_');
    if (ignored.length > 0) warnings.push(`${ignored.join(', ')}: ignored with AUTH_MODE=${mode}`);
  }
  if (mode === 'header') checkHeaderMode(v, { errors, warnings, isSet, setAmong });
  if (mode === 'jwt') checkJwtMode(v, { errors, warnings, isSet, setAmong });
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
}

function checkHeaderMode(v: Partial<AuthEnv>, { errors, warnings, isSet }: EnvChecks): void {
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

function checkJwtMode(v: Partial<AuthEnv>, { errors, isSet }: EnvChecks): void {
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
