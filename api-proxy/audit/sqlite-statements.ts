import type Database from 'better-sqlite3';
import type { ActivityRecord, InstanceOutcome, OperationStatus } from '../../ecs/console-api';
import type { ActivityFilter } from './activity-query';
import type { ActivationState } from './pending';

/**
 * The SQLite store's statements and the rows they read (the tables are in migrations.ts), and the mapping of
 * rows to the console API's shapes. Only sqlite-store.ts uses these.
 */

export interface OperationRow {
  seq: number;
  id: string;
  at: number;
  user_name: string;
  email: string | null;
  groups_json: string;
  client_address: string;
  action: string;
  region_id: string;
  key_pair_name: string | null;
  options_json: string | null;
  status: string;
  completed_at: number | null;
  http_status: number | null;
  request_id: string | null;
  error_code: string | null;
  error_message: string | null;
  duration_ms: number | null;
  run_id: string | null;
}

interface TargetRow {
  operation_seq: number;
  instance_id: string;
}

export interface OutcomeRow {
  operation_seq: number;
  instance_id: string;
  ok: number;
  unknown: number;
  code: string;
  message: string | null;
  reconciled_at: number | null;
  reconciled_key_pair: string | null;
  reconciled_attached: number | null;
}

export interface OpenOperationRow {
  seq: number;
  action: string;
  region_id: string;
  options_json: string | null;
  completed_seq: number | null;
  status: string;
}

/** An instance's confirmed and its "may be" attach, each with the operation that made it. */
export interface PendingRow {
  instance_id: string;
  region_id: string;
  attach_seq: number | null;
  maybe_attach_seq: number | null;
  activate_seq: number | null;
  key_pair_name: string | null;
  user_name: string | null;
  completed_at: number | null;
  at: number | null;
  id: string | null;
  m_key_pair_name: string | null;
  m_user_name: string | null;
  m_completed_at: number | null;
  m_at: number | null;
  m_id: string | null;
}

interface RecoveredRow {
  seq: number;
  action: string;
  region_id: string;
  options_json: string | null;
}

export function toRecord(row: OperationRow, instanceIds: string[], instances: InstanceOutcome[]): ActivityRecord {
  return {
    id: row.id,
    at: row.at,
    ...(row.completed_at === null ? {} : { completedAt: row.completed_at }),
    user: row.user_name,
    ...(row.email === null ? {} : { email: row.email }),
    groups: JSON.parse(row.groups_json) as string[],
    clientAddress: row.client_address,
    action: row.action,
    regionId: row.region_id,
    ...(row.key_pair_name === null ? {} : { keyPairName: row.key_pair_name }),
    ...(row.run_id === null ? {} : { runId: row.run_id }),
    instanceIds,
    ...(row.options_json === null ? {} : { options: JSON.parse(row.options_json) as Record<string, string | number | boolean> }),
    status: row.status as OperationStatus,
    ...(row.http_status === null ? {} : { httpStatus: row.http_status }),
    ...(row.request_id === null ? {} : { requestId: row.request_id }),
    ...(row.error_code === null ? {} : { errorCode: row.error_code }),
    ...(row.error_message === null ? {} : { errorMessage: row.error_message }),
    ...(row.duration_ms === null ? {} : { durationMs: row.duration_ms }),
    instances,
  };
}

export function groupBySeq<R extends { operation_seq: number }, T>(rows: R[], map: (row: R) => T): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.operation_seq);
    if (list === undefined) grouped.set(row.operation_seq, [map(row)]);
    else list.push(map(row));
  }
  return grouped;
}

export const SELECT_OPERATION_COLUMNS = `seq, id, at, user_name, email, groups_json, client_address, action, region_id,
  key_pair_name, options_json, status, completed_at, http_status, request_id, error_code, error_message, duration_ms, run_id`;

export function prepareStatements(db: Database.Database) {
  return {
    tick: db.prepare<[], { value: number }>('UPDATE event_clock SET value = value + 1 WHERE id = 1 RETURNING value'),
    probe: db.prepare('UPDATE event_clock SET value = value WHERE id = 1'),
    insertOperation: db.prepare(
      `INSERT INTO operations (seq, id, at, user_name, email, groups_json, client_address, action, region_id,
         key_pair_name, options_json, status, completed_seq, completed_at, error_message, writer_process, run_id)
       VALUES (@seq, @id, @at, @user, @email, @groups, @clientAddress, @action, @regionId,
         @keyPairName, @options, @status, @completedSeq, @completedAt, @errorMessage, @writer, @runId)`,
    ),
    insertTarget: db.prepare('INSERT INTO operation_targets (operation_seq, position, instance_id) VALUES (?, ?, ?)'),
    findOperation: db.prepare<[string], OpenOperationRow>(
      'SELECT seq, action, region_id, options_json, completed_seq, status FROM operations WHERE id = ?',
    ),
    updateOutcome: db.prepare(
      `UPDATE operations SET status = @status, completed_seq = @completedSeq, completed_at = @at,
         http_status = @httpStatus, request_id = @requestId, error_code = @errorCode, error_message = @errorMessage,
         duration_ms = @durationMs
       WHERE seq = @seq`,
    ),
    insertOutcome: db.prepare(
      'INSERT INTO instance_outcomes (operation_seq, position, instance_id, ok, unknown, code, message) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // The completion stamp only grows, so a later attach always wins.
    markAttached: db.prepare(
      `INSERT INTO activation_state (region_id, instance_id, attach_seq, attach_operation_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (region_id, instance_id) DO UPDATE SET
         attach_seq = excluded.attach_seq, attach_operation_seq = excluded.attach_operation_seq
       WHERE activation_state.attach_seq IS NULL OR excluded.attach_seq > activation_state.attach_seq`,
    ),
    // An attach whose outcome is unknown: kept beside the confirmed one, so that learning it did not happen
    // brings back an earlier confirmed attach that still awaits its reboot.
    markMaybeAttached: db.prepare(
      `INSERT INTO activation_state (region_id, instance_id, maybe_attach_seq, maybe_attach_operation_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (region_id, instance_id) DO UPDATE SET
         maybe_attach_seq = excluded.maybe_attach_seq, maybe_attach_operation_seq = excluded.maybe_attach_operation_seq
       WHERE activation_state.maybe_attach_seq IS NULL OR excluded.maybe_attach_seq > activation_state.maybe_attach_seq`,
    ),
    dropMaybeAttached: db.prepare<[string, string, number]>(
      `UPDATE activation_state SET maybe_attach_seq = NULL, maybe_attach_operation_seq = NULL
       WHERE region_id = ? AND instance_id = ? AND maybe_attach_operation_seq = ?`,
    ),
    setReconciled: db.prepare(
      `UPDATE instance_outcomes SET reconciled_at = @at, reconciled_key_pair = @keyPairName, reconciled_attached = @attached
       WHERE operation_seq = @seq AND instance_id = @instanceId AND unknown = 1 AND reconciled_at IS NULL`,
    ),
    findAttach: db.prepare<[string], OpenOperationRow & { key_pair_name: string | null }>(
      'SELECT seq, action, region_id, options_json, completed_seq, status, key_pair_name FROM operations WHERE id = ?',
    ),
    // Reboots may complete out of order; the latest *begun* one counts, so keep the maximum.
    markActivated: db.prepare(
      `INSERT INTO activation_state (region_id, instance_id, activate_seq) VALUES (?, ?, ?)
       ON CONFLICT (region_id, instance_id) DO UPDATE SET activate_seq = excluded.activate_seq
       WHERE activation_state.activate_seq IS NULL OR excluded.activate_seq > activation_state.activate_seq`,
    ),
    pending: db.prepare<[string], PendingRow>(
      `SELECT s.instance_id, s.region_id, s.attach_seq, s.maybe_attach_seq, s.activate_seq,
         o.key_pair_name, o.user_name, o.completed_at, o.at, o.id,
         m.key_pair_name AS m_key_pair_name, m.user_name AS m_user_name, m.completed_at AS m_completed_at, m.at AS m_at, m.id AS m_id
       FROM activation_state s
         LEFT JOIN operations o ON o.seq = s.attach_operation_seq
         LEFT JOIN operations m ON m.seq = s.maybe_attach_operation_seq
       WHERE s.region_id = ?
         AND ((s.attach_seq IS NOT NULL AND (s.activate_seq IS NULL OR s.attach_seq > s.activate_seq))
           OR (s.maybe_attach_seq IS NOT NULL AND (s.activate_seq IS NULL OR s.maybe_attach_seq > s.activate_seq)))
       ORDER BY s.instance_id`,
    ),
    targetsOf: db.prepare<[string], TargetRow>(
      `SELECT operation_seq, instance_id FROM operation_targets
       WHERE operation_seq IN (SELECT value FROM json_each(?)) ORDER BY operation_seq, position`,
    ),
    outcomesOf: db.prepare<[string], OutcomeRow>(
      `SELECT operation_seq, instance_id, ok, unknown, code, message, reconciled_at, reconciled_key_pair, reconciled_attached
       FROM instance_outcomes
       WHERE operation_seq IN (SELECT value FROM json_each(?)) ORDER BY operation_seq, position`,
    ),
    // Unknown with no completion stamp: only crash recovery leaves an operation so (a completion always stamps).
    recover: db.prepare<[string, string, string, number], RecoveredRow>(
      `UPDATE operations SET status = 'unknown', error_code = ?, error_message = ?
       WHERE status = 'pending' AND writer_process <> ? AND at < ?
       RETURNING seq, action, region_id, options_json`,
    ),
    recoveredTargets: db.prepare<[number], { instance_id: string }>(
      'SELECT instance_id FROM operation_targets WHERE operation_seq = ? ORDER BY position',
    ),
    dropOutcomes: db.prepare<[number]>('DELETE FROM instance_outcomes WHERE operation_seq = ?'),
    dropMaybeAttachedOf: db.prepare<[number]>(
      'UPDATE activation_state SET maybe_attach_seq = NULL, maybe_attach_operation_seq = NULL WHERE maybe_attach_operation_seq = ?',
    ),
    maybeStampOf: db.prepare<[string, string, number], { maybe_attach_seq: number | null }>(
      'SELECT maybe_attach_seq FROM activation_state WHERE region_id = ? AND instance_id = ? AND maybe_attach_operation_seq = ?',
    ),
    // Recovered attaches (not dry runs) with instances still unknown and never read back, newest first.
    crashLeftAttaches: db.prepare<[number], { id: string; region_id: string; key_pair_name: string; ids_json: string }>(
      `SELECT o.id, o.region_id, o.key_pair_name,
         (SELECT json_group_array(instance_id) FROM (SELECT io.instance_id FROM instance_outcomes io
            WHERE io.operation_seq = o.seq AND io.unknown = 1 AND io.reconciled_at IS NULL ORDER BY io.position)) AS ids_json
       FROM operations o
       WHERE o.status = 'unknown' AND o.completed_seq IS NULL AND o.action = 'AttachKeyPair' AND o.key_pair_name IS NOT NULL
         AND (o.options_json IS NULL OR json_extract(o.options_json, '$.DryRun') IS NOT 1)
         AND EXISTS (SELECT 1 FROM instance_outcomes io WHERE io.operation_seq = o.seq AND io.unknown = 1 AND io.reconciled_at IS NULL)
       ORDER BY o.seq DESC LIMIT ?`,
    ),
  };
}

/** A per-instance outcome row as the console API shows it. */
export function toInstanceOutcome(o: OutcomeRow): InstanceOutcome {
  return {
    InstanceId: o.instance_id,
    ok: o.ok === 1,
    Code: o.code,
    ...(o.message === null ? {} : { Message: o.message }),
    ...(o.unknown === 1 ? { unknown: true } : {}),
    ...(o.reconciled_at === null
      ? {}
      : { reconciled: { at: o.reconciled_at, KeyPairName: o.reconciled_key_pair ?? '', attached: o.reconciled_attached === 1 } }),
  };
}

/** A row of `activation_state` with the operations it names, as the pending rule reads it (pending.ts). */
export function toActivationState(row: PendingRow): ActivationState {
  return {
    instanceId: row.instance_id,
    regionId: row.region_id,
    ...(row.attach_seq === null || row.id === null
      ? {}
      : {
          attach: {
            stamp: row.attach_seq,
            operationId: row.id,
            keyPairName: row.key_pair_name ?? '',
            user: row.user_name ?? '',
            at: row.completed_at ?? row.at ?? 0,
          },
        }),
    ...(row.maybe_attach_seq === null || row.m_id === null
      ? {}
      : {
          maybeAttach: {
            stamp: row.maybe_attach_seq,
            operationId: row.m_id,
            keyPairName: row.m_key_pair_name ?? '',
            user: row.m_user_name ?? '',
            at: row.m_completed_at ?? row.m_at ?? 0,
          },
        }),
    ...(row.activate_seq === null ? {} : { activateStamp: row.activate_seq }),
  };
}

/** The activity filter as SQL conditions over `operations`, with their named parameters. */
export function activityWhere(filter: ActivityFilter): { where: string[]; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const add = (condition: string, values: Record<string, string | number>) => {
    where.push(condition);
    Object.assign(params, values);
  };
  if (filter.user !== undefined) add('user_name = @user', { user: filter.user });
  if (filter.regionId !== undefined) add('region_id = @regionId', { regionId: filter.regionId });
  if (filter.instanceId !== undefined) {
    add('seq IN (SELECT operation_seq FROM operation_targets WHERE instance_id = @instanceId)', { instanceId: filter.instanceId });
  }
  if (filter.action !== undefined) add('action = @action', { action: filter.action });
  if (filter.status !== undefined) add('status = @status', { status: filter.status });
  if (filter.from !== undefined) add('at >= @from', { from: filter.from });
  if (filter.to !== undefined) add('at <= @to', { to: filter.to });
  // Strictly after the last item returned, in (at, seq) order: rows written since sort elsewhere or later, so
  // pages neither repeat nor skip while new operations come in.
  if (filter.after !== undefined) add('(at, seq) < (@cursorAt, @cursorSeq)', { cursorAt: filter.after.at, cursorSeq: filter.after.seq });
  return { where, params };
}
