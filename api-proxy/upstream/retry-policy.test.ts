import { describe, expect, it } from 'vitest';
import { errorCodes, judgeAttempt, retryDelay, waitAfterThrottling, type AttemptObservation, type AttemptVerdict } from './retry-policy';

const context = (mutating: boolean) => ({ action: 'AttachKeyPair', mutating, timeoutMs: 1000 });

const failed = (codes: string[], more: Partial<Extract<AttemptObservation, { kind: 'failed' }>> = {}): AttemptObservation => ({
  kind: 'failed',
  codes,
  mayHaveBeenWritten: true,
  timedOut: false,
  callerAborted: false,
  ...more,
});
const cutOff = (more: Partial<Extract<AttemptObservation, { kind: 'cut-off' }>> = {}): AttemptObservation => ({
  kind: 'cut-off',
  status: 200,
  timedOut: false,
  callerAborted: false,
  ...more,
});
const answer = (
  status: number,
  body: Record<string, unknown> | undefined,
  headers: Record<string, string> = {},
  isTooLarge = false,
): AttemptObservation => ({
  kind: 'answer',
  status,
  headers,
  body,
  isTooLarge,
});

/** The parts of a verdict a row checks: what the call answers, and whether it may be sent again. */
function summary(verdict: AttemptVerdict) {
  const { final } = verdict;
  return {
    answers:
      final.kind === 'response' ? `${final.status} ${typeof final.body['Code'] === 'string' ? final.body['Code'] : 'ok'}` : final.kind,
    ...(final.kind === 'response' ? {} : { reason: final.reason }),
    retry: verdict.retry !== null,
    reach: verdict.reach ?? 'nothing',
  };
}

describe('judgeAttempt', () => {
  // [what happened, mutating call?, expected]
  const rows: [string, AttemptObservation, boolean, ReturnType<typeof summary>][] = [
    // Nothing can have reached ECS: retried even for mutating calls.
    [
      'a refused connection',
      failed(['ECONNREFUSED'], { mayHaveBeenWritten: false }),
      true,
      { answers: 'unreachable', reason: 'connection refused (ECONNREFUSED)', retry: true, reach: 'unreachable' },
    ],
    [
      'a DNS failure',
      failed(['ENOTFOUND'], { mayHaveBeenWritten: false }),
      true,
      { answers: 'unreachable', reason: 'DNS lookup failed (ENOTFOUND)', retry: true, reach: 'unreachable' },
    ],
    [
      'a connect timeout, whatever the tracking says',
      failed(['UND_ERR_CONNECT_TIMEOUT']),
      true,
      { answers: 'unreachable', reason: 'connect timeout (UND_ERR_CONNECT_TIMEOUT)', retry: true, reach: 'unreachable' },
    ],
    [
      'a reset before the headers were written',
      failed(['ECONNRESET'], { mayHaveBeenWritten: false }),
      true,
      { answers: 'unreachable', reason: 'connection reset (ECONNRESET)', retry: true, reach: 'unreachable' },
    ],
    // The request may have reached ECS: unknown; only a read is repeated.
    [
      'a reset after sending (mutating)',
      failed(['ECONNRESET']),
      true,
      { answers: 'unknown', reason: 'connection reset (ECONNRESET)', retry: false, reach: 'reached' },
    ],
    [
      'a reset after sending (read)',
      failed(['ECONNRESET']),
      false,
      { answers: 'unknown', reason: 'connection reset (ECONNRESET)', retry: true, reach: 'reached' },
    ],
    [
      'no answer in time (mutating)',
      failed(['UND_ERR_ABORTED'], { timedOut: true }),
      true,
      { answers: 'unknown', reason: 'no answer within 1000 ms', retry: false, reach: 'reached' },
    ],
    [
      'an unknown transport error',
      failed(['WEIRD_THING']),
      false,
      { answers: 'unknown', reason: 'transport error (WEIRD_THING)', retry: true, reach: 'reached' },
    ],
    ['an error without a code', failed([]), true, { answers: 'unknown', reason: 'transport error', retry: false, reach: 'reached' }],
    // The caller gave up: never retried.
    [
      'the caller gave up before sending',
      failed(['UND_ERR_ABORTED'], { callerAborted: true, mayHaveBeenWritten: false }),
      true,
      { answers: 'unreachable', reason: 'aborted by the caller before sending', retry: false, reach: 'nothing' },
    ],
    [
      'the caller gave up after sending',
      failed(['UND_ERR_ABORTED'], { callerAborted: true }),
      false,
      { answers: 'unknown', reason: 'aborted by the caller after AttachKeyPair was sent', retry: false, reach: 'reached' },
    ],
    [
      'the caller gave up while the answer arrived',
      cutOff({ callerAborted: true }),
      false,
      { answers: 'unknown', reason: "aborted by the caller while AttachKeyPair's answer was arriving", retry: false, reach: 'reached' },
    ],
    // A body that did not arrive whole.
    [
      'an answer cut off (mutating)',
      cutOff(),
      true,
      { answers: 'unknown', reason: 'answer (HTTP 200) cut off', retry: false, reach: 'reached' },
    ],
    [
      'an answer cut off (read)',
      cutOff(),
      false,
      { answers: 'unknown', reason: 'answer (HTTP 200) cut off', retry: true, reach: 'reached' },
    ],
    [
      'an answer that stalled past the deadline',
      cutOff({ status: 500, timedOut: true }),
      true,
      { answers: 'unknown', reason: 'answer (HTTP 500) not complete within 1000 ms', retry: false, reach: 'reached' },
    ],
    // ECS answered.
    ['a success', answer(200, { RequestId: 'r' }), true, { answers: '200 ok', retry: false, reach: 'reached' }],
    ['throttling', answer(400, { Code: 'Throttling.User' }), true, { answers: '400 Throttling.User', retry: true, reach: 'reached' }],
    [
      'throttling under another prefix',
      answer(400, { Code: 'Rejected.Throttling' }),
      true,
      { answers: '400 Rejected.Throttling', retry: true, reach: 'reached' },
    ],
    ['a bare 429', answer(429, {}), true, { answers: '429 ok', retry: true, reach: 'reached' }],
    [
      'ServiceUnavailable (mutating)',
      answer(503, { Code: 'ServiceUnavailable' }),
      true,
      { answers: '503 ServiceUnavailable', retry: true, reach: 'reached' },
    ],
    [
      'a reused nonce',
      answer(400, { Code: 'SignatureNonceUsed' }),
      true,
      { answers: '400 SignatureNonceUsed', retry: true, reach: 'reached' },
    ],
    ['a bare 503 from a gateway (mutating)', answer(503, {}), true, { answers: '503 ok', retry: false, reach: 'reached' }],
    ['a bare 503 from a gateway (read)', answer(503, {}), false, { answers: '503 ok', retry: true, reach: 'reached' }],
    [
      'InternalError (mutating)',
      answer(500, { Code: 'InternalError' }),
      true,
      { answers: '500 InternalError', retry: false, reach: 'reached' },
    ],
    [
      'InternalError (read)',
      answer(500, { Code: 'InternalError' }),
      false,
      { answers: '500 InternalError', retry: true, reach: 'reached' },
    ],
    [
      'UnknownError with a 4xx (read)',
      answer(400, { Code: 'UnknownError' }),
      false,
      { answers: '400 UnknownError', retry: true, reach: 'reached' },
    ],
    [
      'a refusal',
      answer(400, { Code: 'InvalidKeyPairName.NotFound' }),
      true,
      { answers: '400 InvalidKeyPairName.NotFound', retry: false, reach: 'reached' },
    ],
    // A body that is not a JSON object.
    [
      'a garbled 200 (mutating)',
      answer(200, undefined),
      true,
      {
        answers: 'unknown',
        reason: 'ECS answered HTTP 200 with a body that is not a JSON object; AttachKeyPair may or may not have taken effect',
        retry: false,
        reach: 'reached',
      },
    ],
    ['a garbled 200 (read)', answer(200, undefined), false, { answers: '502 Proxy.BadUpstreamResponse', retry: true, reach: 'reached' }],
    [
      'a garbled 5xx (mutating)',
      answer(503, undefined),
      true,
      {
        answers: 'unknown',
        reason: 'ECS answered HTTP 503 with a body that is not a JSON object; AttachKeyPair may or may not have taken effect',
        retry: false,
        reach: 'reached',
      },
    ],
    [
      'a garbled refusal (mutating)',
      answer(400, undefined),
      true,
      { answers: '502 Proxy.BadUpstreamResponse', retry: false, reach: 'reached' },
    ],
    ['a garbled 429 (mutating)', answer(429, undefined), true, { answers: '502 Proxy.BadUpstreamResponse', retry: true, reach: 'reached' }],
  ];

  it.each(rows)('%s', (_what, seen, mutating, expected) => {
    expect(summary(judgeAttempt(seen, context(mutating)))).toEqual(expected);
  });

  it('marks an attempt the caller gave up before sending, so the call answers what an earlier attempt got', () => {
    expect(judgeAttempt(failed([], { callerAborted: true, mayHaveBeenWritten: false }), context(true)).abortedBeforeSending).toBe(true);
    expect(judgeAttempt(failed([], { callerAborted: true }), context(true)).abortedBeforeSending).toBeUndefined();
  });

  it('takes ECS’s own wait from x-acs-retry-after (milliseconds), and keeps the throttled answer intact', () => {
    const verdict = judgeAttempt(answer(400, { Code: 'Throttling' }, { 'x-acs-retry-after': ' 1500 ' }), context(true));
    expect(verdict.retry).toEqual({ reason: 'Throttling (HTTP 400)', retryAfterMs: 1500, isThrottled: true });
    expect(verdict.final).toEqual({
      kind: 'response',
      status: 400,
      body: { Code: 'Throttling' },
      headers: { 'x-acs-retry-after': ' 1500 ' },
    });
    expect(judgeAttempt(answer(400, { Code: 'Throttling' }, { 'x-acs-retry-after': 'soon' }), context(true)).retry).toEqual({
      reason: 'Throttling (HTTP 400)',
      isThrottled: true,
    });
  });

  it('names a garbled answer’s size and keeps ECS’s RequestId in the proxy’s envelope', () => {
    const verdict = judgeAttempt(answer(200, undefined, { 'x-acs-request-id': 'ECS-REQ' }, true), context(false));
    expect(verdict.final).toEqual({
      kind: 'response',
      status: 502,
      headers: {},
      body: {
        Code: 'Proxy.BadUpstreamResponse',
        Message: 'ECS answered HTTP 200 with a body that is larger than 16 MiB.',
        RequestId: 'ECS-REQ',
      },
    });
  });
});

describe('retryDelay', () => {
  const backoff = { baseDelayMs: 200, maxDelayMs: 10_000, random: () => 0.5 };
  it.each([
    ['ECS’s wait when it fits', 1, { reason: 'x', retryAfterMs: 2_000 }, 2_000],
    ['nothing when ECS asks for longer than the longest wait', 1, { reason: 'x', retryAfterMs: 10_001 }, undefined],
    ['half of the base on the first retry (jitter 0.5)', 1, { reason: 'x' }, 100],
    ['doubling per retry', 3, { reason: 'x' }, 400],
    ['never more than the longest wait', 20, { reason: 'x' }, 5_000],
  ] as const)('%s', (_what, retryNumber, advice, expected) => {
    expect(retryDelay(retryNumber, advice, backoff)).toBe(expected);
  });
});

describe('waitAfterThrottling', () => {
  it.each([
    ['nothing for an answer that was not throttled', { reason: 'x' }, undefined],
    ['nothing without advice', null, undefined],
    ['ECS’s own wait', { reason: 'x', isThrottled: true, retryAfterMs: 1_200 }, 1_200],
    ['else until the next minute starts', { reason: 'x', isThrottled: true }, 58_500],
  ] as const)('%s', (_what, advice, expected) => {
    expect(waitAfterThrottling(advice, 61_500)).toBe(expected);
  });
});

describe('errorCodes', () => {
  it('collects the codes of the error, its causes and its aggregated errors', () => {
    const connect = Object.assign(
      new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ENETUNREACH' })]),
      { code: 'UND_ERR_SOCKET' },
    );
    const error = Object.assign(new Error('fetch failed'), { cause: connect });
    expect(errorCodes(error)).toEqual(['UND_ERR_SOCKET', 'ECONNREFUSED', 'ENETUNREACH']);
    expect(errorCodes('not an error')).toEqual([]);
  });
});
