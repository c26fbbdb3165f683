import { createHash, createHmac } from 'node:crypto';

/**
 * The request signer for ECS: V3 (ACS3-HMAC-SHA256, ecs-api.md §10) and V1 (HMAC-SHA1, §9).
 *
 * Why hand-written rather than the official SDK runtime: the proxy needs two small pure functions of
 * (request, credentials, time, nonce) — STYLE.md habit 3. The SDK's signing is buried in a client that owns
 * the HTTP transport, reads the clock and makes up its own nonces, and drags the whole Darabonba runtime into
 * the proxy. A few audited lines are easier to reason about; `sign.test.ts` pins them to the official worked
 * examples (§9.3, §10.4) and to the SDK's own signing functions on thousands of generated requests.
 *
 * Everything here is a pure function: no clock, no randomness, no shared state. The same pieces are reused
 * by the simulated ECS (`api-proxy/sim-server.ts`) to verify what a client sent.
 */

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token; signed as `x-acs-security-token` (V3) or sent as `SecurityToken` (V1), ecs-api.md §11. */
  securityToken?: string | undefined;
}

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';
/** SHA-256 of the empty string: the payload hash of every body-less ECS call (ecs-api.md §10.1). */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// ---------------------------------------------------------------------------------------------------------
// Shared pieces

/**
 * RFC 3986 percent-encoding as ECS wants it (ecs-api.md §9.2 step 3, §11): `encodeURIComponent` leaves
 * `! ' ( ) *` alone, so those are encoded too; `~` stays; space is `%20`, never `+`.
 * Throws `URIError` on a lone UTF-16 surrogate, exactly like the SDK's `encode` — such a string has no UTF-8
 * form and could not be signed meaningfully anyway.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Ascending UTF-16 code unit order — what JS `<` does and what ECS expects (`Tag.10.Key` < `Tag.2.Key`, §11). */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `k1=v1&k2=v2…`: names sorted by UTF-16 code unit, names and values percent-encoded once (§9.2 steps 2–4,
 * §10.2). Empty values give `k=`; no parameters give the empty string. The sort uses the raw names, like the
 * SDK; for the ASCII names ECS uses this is the same as sorting the encoded names.
 */
export function canonicalQueryString(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort(byCodeUnit)
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] ?? '')}`)
    .join('&');
}

/** `yyyy-MM-ddTHH:mm:ssZ` in UTC, no milliseconds: V3 `x-acs-date` and V1 `Timestamp` (§9.1, §10.1). */
export function formatAcsDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Lowercase hex SHA-256 of the raw body bytes (strings as UTF-8): `HashedRequestPayload`, §10.2. */
export function hashPayload(body: string | Uint8Array = ''): string {
  return createHash('sha256').update(body).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// V3: ACS3-HMAC-SHA256 (ecs-api.md §10)

/** Header names that V3 signs (§10.2): `host`, `content-type` and every `x-acs-*`. Lowercase, sorted. */
export function signableHeaderNames(headers: Readonly<Record<string, string>>): string[] {
  const names = new Set<string>();
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-type' || lower.startsWith('x-acs-')) names.add(lower);
  }
  return [...names].sort(byCodeUnit);
}

/**
 * Lowercases header names; values that collide after lowercasing are trimmed, sorted and joined with `,`
 * (what the SDK does, and what an HTTP server sees for a repeated header).
 */
export function lowercaseHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    grouped.set(lower, [...(grouped.get(lower) ?? []), value]);
  }
  const out: Record<string, string> = {};
  for (const [name, values] of grouped) out[name] = values.map((v) => v.trim()).sort(byCodeUnit).join(',');
  return out;
}

/** RFC 3986-encodes each path segment; `/` for every RPC API (§10.2). */
export function canonicalUri(path = '/'): string {
  return path
    .split('/')
    .map((segment) => percentEncode(segment))
    .join('/');
}

export interface CanonicalRequestV3Input {
  method: string;
  /** Unencoded path; `/` for RPC. */
  path?: string;
  /** Already canonical (see `canonicalQueryString`). */
  canonicalQuery: string;
  /** Header values by name (any case). */
  headers: Readonly<Record<string, string>>;
  /**
   * The header names to sign, in order. Omitted: the signable set of `headers`. A verifier passes the list
   * from the client's `SignedHeaders` so the server signs exactly what the client says it signed.
   */
  signedHeaders?: readonly string[];
  /** Lowercase hex SHA-256 of the body. */
  hashedPayload: string;
}

/**
 * `METHOD\nURI\nQUERY\nCanonicalHeaders\nSignedHeaders\nHashedPayload` (§10.2). CanonicalHeaders ends in
 * `\n` itself, hence the blank line in the official example (§10.4). A signed header that is absent is
 * written with an empty value (a verifier rejects that case before it gets here).
 */
export function canonicalRequestV3(input: CanonicalRequestV3Input): { canonicalRequest: string; signedHeaders: string } {
  const headers = lowercaseHeaders(input.headers);
  const names = input.signedHeaders ?? signableHeaderNames(headers);
  const canonicalHeaders = names.map((name) => `${name}:${(headers[name] ?? '').trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    input.canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    input.hashedPayload,
  ].join('\n');
  return { canonicalRequest, signedHeaders };
}

/** `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request (§10.3). */
export function stringToSignV3(canonicalRequest: string): string {
  return `${V3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
}

/** Lowercase hex HMAC-SHA256 keyed with the raw secret — no trailing `&`, unlike V1 (§10.3). */
export function signatureV3(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('hex');
}

/** `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2>,Signature=<hex>` — no spaces after commas (§10.3). */
export function authorizationV3(accessKeyId: string, signedHeaders: string, signature: string): string {
  return `${V3_ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
}

export interface SignV3Input {
  method: string;
  /** `host[:port]` exactly as the HTTP client will send it. */
  host: string;
  path?: string;
  /** Flat ECS parameters that travel in the query string (all of them, for ECS via the SDK: §0.7). */
  query: Readonly<Record<string, string>>;
  /**
   * Extra headers, e.g. `content-type` for a form body, `accept`. `host`, content-type and `x-acs-*` ones
   * are signed; others ride along unsigned. Any `authorization` and the auth `x-acs-*` headers the signer
   * owns are replaced, never forwarded (§11).
   */
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  action: string;
  version: string;
  credentials: Credentials;
  date: Date;
  nonce: string;
}

export interface SignedV3 {
  /** Every header to send, lowercase names, including `host` and `authorization`. */
  headers: Record<string, string>;
  /** The query string to put on the URL: the same encoded pairs that were signed (§11). */
  queryString: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export function signV3(input: SignV3Input): SignedV3 {
  const hashedPayload = hashPayload(input.body);
  const extra = lowercaseHeaders(input.headers ?? {});
  delete extra['authorization'];
  const headers: Record<string, string> = {
    ...extra,
    host: input.host,
    'x-acs-action': input.action,
    'x-acs-version': input.version,
    'x-acs-date': formatAcsDate(input.date),
    'x-acs-signature-nonce': input.nonce,
    'x-acs-content-sha256': hashedPayload,
  };
  if (input.credentials.securityToken) headers['x-acs-security-token'] = input.credentials.securityToken;
  else delete headers['x-acs-security-token'];

  const queryString = canonicalQueryString(input.query);
  const { canonicalRequest, signedHeaders } = canonicalRequestV3({
    method: input.method,
    path: input.path ?? '/',
    canonicalQuery: queryString,
    headers,
    hashedPayload,
  });
  const stringToSign = stringToSignV3(canonicalRequest);
  const signature = signatureV3(input.credentials.accessKeySecret, stringToSign);
  headers['authorization'] = authorizationV3(input.credentials.accessKeyId, signedHeaders, signature);
  return { headers, queryString, canonicalRequest, stringToSign, signature };
}

// ---------------------------------------------------------------------------------------------------------
// V1: HMAC-SHA1 ("V2 RPC" in the current docs, ecs-api.md §9)

/** The common parameters of V1 (§9.1); the simulator strips them before it sees business parameters. */
export const V1_COMMON_PARAMS = [
  'Action',
  'Version',
  'Format',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'SecurityToken',
  'Signature',
] as const;

/**
 * `METHOD&%2F&pe(canonical query)` over every parameter except `Signature` (§9.2 steps 1–5). The canonical
 * query is encoded a second time, so `:` becomes `%253A`.
 */
export function stringToSignV1(method: string, params: Readonly<Record<string, string>>): string {
  const signed = { ...params };
  delete signed['Signature'];
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryString(signed))}`;
}

/** Base64 HMAC-SHA1 keyed with `secret + "&"` (§9.2 step 6). */
export function signatureV1(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

export interface SignV1Input {
  method: string;
  /** Business parameters (flat); may include `Action` and `Version`, or pass them below. */
  params: Readonly<Record<string, string>>;
  action?: string;
  version?: string;
  credentials: Credentials;
  date: Date;
  nonce: string;
  /** Response format; default `JSON`. `null` leaves `Format` out, which makes ECS answer in XML (§1). */
  format?: 'JSON' | 'XML' | null;
}

export interface SignedV1 {
  /** Everything to send — business and common parameters and `Signature` — not yet encoded. */
  params: Record<string, string>;
  /** `params` as an encoded query string (or form body), `Signature` included. */
  queryString: string;
  stringToSign: string;
  signature: string;
}

export function signV1(input: SignV1Input): SignedV1 {
  const format = input.format === undefined ? 'JSON' : input.format;
  const params: Record<string, string> = { ...input.params };
  // The signer owns the authentication parameters: whatever the caller passed is replaced (§11).
  for (const name of ['Signature', 'SecurityToken', 'Format'] as const) delete params[name];
  if (input.action !== undefined) params['Action'] = input.action;
  if (input.version !== undefined) params['Version'] = input.version;
  if (format !== null) params['Format'] = format;
  params['AccessKeyId'] = input.credentials.accessKeyId;
  params['SignatureMethod'] = 'HMAC-SHA1';
  params['SignatureVersion'] = '1.0';
  params['SignatureNonce'] = input.nonce;
  params['Timestamp'] = formatAcsDate(input.date);
  if (input.credentials.securityToken) params['SecurityToken'] = input.credentials.securityToken;

  const stringToSign = stringToSignV1(input.method, params);
  const signature = signatureV1(input.credentials.accessKeySecret, stringToSign);
  params['Signature'] = signature;
  return { params, queryString: canonicalQueryString(params), stringToSign, signature };
}
