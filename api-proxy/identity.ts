import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { Config } from './config';
import { addressSet } from './net';

/**
 * Who is calling (docs/product.md#identity-from-sso: signed assertions (JWT) verified against the issuer's
 * keys, or plain identity headers only from configured trusted proxy addresses). The resolver only answers
 * "who"; what they may do is policy.ts; the hook that asks it is http/identity.ts.
 *
 * Nothing here logs, and no result ever contains the token or a raw header value that failed validation.
 */

export interface Identity {
  user: string;
  email?: string;
  groups: string[];
  via: 'none' | 'header' | 'jwt';
}

export type IdentityResult = { ok: true; identity: Identity } | { ok: false; code: 'Proxy.Unauthenticated'; message: string };

export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

export interface IdentityResolver {
  /**
   * headers: Node's IncomingHttpHeaders (lowercase names); peer: the TCP peer address (socket.remoteAddress,
   * possibly IPv4-mapped IPv6 like ::ffff:127.0.0.1).
   *
   * Node keeps only the first copy of some repeated headers (`authorization` among them) and joins the others
   * with ", ". Pass `request.raw.headersDistinct` to have every repeated identity header refused; with plain
   * `headers`, a joined copy is still refused because user names, e-mails and tokens never contain commas.
   */
  resolve(headers: HeaderMap, peer: string): Promise<IdentityResult>;
}

export interface IdentityDeps {
  /** Used for the JWKS download (tests point it anywhere; default: global fetch). */
  fetch?: typeof fetch;
  /** Clock for token time checks (exp, nbf), in ms since the epoch. */
  now?: () => number;
}

/** Name of the local operator in AUTH_MODE=none (config/ warns about this mode at start-up). */
export const LOCAL_OPERATOR = 'local operator';

/** Limits on values taken from headers or claims: they end up in the audit trail and in logs. */
export const IDENTITY_LIMITS = {
  user: 256,
  email: 320,
  group: 256,
  groups: 1000,
  /** Well above any real assertion (Cloudflare/IAP tokens are 1–2 KiB) and below Node's 16 KiB header limit. */
  token: 12 * 1024,
} as const;

/** jose's defaults made explicit: an unknown `kid` can trigger a JWKS download at most once per 30 s. */
export const JWKS_COOLDOWN_MS = 30_000;
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;
/** Allowed clock skew between the issuer and this proxy. */
export const CLOCK_TOLERANCE_S = 60;

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function deny(message: string): IdentityResult {
  return { ok: false, code: 'Proxy.Unauthenticated', message };
}

export function createIdentityResolver(auth: Config['auth'], deps: IdentityDeps = {}): IdentityResolver {
  switch (auth.mode) {
    case 'none':
      return { resolve: () => Promise.resolve({ ok: true, identity: { user: LOCAL_OPERATOR, groups: [], via: 'none' } }) };
    case 'header':
      return createHeaderResolver(auth);
    case 'jwt':
      return createJwtResolver(auth, deps);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Header values

type Single = { ok: true; value: string | undefined } | { ok: false; message: string };

/** One header's value; a repeated header is ambiguous (which copy did the SSO proxy set?) and refused. */
function singleHeader(headers: HeaderMap, name: string): Single {
  const raw = headers[name];
  if (raw === undefined) return { ok: true, value: undefined };
  if (Array.isArray(raw)) {
    if (raw.length > 1) return { ok: false, message: `the ${name} header is repeated` };
    return { ok: true, value: raw[0] };
  }
  return { ok: true, value: raw };
}

/**
 * Node hands header bytes over as latin1; an SSO proxy sends UTF-8 (a Chinese display name, for instance).
 * Re-decode when the string could only have come from bytes; `undefined` if they are not valid UTF-8.
 */
function decodeHeaderText(value: string): string | undefined {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  const decoded = Buffer.from(value, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? undefined : decoded;
}

type Clean = { ok: true; value: string } | { ok: false; message: string };

/** A single name (user, e-mail): trimmed, bounded, no control characters, no commas (a joined duplicate). */
function cleanName(value: string, what: string, max: number): Clean {
  const trimmed = value.trim();
  if (trimmed === '') return { ok: false, message: `the ${what} is empty` };
  if (trimmed.length > max) return { ok: false, message: `the ${what} is longer than ${max} characters` };
  if (CONTROL_CHARS.test(trimmed)) return { ok: false, message: `the ${what} contains control characters` };
  if (trimmed.includes(',')) return { ok: false, message: `the ${what} contains a comma (a repeated header?)` };
  return { ok: true, value: trimmed };
}

/** Groups: split on commas, trimmed, empty entries dropped, duplicates removed, each bounded. */
function cleanGroups(items: readonly string[]): { ok: true; value: string[] } | { ok: false; message: string } {
  const groups = new Set<string>();
  for (const item of items) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    if (trimmed.length > IDENTITY_LIMITS.group)
      return { ok: false, message: `a group name is longer than ${IDENTITY_LIMITS.group} characters` };
    if (CONTROL_CHARS.test(trimmed)) return { ok: false, message: 'a group name contains control characters' };
    groups.add(trimmed);
  }
  if (groups.size > IDENTITY_LIMITS.groups) return { ok: false, message: `more than ${IDENTITY_LIMITS.groups} groups` };
  return { ok: true, value: [...groups] };
}

// ---------------------------------------------------------------------------------------------------------
// AUTH_MODE=header (oauth2-proxy style)

function createHeaderResolver(auth: Extract<Config['auth'], { mode: 'header' }>): IdentityResolver {
  const trusted = addressSet(auth.trustedProxyCidrs);
  const isTrustedPeer = (peer: string): boolean => trusted.has(peer);

  function resolve(headers: HeaderMap, peer: string): IdentityResult {
    // From anyone else these headers are the caller's own claims: never believed, whatever they say.
    if (!isTrustedPeer(peer)) return deny('not signed in: this request did not come through the SSO proxy');

    const user = singleHeader(headers, auth.userHeader);
    const email = singleHeader(headers, auth.emailHeader);
    const groups = singleHeader(headers, auth.groupsHeader);
    if (!user.ok) return deny(user.message);
    if (!email.ok) return deny(email.message);
    if (!groups.ok) return deny(groups.message);

    if (user.value === undefined) return deny(`not signed in: the SSO proxy sent no ${auth.userHeader} header`);
    const userText = decodeHeaderText(user.value);
    if (userText === undefined) return deny('the user name is not valid UTF-8');
    const userName = cleanName(userText, 'user name', IDENTITY_LIMITS.user);
    if (!userName.ok) return deny(userName.message);

    const identity: Identity = { user: userName.value, groups: [], via: 'header' };

    if (email.value !== undefined && email.value.trim() !== '') {
      const emailText = decodeHeaderText(email.value);
      if (emailText === undefined) return deny('the e-mail is not valid UTF-8');
      const cleaned = cleanName(emailText, 'e-mail', IDENTITY_LIMITS.email);
      if (!cleaned.ok) return deny(cleaned.message);
      identity.email = cleaned.value;
    }

    if (groups.value !== undefined) {
      const groupsText = decodeHeaderText(groups.value);
      if (groupsText === undefined) return deny('the groups are not valid UTF-8');
      const cleaned = cleanGroups(groupsText.split(','));
      if (!cleaned.ok) return deny(cleaned.message);
      identity.groups = cleaned.value;
    }
    return { ok: true, identity };
  }

  return { resolve: (headers, peer) => Promise.resolve(resolve(headers, peer)) };
}

// ---------------------------------------------------------------------------------------------------------
// AUTH_MODE=jwt (Cloudflare Access, Pomerium, IAP, oauth2-proxy with a bearer token, …)

/** Three base64url segments (the signature of an unsecured `alg: none` token is empty, so `*`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function createJwtResolver(auth: Extract<Config['auth'], { mode: 'jwt' }>, deps: IdentityDeps): IdentityResolver {
  // Created once: the key cache and its cooldown live as long as the resolver. No download happens until the
  // first token arrives (no side effects at construction).
  const jwks = createRemoteJWKSet(new URL(auth.jwksUrl), {
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    ...(deps.fetch === undefined ? {} : { [customFetch]: deps.fetch }),
  });
  const now = deps.now ?? Date.now;
  const isBearer = auth.header === 'authorization';

  function extractToken(headers: HeaderMap): Clean {
    const single = singleHeader(headers, auth.header);
    if (!single.ok) return single;
    if (single.value === undefined || single.value.trim() === '') {
      return { ok: false, message: `not signed in: the request carries no ${auth.header} header` };
    }
    let token = single.value.trim();
    if (isBearer) {
      const match = /^Bearer +(\S+)$/i.exec(token);
      if (match?.[1] === undefined) return { ok: false, message: 'the authorization header is not a Bearer token' };
      token = match[1];
    }
    if (token.length > IDENTITY_LIMITS.token) return { ok: false, message: 'the identity token is too long' };
    if (token.includes(',')) return { ok: false, message: `the ${auth.header} header is repeated` };
    if (!COMPACT_JWS.test(token)) return { ok: false, message: 'the identity token is malformed' };
    return { ok: true, value: token };
  }

  async function resolve(headers: HeaderMap): Promise<IdentityResult> {
    const token = extractToken(headers);
    if (!token.ok) return deny(token.message);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token.value, jwks, {
        issuer: auth.issuer,
        audience: [...auth.audience],
        algorithms: [...auth.algorithms],
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
        currentDate: new Date(now()),
        ...(auth.maxAgeSeconds === undefined ? {} : { maxTokenAge: auth.maxAgeSeconds }),
      }));
    } catch (error) {
      return deny(describeJoseError(error));
    }
    // jose compares `iat` with the clock only when maxTokenAge is set. A token "issued" in the future was
    // minted by a clock (or a person) that cannot be trusted, and with a far-future `exp` it would never expire.
    if (typeof payload.iat === 'number' && payload.iat > now() / 1000 + CLOCK_TOLERANCE_S) {
      return deny('the identity token was issued in the future');
    }
    return identityFromClaims(payload, auth);
  }

  return { resolve: (headers) => resolve(headers) };
}

/** What went wrong, in words, without the token or any of its content. */
function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) {
    return error.claim === 'iat'
      ? 'the identity token is older than this console accepts: sign in again'
      : 'the identity token has expired';
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return 'the identity token was issued by someone else';
      case 'aud':
        return 'the identity token is meant for another application';
      case 'nbf':
        return 'the identity token is not valid yet';
      case 'exp':
        return 'the identity token has no valid expiry';
      case 'iat':
        return error.reason === 'check_failed'
          ? 'the identity token was issued in the future'
          : 'the identity token has no valid issue time';
      default:
        return `the identity token's "${error.claim}" claim is not valid`;
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return 'the identity token uses a signature algorithm that is not accepted';
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return "the identity token is signed with a key the issuer's key set does not contain";
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the identity token signature is not valid';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'the identity token is malformed';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return "the issuer's signing keys could not be loaded";
  }
  // Network failures and non-200 JWKS answers: the token may be fine, but it cannot be checked now.
  return "the identity token could not be checked: the issuer's signing keys could not be loaded";
}

function identityFromClaims(payload: JWTPayload, auth: Extract<Config['auth'], { mode: 'jwt' }>): IdentityResult {
  const configured = payload[auth.userClaim];
  const rawUser = typeof configured === 'string' && configured.trim() !== '' ? configured : payload.sub;
  if (typeof rawUser !== 'string' || rawUser.trim() === '') {
    return deny(`the identity token names no user (neither "${auth.userClaim}" nor "sub")`);
  }
  const user = cleanName(rawUser, 'user name', IDENTITY_LIMITS.user);
  if (!user.ok) return deny(user.message);
  const identity: Identity = { user: user.value, groups: [], via: 'jwt' };

  if (typeof payload.email === 'string' && payload.email.trim() !== '') {
    const email = cleanName(payload.email, 'e-mail', IDENTITY_LIMITS.email);
    if (!email.ok) return deny(email.message);
    identity.email = email.value;
  }

  const rawGroups = payload[auth.groupsClaim];
  if (rawGroups !== undefined && rawGroups !== null) {
    let items: string[];
    if (typeof rawGroups === 'string') items = rawGroups.split(',');
    else if (Array.isArray(rawGroups) && rawGroups.every((g): g is string => typeof g === 'string')) items = rawGroups;
    else return deny(`the identity token's "${auth.groupsClaim}" claim is not a list of group names`);
    const groups = cleanGroups(items);
    if (!groups.ok) return deny(groups.message);
    identity.groups = groups.value;
  }
  return { ok: true, identity };
}
