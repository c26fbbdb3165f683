import { randomUUID } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { ECS_API_VERSION } from '../../ecs/contract';
import type { ActionName } from '../../ecs/contract';
import type { CircuitBreaker, CircuitPermit } from './circuit-breaker';
import type { CredentialSource, Credentials } from './credentials';
import { RegionGates } from './gate';
import { Redactor } from './redactor';
import {
  errorCodes,
  judgeAttempt,
  proxyAnswer,
  retryDelay,
  waitAfterThrottling,
  type AttemptVerdict,
  type Final,
  type RetryAdvice,
} from './retry-policy';
import { signV3 } from '../../acs-signature';
import { defaultSleep, flattenHeaders, isPlainObject, parseJsonObject, readCapped, settleOnAbort } from './transport';

/**
 * Signed HTTP calls to ECS. One call = up to `1 + maxRetries` attempts, each signed afresh with V3 (new date and
 * nonce, docs/ecs-notes.md#signer-notes), sent like the official SDK sends it (POST, every parameter in the
 * query, empty body, `accept: application/json`, docs/ecs-notes.md#transport), to a base URL that only
 * `endpointFor` — backed by the region directory — can supply (docs/product.md#upstream-host-built-by-the-proxy).
 *
 * This client is the one layer that retries ECS calls (docs/decisions/retries.md); which attempts may be
 * repeated is retry-policy.ts. A throttled answer it hands back without retrying further carries
 * `retryAfterMs`, the wait before the call may be sent again, which the proxy passes on as a standard
 * `Retry-After` header; the browser waits that long and sends once more at most.
 *
 * Whether a request "left this process" is observed, not guessed: undici publishes each request's header
 * block on the `undici:client:sendHeaders` diagnostics channel right before writing it to the socket, and the
 * client recognises its own attempts there by their signature nonce. A failure before that point cannot have
 * reached ECS.
 *
 * Calls per region are capped (gate.ts). An endpoint that could not be connected to several times in a row is
 * not tried for a few seconds (circuit-breaker.ts): calls answer `unreachable` with `circuitOpen` at once
 * instead of each waiting out the connect timeouts, and nothing is sent. Outcomes never contain credentials
 * (redactor.ts).
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
  /** Backoff: exponential with full jitter (retry-policy.ts). Default 200 ms. */
  baseDelayMs?: number;
  /**
   * The longest single wait between attempts, default 10 s; with at most `maxRetries` waits the total is
   * bounded too. A throttled answer whose `x-acs-retry-after` asks for longer is handed back at once (header
   * intact) instead of retried early and throttled again, so the browser can show the wait
   * (docs/product.md#step-5-attach).
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
  call(
    action: ActionName,
    wire: Record<string, string>,
    route: { regionId: string; mutating: boolean; signal?: AbortSignal },
  ): Promise<UpstreamOutcome>;
  /** Closes idle connections and waits for calls in flight; later calls answer `unreachable`. */
  close(): Promise<void>;
}

const DEFAULT_BASE_DELAY_MS = 200;
const DEFAULT_MAX_DELAY_MS = 10_000;
const USER_AGENT = 'ecs-keypair-console-proxy';
const SEND_HEADERS_CHANNEL = 'undici:client:sendHeaders';

function checkOptions(o: EcsClientOptions): void {
  const problems: string[] = [];
  const positive = (name: string, value: number): void => {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number, got ${value}`);
  };
  positive('connectTimeoutMs', o.connectTimeoutMs);
  positive('timeoutMs', o.timeoutMs);
  if (!Number.isInteger(o.concurrencyPerRegion) || o.concurrencyPerRegion < 1)
    problems.push(`concurrencyPerRegion must be an integer ≥ 1, got ${o.concurrencyPerRegion}`);
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) problems.push(`maxRetries must be an integer ≥ 0, got ${o.maxRetries}`);
  for (const [name, value] of [
    ['baseDelayMs', o.baseDelayMs],
    ['maxDelayMs', o.maxDelayMs],
  ] as const) {
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

  const gates = new RegionGates(options.concurrencyPerRegion);
  let isClosed = false;

  /** One attempt: sign, send, read, and let the retry policy judge what happened. */
  async function attempt(
    action: ActionName,
    wire: Record<string, string>,
    endpoint: URL,
    route: { regionId: string; mutating: boolean; signal?: AbortSignal },
    redactor: Redactor,
  ): Promise<AttemptVerdict> {
    const context = { action, mutating: route.mutating, timeoutMs };
    let credentials: Credentials;
    try {
      credentials = await options.credentials.get();
    } catch (caught) {
      options.onCredentialsError?.(caught);
      // Nothing was sent. The library's message stays in the log: it names files and variables
      // (docs/conventions.md#fastify-demo: 5xx answers never leak internals).
      return {
        final: proxyAnswer(503, 'Proxy.CredentialsUnavailable', 'The proxy could not obtain cloud credentials; see the proxy log.'),
        retry: null,
      };
    }
    if (route.signal?.aborted)
      return { final: { kind: 'unreachable', reason: 'aborted by the caller before sending' }, retry: null, abortedBeforeSending: true };

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
    // The query is the very string that was signed (docs/ecs-notes.md#signer-notes); the body is empty like the
    // SDK's (docs/ecs-notes.md#transport).
    const url = `${endpoint.origin}/${signed.queryString === '' ? '' : `?${signed.queryString}`}`;

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = route.signal === undefined ? timeout : AbortSignal.any([route.signal, timeout]);
    const callerAborted = (): boolean => route.signal?.aborted === true;
    inFlight.add(attemptNonce);
    try {
      let response;
      try {
        response = await settleOnAbort(request(url, { dispatcher: agent, method: 'POST', headers: signed.headers, signal }), signal);
      } catch (caught) {
        const mayHaveBeenWritten = !isTrackingReliable || written.has(attemptNonce);
        return judgeAttempt(
          { kind: 'failed', codes: errorCodes(caught), mayHaveBeenWritten, timedOut: timeout.aborted, callerAborted: callerAborted() },
          context,
        );
      }
      if (!written.has(attemptNonce)) isTrackingReliable = false;

      const status = response.statusCode;
      const headers = redactor.headers(flattenHeaders(response.headers));
      let raw: Buffer | 'too-large';
      try {
        raw = await readCapped(response.body, headers['content-length']);
      } catch {
        response.body.destroy();
        return judgeAttempt({ kind: 'cut-off', status, timedOut: timeout.aborted, callerAborted: callerAborted() }, context);
      }
      const parsed = parseJsonObject(raw);
      let body = parsed?.body;
      if (parsed !== undefined && redactor.needed(parsed.text)) body = redactor.deep(parsed.body) as Record<string, unknown>;
      return judgeAttempt({ kind: 'answer', status, headers, body, isTooLarge: raw === 'too-large' }, context);
    } finally {
      inFlight.delete(attemptNonce);
      written.delete(attemptNonce);
    }
  }

  return {
    async call(action, wire, route) {
      const started = performance.now();
      /** `advice`: the retry advice of the attempt that produced `final`, when it was a throttled answer. */
      const finish = (final: Final, attempts: number, advice?: RetryAdvice | null): UpstreamOutcome => {
        const outcome: UpstreamOutcome = { ...final, attempts, durationMs: Math.round(performance.now() - started) };
        const retryAfterMs = waitAfterThrottling(advice, now().getTime());
        // Handed back still throttled: say how long to wait, so the caller does not guess (and retry early).
        if (outcome.kind === 'response' && retryAfterMs !== undefined) outcome.retryAfterMs = retryAfterMs;
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
        const gate = gates.get(route.regionId);
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
            gates.release(route.regionId, gate);
            return failFast(attemptNumber);
          }
        }
        let result: AttemptVerdict | undefined;
        try {
          result = await attempt(action, wire, endpoint, route, redactor);
        } finally {
          gates.release(route.regionId, gate);
          if (result?.reach === 'reached') permit?.reached();
          else if (result?.reach === 'unreachable') permit?.unreachable();
          else permit?.release();
        }
        if (result.abortedBeforeSending === true && previous !== undefined)
          return finish(previous.final, attemptNumber - 1, previous.advice);
        const final = result.final.kind === 'response' ? result.final : { ...result.final, reason: redactor.text(result.final.reason) };
        if (result.retry === null || attemptNumber > maxRetries || route.signal?.aborted) return finish(final, attemptNumber, result.retry);
        const delayMs = retryDelay(attemptNumber, result.retry, { baseDelayMs, maxDelayMs, random });
        if (delayMs === undefined) return finish(final, attemptNumber, result.retry);
        options.onRetry?.({
          action,
          regionId: route.regionId,
          attempt: attemptNumber,
          delayMs,
          reason: redactor.text(result.retry.reason),
        });
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
