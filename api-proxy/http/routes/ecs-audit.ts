import type { FastifyRequest } from 'fastify';
import { toWire, type ActionName } from '#ecs/contract';
import { instanceVerdict, readKeyPairReadings, type ReadOutcome } from '#ecs/outcomes';
import type { AuditIntent, AuditStore } from '../../audit';
import { readOutcome } from '../../outcomes';
import type { EcsClient, UpstreamOutcome } from '../../upstream/ecs-client';
import { ProxyError } from '../errors';

/**
 * The audit of a call through the ECS door (docs/product.md#audit-before-and-after): the intent is durably
 * written before the call is sent, or nothing is sent; the outcome after, read by the one outcome rule; and an
 * attach of unknown outcome is read back, so pending activation can say what happened.
 */

/**
 * How long reading instances back after an attach of unknown outcome may take. The read happens before the reply
 * (see reconcileAttach) so it must stay short: a DescribeInstances of ≤ 50 IDs normally answers in well under
 * a second, and an ECS that does not answer in this time leaves the instances unknown, which is honest.
 */
const RECONCILE_TIMEOUT_MS = 3_000;

/** A mutating call whose intent is in the trail. */
export interface AuditedCall {
  operationId: string;
  intent: AuditIntent;
}

/** Writes the intent; a trail that cannot be written refuses the call (503) before anything is sent. */
export async function beginAudit(request: FastifyRequest, audit: AuditStore, intent: AuditIntent): Promise<AuditedCall> {
  try {
    return { operationId: await audit.begin(intent), intent };
  } catch (error) {
    request.log.error({ reqId: request.id, err: (error as Error).message }, 'audit intent could not be written');
    if (error instanceof Error) {
      throw new ProxyError(
        503,
        'Proxy.AuditUnavailable',
        'The audit trail cannot be written, so no change was sent to ECS. Try again later.',
      );
    }
    throw error;
  }
}

/**
 * Records the outcome, read by the same rule as the browser's (outcomes.ts). A record that cannot be written is
 * logged, not answered: the action already happened, and the intent stays 'pending', reported as unknown later.
 */
export async function completeAudit(
  request: FastifyRequest,
  deps: { audit: AuditStore; clock: () => number },
  call: AuditedCall,
  name: ActionName,
  outcome: UpstreamOutcome,
  started: number,
): Promise<ReadOutcome> {
  const { audit, clock } = deps;
  const read = readOutcome(name, call.intent.instanceIds, outcome);
  // Identifiers from ECS are clipped rather than refused: the action has happened and must be recorded.
  const requestId = read.requestId?.slice(0, 256);
  const errorCode = read.errorCode?.slice(0, 256);
  try {
    await audit.complete(call.operationId, {
      at: clock(),
      status: read.status,
      ...(outcome.kind === 'response' ? { httpStatus: outcome.status } : {}),
      ...(requestId === undefined ? {} : { requestId }),
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(read.errorMessage === undefined ? {} : { errorMessage: read.errorMessage }),
      durationMs: clock() - started,
      instances: read.instances,
    });
  } catch (error) {
    request.log.error({ operationId: call.operationId, err: (error as Error).message }, 'audit completion could not be written');
  }
  return read;
}

/**
 * After an AttachKeyPair whose outcome is unknown for some instances, reads those instances' KeyPairName through
 * the same signed client and records what it finds, so pending activation says "attached, reboot it" or "not
 * attached" instead of "may be". A read that fails, times out or does not list an instance leaves it unknown.
 *
 * Done inline, before the reply, bounded by RECONCILE_TIMEOUT_MS: the browser refreshes pending activation and
 * the activity trail as soon as its attach calls settle, so a read finished before the reply is what the
 * operator sees next; unknown outcomes are rare, so the wait is paid rarely; and no work outlives the
 * request (nothing to lose at shutdown). The caller's abort is not followed: the record should learn the
 * truth even when the browser went away.
 *
 * A read right after a timeout can precede an attach that ECS was still carrying out; "not attached" then
 * means "not attached when read", which the activity trail shows with its time.
 */
export async function reconcileAttach(
  request: FastifyRequest,
  deps: { ecs: EcsClient; audit: AuditStore; clock: () => number },
  operationId: string,
  regionId: string,
  keyPairName: string,
  read: ReadOutcome,
): Promise<void> {
  const { ecs, audit, clock } = deps;
  const ids = read.instances.filter((i) => instanceVerdict(i) === 'unknown').map((i) => i.InstanceId);
  if (ids.length === 0) return;
  let described: UpstreamOutcome;
  try {
    described = await ecs.call(
      'DescribeInstances',
      toWire('DescribeInstances', { RegionId: regionId, InstanceIds: ids, PageSize: ids.length }),
      {
        regionId,
        mutating: false,
        signal: AbortSignal.timeout(RECONCILE_TIMEOUT_MS),
      },
    );
  } catch (error) {
    request.log.error({ operationId, err: (error as Error).message }, 'reading instances back after an unknown attach failed');
    return;
  }
  const readings = described.kind === 'response' ? readKeyPairReadings(keyPairName, ids, described.status, described.body) : [];
  request.log.info({ operationId, unknown: ids.length, reconciled: readings.length }, 'attach of unknown outcome read back');
  if (readings.length === 0) return;
  const at = clock();
  try {
    await audit.reconcile(
      operationId,
      readings.map((r) => ({ ...r, KeyPairName: r.KeyPairName.slice(0, 256), at })),
    );
  } catch (error) {
    request.log.error({ operationId, err: (error as Error).message }, 'reconciliation could not be written');
  }
}
