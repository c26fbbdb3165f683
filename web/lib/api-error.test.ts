import { ApiError } from './api-error';

const throttledBody = JSON.stringify({
  RequestId: 'R-1',
  Code: 'Throttling.User',
  Message: 'Request was denied due to user flow control.',
});

describe('ApiError.fromResponse', () => {
  it('reads the envelope: code, message and RequestId, as data', async () => {
    const error = await ApiError.fromResponse(new Response(throttledBody, { status: 400, headers: { 'retry-after': '42' } }));
    expect([error.status, error.code, error.message, error.requestId, error.isThrottling, error.isCodeFromBody]).toEqual([
      400,
      'Throttling.User',
      'Request was denied due to user flow control.',
      'R-1',
      true,
      true,
    ]);
  });

  it('says when the code was made up from the status (a gateway’s page), keeping the proxy’s request ID', async () => {
    const error = await ApiError.fromResponse(
      new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'x-request-id': 'req-9' } }),
    );
    expect([error.code, error.message, error.requestId, error.isCodeFromBody]).toEqual(['HTTP.502', 'Bad Gateway', 'req-9', false]);
  });
});
