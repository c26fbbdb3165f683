import { timingSafeEqual } from 'node:crypto';
import {
  V1_COMMON_PARAMS,
  V3_ALGORITHM,
  canonicalQueryString,
  canonicalRequestV3,
  formatAcsDate,
  hashPayload,
  signatureV1,
  signatureV3,
  stringToSignV1,
  stringToSignV3,
} from '../../acs-signature';
import { ECS_API_VERSION } from '../../ecs/contract';
import { EcsError, ecsErrors } from '../../ecs/errors';
import type { NonceCache } from './nonce-cache';

/**
 * Request verification as ECS does it: V3 (`ACS3-HMAC-SHA256`, docs/ecs-notes.md#signature-v3) or V1
 * (`HMAC-SHA1`, docs/ecs-notes.md#signature-v1) signatures against a table of access keys, the timestamp
 * window, the nonce, the optional STS token. A pure function of the request, the key table, a clock value and
 * the nonce memory; it recomputes signatures with the same signer the proxy uses (acs-signature/).
 */

/** V3 `x-acs-date` must be within 15 minutes of the server clock (docs/ecs-notes.md#v3-headers). */
export const V3_WINDOW_MS = 15 * 60_000;
/** V1 `Timestamp` is valid for 31 minutes (docs/ecs-notes.md#v1-common-parameters). */
export const V1_WINDOW_MS = 31 * 60_000;

/** How an answer is written: JSON, or ECS's XML (xml.ts). Decided from the request, even a refused one. */
export type ResponseFormat = 'json' | 'xml';

/** Just what verification needs from an HTTP request, so tests can build one without a socket. */
export interface EcsHttpRequest {
  method: string;
  path: string;
  /** The query string as received, without `?`. */
  rawQuery: string;
  /** Lowercase names, as node:http gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array;
}

export interface VerifierContext {
  /** AccessKeyId → AccessKeySecret. */
  accessKeys: Readonly<Record<string, string>>;
  /** Optional STS tokens: AccessKeyId → the token requests with that key must carry. */
  securityTokens?: Readonly<Record<string, string>>;
  now: number;
  nonces: NonceCache;
}

export type VerifyResult =
  | {
      ok: true;
      protocol: 'v3' | 'v1';
      action: string;
      accessKeyId: string;
      /** Business parameters only: V1 common and signature parameters are removed. */
      params: Record<string, string>;
      format: ResponseFormat;
    }
  | { ok: false; error: EcsError; format: ResponseFormat; action?: string };

function header(headers: EcsHttpRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `a=1&b=2` → pairs. `+` is a space (form encoding); bad percent-encoding or non-UTF-8 throws URIError. */
function parsePairs(raw: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([decodeURIComponent(name.replace(/\+/g, ' ')), decodeURIComponent(value.replace(/\+/g, ' '))]);
  }
  return pairs;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Query and form parameters; a name given twice is refused (ECS parameters are single-valued). */
function readParams(req: EcsHttpRequest): { query: Record<string, string>; all: Record<string, string> } | EcsError {
  let queryPairs: [string, string][];
  let formPairs: [string, string][] = [];
  try {
    queryPairs = parsePairs(req.rawQuery);
  } catch {
    return ecsErrors.invalidParameter('QueryString', 'is not valid percent-encoded UTF-8');
  }
  const contentType = header(req.headers, 'content-type') ?? '';
  if (req.body.length > 0 && /^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    try {
      formPairs = parsePairs(utf8.decode(req.body));
    } catch {
      return ecsErrors.invalidParameter('Body', 'is not valid percent-encoded UTF-8 form data');
    }
  }
  // Null-prototype records: a parameter named `__proto__` or `constructor` is data, never an object key trick.
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  const all: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of queryPairs) {
    if (Object.hasOwn(query, name)) return ecsErrors.invalidParameter(name, 'is given more than once');
    query[name] = value;
    all[name] = value;
  }
  for (const [name, value] of formPairs) {
    if (Object.hasOwn(all, name)) return ecsErrors.invalidParameter(name, 'is given more than once');
    all[name] = value;
  }
  return { query, all };
}

/**
 * Strict `yyyy-MM-ddTHH:mm:ssZ` (docs/ecs-notes.md#v1-common-parameters, docs/ecs-notes.md#v3-headers); anything
 * else (including impossible dates) is undefined.
 */
function parseAcsDate(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) || formatAcsDate(new Date(ms)) !== value ? undefined : ms;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Ends in Expired/Format errors or the parsed time. */
function checkTime(value: string, now: number, windowMs: number): number | EcsError {
  const at = parseAcsDate(value);
  if (at === undefined) return ecsErrors.timestampFormat(value);
  if (Math.abs(now - at) > windowMs) return ecsErrors.timestampExpired(value);
  return at;
}

/** Optional STS check: only keys with a configured token require one. */
function checkSecurityToken(ctx: VerifierContext, accessKeyId: string, token: string | undefined): EcsError | undefined {
  const expected = ctx.securityTokens?.[accessKeyId];
  if (expected === undefined) return undefined;
  if (token === undefined || token === '') return new EcsError(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.');
  if (!sameText(token, expected))
    return new EcsError(
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
      'The security token you provided does not match your access key.',
    );
  return undefined;
}

/**
 * Verifies an ECS RPC request the way ECS does and returns the action and its business parameters, or the
 * ECS error to answer with. V3 when an `Authorization` header is present, V1 otherwise.
 */
export function verifyEcsRequest(req: EcsHttpRequest, ctx: VerifierContext): VerifyResult {
  const authorization = header(req.headers, 'authorization');
  const looksV3 = authorization !== undefined || header(req.headers, 'x-acs-signature-nonce') !== undefined;
  if (looksV3) {
    const accept = header(req.headers, 'accept') ?? '';
    const format: ResponseFormat = /\bxml\b/i.test(accept) && !/\bjson\b/i.test(accept) ? 'xml' : 'json';
    const action = header(req.headers, 'x-acs-action');
    const result = verifyV3(req, ctx, authorization);
    return result instanceof EcsError
      ? { ok: false, error: result, format, ...(action === undefined ? {} : { action }) }
      : { ...result, format };
  }
  const params = readParams(req);
  // V1 answers XML unless Format=JSON (docs/ecs-notes.md#transport); the SDK sends `json`, so compare case-insensitively.
  const format: ResponseFormat = params instanceof EcsError || params.all['Format']?.toUpperCase() !== 'JSON' ? 'xml' : 'json';
  if (params instanceof EcsError) return { ok: false, error: params, format };
  const action = params.all['Action'];
  const result = verifyV1(req, ctx, params.all);
  return result instanceof EcsError
    ? { ok: false, error: result, format, ...(action === undefined ? {} : { action }) }
    : { ...result, format };
}

type Verified = { ok: true; protocol: 'v3' | 'v1'; action: string; accessKeyId: string; params: Record<string, string> };

function parseAuthorization(value: string): { accessKeyId: string; signedHeaders: string[]; signature: string } | EcsError {
  const space = value.indexOf(' ');
  const algorithm = space === -1 ? value : value.slice(0, space);
  if (algorithm !== V3_ALGORITHM) {
    return ecsErrors.incompleteSignature(`The Authorization algorithm "${algorithm}" is not supported; use ${V3_ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) {
    return ecsErrors.incompleteSignature('The Authorization header needs Credential, SignedHeaders and Signature.');
  }
  if (!/^[0-9a-f]+$/.test(signature)) return ecsErrors.incompleteSignature('The Signature must be lowercase hex.');
  return { accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

function verifyV3(req: EcsHttpRequest, ctx: VerifierContext, authorization: string | undefined): Verified | EcsError {
  if (authorization === undefined) return ecsErrors.incompleteSignature('The Authorization header is missing.');
  const auth = parseAuthorization(authorization);
  if (auth instanceof EcsError) return auth;

  const action = header(req.headers, 'x-acs-action');
  if (action === undefined || action === '') return ecsErrors.missingAction();
  const version = header(req.headers, 'x-acs-version');
  if (version === undefined || version === '') return ecsErrors.missingParameter('x-acs-version');
  for (const name of ['x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
    if (!header(req.headers, name)) return ecsErrors.incompleteSignature(`The header "${name}" is required.`);
  }
  // Everything ECS relies on must be covered by the signature (docs/ecs-notes.md#v3-canonical-request): host and
  // every x-acs-* header sent.
  const listed = new Set(auth.signedHeaders);
  const mustSign = ['host', ...Object.keys(req.headers).filter((name) => name.startsWith('x-acs-'))];
  for (const name of mustSign) {
    if (!listed.has(name)) return ecsErrors.incompleteSignature(`The header "${name}" must be signed.`);
  }
  for (const name of auth.signedHeaders) {
    if (name !== name.toLowerCase() || name === 'authorization' || header(req.headers, name) === undefined) {
      return ecsErrors.incompleteSignature(`The signed header "${name}" is not valid or not present.`);
    }
  }

  const date = header(req.headers, 'x-acs-date') ?? '';
  const signedAt = checkTime(date, ctx.now, V3_WINDOW_MS);
  if (signedAt instanceof EcsError) return signedAt;

  const secret = ctx.accessKeys[auth.accessKeyId];
  if (secret === undefined || !Object.hasOwn(ctx.accessKeys, auth.accessKeyId)) return ecsErrors.accessKeyNotFound();
  const tokenError = checkSecurityToken(ctx, auth.accessKeyId, header(req.headers, 'x-acs-security-token'));
  if (tokenError) return tokenError;

  const params = readParams(req);
  if (params instanceof EcsError) return params;
  // The server recomputes the canonical request from what actually arrived: the decoded query re-encoded
  // canonically, the headers the client listed, and the hash of the body bytes it received
  // (docs/ecs-notes.md#v3-canonical-request).
  const bodyHash = hashPayload(req.body);
  const { canonicalRequest } = canonicalRequestV3({
    method: req.method,
    path: req.path,
    canonicalQuery: canonicalQueryString(params.query),
    headers: Object.fromEntries(auth.signedHeaders.map((name) => [name, header(req.headers, name) ?? ''])),
    signedHeaders: auth.signedHeaders,
    hashedPayload: bodyHash,
  });
  const stringToSign = stringToSignV3(canonicalRequest);
  const claimedHash = header(req.headers, 'x-acs-content-sha256') ?? '';
  if (claimedHash !== bodyHash) {
    const base = ecsErrors.signatureDoesNotMatch(stringToSign);
    return new EcsError(base.status, base.code, `${base.message} (x-acs-content-sha256 is not the SHA-256 of the request body)`);
  }
  if (!sameText(signatureV3(secret, stringToSign), auth.signature)) return ecsErrors.signatureDoesNotMatch(stringToSign);

  const nonce = header(req.headers, 'x-acs-signature-nonce') ?? '';
  if (!ctx.nonces.use(auth.accessKeyId, nonce, signedAt + V3_WINDOW_MS, ctx.now)) return ecsErrors.nonceUsed();
  if (version !== ECS_API_VERSION) return ecsErrors.invalidVersion(version);
  return { ok: true, protocol: 'v3', action, accessKeyId: auth.accessKeyId, params: params.all };
}

function verifyV1(req: EcsHttpRequest, ctx: VerifierContext, params: Record<string, string>): Verified | EcsError {
  const action = params['Action'];
  if (action === undefined || action === '') return ecsErrors.missingAction();
  for (const name of ['Version', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp', 'Signature']) {
    if (!params[name]) return ecsErrors.missingParameter(name);
  }
  if (params['SignatureMethod'] !== 'HMAC-SHA1') return ecsErrors.invalidParameter('SignatureMethod', 'must be HMAC-SHA1');
  if (params['SignatureVersion'] !== '1.0') return ecsErrors.invalidParameter('SignatureVersion', 'must be 1.0');
  const timestamp = params['Timestamp'] ?? '';
  const signedAt = checkTime(timestamp, ctx.now, V1_WINDOW_MS);
  if (signedAt instanceof EcsError) return signedAt;

  const accessKeyId = params['AccessKeyId'] ?? '';
  const secret = ctx.accessKeys[accessKeyId];
  if (secret === undefined || !Object.hasOwn(ctx.accessKeys, accessKeyId)) return ecsErrors.accessKeyNotFound();
  const tokenError = checkSecurityToken(ctx, accessKeyId, params['SecurityToken']);
  if (tokenError) return tokenError;

  // Over every parameter but Signature, query and form alike, with the HTTP method actually used
  // (docs/ecs-notes.md#v1-algorithm).
  const stringToSign = stringToSignV1(req.method, params);
  if (!sameText(signatureV1(secret, stringToSign), params['Signature'] ?? '')) return ecsErrors.signatureDoesNotMatch(stringToSign);

  if (!ctx.nonces.use(accessKeyId, params['SignatureNonce'] ?? '', signedAt + V1_WINDOW_MS, ctx.now)) return ecsErrors.nonceUsed();
  const version = params['Version'] ?? '';
  if (version !== ECS_API_VERSION) return ecsErrors.invalidVersion(version);

  const common = new Set<string>(V1_COMMON_PARAMS);
  const business = Object.fromEntries(Object.entries(params).filter(([name]) => !common.has(name)));
  return { ok: true, protocol: 'v1', action, accessKeyId, params: business };
}
