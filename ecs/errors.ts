import { z } from 'zod';

/**
 * The one error envelope (docs/conventions.md#errors-are-data). ECS answers failures with
 * `{RequestId, HostId, Code, Message, Recommend}` (docs/ecs-notes.md#error-shape); errors the proxy makes itself use the
 * same shape with `Proxy.*` codes, so the browser has exactly one error type to understand.
 */
export const EcsErrorBody = z.looseObject({
  RequestId: z.string(),
  HostId: z.string().optional(),
  Code: z.string(),
  Message: z.string(),
  Recommend: z.string().optional(),
});
export type EcsErrorBody = z.infer<typeof EcsErrorBody>;

/** An ECS (or proxy) error as a value: HTTP status plus the envelope fields the server fills in. */
export class EcsError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra response headers, e.g. `x-acs-retry-after` on throttling. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'EcsError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  toBody(requestId: string, hostId?: string): EcsErrorBody {
    return {
      RequestId: requestId,
      ...(hostId === undefined ? {} : { HostId: hostId }),
      Code: this.code,
      Message: this.message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(this.code)}&product=Ecs&requestId=${encodeURIComponent(requestId)}`,
    };
  }
}

/**
 * Constructors for the codes ECS returns, with the HTTP statuses and messages from docs/ecs-notes.md#attach-errors, docs/ecs-notes.md#reboot-and-start, docs/ecs-notes.md#error-codes.
 * Where the docs disagree on a status (docs/ecs-notes.md#open-items) we pick the most recent documented one and say so.
 */
export const ecsErrors = {
  missingParameter: (name: string) =>
    new EcsError(400, `MissingParameter`, `The input parameter "${name}" that is mandatory for processing this request is not supplied.`),
  invalidParameter: (name: string, detail = 'is not valid') =>
    new EcsError(400, `InvalidParameter`, `The specified parameter "${name}" ${detail}.`),
  invalidAction: (action: string) =>
    new EcsError(400, 'InvalidAction.NotFound', `Specified api "${action}" is not found, please check your url and method.`),
  missingAction: () =>
    new EcsError(400, 'MissingParameter', 'The input parameter "Action" that is mandatory for processing this request is not supplied.'),
  invalidVersion: (version: string) => new EcsError(400, 'InvalidVersion', `Specified parameter Version "${version}" is not valid.`),
  signatureDoesNotMatch: (stringToSign: string) =>
    new EcsError(
      400,
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
    ),
  incompleteSignature: (detail: string) =>
    new EcsError(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards. ${detail}`),
  accessKeyNotFound: () =>
    // 400 per the 2019 ECS doc, the only documented status (docs/ecs-notes.md#error-codes).
    new EcsError(400, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
  timestampExpired: (value: string) =>
    new EcsError(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired. ${value}`),
  timestampFormat: (value: string) =>
    new EcsError(400, 'InvalidTimeStamp.Format', `Specified time stamp or date value is not well formatted. ${value}`),
  nonceUsed: () => new EcsError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'),
  regionNotFound: () => new EcsError(404, 'InvalidRegionId.NotFound', 'The specified RegionId does not exist.'),
  keyPairNotFound: () =>
    // 400 per the 2020 zh doc (the 2018 doc says 404); docs/ecs-notes.md#attach-errors and docs/ecs-notes.md#open-items.
    new EcsError(400, 'InvalidKeyPairName.NotFound', 'The specified KeyPairName does not exist in our records.'),
  instanceIdsNotSupported: (detail = 'The specified parameter "InstanceIds" is not valid.') =>
    new EcsError(400, 'InvalidInstanceIds.ValueNotSupported', detail),
  instanceNotFound: () => new EcsError(404, 'InvalidInstanceId.NotFound', 'The specified InstanceId does not exist.'),
  incorrectInstanceStatus: () =>
    new EcsError(403, 'IncorrectInstanceStatus', 'The current status of the resource does not support this operation.'),
  lockedForSecurity: () =>
    new EcsError(403, 'InstanceLockedForSecurity', 'The specified operation is denied as your instance is locked for security reasons.'),
  windowsInstance: () =>
    new EcsError(
      403,
      'DependencyViolation.WindowsInstance',
      'The instance creating by window system image can not use ssh key pair to login',
    ),
  invalidStatus: () => new EcsError(404, 'InvalidStatus.NotFound', 'The specified Status is not found.'),
  invalidLanguage: () => new EcsError(404, 'InvalidAcceptLanguage.NotFound', 'The specified AcceptLanguage is not found.'),
  invalidNextToken: () => new EcsError(400, 'InvalidParameter.NextToken', 'The specified parameter "NextToken" is not valid.'),
  throttling: (retryAfterMs: number) =>
    // ECS does not publish the status for throttling (docs/ecs-notes.md#open-items); 400 matches the 2019 ECS doc, and the SDK keys
    // off the x-acs-retry-after header rather than the status.
    new EcsError(400, 'Throttling.User', 'Request was denied due to user flow control.', {
      'x-acs-retry-after': String(retryAfterMs),
    }),
  internalError: () =>
    new EcsError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.'),
  serviceUnavailable: () => new EcsError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'),
} as const;
