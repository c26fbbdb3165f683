import { randomUUID } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { ECS_API_VERSION } from '../../ecs/contract';
import type { ActionName } from '../../ecs/contract';
import type { CircuitBreaker, CircuitPermit } from './circuit-breaker';
import type { CredentialSource, Credentials } from './credentials';
import { signV3 } from '../../acs-signature';

/**
 * Signed HTTP calls to ECS (issue 3). One call = up to `1 + maxRetries` attempts, each signed afresh with V3
 * (new date and nonce, ecs-api.md §11), sent like the official SDK sends it (POST, every parameter in the
 * query, empty body, `accept: application/json`, §0.7 and §1), to a base URL that only `endpointFor` — backed
 * by the region directory — can supply (PRODUCT.md safety rules).
 *
 * The retry rule is the one PRODUCT.md's flow asks for ("other failures are not retried blindly"): an attempt
 * is repeated only when nothing can have happened — ECS refused it (throttling, §8.2 and §13; service
 * unavailable; a reused nonce) or it never left this process (connection refused, DNS failure, connect
 * timeout). Read-only calls may also be repeated after timeouts, resets, 5xx answers and garbled bodies,
 * because repeating them is harmless. A mutating call whose request may have reached ECS without an answer
 * coming back is reported as `unknown` at once: the caller must look (DescribeInstances) before trying again.
 *
 * Whether a request "left this process" is observed, not guessed: undici publishes each request's header
 * block on the `undici:client:sendHeaders` diagnostics channel right before writing it to the socket, and the
 * client recognises its own attempts there by their signature nonce. A failure before that point cannot have
 * reached ECS.
 *
 * This client is the one layer that retries ECS calls (docs/decisions/retries.md). A throttled answer it hands
 * back without retrying further carries `retryAfterMs`, the wait before the call may be sent again, which the
 * proxy passes on as a standard `Retry-After` header; the browser waits that long and sends once more at most.
 *
 * An endpoint that could not be connected to several times in a row is not tried for a few seconds
 * (circuit-breaker.ts): calls answer `unreachable` with `circuitOpen` at once instead of each waiting out the
 * connect timeouts, and nothing is sent.
 *
 * Outcomes never contain credentials: nothing here copies them into an outcome, and as a second line of
 * defence any occurrence of the secret, the STS token, the Authorization header or the signature in an answer
 * (an upstream that echoes requests) is replaced by `[redacted]`.
 */

export type UpstreamOutcome =
  | {
      kind: 'response';
      status: number;
      body: Record<string, unknown>;
      headers: Record<string, string>;
      attempts: number;
      durationMs: number;
      /**
       * Set only on a throttled answer handed back without further retries: how long the caller should wait
       * before sending the call again (ECS's `x-acs-retry-after`, or else until ECS's next per-minute window).
       */
      retryAfterMs?: number;
    }
  /** The request may have reached ECS but no (usable) answer came back; never retried for mutating calls. */
  | { kind: 'unknown'; reason: string; attempts: number; durationMs: number }
  /**
   * Nothing reached ECS (connection refused, DNS failure, connect timeout, aborted before sending).
   * `circuitOpen`: not even tried, because the endpoint could not be connected to just before (circuit-breaker.ts).
   */
  | { kind: 'unreachable'; reason: string; attempts: number; durationMs: number; circuitOpen?: boolean };

export interface RetryInfo {
  action: string;
  regionId: string;
  /** The attempt that just failed (1-based); attempt `attempt + 1` follows after `delayMs`. */
  attempt: number;
  delayMs: number;
  /** Why, e.g. `Throttling.User (HTTP 400)` or `connection refused (ECONNREFUSED)`. Never a secret. */
  reason: string;
}

export interface EcsClientOptions {
  /** Base URL (scheme, host, optional port) for a validated region; the client never builds hosts itself. */
  endpointFor: (regionId: string) => URL;
  credentials: CredentialSource;
  connectTimeoutMs: number;
  /** Per attempt, from sending to the last body byte; should exceed connectTimeoutMs. */
  timeoutMs: number;
  concurrencyPerRegion: number;
  maxRetries: number;
  /** Backoff: exponential with full jitter, `random() * min(maxDelayMs, baseDelayMs * 2^n)`. Default 200 ms. */
  baseDelayMs?: number;
  /**
   * The longest single wait between attempts, default 10 s; with at most `maxRetries` waits the total is
   * bounded too. A throttled answer whose `x-acs-retry-after` asks for longer is handed back at once (header
   * intact) instead of retried early and throttled again, so the browser can show the wait (PRODUCT.md step 5).
   */
  maxDelayMs?: number;
  now?: () => Date;
  nonce?: () => string;
  random?: () => number;
  /** Waits `ms`; should settle early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (info: RetryInfo) => void;
  /**
   * Fails attempts fast while an endpoint has just been unreachable; asked before every attempt, keyed by the
   * endpoint's origin. Without it every attempt goes out.
   */
  breaker?: CircuitBreaker;
  /** The credential source failed; the call answered `Proxy.CredentialsUnavailable`. For the proxy's log. */
  onCredentialsError?: (error: unknown) => void;
}

export interface EcsClient {
  call(action: ActionName, wire: Record<string, string>, route: { regionId: string; mutating: boolean; signal?: AbortSignal }): Promise<UpstreamOutcome>;
  /** Closes idle connections and waits for calls in flight; later calls answer `unreachable`. */
  close(): Promise<void>;
}

/** A bigger answer is treated as garbled instead of exhausting memory (DescribeInstances pages are ~1 MiB). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_BASE_DELAY_MS = 200;
export const DEFAULT_MAX_DELAY_MS = 10_000;
const USER_AGENT = 'ecs-keypair-console-proxy';
const SEND_HEADERS_CHANNEL = 'undici:client:sendHeaders';

/**
 * Error codes that can only happen before a request is written: DNS (`ENOTFOUND`, `EAI_AGAIN`), refusal,
 * unreachable networks and undici's connect timeout. Retrying them is safe even for mutating calls.
 */
const CONNECT_PHASE_CODES: ReadonlyMap<string, string> = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['ENOTFOUND', 'DNS lookup failed'],
  ['EAI_AGAIN', 'DNS lookup failed'],
  ['EAI_NONAME', 'DNS lookup failed'],
  ['EAI_NODATA', 'DNS lookup failed'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
  ['EADDRNOTAVAIL', 'address not available'],
  ['UND_ERR_CONNECT_TIMEOUT', 'connect timeout'],
]);

const OTHER_CODES: ReadonlyMap<string, string> = new Map([
  ['ECONNRESET', 'connection reset'],
  ['EPIPE', 'connection closed while sending'],
  ['UND_ERR_SOCKET', 'connection closed by the server'],
  ['UND_ERR_HEADERS_TIMEOUT', 'no answer in time'],
  ['UND_ERR_BODY_TIMEOUT', 'answer stalled'],
  ['UND_ERR_CLOSED', 'the ECS client is closed'],
  ['UND_ERR_DESTROYED', 'the ECS client is closed'],
]);

/** `Throttling`, `Throttling.User`, `Throttling.Api`, `Rejected.Throttling`, … (ecs-api.md §8.2, §13). */
function isThrottlingCode(code: string): boolean {
  return /(^|\.)Throttling(\.|$)/.test(code);
}

/** `x-acs-retry-after` is in milliseconds: the SDK's getThrottlingTimeLeft feeds it to sleep(ms) (ecs/sim/simulator.ts). */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,9}\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Every `code` on the error, its causes and (for happy-eyeballs connects) its aggregated errors. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const codes: string[] = [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') codes.push(code);
  codes.push(...errorCodes(cause, depth + 1));
  if (Array.isArray(errors)) for (const inner of errors) codes.push(...errorCodes(inner, depth + 1));
  return codes;
}

function describeFailure(codes: readonly string[]): string {
  for (const code of codes) {
    const label = CONNECT_PHASE_CODES.get(code) ?? OTHER_CODES.get(code);
    if (label !== undefined) return `${label} (${code})`;
  }
  const first = codes.find((code) => /^[A-Z0-9_]{2,40}$/.test(code));
  return first === undefined ? 'transport error' : `transport error (${first})`;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Secrets shorter than this are not searched for: no real AccessKey secret or token is, and a one-letter
 * "secret" would otherwise garble every answer. */
const MIN_REDACTED_LENGTH = 8;

class Redactor {
  private readonly secrets = new Set<string>();

  add(value: string | undefined): void {
    if (value !== undefined && value.length >= MIN_REDACTED_LENGTH) this.secrets.add(value);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  }

  /** Only walks the value when the raw text showed a secret somewhere, so the common case costs one scan. */
  needed(raw: string): boolean {
    for (const secret of this.secrets) if (raw.includes(secret)) return true;
    return false;
  }

  deep(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.deep(item));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.deep(v)]));
    return value;
  }

  headers(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, this.text(v)]));
  }
}

/** A FIFO counting semaphore; a waiter whose signal aborts leaves the queue. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  get isIdle(): boolean {
    return this.active === 0 && this.waiting.length === 0;
  }

  /** Resolves true with a slot held, or false if `signal` aborted first. */
  acquire(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(grant);
        if (index !== -1) this.waiting.splice(index, 1);
        resolve(false);
      };
      // The releasing call hands its slot over, so `active` stays as it is.
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.active -= 1;
    else next();
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * undici does not settle an aborted request while its connection is still being set up: it waits for the
 * connect (or its connect timeout) first. The per-attempt deadline and the caller's abort must hold anyway, so
 * the call stops waiting at once. undici still honours the abort itself: it checks it when the connection is
 * ready, before writing the request, so a request given up here is never sent later.
 */
function settleOnAbort<T extends { body: { destroy(): unknown } }>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    let isSettled = false;
    const onAbort = (): void => {
      if (isSettled) return;
      isSettled = true;
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (isSettled) value.body.destroy();
        isSettled = true;
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        isSettled = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

type Final =
  | { kind: 'response'; status: number; body: Record<string, unknown>; headers: Record<string, string> }
  | { kind: 'unknown'; reason: string }
  | { kind: 'unreachable'; reason: string };

interface RetryAdvice {
  reason: string;
  /** ECS's own instruction (`x-acs-retry-after`). */
  retryAfterMs?: number;
  /** ECS refused the call for its rate limit: the caller is told how long to wait if it gets the answer. */
  isThrottled?: boolean;
}

interface AttemptResult {
  /** What the call answers if this is the last attempt. */
  final: Final;
  /** Set when another attempt is allowed. */
  retry: RetryAdvice | null;
  /** The caller's signal aborted before this attempt's request was written. */
  abortedBeforeSending?: boolean;
  /** What the attempt showed about the endpoint, for the circuit breaker; absent when it showed nothing. */
  reach?: 'reached' | 'unreachable';
}

/** ECS counts calls per API and region in one-minute windows, and the next minute starts afresh
 * (https://www.alibabacloud.com/help/en/elastic-compute-service/latest/api-throttling). */
const THROTTLE_WINDOW_MS = 60_000;

function proxyAnswer(status: number, code: string, message: string, requestId?: string): Final {
  return {
    kind: 'response',
    status,
    body: { Code: code, Message: message, RequestId: requestId ?? randomUUID().toUpperCase() },
    headers: {},
  };
}

function checkOptions(o: EcsClientOptions): void {
  const problems: string[] = [];
  const positive = (name: string, value: number): void => {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number, got ${value}`);
  };
  positive('connectTimeoutMs', o.connectTimeoutMs);
  positive('timeoutMs', o.timeoutMs);
  if (!Number.isInteger(o.concurrencyPerRegion) || o.concurrencyPerRegion < 1) problems.push(`concurrencyPerRegion must be an integer ≥ 1, got ${o.concurrencyPerRegion}`);
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) problems.push(`maxRetries must be an integer ≥ 0, got ${o.maxRetries}`);
  for (const [name, value] of [['baseDelayMs', o.baseDelayMs], ['maxDelayMs', o.maxDelayMs]] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) problems.push(`${name} must be a number ≥ 0, got ${value}`);
  }
  if (problems.length > 0) throw new RangeError(`ECS client options: ${problems.join('; ')}`);
}

export function createEcsClient(options: EcsClientOptions): EcsClient {
  checkOptions(options);
  const { timeoutMs, maxRetries } = options;
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const now = options.now ?? (() => new Date());
  const nonce = options.nonce ?? (() => randomUUID());
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;

  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  // Nonces of attempts in flight, and those whose request headers undici has started writing.
  const inFlight = new Set<string>();
  const written = new Set<string>();
  // If undici ever answered a request it did not announce, stop trusting "not written" and assume the worst.
  let isTrackingReliable = true;
  const onSendHeaders = (message: unknown): void => {
    const block = isPlainObject(message) ? message['headers'] : undefined;
    if (typeof block !== 'string') return;
    const match = /(?:^|\r\n)x-acs-signature-nonce:[ \t]*([^\r\n]*)/i.exec(block);
    const sent = match?.[1]?.trim();
    if (sent !== undefined && inFlight.has(sent)) written.add(sent);
  };
  diagnosticsChannel.subscribe(SEND_HEADERS_CHANNEL, onSendHeaders);

  const gates = new Map<string, Gate>();
  let isClosed = false;

  function gateFor(regionId: string): Gate {
    let gate = gates.get(regionId);
    if (gate === undefined) {
      gate = new Gate(options.concurrencyPerRegion);
      gates.set(regionId, gate);
    }
    return gate;
  }

  async function readCapped(body: AsyncIterable<unknown> & { destroy(): unknown }, declaredLength: string | undefined): Promise<Buffer | 'too-large'> {
    if (declaredLength !== undefined && Number(declaredLength) > MAX_RESPONSE_BYTES) {
      body.destroy();
      return 'too-large';
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += bytes.length;
      if (size > MAX_RESPONSE_BYTES) {
        body.destroy();
        return 'too-large';
      }
      chunks.push(bytes);
    }
    return Buffer.concat(chunks);
  }

  async function attempt(
    action: ActionName,
    wire: Record<string, string>,
    endpoint: URL,
    route: { regionId: string; mutating: boolean; signal?: AbortSignal },
    redactor: Redactor,
  ): Promise<AttemptResult> {
    const { mutating } = route;
    let credentials: Credentials;
    try {
      credentials = await options.credentials.get();
    } catch (caught) {
      options.onCredentialsError?.(caught);
      // Nothing was sent. The library's message stays in the log: it names files and variables (fastify/demo:
      // 5xx answers never leak internals, STYLE.md).
      return { final: proxyAnswer(503, 'Proxy.CredentialsUnavailable', 'The proxy could not obtain cloud credentials; see the proxy log.'), retry: null };
    }
    if (route.signal?.aborted) return { final: { kind: 'unreachable', reason: 'aborted by the caller before sending' }, retry: null, abortedBeforeSending: true };

    const attemptNonce = nonce();
    const signed = signV3({
      method: 'POST',
      host: endpoint.host,
      path: '/',
      query: wire,
      headers: { accept: 'application/json', 'user-agent': USER_AGENT },
      action,
      version: ECS_API_VERSION,
      credentials,
      date: now(),
      nonce: attemptNonce,
    });
    redactor.add(credentials.accessKeySecret);
    redactor.add(credentials.securityToken);
    redactor.add(signed.headers['authorization']);
    redactor.add(signed.signature);
    // The query is the very string that was signed (ecs-api.md §11); the body is empty like the SDK's (§0.7).
    const url = `${endpoint.origin}/${signed.queryString === '' ? '' : `?${signed.queryString}`}`;

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = route.signal === undefined ? timeout : AbortSignal.any([route.signal, timeout]);
    inFlight.add(attemptNonce);
    try {
      let response;
      try {
        response = await settleOnAbort(request(url, { dispatcher: agent, method: 'POST', headers: signed.headers, signal }), signal);
      } catch (caught) {
        const codes = errorCodes(caught);
        const isNothingSent = codes.some((code) => CONNECT_PHASE_CODES.has(code)) || (isTrackingReliable && !written.has(attemptNonce));
        if (route.signal?.aborted) {
          return isNothingSent
            ? { final: { kind: 'unreachable', reason: 'aborted by the caller before sending' }, retry: null, abortedBeforeSending: true }
            : { final: { kind: 'unknown', reason: `aborted by the caller after ${action} was sent` }, retry: null, reach: 'reached' };
        }
        const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeFailure(codes);
        if (isNothingSent) return { final: { kind: 'unreachable', reason }, retry: { reason }, reach: 'unreachable' };
        return { final: { kind: 'unknown', reason }, retry: mutating ? null : { reason }, reach: 'reached' };
      }
      if (!written.has(attemptNonce)) isTrackingReliable = false;

      const status = response.statusCode;
      const headers = redactor.headers(flattenHeaders(response.headers));
      let raw: Buffer | 'too-large';
      try {
        raw = await readCapped(response.body, headers['content-length']);
      } catch {
        response.body.destroy();
        if (route.signal?.aborted) return { final: { kind: 'unknown', reason: `aborted by the caller while ${action}'s answer was arriving` }, retry: null, reach: 'reached' };
        const reason = timeout.aborted ? `answer (HTTP ${status}) not complete within ${timeoutMs} ms` : `answer (HTTP ${status}) cut off`;
        return { final: { kind: 'unknown', reason }, retry: mutating ? null : { reason }, reach: 'reached' };
      }

      let body: Record<string, unknown> | undefined;
      let text = '';
      if (raw !== 'too-large') {
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
          const parsed: unknown = JSON.parse(text);
          if (isPlainObject(parsed)) body = parsed;
        } catch {
          body = undefined;
        }
      }
      if (body === undefined) return { ...garbled(action, status, headers, raw === 'too-large', mutating), reach: 'reached' };
      if (redactor.needed(text)) body = redactor.deep(body) as Record<string, unknown>;
      return { final: { kind: 'response', status, body, headers }, retry: retryAdvice(status, body, headers, mutating), reach: 'reached' };
    } finally {
      inFlight.delete(attemptNonce);
      written.delete(attemptNonce);
    }
  }

  /** Which ECS answers may be repeated (ecs-api.md §8.2's table and Terraform's NeedRetry, narrowed by §13). */
  function retryAdvice(status: number, body: Record<string, unknown>, headers: Record<string, string>, mutating: boolean): AttemptResult['retry'] {
    if (status < 400) return null;
    const code = typeof body['Code'] === 'string' ? body['Code'] : '';
    const reason = `${code === '' ? 'error' : code} (HTTP ${status})`;
    if (isThrottlingCode(code) || status === 429) {
      const retryAfterMs = parseRetryAfter(headers['x-acs-retry-after']);
      return retryAfterMs === undefined ? { reason, isThrottled: true } : { reason, retryAfterMs, isThrottled: true };
    }
    // Refused before anything was looked at: ECS says it is unavailable, or a nonce collision that a fresh
    // signature fixes. A bare 503 (no ECS code) may come from a gateway in front of ECS (ECS_ENDPOINT) that had
    // already forwarded the call, so only a read is repeated on that.
    const isUnavailable = code === 'ServiceUnavailable' || code.startsWith('ServiceUnavailable.');
    if (isUnavailable || code === 'SignatureNonceUsed' || (status === 503 && !mutating)) return { reason };
    // A server error may have happened after the change was made; only a read may be repeated blindly.
    if (!mutating && (status >= 500 || code === 'InternalError' || code === 'UnknownError')) return { reason };
    return null;
  }

  /** A body that is not a JSON object (or is too large to hold). */
  function garbled(action: ActionName, status: number, headers: Record<string, string>, isTooLarge: boolean, mutating: boolean): AttemptResult {
    const what = isTooLarge ? `larger than ${MAX_RESPONSE_BYTES / (1024 * 1024)} MiB` : 'not a JSON object';
    const reason = `ECS answered HTTP ${status} with a body that is ${what}`;
    const answer = proxyAnswer(502, 'Proxy.BadUpstreamResponse', `${reason}.`, headers['x-acs-request-id']);
    // 429 says "not handled" whatever the body looks like; a garbled 503 may be a gateway that forwarded.
    if (status === 429) return { final: answer, retry: { reason } };
    if (!mutating) return { final: answer, retry: { reason } };
    // A refusal (3xx/4xx) changed nothing; a garbled 2xx or 5xx may follow a change we cannot read.
    if (status >= 300 && status < 500) return { final: answer, retry: null };
    return { final: { kind: 'unknown', reason: `${reason}; ${action} may or may not have taken effect` }, retry: null };
  }

  function delayBefore(retryNumber: number, retry: RetryAdvice): number | undefined {
    if (retry.retryAfterMs !== undefined) return retry.retryAfterMs <= maxDelayMs ? retry.retryAfterMs : undefined;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retryNumber - 1));
    return Math.floor(random() * ceiling);
  }

  return {
    async call(action, wire, route) {
      const started = performance.now();
      /** `advice`: the retry advice of the attempt that produced `final`, when it was a throttled answer. */
      const finish = (final: Final, attempts: number, advice?: RetryAdvice | null): UpstreamOutcome => {
        const outcome: UpstreamOutcome = { ...final, attempts, durationMs: Math.round(performance.now() - started) };
        if (outcome.kind === 'response' && advice?.isThrottled === true) {
          // Handed back still throttled: say how long to wait, so the caller does not guess (and retry early).
          outcome.retryAfterMs = advice.retryAfterMs ?? THROTTLE_WINDOW_MS - (now().getTime() % THROTTLE_WINDOW_MS);
        }
        return outcome;
      };
      if (isClosed) return finish({ kind: 'unreachable', reason: 'the ECS client is closed' }, 0);
      let endpoint: URL;
      try {
        endpoint = options.endpointFor(route.regionId);
      } catch {
        // The caller should have asked the region directory first; refuse rather than guess a host.
        return finish(proxyAnswer(400, 'Proxy.UnknownRegion', 'The region is not in the list of ECS regions.'), 0);
      }

      const { breaker } = options;
      const circuit = endpoint.origin;
      const redactor = new Redactor();
      let previous: { final: Final; advice: RetryAdvice } | undefined;
      /** The circuit is open: answer what the last attempt got, or, if none was made, that nothing was tried. */
      const failFast = (attemptNumber: number): UpstreamOutcome =>
        previous
          ? finish(previous.final, attemptNumber - 1, previous.advice)
          : {
              kind: 'unreachable',
              reason: `not sent: ${endpoint.host} could not be connected to ${breaker?.failureThreshold ?? 0} times in a row just before`,
              attempts: 0,
              durationMs: Math.round(performance.now() - started),
              circuitOpen: true,
            };
      for (let attemptNumber = 1; ; attemptNumber += 1) {
        // Checked before queueing too, so a call does not wait for a slot only to be refused.
        if (breaker && !breaker.allows(circuit)) return failFast(attemptNumber);
        // Looked up per attempt: an idle region's gate is dropped while this call sleeps between attempts.
        const gate = gateFor(route.regionId);
        const isAcquired = await gate.acquire(route.signal);
        if (!isAcquired) {
          return previous
            ? finish(previous.final, attemptNumber - 1, previous.advice)
            : finish({ kind: 'unreachable', reason: 'aborted by the caller before sending' }, attemptNumber - 1);
        }
        let permit: CircuitPermit | undefined;
        if (breaker) {
          permit = breaker.acquire(circuit);
          if (permit === undefined) {
            gate.release();
            if (gate.isIdle) gates.delete(route.regionId);
            return failFast(attemptNumber);
          }
        }
        let result: AttemptResult | undefined;
        try {
          result = await attempt(action, wire, endpoint, route, redactor);
        } finally {
          gate.release();
          if (gate.isIdle) gates.delete(route.regionId);
          if (result?.reach === 'reached') permit?.reached();
          else if (result?.reach === 'unreachable') permit?.unreachable();
          else permit?.release();
        }
        if (result.abortedBeforeSending === true && previous !== undefined) return finish(previous.final, attemptNumber - 1, previous.advice);
        const final = result.final.kind === 'response' ? result.final : { ...result.final, reason: redactor.text(result.final.reason) };
        if (result.retry === null || attemptNumber > maxRetries || route.signal?.aborted) return finish(final, attemptNumber, result.retry);
        const delayMs = delayBefore(attemptNumber, result.retry);
        if (delayMs === undefined) return finish(final, attemptNumber, result.retry);
        options.onRetry?.({ action, regionId: route.regionId, attempt: attemptNumber, delayMs, reason: redactor.text(result.retry.reason) });
        previous = { final, advice: result.retry };
        try {
          await sleep(delayMs, route.signal);
        } catch {
          // An injected sleep may reject on abort; the check below handles it.
        }
        if (route.signal?.aborted) return finish(final, attemptNumber, result.retry);
      }
    },

    async close() {
      if (isClosed) return;
      isClosed = true;
      try {
        await agent.close();
      } finally {
        diagnosticsChannel.unsubscribe(SEND_HEADERS_CHANNEL, onSendHeaders);
      }
    },
  };
}
