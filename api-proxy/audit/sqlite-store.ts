import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ActivityPage, ActivityQuery, PendingActivation } from '../../ecs/console-api';
import { readActivityQuery } from './activity-query';
import { encodeCursor } from './cursor';
import { AuditInputError, AuditUnavailableError } from './errors';
import { migrate } from './migrations';
import { pendingActivationOf } from './pending';
import { checkStore } from './sqlite-disk';
import { SqliteRunTables, sqliteRunStore } from './sqlite-runs';
import { retryWhileLocked } from './sqlite-locks';
import { configure } from './sqlite-pragmas';
import { prepareWrites, type SqliteWrites } from './sqlite-writes';
import {
  activityWhere,
  groupBySeq,
  prepareStatements,
  SELECT_OPERATION_COLUMNS,
  toActivationState,
  toInstanceOutcome,
  toRecord,
  type OperationRow,
} from './sqlite-statements';
import type {
  AuditCheck,
  AuditIntent,
  CrashLeftAttach,
  AuditOutcome,
  AuditReconciliation,
  AuditStore,
  RunRows,
  RunStore,
  RunWrite,
} from './types';
import { clippedText, requireText, validateIntent, validateOutcome, validateReadings } from './validate';

/**
 * The audit store in one SQLite file through better-sqlite3 (docs/decisions/sqlite-audit-store.md).
 *
 * Why SQLite: the proxy runs as one process (PostgreSQL is for the several-replica future, docs/product.md#later;
 * it would be a second `AuditStore` passing the same contract suite). Each write is one synchronous
 * better-sqlite3 transaction, so `begin()` resolves only once the intent is committed and fsynced — there is no
 * window in which ECS is called before the audit exists. The methods are asynchronous all the same, because a
 * lock held by another connection is waited out without blocking the event loop (sqlite-locks.ts).
 *
 * The tables are in migrations.ts, the statements in sqlite-statements.ts, the write transactions in
 * sqlite-writes.ts, the pending-activation rule in pending.ts. No side effects at import: nothing happens until `openSqliteAuditStore` is called.
 */

export interface SqliteAuditStoreOptions {
  /** Clock for the crash-recovery cutoff; defaults to Date.now. */
  now?: () => number;
  /** How long a call waits for a lock held by another connection before failing; default 5000 ms. */
  lockWaitMs?: number;
  /** How long `check()` waits for the lock; default 1000 ms (a readiness probe must answer quickly). */
  checkLockWaitMs?: number;
  /** `check()` fails below this much free space on the database's file system; default 64 MiB. */
  minFreeBytes?: number;
}

const DEFAULT_LOCK_WAIT_MS = 5000;
const DEFAULT_CHECK_LOCK_WAIT_MS = 1000;
const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;

/**
 * Identifies the current process in `operations.writer_process`, so crash recovery never touches intents
 * this process wrote itself (say, through a second store on the same file). Made on first open, not at import.
 */
let processToken: string | undefined;
function currentProcessToken(): string {
  processToken ??= randomUUID();
  return processToken;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens (creating if needed) the audit database at `path` and brings its schema up to date. `':memory:'` gives
 * a private in-memory store for tests. Throws AuditUnavailableError if the file cannot be opened or migrated,
 * so the server fails at start-up rather than at the first action.
 */
export function openSqliteAuditStore(path: string, options: SqliteAuditStoreOptions = {}): AuditStore {
  if (typeof path !== 'string' || path.length === 0) throw new AuditInputError('the database path must be a non-empty string');
  const now = options.now ?? Date.now;
  const settings: StoreSettings = {
    lockWaitMs: nonNegative('lockWaitMs', options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS),
    checkLockWaitMs: nonNegative('checkLockWaitMs', options.checkLockWaitMs ?? DEFAULT_CHECK_LOCK_WAIT_MS),
    minFreeBytes: nonNegative('minFreeBytes', options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES),
  };
  const inMemory = path === ':memory:';
  let db: Database.Database;
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const isNew = !inMemory && !existsSync(path);
    // Opening (schema migration, crash recovery) happens once, before the server listens: waiting for a lock
    // there blocks no request, so SQLite's own blocking wait is fine. It is switched off below.
    db = new Database(path, { timeout: settings.lockWaitMs });
    // The trail names people and their e-mail addresses: owner-only, like the folder. SQLite gives the -wal
    // and -shm files the main file's permissions.
    if (isNew) chmodSync(path, 0o600);
  } catch (error) {
    throw new AuditUnavailableError(`audit database ${path} cannot be opened: ${messageOf(error)}`, { cause: error });
  }
  try {
    configure(db, settings.lockWaitMs);
    migrate(db);
    const identity = inMemory ? undefined : statSync(path);
    const store = new SqliteAuditStore(
      db,
      path,
      identity && { dev: identity.dev, ino: identity.ino },
      now(),
      currentProcessToken(),
      settings,
    );
    // From now on a step never sleeps inside SQLite: a held lock fails at once and is retried asynchronously
    // (SqliteAuditStore.withLockRetry), so a lock held elsewhere cannot freeze the event loop.
    db.pragma('busy_timeout = 0');
    return Object.assign(store, store.runStore());
  } catch (error) {
    db.close();
    if (error instanceof AuditUnavailableError) throw error;
    throw new AuditUnavailableError(`audit database ${path} cannot be prepared: ${messageOf(error)}`, { cause: error });
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new AuditInputError(`${name} must be a non-negative number`);
  return value;
}

interface StoreSettings {
  lockWaitMs: number;
  checkLockWaitMs: number;
  minFreeBytes: number;
}

class SqliteAuditStore implements Omit<AuditStore, keyof RunStore> {
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** The write transactions (sqlite-writes.ts). */
  private readonly writes: SqliteWrites;
  private readonly runs: SqliteRunTables;
  /** The activity query's SQL depends on which filters are set; prepare each shape once. */
  private readonly listStatements = new Map<string, Database.Statement<Record<string, string | number>, OperationRow>>();

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly fileIdentity: { dev: number; ino: number } | undefined,
    openedAt: number,
    writerProcess: string,
    private readonly settings: StoreSettings,
  ) {
    const s = prepareStatements(db);
    this.statements = s;
    this.runs = new SqliteRunTables(db);
    this.writes = prepareWrites(db, s, this.runs, writerProcess);
    this.guard('crash recovery', () => this.writes.recoverTx.immediate(openedAt));
  }

  /** Runs a database step; any failure of the database (closed, locked, read-only, gone) becomes unavailability. */
  private guard<T>(what: string, step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof AuditUnavailableError) throw error;
      if (error instanceof AuditInputError) throw error;
      throw new AuditUnavailableError(`audit ${what} failed: ${messageOf(error)}`, { cause: error });
    }
  }

  /** Runs one guarded step, waiting out a lock held by another connection (sqlite-locks.ts). */
  private withLockRetry<T>(what: string, waitMs: number, step: () => T): Promise<T> {
    return retryWhileLocked(what, waitMs, () => this.guard(what, step));
  }

  /**
   * SQLite keeps writing to a file that was deleted or replaced under it (an unlinked inode), so such writes
   * would "succeed" into a file nobody will ever read. Check that the path still names the file we opened.
   */
  private assertFileIntact(): void {
    if (this.fileIdentity === undefined) return;
    let current: Stats;
    try {
      current = statSync(this.path);
    } catch (error) {
      throw new AuditUnavailableError(`audit database ${this.path} is gone: ${messageOf(error)}`, { cause: error });
    }
    if (current.dev !== this.fileIdentity.dev || current.ino !== this.fileIdentity.ino) {
      throw new AuditUnavailableError(`audit database ${this.path} was replaced while open`);
    }
  }

  async begin(intent: AuditIntent, alongside?: (operationId: string) => RunRows): Promise<string> {
    const clean = validateIntent(intent);
    return this.withLockRetry('intent write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      return this.writes.intentTx.immediate(clean, 'pending', null, alongside);
    });
  }

  async complete(id: string, outcome: AuditOutcome, alongside?: RunWrite): Promise<number> {
    requireText('operation id', id);
    const clean = validateOutcome(outcome);
    return this.withLockRetry('outcome write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      return this.writes.outcomeTx.immediate(id, clean, alongside);
    });
  }

  async recordDenied(intent: AuditIntent, reason: string): Promise<void> {
    const clean = validateIntent(intent, 'denial');
    const why = clippedText('reason', reason);
    await this.withLockRetry('denial write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      this.writes.intentTx.immediate(clean, 'denied', why);
    });
  }

  async list(query: ActivityQuery): Promise<ActivityPage> {
    const filter = readActivityQuery(query);
    const { where, params } = activityWhere(filter);
    const { limit } = filter;
    // Under WAL a read does not need the write lock, so this answers while a writer holds it; only the rare
    // exclusive locks (recovery of a crashed writer's WAL) are waited out, asynchronously like writes.
    return this.withLockRetry('activity read', this.settings.lockWaitMs, () => {
      const sql = `SELECT ${SELECT_OPERATION_COLUMNS} FROM operations
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, seq DESC LIMIT @limitPlusOne`;
      let statement = this.listStatements.get(sql);
      if (statement === undefined) {
        statement = this.db.prepare<Record<string, string | number>, OperationRow>(sql);
        this.listStatements.set(sql, statement);
      }
      // One row beyond the page tells whether there is a next page.
      const rows = statement.all({ ...params, limitPlusOne: limit + 1 });
      const page = rows.slice(0, limit);
      const seqs = JSON.stringify(page.map((r) => r.seq));
      const targets = groupBySeq(this.statements.targetsOf.all(seqs), (t) => t.instance_id);
      const outcomes = groupBySeq(this.statements.outcomesOf.all(seqs), toInstanceOutcome);
      const items = page.map((row) => toRecord(row, targets.get(row.seq) ?? [], outcomes.get(row.seq) ?? []));
      const last = page[page.length - 1];
      return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.at, last.seq) : null };
    });
  }

  async pending(regionId: string): Promise<PendingActivation[]> {
    const region = requireText('regionId', regionId);
    return this.withLockRetry('pending read', this.settings.lockWaitMs, () =>
      this.statements.pending.all(region).flatMap((row) => pendingActivationOf(toActivationState(row)) ?? []),
    );
  }

  async reconcile(id: string, readings: readonly AuditReconciliation[]): Promise<void> {
    requireText('operation id', id);
    const clean = validateReadings(readings);
    await this.withLockRetry('reconciliation write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      this.writes.reconcileTx.immediate(id, clean);
    });
  }

  async crashLeftAttaches(limit = 200): Promise<CrashLeftAttach[]> {
    return this.withLockRetry('crash-left read', this.settings.lockWaitMs, () =>
      this.statements.crashLeftAttaches.all(Number.isFinite(limit) ? Math.min(Math.max(1, Math.floor(limit)), 1000) : 200).map((row) => ({
        operationId: row.id,
        regionId: row.region_id,
        keyPairName: row.key_pair_name,
        instanceIds: JSON.parse(row.ids_json) as string[],
      })),
    );
  }

  /** The run store's methods (sqlite-runs.ts), run through the same lock waits and file check as the rest. */
  runStore(): RunStore {
    return sqliteRunStore(this.runs, (what, step) =>
      this.withLockRetry(what, this.settings.lockWaitMs, () => {
        this.assertFileIntact();
        return step();
      }),
    );
  }

  /** One check at a time: concurrent probes share it (and the probe file, which has a fixed name). */
  private checking: Promise<AuditCheck> | undefined;

  /**
   * Readiness: the file is still where it was opened, the write lock can be taken, and the disk takes new data
   * (sqlite-disk.ts).
   */
  check(): Promise<AuditCheck> {
    this.checking ??= this.runCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private runCheck(): Promise<AuditCheck> {
    return checkStore({
      takeWriteLock: () =>
        this.withLockRetry('readiness check', this.settings.checkLockWaitMs, () => {
          this.assertFileIntact();
          this.db.exec('BEGIN IMMEDIATE');
          try {
            this.statements.probe.run();
          } finally {
            this.db.exec('ROLLBACK');
          }
        }),
      diskPath: this.fileIdentity === undefined ? undefined : this.path,
      minFreeBytes: this.settings.minFreeBytes,
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
