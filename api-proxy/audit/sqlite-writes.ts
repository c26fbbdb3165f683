import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ActionName } from '../../ecs/contract';
import { NO_ANSWER_REPLIES, readOutcome } from '../outcomes';
import { AuditInputError } from './errors';
import { activationChanges, isDryRun, UNKNOWN_OUTCOME_MESSAGE } from './pending';
import type { SqliteRunTables } from './sqlite-runs';
import type { OpenOperationRow, prepareStatements } from './sqlite-statements';
import type { AuditReconciliation, RunRows, RunWrite } from './types';
import type { CleanIntent, CleanOutcome } from './validate';

/**
 * The SQLite store's write transactions (sqlite-store.ts runs them under its lock waits): the intent, the
 * outcome, the reading back of an unknown attach, and crash recovery at open. Each is one transaction, with the
 * activation stamps the pending rule names (pending.ts) and, for a run's call, the run's rows (sqlite-runs.ts).
 */

type Statements = ReturnType<typeof prepareStatements>;

/** Unknown without a completion stamp: an operation crash recovery closed (sqlite-statements.ts, `recover`). */
function isRecovered(op: { status: string; completed_seq: number | null }): boolean {
  return op.status === 'unknown' && op.completed_seq === null;
}

export function isDryRunJson(optionsJson: string | null): boolean {
  return optionsJson !== null && isDryRun(JSON.parse(optionsJson) as Record<string, unknown>);
}

export function prepareWrites(db: Database.Database, s: Statements, runs: SqliteRunTables, writerProcess: string) {
  const nextSeq = (): number => {
    const row = s.tick.get();
    if (row === undefined) throw new Error('audit: the event clock row is missing');
    return row.value;
  };

  /** Keeps the activation stamps the pending rule names for this outcome (pending.ts). */
  const updateActivation = (
    op: OpenOperationRow,
    completedSeq: number,
    outcome: { instances: readonly { instanceId: string; ok: boolean; unknown: boolean }[] },
  ): void => {
    for (const change of activationChanges({ action: op.action, isDryRun: isDryRunJson(op.options_json) }, outcome.instances)) {
      if (change.kind === 'attached') s.markAttached.run(op.region_id, change.instanceId, completedSeq, op.seq);
      else if (change.kind === 'maybe-attached') s.markMaybeAttached.run(op.region_id, change.instanceId, completedSeq, op.seq);
      else s.markActivated.run(op.region_id, change.instanceId, op.seq);
    }
  };

  const intentTx = db.transaction(
    (intent: CleanIntent, status: 'pending' | 'denied', reason: string | null, alongside?: (operationId: string) => RunRows): string => {
      const seq = nextSeq();
      const id = randomUUID();
      s.insertOperation.run({
        seq,
        id,
        at: intent.at,
        user: intent.user,
        email: intent.email ?? null,
        groups: intent.groupsJson,
        clientAddress: intent.clientAddress,
        action: intent.action,
        regionId: intent.regionId,
        keyPairName: intent.keyPairName ?? null,
        options: intent.optionsJson ?? null,
        status,
        // A refusal is final the moment it is made.
        completedSeq: status === 'denied' ? seq : null,
        completedAt: status === 'denied' ? intent.at : null,
        errorMessage: reason,
        writer: writerProcess,
        runId: intent.runId ?? null,
      });
      intent.instanceIds.forEach((instanceId, position) => s.insertTarget.run(seq, position, instanceId));
      // A run's rows name this operation: written with the intent, so "sending with an operation id" and
      // "the intent is in the trail" are one fact (api-proxy/runs/engine.ts, restart).
      if (alongside !== undefined) {
        const { run, rows } = alongside(id);
        runs.write(run, rows, undefined);
      }
      return id;
    },
  );

  const outcomeTx = db.transaction((id: string, outcome: CleanOutcome, alongside?: RunWrite): number => {
    const op = s.findOperation.get(id);
    if (op === undefined) throw new AuditInputError(`no operation with id "${id.slice(0, 80)}"`);
    // Still open means never completed: a row that recovery marked 'unknown' may still get its real outcome
    // from a process that outlived the restart. Denials are final.
    if (op.completed_seq !== null || op.status === 'denied') {
      throw new AuditInputError(`operation ${id} already has its outcome`);
    }
    if (isRecovered(op)) {
      // ECS's answer replaces what recovery assumed: its unknown instances and their "may be pending".
      s.dropOutcomes.run(op.seq);
      s.dropMaybeAttachedOf.run(op.seq);
    }
    const completedSeq = nextSeq();
    s.updateOutcome.run({
      seq: op.seq,
      status: outcome.status,
      completedSeq,
      at: outcome.at,
      httpStatus: outcome.httpStatus ?? null,
      requestId: outcome.requestId ?? null,
      errorCode: outcome.errorCode ?? null,
      errorMessage: outcome.errorMessage ?? null,
      durationMs: outcome.durationMs,
    });
    outcome.instances.forEach((item, position) =>
      s.insertOutcome.run(op.seq, position, item.instanceId, item.ok ? 1 : 0, item.unknown ? 1 : 0, item.code, item.message ?? null),
    );
    updateActivation(op, completedSeq, outcome);
    return alongside === undefined ? 0 : runs.write(alongside.run, alongside.rows, alongside.event);
  });

  const reconcileTx = db.transaction((id: string, readings: readonly AuditReconciliation[]): void => {
    const op = s.findAttach.get(id);
    if (op === undefined) throw new AuditInputError(`no operation with id "${id.slice(0, 80)}"`);
    if (op.action !== 'AttachKeyPair' || (op.completed_seq === null && !isRecovered(op))) {
      throw new AuditInputError(`operation ${id} is not a completed or crash-left AttachKeyPair`);
    }
    for (const reading of readings) {
      const { changes } = s.setReconciled.run({
        seq: op.seq,
        instanceId: reading.InstanceId,
        at: reading.at,
        keyPairName: reading.KeyPairName,
        attached: reading.attached ? 1 : 0,
      });
      // Only an instance whose outcome was unknown, and only once: a reading never overrides ECS's own answer.
      if (changes === 0) continue;
      // The key pair landed as part of this attach, so it counts from the attach's completion like a confirmed
      // one (a crash-left attach: from when recovery found it, its "may be" stamp); either way the "may be" is
      // settled (pending.ts).
      if (reading.attached) {
        const stamp = op.completed_seq ?? s.maybeStampOf.get(op.region_id, reading.InstanceId, op.seq)?.maybe_attach_seq ?? nextSeq();
        s.markAttached.run(op.region_id, reading.InstanceId, stamp, op.seq);
      }
      s.dropMaybeAttached.run(op.region_id, reading.InstanceId, op.seq);
    }
  });

  // Crash survival: an intent still 'pending' that an earlier process wrote before this store opened can no
  // longer get its outcome from that process. Say so rather than leave it looking in flight forever: the call
  // may have reached ECS, so the one outcome rule reads it as a call that got no answer, unknown for every
  // instance. An attach among them may have happened, so its instances become "may be pending", stamped now:
  // only a reboot or start requested from here on can be known to come after it (pending.ts). Reading them
  // back (reconcileTx, at start-up) settles it.
  const recoverTx = db.transaction((openedAt: number): void => {
    const read = (action: string, ids: string[]) =>
      readOutcome(action as ActionName, ids, { kind: 'unknown', reason: UNKNOWN_OUTCOME_MESSAGE, attempts: 0, durationMs: 0 });
    const recovered = s.recover.all(NO_ANSWER_REPLIES.unknown.code, UNKNOWN_OUTCOME_MESSAGE, writerProcess, openedAt);
    for (const op of recovered) {
      const { instances } = read(
        op.action,
        s.recoveredTargets.all(op.seq).map((t) => t.instance_id),
      );
      instances.forEach((item, position) => s.insertOutcome.run(op.seq, position, item.InstanceId, 0, 1, item.Code, item.Message ?? null));
      const open: OpenOperationRow = { ...op, completed_seq: null, status: 'unknown' };
      updateActivation(open, nextSeq(), {
        instances: instances.map((i) => ({ instanceId: i.InstanceId, ok: false, unknown: true })),
      });
    }
  });

  return { intentTx, outcomeTx, reconcileTx, recoverTx };
}

export type SqliteWrites = ReturnType<typeof prepareWrites>;
