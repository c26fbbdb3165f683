import type { FastifyBaseLogger } from 'fastify';
import { actions, toWire, type ActionName } from '#ecs/contract';
import { instanceVerdict, readKeyPairReadings, type KeyPairReading, type ReadOutcome } from '#ecs/outcomes';
import type { AuditIntent, AuditStore, RunRows, RunWrite } from '../../audit';
import { NO_ANSWER_REPLIES, readOutcome } from '../../outcomes';
import type { EcsClient, UpstreamOutcome } from '../../upstream/ecs-client';
import type { RegionDirectory } from '../../upstream/regions';
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

/** Who a call is logged under: the HTTP request, or a run (api-proxy/runs/). */
export interface CallContext {
  id: string;
  log: FastifyBaseLogger;
}

/** A mutating call whose intent is in the trail. */
export interface AuditedCall {
  operationId: string;
  intent: AuditIntent;
}

/** Writes the intent; a trail that cannot be written refuses the call (503) before anything is sent. */
export async function beginAudit(
  request: CallContext,
  audit: AuditStore,
  intent: AuditIntent,
  alongside?: (operationId: string) => RunRows,
): Promise<AuditedCall> {
  try {
    return { operationId: await audit.begin(intent, alongside), intent };
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

/** The outcome as recorded: read by the one outcome rule, whether the record was written, and the seq of a run's event written with it. */
export interface CompletedAudit {
  read: ReadOutcome;
  recorded: boolean;
  eventSeq: number;
}

/**
 * Records the outcome, read by the same rule as the browser's (outcomes.ts). A record that cannot be written is
 * logged, not answered: the action already happened, and the intent stays 'pending', reported as unknown later.
 * `alongside` (a run's call) is given the answer and its run write lands in the same transaction.
 */
export async function completeAudit(
  request: CallContext,
  deps: { audit: AuditStore; clock: () => number },
  call: AuditedCall,
  name: ActionName,
  outcome: UpstreamOutcome,
  started: number,
  alongside?: (answer: { outcome: UpstreamOutcome; read: ReadOutcome }) => RunWrite,
): Promise<CompletedAudit> {
  const { audit, clock } = deps;
  const read = readOutcome(name, call.intent.instanceIds, outcome);
  // Identifiers from ECS are clipped rather than refused: the action has happened and must be recorded.
  const requestId = read.requestId?.slice(0, 256);
  const errorCode = read.errorCode?.slice(0, 256);
  const write = alongside?.({ outcome, read });
  try {
    const eventSeq = await audit.complete(
      call.operationId,
      {
        at: clock(),
        status: read.status,
        ...(outcome.kind === 'response' ? { httpStatus: outcome.status } : {}),
        ...(requestId === undefined ? {} : { requestId }),
        ...(errorCode === undefined ? {} : { errorCode }),
        ...(read.errorMessage === undefined ? {} : { errorMessage: read.errorMessage }),
        durationMs: clock() - started,
        instances: read.instances,
      },
      write,
    );
    return { read, recorded: true, eventSeq };
  } catch (error) {
    request.log.error({ operationId: call.operationId, err: (error as Error).message }, 'audit completion could not be written');
    return { read, recorded: false, eventSeq: 0 };
  }
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
  request: CallContext,
  deps: { ecs: EcsClient; audit: AuditStore; clock: () => number },
  operationId: string,
  regionId: string,
  keyPairName: string,
  read: ReadOutcome,
): Promise<KeyPairReading[]> {
  const { ecs, audit, clock } = deps;
  const ids = read.instances.filter((i) => instanceVerdict(i) === 'unknown').map((i) => i.InstanceId);
  if (ids.length === 0) return [];
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
    return [];
  }
  const readings = described.kind === 'response' ? readKeyPairReadings(keyPairName, ids, described.status, described.body) : [];
  request.log.info({ operationId, unknown: ids.length, reconciled: readings.length }, 'attach of unknown outcome read back');
  if (readings.length === 0) return [];
  const at = clock();
  try {
    await audit.reconcile(
      operationId,
      readings.map((r) => ({ ...r, KeyPairName: r.KeyPairName.slice(0, 256), at })),
    );
  } catch (error) {
    request.log.error({ operationId, err: (error as Error).message }, 'reconciliation could not be written');
  }
  return readings;
}

/**
 * At start-up: an AttachKeyPair that a previous process began and never completed (killed between the intent
 * and ECS's answer) is recorded by the store as unknown for every instance, "may be pending" (audit/pending.ts).
 * Each is read back here like an attach whose answer was lost (reconcileAttach), so pending activation says
 * what happened. An instance the read does not settle (ECS unreachable, not listed) stays unknown and is tried
 * again at the next start. Runs' attaches included: the engine reconciles its own rows, this the trail.
 */
export async function reconcileCrashLeftAttaches(
  context: CallContext,
  deps: { ecs: EcsClient; audit: AuditStore; clock: () => number; regions: Pick<RegionDirectory, 'has'> },
): Promise<void> {
  for (const left of await deps.audit.crashLeftAttaches()) {
    // The client only calls regions on the account's list; loading it first is what the ECS route does too.
    if (!(await deps.regions.has(left.regionId).catch(() => false))) continue;
    const read: ReadOutcome = {
      status: 'unknown',
      instances: left.instanceIds.map((InstanceId) => ({ InstanceId, ok: false, Code: NO_ANSWER_REPLIES.unknown.code, unknown: true })),
    };
    await reconcileAttach(context, deps, left.operationId, left.regionId, left.keyPairName, read);
  }
}

/** What the one audited ECS call needs. */
export interface AuditedCallDeps {
  ecs: EcsClient;
  audit: AuditStore;
  clock: () => number;
  /** Every ECS answer, for readiness (health.ts). */
  onUpstreamAnswer?: (outcome: UpstreamOutcome) => void;
}

export interface AuditedCallRequest {
  name: ActionName;
  wire: Record<string, string>;
  regionId: string;
  signal: AbortSignal;
  intent: AuditIntent;
  /** A run's rows written in the intent's transaction, given its operation id (they become "maybe sent"). */
  withIntent?: (operationId: string) => RunRows;
  /** A run's rows and event written in the outcome's transaction, from the answer as the one outcome rule reads it. */
  withOutcome?: (answer: { outcome: UpstreamOutcome; read: ReadOutcome }) => RunWrite;
}

export interface AuditedCallResult {
  operationId: string;
  outcome: UpstreamOutcome;
  /** The outcome as the one outcome reader (ecs/outcomes.ts) reads it. */
  read: ReadOutcome;
  /** For an attach with instances of unknown outcome: what reading their KeyPairName back found. */
  readings: KeyPairReading[];
  /** Whether the outcome (with `withOutcome`'s write) was recorded; if not, the caller writes its rows on its own. */
  recorded: boolean;
  /** The seq of `withOutcome`'s event (0 without one, or when not recorded). */
  eventSeq: number;
}

/**
 * The one audited path of a mutating ECS call, shared by `POST /api/ecs` and the run engine: intent durably
 * written (or a 503, nothing sent), the call, the outcome by the one outcome rule, and an attach of unknown
 * outcome read back (docs/product.md#audit-before-and-after).
 */
export async function auditedEcsCall(context: CallContext, deps: AuditedCallDeps, call: AuditedCallRequest): Promise<AuditedCallResult> {
  const audited = await beginAudit(context, deps.audit, call.intent, call.withIntent);
  const started = deps.clock();
  const outcome = await sendEcs(context, deps, call.name, call.wire, call.regionId, call.signal, audited, started);
  deps.onUpstreamAnswer?.(outcome);
  const { read, recorded, eventSeq } = await completeAudit(context, deps, audited, call.name, outcome, started, call.withOutcome);
  const readings =
    call.name === 'AttachKeyPair' && audited.intent.keyPairName !== undefined
      ? await reconcileAttach(context, deps, audited.operationId, call.regionId, audited.intent.keyPairName, read)
      : [];
  return { operationId: audited.operationId, outcome, read, readings, recorded, eventSeq };
}

/** Call: signed and sent by the ECS client, which alone retries (docs/decisions/retries.md). */
export async function sendEcs(
  context: CallContext,
  deps: { ecs: EcsClient; audit: AuditStore; clock: () => number },
  name: ActionName,
  wire: Record<string, string>,
  regionId: string,
  signal: AbortSignal,
  audited: AuditedCall | undefined,
  started: number,
): Promise<UpstreamOutcome> {
  let outcome: UpstreamOutcome;
  try {
    outcome = await deps.ecs.call(name, wire, { regionId, mutating: actions[name].mutating, signal });
  } catch (error) {
    // A bug, not an answer: the record is still completed (as unknown) before the error goes on.
    if (audited) {
      const unknown: UpstreamOutcome = {
        kind: 'unknown',
        reason: 'the proxy failed while sending',
        attempts: 0,
        durationMs: deps.clock() - started,
      };
      await completeAudit(context, deps, audited, name, unknown, started);
    }
    throw error;
  }
  // ECS only uses real HTTP statuses; anything else (a broken gateway) is reported as a bad answer.
  if (outcome.kind === 'response' && (outcome.status < 200 || outcome.status > 599)) {
    return {
      ...outcome,
      status: 502,
      body: { RequestId: context.id, Code: 'Proxy.BadUpstreamResponse', Message: `ECS answered with HTTP status ${outcome.status}.` },
    };
  }
  return outcome;
}
