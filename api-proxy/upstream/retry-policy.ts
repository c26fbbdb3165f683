import { randomUUID } from 'node:crypto';

/**
 * Which ECS calls may be sent again, as pure functions of what one attempt observed (docs/decisions/retries.md,
 * docs/ecs-notes.md#retry-policy). The client (ecs-client.ts) makes the attempts; this module only judges them.
 *
 * The rule is the one the attach flow needs (docs/product.md#step-5-attach: other failures are not retried
 * blindly): an attempt is repeated only when nothing can have happened — ECS refused it (throttling,
 * docs/ecs-notes.md#throttling; service unavailable; a reused nonce) or it never left this process (connection
 * refused, DNS failure, connect timeout). Read-only calls may also be repeated after timeouts, resets, 5xx
 * answers and garbled bodies, because repeating them is harmless. A mutating call whose request may have
 * reached ECS without an answer coming back is `unknown` at once: the caller must look (DescribeInstances)
 * before trying again.
 */

/** What a call answers if an attempt is its last. */
export type Final =
  | { kind: 'response'; status: number; body: Record<string, unknown>; headers: Record<string, string> }
  | { kind: 'unknown'; reason: string }
  | { kind: 'unreachable'; reason: string };

/** Another attempt is allowed, and why. */
export interface RetryAdvice {
  reason: string;
  /** ECS's own instruction (`x-acs-retry-after`). */
  retryAfterMs?: number;
  /** ECS refused the call for its rate limit: the caller is told how long to wait if it gets the answer. */
  isThrottled?: boolean;
}

/** The judgement of one attempt. */
export interface AttemptVerdict {
  final: Final;
  /** Set when another attempt is allowed. */
  retry: RetryAdvice | null;
  /** The caller's signal aborted before this attempt's request was written. */
  abortedBeforeSending?: boolean;
  /** What the attempt showed about the endpoint, for the circuit breaker; absent when it showed nothing. */
  reach?: 'reached' | 'unreachable';
}

/** What one attempt observed, from the request being sent to the body being read. */
export type AttemptObservation =
  /** No answer: the request failed with these error codes (the error's own, its causes', its aggregated errors'). */
  | {
      kind: 'failed';
      codes: readonly string[];
      /** Whether the request's headers were (or may have been) written to the socket. */
      mayHaveBeenWritten: boolean;
      /** The attempt's own deadline passed. */
      timedOut: boolean;
      /** The caller gave up (its signal aborted). */
      callerAborted: boolean;
    }
  /** The status line and headers came, the body did not arrive whole. */
  | { kind: 'cut-off'; status: number; timedOut: boolean; callerAborted: boolean }
  /** A whole answer; `body` absent when it is not a JSON object (or larger than MAX_RESPONSE_BYTES: `isTooLarge`). */
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: Record<string, unknown> | undefined; isTooLarge: boolean };

export interface AttemptContext {
  action: string;
  mutating: boolean;
  /** The per-attempt timeout, for the words of the reason. */
  timeoutMs: number;
}

/** A bigger answer is treated as garbled instead of exhausting memory (DescribeInstances pages are ~1 MiB). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

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

/** ECS counts calls per API and region in one-minute windows, and the next minute starts afresh
 * (https://www.alibabacloud.com/help/en/elastic-compute-service/latest/api-throttling). */
const THROTTLE_WINDOW_MS = 60_000;

/** `Throttling`, `Throttling.User`, `Throttling.Api`, `Rejected.Throttling`, … (docs/ecs-notes.md#error-codes). */
function isThrottlingCode(code: string): boolean {
  return /(^|\.)Throttling(\.|$)/.test(code);
}

/** `x-acs-retry-after` is in milliseconds: the SDK's getThrottlingTimeLeft feeds it to sleep(ms) (ecs/sim/simulator.ts). */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,9}\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Every `code` on the error, its causes and (for happy-eyeballs connects) its aggregated errors. */
export function errorCodes(error: unknown, depth = 0): string[] {
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

/** An answer the proxy makes itself, in ECS's envelope. */
export function proxyAnswer(status: number, code: string, message: string, requestId?: string): Final {
  return {
    kind: 'response',
    status,
    body: { Code: code, Message: message, RequestId: requestId ?? randomUUID().toUpperCase() },
    headers: {},
  };
}

/** Judges one attempt: what the call answers if it stops here, and whether it may be sent again. */
export function judgeAttempt(seen: AttemptObservation, { action, mutating, timeoutMs }: AttemptContext): AttemptVerdict {
  switch (seen.kind) {
    case 'failed': {
      const isNothingSent = seen.codes.some((code) => CONNECT_PHASE_CODES.has(code)) || !seen.mayHaveBeenWritten;
      if (seen.callerAborted) {
        return isNothingSent
          ? { final: { kind: 'unreachable', reason: 'aborted by the caller before sending' }, retry: null, abortedBeforeSending: true }
          : { final: { kind: 'unknown', reason: `aborted by the caller after ${action} was sent` }, retry: null, reach: 'reached' };
      }
      const reason = seen.timedOut ? `no answer within ${timeoutMs} ms` : describeFailure(seen.codes);
      if (isNothingSent) return { final: { kind: 'unreachable', reason }, retry: { reason }, reach: 'unreachable' };
      return { final: { kind: 'unknown', reason }, retry: mutating ? null : { reason }, reach: 'reached' };
    }
    case 'cut-off': {
      if (seen.callerAborted)
        return {
          final: { kind: 'unknown', reason: `aborted by the caller while ${action}'s answer was arriving` },
          retry: null,
          reach: 'reached',
        };
      const reason = seen.timedOut
        ? `answer (HTTP ${seen.status}) not complete within ${timeoutMs} ms`
        : `answer (HTTP ${seen.status}) cut off`;
      return { final: { kind: 'unknown', reason }, retry: mutating ? null : { reason }, reach: 'reached' };
    }
    case 'answer': {
      if (seen.body === undefined) return { ...garbled(action, seen.status, seen.headers, seen.isTooLarge, mutating), reach: 'reached' };
      const final: Final = { kind: 'response', status: seen.status, body: seen.body, headers: seen.headers };
      return { final, retry: retryAdvice(seen.status, seen.body, seen.headers, mutating), reach: 'reached' };
    }
  }
}

/** Which ECS answers may be repeated (docs/ecs-notes.md#retry-policy and Terraform's NeedRetry, narrowed by docs/ecs-notes.md#throttling). */
function retryAdvice(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string>,
  mutating: boolean,
): RetryAdvice | null {
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
function garbled(action: string, status: number, headers: Record<string, string>, isTooLarge: boolean, mutating: boolean): AttemptVerdict {
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

export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
}

/**
 * The wait before retry number `retryNumber` (1-based): ECS's own `x-acs-retry-after` when it asks for one, else
 * exponential backoff with full jitter, `random() * min(maxDelayMs, baseDelayMs * 2^(n-1))`. `undefined` when
 * ECS asks for longer than `maxDelayMs`: the answer is handed back at once (header intact) instead of retried
 * early and throttled again, so the browser can show the wait.
 */
export function retryDelay(retryNumber: number, advice: RetryAdvice, { baseDelayMs, maxDelayMs, random }: Backoff): number | undefined {
  if (advice.retryAfterMs !== undefined) return advice.retryAfterMs <= maxDelayMs ? advice.retryAfterMs : undefined;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/**
 * How long the caller should wait before sending a call again that comes back still throttled: ECS's
 * `x-acs-retry-after`, or else until ECS's next per-minute window. `undefined` for an answer that was not
 * throttled.
 */
export function waitAfterThrottling(advice: RetryAdvice | null | undefined, nowMs: number): number | undefined {
  if (advice?.isThrottled !== true) return undefined;
  return advice.retryAfterMs ?? THROTTLE_WINDOW_MS - (nowMs % THROTTLE_WINDOW_MS);
}
