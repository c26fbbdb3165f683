import type { ResponseOf } from '#ecs/contract';
import { ApiError } from '@web/lib/api-error';
import { instanceVerdict, readEcsAnswer } from '#ecs/outcomes';
import { readAttachResults, runAttach } from './attach-runner';
import { CONSOLE_CODES, type InstanceResult } from '../model';
import { MAX_RETRY_AFTER_MS, runBatches, throttleWaitMs } from './batch-runner';

type Body = ResponseOf<'AttachKeyPair'>;

const ids = (n: number, prefix = 'i-a') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
const ok = (batch: readonly string[], requestId = 'REQ'): Body => ({
  RequestId: requestId,
  TotalCount: batch.length,
  FailCount: 0,
  Results: { Result: batch.map((InstanceId) => ({ InstanceId, Code: '200', Message: 'successful', Success: true })) },
});
const throttled = (retryAfterMs?: number) =>
  new ApiError({
    status: 400,
    code: 'Throttling.User',
    message: 'Request was denied due to user flow control.',
    requestId: 'R-T',
    retryAfterMs,
  });
const noSleep = () => Promise.resolve();

describe('runAttach', () => {
  it('sends at most 50 instances per call and at most three calls at once', async () => {
    const sent: string[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const results = await runAttach({
      ids: ids(301),
      sleep: noSleep,
      attach: async (batch) => {
        sent.push([...batch]);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return ok(batch);
      },
    });
    expect(sent.map((b) => b.length)).toEqual([50, 50, 50, 50, 50, 50, 1]);
    expect(new Set(sent.flat()).size).toBe(301);
    expect(maxInFlight).toBe(3);
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(301);
  });

  it('sends an instance listed twice only once', async () => {
    const attach = vi.fn((batch: readonly string[]) => Promise.resolve(ok(batch)));
    await runAttach({ ids: ['i-1', 'i-2', 'i-1'], sleep: noSleep, attach });
    expect(attach).toHaveBeenCalledTimes(1);
    expect(attach.mock.calls[0]?.[0]).toEqual(['i-1', 'i-2']);
  });

  it('waits out throttling for the time the proxy names, then sends the same batch again', async () => {
    const sleeps: number[] = [];
    const throttles: number[] = [];
    let calls = 0;
    const results = await runAttach({
      ids: ids(10),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      onThrottled: ({ waitMs }) => throttles.push(waitMs),
      attach: (batch) => {
        calls += 1;
        return calls === 1 ? Promise.reject(throttled(12_000)) : Promise.resolve(ok(batch, 'R-2'));
      },
    });
    expect(sleeps).toEqual([12_000]);
    expect(throttles).toEqual([12_000]);
    expect(calls).toBe(2);
    expect(results.every((r) => r.status === 'succeeded' && r.requestId === 'R-2')).toBe(true);
  });

  it('waits only for a wait the server named: no backoff of its own, capped like the official SDK', () => {
    expect(throttleWaitMs(throttled(12_000))).toBe(12_000);
    expect(throttleWaitMs(throttled(10 * 60_000))).toBe(MAX_RETRY_AFTER_MS);
    expect(throttleWaitMs(throttled())).toBeUndefined();
    expect(throttleWaitMs(new ApiError({ status: 400, code: 'InvalidParameter', message: 'x', retryAfterMs: 1000 }))).toBeUndefined();
    expect(throttleWaitMs(new Error('boom'))).toBeUndefined();
  });

  it('sends a batch that stays throttled twice at most, then reports the throttling per instance', async () => {
    const sleeps: number[] = [];
    const attach = vi.fn(() => Promise.reject(throttled(3_000)));
    const results = await runAttach({
      ids: ids(3),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      attach,
    });
    // The proxy retried each of the two sends itself; a third would multiply its retries again.
    expect(attach).toHaveBeenCalledTimes(2);
    expect(sleeps).toEqual([3_000]);
    expect(results.map((r) => [r.status, r.code, r.requestId])).toEqual(Array(3).fill(['failed', 'Throttling.User', 'R-T']));
  });

  it('does not resend a throttled batch whose answer names no wait; it fails for "Retry failed instances"', async () => {
    const sleeps: number[] = [];
    const attach = vi.fn(() => Promise.reject(throttled()));
    const results = await runAttach({
      ids: ids(2),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      attach,
    });
    expect(attach).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed']);
  });

  it('does not retry other failures: every instance of that batch gets the error and its RequestId', async () => {
    const attach = vi.fn((batch: readonly string[]) =>
      batch[0] === 'i-a0000'
        ? Promise.reject(new ApiError({ status: 400, code: 'InvalidKeyPairName.NotFound', message: 'nope', requestId: 'R-404' }))
        : Promise.resolve(ok(batch)),
    );
    const results = await runAttach({ ids: ids(60), sleep: noSleep, attach });
    expect(attach).toHaveBeenCalledTimes(2);
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(50);
    expect(failed.every((r) => r.code === 'InvalidKeyPairName.NotFound' && r.requestId === 'R-404')).toBe(true);
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(10);
  });

  // The same table as the proxy's reader (ecs/outcomes.test.ts), through the browser's own error type: a reply
  // that is not a definite refusal leaves the batch unknown, so "Retry failed instances" never re-sends it blindly.
  it.each([
    ['a gateway 500 InternalError', 500, 'unknown', { RequestId: 'R-GW', Code: 'InternalError', Message: 'boom' }],
    ['a gateway 502 page', 502, 'unknown', '<html>Bad Gateway</html>'],
    ['a bare 503', 503, 'unknown', ''],
    ['ServiceUnavailable after the proxy stopped retrying', 503, 'unknown', { Code: 'ServiceUnavailable', Message: 'busy' }],
    ['the proxy could not learn the outcome', 504, 'unknown', { Code: 'Proxy.OutcomeUnknown', Message: 'reset' }],
    ['a definite ECS refusal', 404, 'failed', { Code: 'InvalidKeyPairName.NotFound', Message: 'no such key pair' }],
    ['the proxy refused before sending', 503, 'failed', { Code: 'Proxy.AuditUnavailable', Message: 'audit down' }],
  ] as const)('reads %s (HTTP %i) as %s for every instance of the batch', async (_what, status, expected, body) => {
    // The proxy names every reply with its own request ID; a body's RequestId (ECS's) wins over it.
    const reply = () =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'x-request-id': 'PROXY-REQ' } });
    const results = await runAttach({
      ids: ids(2),
      sleep: noSleep,
      attach: async () => Promise.reject(await ApiError.fromResponse(reply())),
    });
    expect(results.map((r) => r.status)).toEqual([expected, expected]);
    expect(results[0]?.requestId).toBe((typeof body === 'string' ? undefined : (body as { RequestId?: string }).RequestId) ?? 'PROXY-REQ');
  });

  it('reads a failed fetch (no reply at all) as unknown: the call may have reached the proxy', async () => {
    const results = await runAttach({
      ids: ids(1),
      sleep: noSleep,
      attach: () => Promise.reject(ApiError.network(new TypeError('Failed to fetch'))),
    });
    expect(results.map((r) => r.status)).toEqual(['unknown']);
  });

  it('marks a batch whose outcome the proxy could not learn (504) as unknown, not failed', async () => {
    const results = await runAttach({
      ids: ids(2),
      sleep: noSleep,
      attach: () => Promise.reject(new ApiError({ status: 504, code: 'Proxy.OutcomeUnknown', message: 'timeout', requestId: 'R-504' })),
    });
    expect(results.map((r) => r.status)).toEqual(['unknown', 'unknown']);
  });

  it('stops sending further batches on cancel; batches in flight finish; the rest are not sent', async () => {
    const cancel = new AbortController();
    const sent: string[][] = [];
    const results = await runAttach({
      ids: ids(300),
      sleep: noSleep,
      cancel: cancel.signal,
      attach: async (batch) => {
        sent.push([...batch]);
        // The operator cancels while the first three batches are in flight.
        if (sent.length === 3) cancel.abort();
        await new Promise((resolve) => setTimeout(resolve, 5));
        return ok(batch);
      },
    });
    expect(sent).toHaveLength(3);
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(150);
    const notSent = results.filter((r) => r.status === 'not-sent');
    expect(notSent).toHaveLength(150);
    expect(notSent.every((r) => r.code === CONSOLE_CODES.cancelled)).toBe(true);
  });

  it('reports a batch that was waiting out throttling as not sent when cancelled', async () => {
    const cancel = new AbortController();
    const attach = vi.fn(() => Promise.reject(throttled(30_000)));
    const results = await runAttach({
      ids: ids(5),
      cancel: cancel.signal,
      // The cancel arrives during the wait.
      sleep: () => {
        cancel.abort();
        return Promise.resolve();
      },
      attach,
    });
    expect(attach).toHaveBeenCalledTimes(1);
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('not-sent'));
  });

  it('reports results as they arrive', async () => {
    const seen: InstanceResult[][] = [];
    await runBatches({
      ids: ids(3),
      batchSize: 2,
      concurrency: 1,
      sleep: noSleep,
      send: (batch) => Promise.resolve(batch.map((InstanceId) => ({ InstanceId, status: 'succeeded' as const }))),
      onResults: (r) => seen.push(r),
    });
    expect(seen.map((r) => r.length)).toEqual([2, 1]);
  });
});

describe('readAttachResults', () => {
  it('reads the loose forms ECS sends (numbers or strings, booleans or strings)', () => {
    const body = {
      RequestId: 'R',
      TotalCount: '3',
      FailCount: '1',
      Results: {
        Result: [
          { InstanceId: 'i-1', Code: 200, Message: 'successful', Success: 'true' },
          { InstanceId: 'i-2', Code: '200', Success: true },
          { InstanceId: 'i-3', Code: 'DependencyViolation.WindowsInstance', Message: 'windows', Success: 'false' },
        ],
      },
    } as unknown as Body;
    expect(readAttachResults(['i-1', 'i-2', 'i-3'], body)).toEqual([
      { InstanceId: 'i-1', status: 'succeeded', code: '200', message: 'successful', requestId: 'R' },
      { InstanceId: 'i-2', status: 'succeeded', code: '200', message: undefined, requestId: 'R' },
      { InstanceId: 'i-3', status: 'failed', code: 'DependencyViolation.WindowsInstance', message: 'windows', requestId: 'R' },
    ]);
  });

  it('calls an instance ECS did not answer for unknown (as the audit does), and ignores results nobody asked about', () => {
    const body: Body = { RequestId: 'R', Results: { Result: [{ InstanceId: 'i-other', Code: '200', Success: true }] } };
    expect(readAttachResults(['i-1'], body)).toEqual([
      { InstanceId: 'i-1', status: 'unknown', code: CONSOLE_CODES.noResult, requestId: 'R' },
    ]);
    expect(readAttachResults(['i-1'], { RequestId: 'R' })[0]?.status).toBe('unknown');
    // The same answer, as the proxy's audit reads it.
    expect(readEcsAnswer('AttachKeyPair', ['i-1'], 200, body).instances.map(instanceVerdict)).toEqual(['unknown']);
  });

  it('does not take "200 but Success false" for a success', () => {
    const body = { RequestId: 'R', Results: { Result: [{ InstanceId: 'i-1', Code: '200', Success: 'false' }] } } as unknown as Body;
    expect(readAttachResults(['i-1'], body)[0]?.status).toBe('failed');
  });

  it('treats an error envelope that arrived with HTTP 200 as a call that did not succeed, read by its code', async () => {
    const body = { RequestId: 'R', Code: 'InternalError', Message: 'boom' } as unknown as Body;
    expect(() => readAttachResults(['i-1'], body)).toThrow(ApiError);
    const internal = await runAttach({ ids: ['i-1'], sleep: noSleep, attach: () => Promise.resolve(body) });
    expect(internal.map((r) => [r.status, r.code, r.requestId])).toEqual([['unknown', 'InternalError', 'R']]);
    const refused = { RequestId: 'R', Code: 'InvalidKeyPairName.NotFound', Message: 'no' } as unknown as Body;
    expect((await runAttach({ ids: ['i-1'], sleep: noSleep, attach: () => Promise.resolve(refused) })).map((r) => r.status)).toEqual([
      'failed',
    ]);
  });
});
