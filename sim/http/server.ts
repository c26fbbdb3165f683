import { randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { ECS_API_VERSION } from '../../ecs/contract';
import { EcsError, ecsErrors } from '../../ecs/errors';
import type { SimControl, Simulator } from '../model/simulator';
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

/**
 * The simulated ECS as a real HTTP endpoint (STYLE.md habit 2: one simulator, several doors). It speaks ECS's
 * RPC protocol the way the real service does, so the proxy's real signer and the official SDK can be pointed
 * at it: path `/`, GET or POST, parameters in the query and/or a form body, V3 (ACS3-HMAC-SHA256, ecs-api.md
 * §10) or V1 (HMAC-SHA1, §9) signatures checked against a table of access keys, JSON or XML answers (§1, §8.1).
 *
 * Test-only control door on the same port, unsigned, answered only to loopback peers:
 *   GET  /__sim/state          → { control, regions: [{ RegionId, instances, byStatus }], nonces, requests }
 *                                (`requests`: the record of ECS-door requests, oldest first, see SimRequestRecord)
 *   POST /__sim/reset          → back to the seeded fleet and default control, request record emptied;
 *                                { ok: true, control }
 *   POST /__sim/control        → JSON body = a patch of SimControl (zod-checked; `faults` merged field by
 *                                field, `instanceFaults` replaced); answers { ok: true, control }; 400 on a bad body
 *   GET  /__sim/instances/:id  → the simulator's current record of one instance, or 404
 * Latency, drops and malformed bodies (simulator.transportPlan) apply to the ECS door only.
 *
 * No side effects at import: `createSimServer` builds the server, `listen` opens the port.
 */

/** Request bodies above this get 413 (a real ECS RPC call has at most a few KiB of form parameters). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Beyond this the connection is cut instead of drained, so a flood cannot keep the server busy. */
const HARD_BODY_CAP = 8 * MAX_BODY_BYTES;
/** V3 `x-acs-date` must be within 15 minutes of the server clock (ecs-api.md §10.1). */
export const V3_WINDOW_MS = 15 * 60_000;
/** V1 `Timestamp` is valid for 31 minutes (ecs-api.md §9.1). */
export const V1_WINDOW_MS = 31 * 60_000;

// ---------------------------------------------------------------------------------------------------------
// Nonce memory (bounded)

/**
 * Remembers signature nonces per access key until the request that carried them could no longer pass the
 * timestamp check anyway (its signed time plus the validity window); after that a replay fails with
 * InvalidTimeStamp.Expired, so the entry can go. Entries are kept in insertion order and expired ones are
 * swept as new ones come in; a hard cap bounds memory under a flood (dropping the oldest first).
 */
export class NonceCache {
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** Records the nonce; false if it is already known and not yet expired. */
  use(accessKeyId: string, nonce: string, expiresAt: number, now: number): boolean {
    this.sweep(now);
    const key = `${accessKeyId}\n${nonce}`;
    const known = this.entries.get(key);
    if (known !== undefined && known > now) return false;
    this.entries.delete(key);
    this.entries.set(key, expiresAt);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return true;
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(now: number): void {
    // Entries were inserted with roughly increasing expiry; stop at the first live one instead of a full scan.
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The verifier: a pure function of the request, the key table, a clock value and the nonce memory.

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

/** Strict `yyyy-MM-ddTHH:mm:ssZ` (§9.1, §10.1); anything else (including impossible dates) is undefined. */
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
  if (!sameText(token, expected)) return new EcsError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'The security token you provided does not match your access key.');
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
  // V1 answers XML unless Format=JSON (§1); the SDK sends `json`, so compare case-insensitively.
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
  // Everything ECS relies on must be covered by the signature (§10.2): host and every x-acs-* header sent.
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
  // canonically, the headers the client listed, and the hash of the body bytes it received (§10.2).
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

  // Over every parameter but Signature, query and form alike, with the HTTP method actually used (§9.2).
  const stringToSign = stringToSignV1(req.method, params);
  if (!sameText(signatureV1(secret, stringToSign), params['Signature'] ?? '')) return ecsErrors.signatureDoesNotMatch(stringToSign);

  if (!ctx.nonces.use(accessKeyId, params['SignatureNonce'] ?? '', signedAt + V1_WINDOW_MS, ctx.now)) return ecsErrors.nonceUsed();
  const version = params['Version'] ?? '';
  if (version !== ECS_API_VERSION) return ecsErrors.invalidVersion(version);

  const common = new Set<string>(V1_COMMON_PARAMS);
  const business = Object.fromEntries(Object.entries(params).filter(([name]) => !common.has(name)));
  return { ok: true, protocol: 'v1', action, accessKeyId, params: business };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering (JSON and the docs' XML shape)

function xmlEscape(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot carry at all.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function xmlName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function xmlElement(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  // Arrays repeat the element under its own name: JSON `Instances.Instance[]` is
  // `<Instances><Instance>…</Instance><Instance>…</Instance></Instances>` in the docs' XML examples.
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join('');
  const tag = xmlName(name);
  if (typeof value === 'object') {
    const inner = Object.entries(value).map(([key, child]) => xmlElement(key, child)).join('');
    return `<${tag}>${inner}</${tag}>`;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `<${tag}>${xmlEscape(String(value))}</${tag}>`;
  }
  return '';
}

/** `<{Action}Response>` for success, `<Error>` for failures (§8.1). */
export function renderXml(root: string, body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${xmlElement(root, body)}`;
}

function render(format: ResponseFormat, root: string, body: Record<string, unknown>): { contentType: string; text: string } {
  return format === 'xml'
    ? { contentType: 'text/xml;charset=utf-8', text: renderXml(root, body) }
    : { contentType: 'application/json;charset=utf-8', text: JSON.stringify(body) };
}

// ---------------------------------------------------------------------------------------------------------
// The control door

const Rate = z.number().min(0).max(1);
const Millis = z.number().int().min(0).max(600_000);

/** A patch of SimControl; strict so a typo in a test is a 400 rather than silently ignored. */
export const SimControlPatch = z.strictObject({
  latencyMs: Millis.optional(),
  jitterMs: Millis.optional(),
  throttle: z
    // limit 0 throttles every call: a storm that never clears, for bounding retries.
    .strictObject({ limit: z.number().int().min(0).max(1_000_000), windowMs: z.number().int().min(1).max(3_600_000) })
    .nullable()
    .optional(),
  throttleActions: z.array(z.string().min(1).max(64)).max(100).optional(),
  faults: z
    .strictObject({ errorRate: Rate, dropRate: Rate, slowRate: Rate, slowMs: Millis, malformedRate: Rate })
    .partial()
    .optional(),
  instanceFaults: z
    .record(
      z.string().min(1).max(64),
      z.strictObject({ Code: z.string().min(1).max(128), Message: z.string().max(1024), remaining: z.number().int().min(0).max(1_000_000) }),
    )
    .optional(),
});

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (/^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address));
}

// ---------------------------------------------------------------------------------------------------------
// The request record

/**
 * One HTTP request the ECS door received, whatever became of it. Side effects are counted where they happen:
 * a client that retries shows up here once per attempt, so tests can bound retries by counting at ECS itself.
 */
export interface SimRequestRecord {
  /** Server clock (ms) when the request had been read. */
  at: number;
  method: string;
  /** The Action the request named, where it could be read (also for refused requests). */
  action?: string;
  /** Business parameters of a request that passed verification (V1 common and signature parameters removed). */
  params: Record<string, string>;
  /** The request's RegionId parameter, if it had one. */
  regionId?: string;
  /** The Host header as received (which regional endpoint the client meant). */
  host?: string;
  /** The HTTP status answered; `null` when the connection was dropped or the client left before an answer. */
  status: number | null;
  /** `Code` of an error answer. */
  code?: string;
  requestId: string;
}

/** Default number of records kept; older ones are dropped first, so a long-running simulator stays bounded. */
export const DEFAULT_REQUEST_RECORD_LIMIT = 10_000;

// ---------------------------------------------------------------------------------------------------------
// The server

export interface SimServerOptions {
  simulator: Simulator;
  /** AccessKeyId → AccessKeySecret accepted by the simulated ECS. */
  accessKeys: Readonly<Record<string, string>>;
  /** Optional STS tokens per AccessKeyId; a key listed here must send its token. */
  securityTokens?: Readonly<Record<string, string>>;
  /** Server clock for the timestamp windows (ms). Defaults to Date.now. */
  now?: () => number;
  /** HostId in error bodies made by the door itself; the simulator names regional hosts for its own. */
  hostId?: string;
  /** One line per notable event (never secrets). */
  log?: (line: string) => void;
  /** Serve /__sim/ (default true). */
  controlEndpoint?: boolean;
  /** How many request records to keep (default DEFAULT_REQUEST_RECORD_LIMIT). */
  requestRecordLimit?: number;
}

export interface SimServer {
  server: http.Server;
  /** The ECS door's requests so far, oldest first (a copy). */
  requests(): SimRequestRecord[];
  /** Empties the request record (also done by `POST /__sim/reset`). */
  clearRequests(): void;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
}

interface BodyRead {
  body: Buffer;
  tooLarge: boolean;
}

/** Reads at most MAX_BODY_BYTES; drains (and discards) up to HARD_BODY_CAP so the client can read our 413. */
function readBody(req: http.IncomingMessage): Promise<BodyRead | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > HARD_BODY_CAP) {
        req.destroy();
        resolve(null);
        return;
      }
      if (received > MAX_BODY_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on('error', () => resolve(null));
    // 'close' also follows a normal 'end'; the promise is settled by then, so this only catches aborts.
    req.on('close', () => resolve(null));
  });
}

export function createSimServer(options: SimServerOptions): SimServer {
  const { simulator } = options;
  const now = options.now ?? (() => Date.now());
  const log = options.log ?? (() => undefined);
  const controlEndpoint = options.controlEndpoint ?? true;
  const nonces = new NonceCache();
  const timers = new Set<NodeJS.Timeout>();
  const recordLimit = options.requestRecordLimit ?? DEFAULT_REQUEST_RECORD_LIMIT;
  let records: SimRequestRecord[] = [];

  function record(entry: SimRequestRecord): void {
    records.push(entry);
    // Trimmed in chunks, so a full record does not copy itself on every request.
    if (records.length > recordLimit + Math.max(1, Math.floor(recordLimit / 10))) records = records.slice(-recordLimit);
  }

  function recorded(): SimRequestRecord[] {
    return records.slice(-recordLimit).map((entry) => ({ ...entry, params: { ...entry.params } }));
  }

  function sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function send(res: http.ServerResponse, status: number, contentType: string, text: string, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    send(res, status, 'application/json;charset=utf-8', JSON.stringify(body));
  }

  function sendError(res: http.ServerResponse, error: EcsError, format: ResponseFormat, requestId: string, hostId: string): void {
    const { contentType, text } = render(format, 'Error', error.toBody(requestId, hostId));
    send(res, error.status, contentType, text, { ...error.headers, 'x-acs-request-id': requestId });
  }

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const fail = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): void =>
      sendJson(res, status, { RequestId: requestId, Code: code, Message: message, ...extra });
    if (!isLoopback(req.socket.remoteAddress)) return fail(403, 'Sim.Forbidden', 'The control endpoint answers loopback clients only.');
    // A web page on any site could otherwise drive this door with a "simple" cross-site POST: browsers send
    // Origin on those, test clients do not, and a changing call must say it is JSON.
    if (req.method !== 'GET' && req.headers.origin !== undefined) return fail(403, 'Sim.Forbidden', 'The control endpoint refuses browser cross-site requests.');
    if (path === '/__sim/control' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return fail(415, 'Sim.UnsupportedMediaType', 'Send the control patch as Content-Type: application/json.');
    }
    const read = await readBody(req);
    if (read === null) return;
    if (read.tooLarge) return fail(413, 'Sim.BodyTooLarge', `The body exceeds ${MAX_BODY_BYTES} bytes.`);

    if (req.method === 'GET' && path === '/__sim/state') {
      const regions = simulator.regions().map((regionId) => {
        const byStatus: Record<string, number> = {};
        const instances = simulator.instancesIn(regionId);
        for (const instance of instances) byStatus[instance.Status] = (byStatus[instance.Status] ?? 0) + 1;
        return { RegionId: regionId, instances: instances.length, byStatus };
      });
      return sendJson(res, 200, { control: simulator.control, regions, nonces: nonces.size, requests: recorded() });
    }
    if (req.method === 'POST' && path === '/__sim/reset') {
      simulator.reset();
      nonces.clear();
      records = [];
      return sendJson(res, 200, { ok: true, control: simulator.control });
    }
    if (req.method === 'POST' && path === '/__sim/control') {
      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(read.body));
      } catch {
        return fail(400, 'Sim.InvalidControl', 'The body must be a JSON object.');
      }
      const parsed = SimControlPatch.safeParse(json);
      if (!parsed.success) {
        return fail(400, 'Sim.InvalidControl', 'The control patch is not valid.', {
          Issues: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
        });
      }
      const { faults, ...rest } = parsed.data;
      const patch: Partial<SimControl> = { ...rest };
      if (faults !== undefined) patch.faults = { ...simulator.control.faults, ...faults };
      simulator.setControl(patch);
      return sendJson(res, 200, { ok: true, control: simulator.control });
    }
    const instanceMatch = /^\/__sim\/instances\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && instanceMatch) {
      let id: string;
      try {
        id = decodeURIComponent(instanceMatch[1] ?? '');
      } catch {
        return fail(400, 'Sim.InvalidPath', 'The instance ID is not valid percent-encoding.');
      }
      const instance = simulator.instance(id);
      return instance === undefined ? fail(404, 'Sim.InstanceNotFound', `No simulated instance ${id}.`) : sendJson(res, 200, instance);
    }
    return fail(404, 'Sim.NotFound', `No control route ${req.method ?? ''} ${path}.`);
  }

  async function handleEcs(req: http.IncomingMessage, res: http.ServerResponse, path: string, rawQuery: string): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const doorHostId = options.hostId ?? 'ecs.aliyuncs.com';
    const read = await readBody(req);
    const entry: SimRequestRecord = {
      at: now(),
      method: req.method ?? '',
      params: {},
      ...(req.headers.host === undefined ? {} : { host: req.headers.host }),
      status: null,
      requestId,
    };
    if (read === null) {
      record(entry);
      return;
    }

    let format: ResponseFormat = 'json';
    let outcome: { status: number; root: string; body: Record<string, unknown>; headers: Record<string, string> };
    if (read.tooLarge) {
      const error = new EcsError(413, 'InvalidParameter.BodyTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
      outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
    } else if (path !== '/') {
      const error = new EcsError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method. RPC calls go to "/".');
      outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
    } else if (req.method !== 'GET' && req.method !== 'POST') {
      const error = new EcsError(405, 'UnsupportedHTTPMethod', 'RPC calls use GET or POST.');
      outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
    } else {
      const verified = verifyEcsRequest(
        { method: req.method, path, rawQuery, headers: req.headers, body: read.body },
        { accessKeys: options.accessKeys, ...(options.securityTokens ? { securityTokens: options.securityTokens } : {}), now: now(), nonces },
      );
      format = verified.format;
      if (verified.action !== undefined) entry.action = verified.action;
      if (verified.ok) {
        entry.params = { ...verified.params };
        const regionId = verified.params['RegionId'];
        if (regionId !== undefined) entry.regionId = regionId;
      }
      if (!verified.ok) {
        const error = verified.error;
        outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
      } else {
        const result = simulator.call(verified.action, verified.params, { requestId, ...(options.hostId ? { hostId: options.hostId } : {}) });
        const body = 'RequestId' in result.body ? result.body : { RequestId: requestId, ...result.body };
        outcome = { status: result.status, root: result.status >= 400 ? 'Error' : `${verified.action}Response`, body, headers: result.headers };
      }
    }

    // Transport knobs come last, so a dropped or garbled answer may follow a call that did take effect —
    // the ambiguity a real client faces on a lost response (ecs-api.md §8.2 on retrying RebootInstance).
    const plan = simulator.transportPlan();
    await sleep(plan.delayMs);
    const code = outcome.body['Code'];
    if (outcome.status >= 400 && typeof code === 'string') entry.code = code;
    if (plan.fault === 'drop') {
      log(`sim: dropping the answer to ${requestId}`);
      record(entry);
      req.socket.destroy();
      return;
    }
    const { contentType, text } = render(format, outcome.root, outcome.body);
    const headers = { ...outcome.headers, 'x-acs-request-id': requestId };
    // Recorded before the answer goes out, so a client that has its answer always finds its request here.
    const answered = (status: number): void => record({ ...entry, status: res.destroyed ? null : status });
    if (plan.fault === 'malformed') {
      // The garbled answer carries no readable code, whatever the call's outcome was.
      delete entry.code;
      answered(200);
      send(res, 200, contentType, text.slice(0, Math.max(1, Math.floor(text.length / 2))), headers);
      return;
    }
    answered(outcome.status);
    send(res, outcome.status, contentType, text, headers);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    if (controlEndpoint && (path === '/__sim' || path.startsWith('/__sim/'))) return handleControl(req, res, path);
    return handleEcs(req, res, path, rawQuery);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((caught: unknown) => {
      // A bug in the door itself: answer like ECS's InternalError and log, without leaking internals.
      log(`sim: internal error: ${caught instanceof Error ? caught.stack ?? caught.message : String(caught)}`);
      const requestId = randomUUID().toUpperCase();
      sendError(res, ecsErrors.internalError(), 'json', requestId, options.hostId ?? 'ecs.aliyuncs.com');
    });
  });
  // Header-level garbage (bad request lines, oversize headers) never reaches the handler; answer 400 and close.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    requests: recorded,
    clearRequests() {
      records = [];
    },
    listen(port: number, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          // A TCP listen always reports an AddressInfo (the string form is for pipes).
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ port: address.port, url: `http://${shownHost}:${address.port}` });
        });
      });
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
