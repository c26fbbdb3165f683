import type { InstanceOutcome, OperationStatus } from './console-api';
import type { ActionName } from './contract';
import { isResultOk } from './wire';

/**
 * What a mutating call did to each instance, read from ECS's answer: for the audit trail (PRODUCT.md step 9),
 * pending activation (step 8) and the results screen. AttachKeyPair and the batch calls answer per instance and
 * can partly succeed (ecs-api.md §0.3, §6.3); the single Reboot/StartInstance calls succeed or fail as a whole.
 * Pure and web-safe: the proxy and the browser mocks read answers the same way.
 */
export interface ReadOutcome {
  status: Exclude<OperationStatus, 'pending' | 'denied'>;
  instances: InstanceOutcome[];
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
}

export function readEcsAnswer(action: ActionName, instanceIds: readonly string[], httpStatus: number, body: Record<string, unknown>): ReadOutcome {
  const requestId = typeof body['RequestId'] === 'string' ? body['RequestId'] : undefined;
  if (httpStatus < 200 || httpStatus >= 300) {
    const code = typeof body['Code'] === 'string' ? body['Code'] : `HTTP ${httpStatus}`;
    const message = typeof body['Message'] === 'string' ? body['Message'] : undefined;
    return {
      status: 'failed',
      ...(requestId === undefined ? {} : { requestId }),
      errorCode: code,
      ...(message === undefined ? {} : { errorMessage: message }),
      instances: instanceIds.map((InstanceId) => ({ InstanceId, ok: false, Code: code, ...(message === undefined ? {} : { Message: message }) })),
    };
  }
  const reported = perInstanceResults(action, body);
  if (reported === undefined) {
    // Single-instance calls: HTTP 2xx means the instance accepted the request.
    return { status: 'succeeded', ...(requestId === undefined ? {} : { requestId }), instances: instanceIds.map((InstanceId) => ({ InstanceId, ok: true, Code: '200' })) };
  }
  // Reconcile with what was asked: an instance ECS did not report is unknown (not a success), and a result for
  // an instance nobody asked about is ignored (ecs-api.md §1: expect missing or empty wrappers).
  const byId = new Map(reported.map((r) => [r.InstanceId, r]));
  const instances = instanceIds.map(
    (InstanceId) => byId.get(InstanceId) ?? { InstanceId, ok: false, Code: 'Console.NoResult', Message: 'ECS did not report a result for this instance.' },
  );
  const okCount = instances.filter((i) => i.ok).length;
  const missing = instances.filter((i) => i.Code === 'Console.NoResult').length;
  const status = okCount === instances.length ? 'succeeded' : okCount > 0 ? 'partial' : missing === instances.length ? 'unknown' : 'failed';
  return { status, ...(requestId === undefined ? {} : { requestId }), instances };
}

function perInstanceResults(action: ActionName, body: Record<string, unknown>): InstanceOutcome[] | undefined {
  if (action === 'AttachKeyPair') {
    const results = nestedArray(body, 'Results', 'Result');
    return results.map((r) => ({
      InstanceId: text(r['InstanceId']),
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

function nestedArray(body: Record<string, unknown>, wrapper: string, item: string): Record<string, unknown>[] {
  const outer = body[wrapper];
  if (typeof outer !== 'object' || outer === null) return [];
  const list = (outer as Record<string, unknown>)[item];
  return Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}

/** ECS sends codes as strings or numbers (ecs-api.md §0.1); anything else is not a code. */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
