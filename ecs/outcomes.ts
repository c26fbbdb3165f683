import type { InstanceOutcome, OperationStatus } from './console-api';
import type { ActionName } from './contract';
import { isResultOk } from './wire';

/**
 * What a mutating call did to each instance, read from the answer it got: for the audit trail (docs/product.md#step-10-activity),
 * pending activation (docs/product.md#step-9-pending-activation) and the results screen. AttachKeyPair and the batch calls answer per instance and
 * can partly succeed (docs/ecs-notes.md#partial-failure, docs/ecs-notes.md#batch-reboot-and-start); the single Reboot/StartInstance calls succeed or fail as a whole.
 *
 * This is the one reader of those answers: the proxy (its reply and its audit record), the audit store (pending
 * activation), the browser mocks and the web app (the results screen) all decide "succeeded", "failed" or
 * "unknown" here, so no two of them can tell the operator different stories about the same call.
 *
 * The rule: a call that may have reached ECS and got no definite answer from ECS is **unknown** for every
 * instance in it, never failed. Unknown means the change may have been applied (the old key is gone, password
 * login is off) and the operator must look before acting again. Only a definite refusal is failed: ECS's own
 * error code on a 4xx, or a proxy code that says nothing was sent.
 *
 * Pure, zod-free and web-safe.
 */

export type Verdict = 'succeeded' | 'failed' | 'unknown';

export interface ReadOutcome {
  status: Exclude<OperationStatus, 'pending' | 'denied'>;
  instances: InstanceOutcome[];
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
}

/** The per-instance code of an instance that ECS answered the call for but did not mention. */
export const NO_RESULT_CODE = 'Console.NoResult';

/**
 * ECS codes that may come after the change was made: an internal error or an unavailable service says nothing
 * about how far the call got (both are transient server-side errors, not refusals of the request). A proxy that
 * stopped retrying a ServiceUnavailable hands the last one back; by then the call may have gone through on an
 * earlier attempt.
 */
const INDEFINITE_ECS_CODES: ReadonlySet<string> = new Set(['InternalError', 'UnknownError', 'ServiceUnavailable']);

/**
 * The console's own codes for "the call may have reached ECS, but no usable answer came back": the proxy's
 * timeout/reset/garbled-answer code, a proxy failure that may have come after sending, an upstream answer that
 * did not parse, and the browser's "the reply was not JSON". Every other `Proxy.*` code is a refusal made
 * before anything was sent (bad input, permissions, audit unavailable, ECS unreachable, rate limits).
 */
const INDEFINITE_CONSOLE_CODES: ReadonlySet<string> = new Set([
  'Proxy.OutcomeUnknown',
  'Proxy.InternalError',
  'Proxy.BadUpstreamResponse',
  'Proxy.BadResponse',
]);

/** Codes that a 2xx body may carry and still mean success (the old pop-core client's list). */
const SUCCESS_CODES: ReadonlySet<string> = new Set(['200', 'OK', 'Success', 'success']);

/**
 * How a call that did not succeed as a whole ended, from its HTTP status (0 = no reply at all) and the error
 * code of its body (undefined when the body carried none: a gateway's 502 page, a bare 503).
 */
export function failedCallVerdict(httpStatus: number, code: string | undefined): 'failed' | 'unknown' {
  if (httpStatus === 0) return 'unknown';
  if (code === undefined || code === '') {
    // 429 means "not processed" whoever says it (RFC 6585); any other status without an ECS code is not an
    // answer from ECS, so whatever sat in between may have forwarded the call first.
    return httpStatus === 429 ? 'failed' : 'unknown';
  }
  if (INDEFINITE_CONSOLE_CODES.has(code)) return 'unknown';
  if (code.startsWith('Proxy.')) return 'failed';
  if (INDEFINITE_ECS_CODES.has(code) || code.startsWith('ServiceUnavailable.')) return 'unknown';
  return 'failed';
}

/**
 * One instance's verdict. Records written before the `unknown` flag existed marked such instances only by their
 * code, so those codes still read as unknown.
 */
export function instanceVerdict(outcome: Pick<InstanceOutcome, 'ok' | 'Code' | 'unknown'>): Verdict {
  if (outcome.ok) return 'succeeded';
  if (outcome.unknown === true || outcome.Code === 'Proxy.OutcomeUnknown' || outcome.Code === NO_RESULT_CODE) return 'unknown';
  return 'failed';
}

/** The operation's status from its instances: any success with anything else is partial; no success with any unknown is unknown. */
export function operationStatus(instances: readonly Pick<InstanceOutcome, 'ok' | 'Code' | 'unknown'>[]): ReadOutcome['status'] {
  const verdicts = instances.map(instanceVerdict);
  const succeeded = verdicts.filter((v) => v === 'succeeded').length;
  if (succeeded === verdicts.length) return 'succeeded';
  if (succeeded > 0) return 'partial';
  return verdicts.includes('unknown') ? 'unknown' : 'failed';
}

/**
 * Reads the answer to a mutating call. `httpStatus` 0 means no reply came at all; `body` is the parsed JSON
 * object (empty when there was none).
 */
export function readEcsAnswer(
  action: ActionName,
  instanceIds: readonly string[],
  httpStatus: number,
  body: Record<string, unknown>,
): ReadOutcome {
  const requestId = typeof body['RequestId'] === 'string' ? body['RequestId'] : undefined;
  const code =
    typeof body['Code'] === 'string' && body['Code'] !== ''
      ? body['Code']
      : typeof body['Code'] === 'number'
        ? String(body['Code'])
        : undefined;
  const message = typeof body['Message'] === 'string' ? body['Message'] : undefined;
  if (httpStatus < 200 || httpStatus >= 300) return wholeCallFailed(instanceIds, httpStatus, code, message, requestId);
  // A gateway may answer 2xx with an error envelope; ECS itself uses real statuses (the old pop-core client's
  // defensive check). Such a body is read like the same code on an error status.
  const isErrorEnvelope = code !== undefined && !SUCCESS_CODES.has(code);
  const reported = perInstanceResults(action, body);
  if (reported === undefined || (reported.length === 0 && isErrorEnvelope)) {
    if (isErrorEnvelope) return wholeCallFailed(instanceIds, httpStatus, code, message, requestId);
    // Single-instance calls: HTTP 2xx means the instance accepted the request.
    return {
      status: 'succeeded',
      ...(requestId === undefined ? {} : { requestId }),
      instances: instanceIds.map((InstanceId) => ({ InstanceId, ok: true, Code: '200' })),
    };
  }
  // Reconcile with what was asked: an instance ECS did not report is unknown (not a success, and not a failure
  // either: the batch ran), and a result for an instance nobody asked about is ignored (docs/ecs-notes.md#empty-wrappers: expect
  // missing or empty wrappers).
  const byId = new Map(reported.map((r) => [r.InstanceId, r]));
  const instances = instanceIds.map(
    (InstanceId): InstanceOutcome =>
      byId.get(InstanceId) ?? {
        InstanceId,
        ok: false,
        Code: NO_RESULT_CODE,
        Message: 'ECS did not report a result for this instance.',
        unknown: true,
      },
  );
  return { status: operationStatus(instances), ...(requestId === undefined ? {} : { requestId }), instances };
}

function wholeCallFailed(
  instanceIds: readonly string[],
  httpStatus: number,
  code: string | undefined,
  message: string | undefined,
  requestId: string | undefined,
): ReadOutcome {
  const verdict = failedCallVerdict(httpStatus, code);
  const shown = code ?? (httpStatus === 0 ? 'NoAnswer' : `HTTP ${httpStatus}`);
  return {
    status: verdict,
    ...(requestId === undefined ? {} : { requestId }),
    errorCode: shown,
    ...(message === undefined ? {} : { errorMessage: message }),
    instances: instanceIds.map((InstanceId) => ({
      InstanceId,
      ok: false,
      Code: shown,
      ...(message === undefined ? {} : { Message: message }),
      ...(verdict === 'unknown' ? { unknown: true } : {}),
    })),
  };
}

function perInstanceResults(action: ActionName, body: Record<string, unknown>): InstanceOutcome[] | undefined {
  if (action === 'AttachKeyPair') {
    const results = nestedArray(body, 'Results', 'Result');
    return results.map((r) => ({
      InstanceId: text(r['InstanceId']),
      // Code "200" with Success "false" contradicts itself; it is a failure, with ECS's own words.
      ok: isResultOk({ Code: r['Code'], Success: r['Success'] }),
      Code: text(r['Code']),
      ...(typeof r['Message'] === 'string' ? { Message: r['Message'] } : {}),
    }));
  }
  if (action === 'RebootInstances' || action === 'StartInstances') {
    const responses = nestedArray(body, 'InstanceResponses', 'InstanceResponse');
    return responses.map((r) => ({
      InstanceId: text(r['InstanceId']),
      ok: text(r['Code']) === '200',
      Code: text(r['Code']),
      ...(typeof r['Message'] === 'string' ? { Message: r['Message'] } : {}),
    }));
  }
  return undefined;
}

/** What reading an instance back after an attach of unknown outcome found. */
export interface KeyPairReading {
  InstanceId: string;
  /** Empty when the instance has no key pair. */
  KeyPairName: string;
  /** The instance now carries the key pair the attach asked for. */
  attached: boolean;
}

/**
 * Reads a DescribeInstances answer for the instances of an attach whose outcome is unknown. Only instances the
 * answer lists are read: a missing one stays unknown (a RAM user without DescribeInstances gets an empty list,
 * not an error), and a non-2xx answer tells nothing.
 */
export function readKeyPairReadings(
  keyPairName: string,
  instanceIds: readonly string[],
  httpStatus: number,
  body: Record<string, unknown>,
): KeyPairReading[] {
  if (httpStatus < 200 || httpStatus >= 300) return [];
  const byId = new Map(nestedArray(body, 'Instances', 'Instance').map((i) => [text(i['InstanceId']), i]));
  const readings: KeyPairReading[] = [];
  for (const InstanceId of instanceIds) {
    const instance = byId.get(InstanceId);
    if (instance === undefined) continue;
    // ECS leaves KeyPairName empty or out when no key pair is bound.
    const found = text(instance['KeyPairName']);
    readings.push({ InstanceId, KeyPairName: found, attached: found === keyPairName });
  }
  return readings;
}

function nestedArray(body: Record<string, unknown>, wrapper: string, item: string): Record<string, unknown>[] {
  const outer = body[wrapper];
  if (typeof outer !== 'object' || outer === null) return [];
  const list = (outer as Record<string, unknown>)[item];
  return Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}

/** ECS sends codes as strings or numbers (docs/ecs-notes.md#loose-types); anything else is not a code. */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
