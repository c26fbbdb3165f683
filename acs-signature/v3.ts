import { createHash, createHmac } from 'node:crypto';
import { byCodeUnit, canonicalQueryString, formatAcsDate, hashPayload, percentEncode } from './canonical';
import type { Credentials } from './credentials';

/**
 * V3: ACS3-HMAC-SHA256 (docs/ecs-notes.md#signature-v3), what the proxy signs every ECS call with.
 *
 * Why hand-written rather than the official SDK runtime: the proxy needs a few small pure functions of
 * (request, credentials, time, nonce) — docs/conventions.md#pure-signer and
 * docs/decisions/signer-hand-written.md. The SDK's signing is buried in a client that owns the HTTP transport,
 * reads the clock and makes up its own nonces, and drags the whole Darabonba runtime into the proxy. A few
 * audited lines are easier to reason about; the tests beside this file pin them to the official worked
 * examples (docs/ecs-notes.md#v1-test-vectors, docs/ecs-notes.md#v3-test-vector) and to the SDK's own signing
 * functions on thousands of generated requests.
 *
 * Everything here is a pure function: no clock, no randomness, no shared state. The lower-level pieces are
 * exported because the simulated ECS (`sim/http/verify.ts`) reuses them to verify what a client sent.
 */

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';
/** SHA-256 of the empty string: the payload hash of every body-less ECS call (docs/ecs-notes.md#v3-headers). */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Header names that V3 signs (docs/ecs-notes.md#v3-canonical-request): `host`, `content-type` and every `x-acs-*`. Lowercase, sorted. */
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
  for (const [name, values] of grouped)
    out[name] = values
      .map((v) => v.trim())
      .sort(byCodeUnit)
      .join(',');
  return out;
}

/** RFC 3986-encodes each path segment; `/` for every RPC API (docs/ecs-notes.md#v3-canonical-request). */
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
 * `METHOD\nURI\nQUERY\nCanonicalHeaders\nSignedHeaders\nHashedPayload` (docs/ecs-notes.md#v3-canonical-request).
 * CanonicalHeaders ends in `\n` itself, hence the blank line in the official example
 * (docs/ecs-notes.md#v3-test-vector). A signed header that is absent is
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

/** `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request (docs/ecs-notes.md#v3-authorization). */
export function stringToSignV3(canonicalRequest: string): string {
  return `${V3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
}

/** Lowercase hex HMAC-SHA256 keyed with the raw secret — no trailing `&`, unlike V1 (docs/ecs-notes.md#v3-authorization). */
export function signatureV3(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('hex');
}

/** `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2>,Signature=<hex>` — no spaces after commas (docs/ecs-notes.md#v3-authorization). */
export function authorizationV3(accessKeyId: string, signedHeaders: string, signature: string): string {
  return `${V3_ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
}

export interface SignV3Input {
  method: string;
  /** `host[:port]` exactly as the HTTP client will send it. */
  host: string;
  path?: string;
  /** Flat ECS parameters that travel in the query string (all of them, for ECS via the SDK: docs/ecs-notes.md#transport). */
  query: Readonly<Record<string, string>>;
  /**
   * Extra headers, e.g. `content-type` for a form body, `accept`. `host`, content-type and `x-acs-*` ones
   * are signed; others ride along unsigned. Any `authorization` and the auth `x-acs-*` headers the signer
   * owns are replaced, never forwarded (docs/ecs-notes.md#signer-notes).
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
  /** The query string to put on the URL: the same encoded pairs that were signed (docs/ecs-notes.md#signer-notes). */
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
