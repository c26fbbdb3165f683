import type Database from 'better-sqlite3';
import type { RunEvent } from '../../ecs/runs-api';
import { decodeCursor, encodeCursor } from './cursor';
import { AuditInputError } from './errors';
import type { RunEventInput, RunsQueryInput, RunStore, StoredRun, StoredRunInstance } from './types';
import { requireText } from './validate';

/**
 * The runs tables (migrations.ts, step 3) for the SQLite store. Every write is one transaction: the run's
 * record, the rows that changed and the event reporting it land together or not at all, so the engine never
 * acts on a state that a crash could take back (docs/product.md#audit-before-and-after).
 */

const IN_PROGRESS = ['running', 'paused', 'cancelling'];

interface RunRow {
  doc_json: string;
  rank: number;
  created_at: number;
  id: string;
}

export function prepareRunStatements(db: Database.Database) {
  const s = {
    insertRun: db.prepare(
      `INSERT INTO runs (id, created_at, created_by, region_id, key_pair_name, state, doc_json)
       VALUES (@id, @createdAt, @createdBy, @regionId, @keyPairName, @state, @doc)`,
    ),
    updateRun: db.prepare('UPDATE runs SET state = @state, doc_json = @doc WHERE id = @id'),
    insertRow: db.prepare('INSERT INTO run_instances (run_id, position, instance_id, state, doc_json) VALUES (?, ?, ?, ?, ?)'),
    updateRow: db.prepare('UPDATE run_instances SET state = ?, doc_json = ? WHERE run_id = ? AND instance_id = ?'),
    insertEvent: db.prepare<[string, number, string, string | null, string | null]>(
      'INSERT INTO run_events (run_id, at, kind, user_name, detail) VALUES (?, ?, ?, ?, ?)',
    ),
    getRun: db.prepare<[string], { doc_json: string }>('SELECT doc_json FROM runs WHERE id = ?'),
    unfinished: db.prepare<[], { id: string }>(
      `SELECT id FROM runs WHERE state IN ('running', 'paused', 'cancelling') ORDER BY created_at, id`,
    ),
    events: db.prepare<
      [string, number, number],
      { seq: number; run_id: string; at: number; kind: string; user_name: string | null; detail: string | null }
    >('SELECT seq, run_id, at, kind, user_name, detail FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
  };
  return s;
}

export class SqliteRunTables {
  private readonly s: ReturnType<typeof prepareRunStatements>;
  readonly createTx: Database.Transaction<(run: StoredRun, rows: readonly StoredRunInstance[], event: RunEventInput) => number>;
  readonly saveTx: Database.Transaction<(run: StoredRun, rows: readonly StoredRunInstance[], event: RunEventInput | undefined) => number>;
  /**
   * A run write without a transaction of its own, for a caller's transaction: the audit's intent or outcome of
   * the run's call, so the call's record and the run's rows land together (sqlite-store.ts).
   */
  readonly write: (run: StoredRun, rows: readonly StoredRunInstance[], event: RunEventInput | undefined) => number;
  private readonly listStatements = new Map<string, Database.Statement<Record<string, string | number>, RunRow>>();

  constructor(private readonly db: Database.Database) {
    const s = prepareRunStatements(db);
    this.s = s;
    const appendEvent = (runId: string, event: RunEventInput): number =>
      Number(s.insertEvent.run(runId, event.at, event.kind, event.user ?? null, event.detail ?? null).lastInsertRowid);
    this.createTx = db.transaction((run, rows, event) => {
      s.insertRun.run({
        id: run.id,
        createdAt: run.createdAt,
        createdBy: run.createdBy,
        regionId: run.regionId,
        keyPairName: run.keyPairName ?? null,
        state: run.state,
        doc: JSON.stringify(run),
      });
      rows.forEach((row, position) => s.insertRow.run(run.id, position, row.InstanceId, row.state, JSON.stringify(row)));
      return appendEvent(run.id, event);
    });
    this.write = (run, rows, event) => {
      requireText('run id', run.id);
      const { changes } = s.updateRun.run({ id: run.id, state: run.state, doc: JSON.stringify(run) });
      if (changes === 0) throw new AuditInputError(`no run with id "${run.id.slice(0, 80)}"`);
      for (const row of rows) s.updateRow.run(row.state, JSON.stringify(row), run.id, row.InstanceId);
      return event === undefined ? 0 : appendEvent(run.id, event);
    };
    this.saveTx = db.transaction(this.write);
  }

  getRun(id: string): StoredRun | undefined {
    const row = this.s.getRun.get(id);
    return row === undefined ? undefined : (JSON.parse(row.doc_json) as StoredRun);
  }

  unfinished(): string[] {
    return this.s.unfinished.all().map((r) => r.id);
  }

  events(id: string, afterSeq: number, limit: number): RunEvent[] {
    return this.s.events.all(id, afterSeq, limit).map((e) => ({
      seq: e.seq,
      runId: e.run_id,
      at: e.at,
      kind: e.kind as RunEvent['kind'],
      ...(e.user_name === null ? {} : { user: e.user_name }),
      ...(e.detail === null ? {} : { detail: e.detail }),
    }));
  }

  /** In progress first (rank 0), then newest first; the cursor is (rank, created_at, id) of the last item. */
  list(query: RunsQueryInput): { items: StoredRun[]; nextCursor: string | null } {
    const limit = Math.min(Math.max(1, query.limit ?? 50), 200);
    const where: string[] = [];
    const params: Record<string, string | number> = { limitPlusOne: limit + 1 };
    const filters = [
      ['state', query.state],
      ['created_by', query.creator],
      ['region_id', query.regionId],
      ['key_pair_name', query.keyPairName],
    ] as const;
    for (const [column, value] of filters) {
      if (value === undefined) continue;
      where.push(`${column} = @${column}`);
      params[column] = value;
    }
    const rankSql = `(CASE WHEN state IN (${IN_PROGRESS.map((x) => `'${x}'`).join(', ')}) THEN 0 ELSE 1 END)`;
    if (query.cursor !== undefined) {
      const [rank, createdAt, id] = decodeRunCursor(query.cursor);
      where.push(`(${rankSql} > @cRank OR (${rankSql} = @cRank AND (created_at < @cAt OR (created_at = @cAt AND id < @cId))))`);
      Object.assign(params, { cRank: rank, cAt: createdAt, cId: id });
    }
    const sql = `SELECT doc_json, ${rankSql} AS rank, created_at, id FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY rank, created_at DESC, id DESC LIMIT @limitPlusOne`;
    let statement = this.listStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<Record<string, string | number>, RunRow>(sql);
      this.listStatements.set(sql, statement);
    }
    const rows = statement.all(params);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => JSON.parse(r.doc_json) as StoredRun),
      nextCursor: rows.length > limit && last !== undefined ? encodeRunCursor(last.rank, last.created_at, last.id) : null,
    };
  }

  instances(
    id: string,
    query: { state?: string; limit?: number; cursor?: string },
  ): { items: StoredRunInstance[]; nextCursor: string | null } {
    const limit = Math.min(Math.max(1, query.limit ?? 200), 10_000);
    const after = query.cursor === undefined ? -1 : decodePosition(query.cursor);
    const rows =
      query.state === undefined
        ? this.db
            .prepare<[string, number, number], { position: number; doc_json: string }>(
              'SELECT position, doc_json FROM run_instances WHERE run_id = ? AND position > ? ORDER BY position LIMIT ?',
            )
            .all(id, after, limit + 1)
        : this.db
            .prepare<[string, string, number, number], { position: number; doc_json: string }>(
              'SELECT position, doc_json FROM run_instances WHERE run_id = ? AND state = ? AND position > ? ORDER BY position LIMIT ?',
            )
            .all(id, query.state, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => JSON.parse(r.doc_json) as StoredRunInstance),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.position, 0) : null,
    };
  }
}

function encodeRunCursor(rank: number, createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([rank, createdAt, id])).toString('base64url');
}

function decodeRunCursor(cursor: string): [number, number, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'number' && typeof parsed[2] === 'string') {
      return [parsed[0], parsed[1], parsed[2]];
    }
  } catch {
    // Falls through to the refusal.
  }
  throw new AuditInputError('the cursor is not valid');
}

function decodePosition(cursor: string): number {
  return decodeCursor(cursor).at;
}

/**
 * The RunStore half of the SQLite store. `guarded` runs a step under the store's lock waits (never blocking the
 * event loop) after checking that the database file is still the one that was opened.
 */
export function sqliteRunStore(tables: SqliteRunTables, guarded: <T>(what: string, step: () => T) => Promise<T>): RunStore {
  return {
    createRun(run: StoredRun, instances: readonly StoredRunInstance[], event: RunEventInput) {
      requireText('run id', run.id);
      return guarded('run write', () => tables.createTx.immediate(run, instances, event));
    },
    saveRun(run: StoredRun, instances: readonly StoredRunInstance[], event?: RunEventInput) {
      requireText('run id', run.id);
      return guarded('run write', () => tables.saveTx.immediate(run, instances, event));
    },
    getRun: (id) => guarded('run read', () => tables.getRun(id)),
    listRuns: (query) => guarded('runs read', () => tables.list(query)),
    runInstances: (id, query) => guarded('run rows read', () => tables.instances(id, query)),
    runEvents: (id, afterSeq, limit = 1000) => guarded('run events read', () => tables.events(id, afterSeq, limit)),
    unfinishedRuns: () => guarded('runs read', () => tables.unfinished()),
  };
}
