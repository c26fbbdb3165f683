/**
 * The one error type of the web app (registered with TanStack Query in query-client.ts). It carries ECS's
 * envelope as data (docs/conventions.md#errors-are-data): the code to explain, the message, and the RequestId that a support
 * ticket needs. `status` 0 means the network failed before any answer.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  /**
   * False when the answer's body carried no error code and `code` was made up from the HTTP status (a gateway's
   * error page, a bare 503): such an answer is not ECS's, so it cannot say that nothing was changed.
   */
  readonly isCodeFromBody: boolean;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | undefined;
    isCodeFromBody?: boolean | undefined;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.isCodeFromBody = init.isCodeFromBody ?? true;
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }

  /** ECS throttles per API, region and minute (docs/ecs-notes.md#throttling); the proxy passes the answer through. */
  get isThrottling(): boolean {
    return /^(Throttling|Rejected\.Throttling)/.test(this.code);
  }

  get isPermission(): boolean {
    return this.code === 'Proxy.Forbidden' || /^(Forbidden|NoPermission)/.test(this.code);
  }

  static async fromResponse(res: Response): Promise<ApiError> {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    // The envelope {RequestId, Code, Message} (ecs/errors.ts), checked by hand so zod stays out of the
    // browser's first load.
    const envelope = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    // Without one in the body (a gateway's page), the proxy's own request ID still finds the call in its log.
    const requestId = typeof envelope['RequestId'] === 'string' ? envelope['RequestId'] : (res.headers.get('x-request-id') ?? undefined);
    if (typeof envelope['Code'] === 'string' && envelope['Code'] !== '') {
      const message = typeof envelope['Message'] === 'string' ? envelope['Message'] : envelope['Code'];
      return new ApiError({ status: res.status, code: envelope['Code'], message, requestId });
    }
    return new ApiError({
      status: res.status,
      code: `HTTP.${res.status}`,
      message: res.statusText || `HTTP ${res.status}`,
      requestId,
      isCodeFromBody: false,
    });
  }

  static network(cause: unknown): ApiError {
    return new ApiError({ status: 0, code: 'Network', message: cause instanceof Error ? cause.message : 'Network error' });
  }
}
