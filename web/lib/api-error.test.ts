import { ApiError, parseRetryAfter } from './api-error';

const throttledBody = JSON.stringify({
  RequestId: 'R-1',
  Code: 'Throttling.User',
  Message: 'Request was denied due to user flow control.',
});

describe('ApiError.fromResponse and the wait a throttled answer names', () => {
  it('takes the wait from the standard Retry-After header (seconds), not from ECS’s x-acs-retry-after', async () => {
    const error = await ApiError.fromResponse(
      new Response(throttledBody, { status: 400, headers: { 'retry-after': '42', 'x-acs-retry-after': '41500' } }),
    );
    expect([error.code, error.requestId, error.isThrottling, error.retryAfterMs]).toEqual(['Throttling.User', 'R-1', true, 42_000]);
    // The proxy has already honoured ECS's own header; without its Retry-After there is no wait to honour.
    const ecsOnly = await ApiError.fromResponse(new Response(throttledBody, { status: 400, headers: { 'x-acs-retry-after': '41500' } }));
    expect(ecsOnly.retryAfterMs).toBeUndefined();
  });

  it.each([
    ['0', 0],
    ['7', 7000],
    [' 12 ', 12_000],
    ['-1', undefined],
    ['1.5', undefined],
    ['Wed, 21 Oct 2026 07:28:00 GMT', undefined],
    ['9999999', undefined],
    ['', undefined],
  ])('reads Retry-After %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value)).toBe(expected);
  });
});
