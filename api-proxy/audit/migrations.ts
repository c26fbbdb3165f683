import type Database from 'better-sqlite3';
import { AuditUnavailableError } from './errors';

/**
 * The SQLite store's schema, as the steps that build it.
 *
 * Shape of the data:
 * - `operations`: one row per audited call — the intent (who, when, what), then its outcome.
 * - `operation_targets`: the instance IDs the call named, indexed by instance for the activity filter.
 * - `instance_outcomes`: what ECS said per instance (docs/ecs-notes.md#partial-failure: calls partly succeed).
 * - `activation_state`: per (region, instance), the latest successful attach and the latest successful
 *   reboot/start, kept in the same transaction as the outcome, so `pending()` reads one small range instead
 *   of folding the whole history (it stays fast with 100k operations). The rules are pending.ts.
 * - `event_clock`: one counter that stamps every begin and every completion. Pending activation compares
 *   these stamps rather than wall-clock times, which can tie (same millisecond, fake clocks in tests) or step
 *   backwards (NTP).
 */

/**
 * Migration N takes `user_version` from N-1 to N. Append only; never edit a released step. Each runs in one
 * immediate transaction together with the version bump, so a crash mid-migration leaves the old version.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE event_clock (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
  );
  INSERT INTO event_clock (id, value) VALUES (1, 0);

  CREATE TABLE operations (
    seq            INTEGER PRIMARY KEY,       -- event-clock stamp of the begin; also the keyset tiebreak
    id             TEXT    NOT NULL UNIQUE,   -- public operation id
    at             INTEGER NOT NULL,
    user_name      TEXT    NOT NULL,
    email          TEXT,
    groups_json    TEXT    NOT NULL,
    client_address TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    region_id      TEXT    NOT NULL,
    key_pair_name  TEXT,
    options_json   TEXT,
    status         TEXT    NOT NULL
      CHECK (status IN ('pending', 'succeeded', 'partial', 'failed', 'unknown', 'denied')),
    completed_seq  INTEGER,                   -- event-clock stamp of the outcome; NULL until complete()
    completed_at   INTEGER,
    http_status    INTEGER,
    request_id     TEXT,
    error_code     TEXT,
    error_message  TEXT,
    duration_ms    INTEGER,
    writer_process  TEXT    NOT NULL           -- which process wrote the intent (crash recovery)
  );
  CREATE INDEX operations_by_at     ON operations (at);
  CREATE INDEX operations_by_user   ON operations (user_name, at);
  CREATE INDEX operations_by_action ON operations (action, at);
  CREATE INDEX operations_by_region ON operations (region_id, at);
  CREATE INDEX operations_by_status ON operations (status, at);

  CREATE TABLE operation_targets (
    operation_seq INTEGER NOT NULL REFERENCES operations (seq) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    instance_id   TEXT    NOT NULL,
    PRIMARY KEY (operation_seq, position)
  ) WITHOUT ROWID;
  CREATE INDEX operation_targets_by_instance ON operation_targets (instance_id, operation_seq);

  CREATE TABLE instance_outcomes (
    operation_seq INTEGER NOT NULL REFERENCES operations (seq) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    instance_id   TEXT    NOT NULL,
    ok            INTEGER NOT NULL CHECK (ok IN (0, 1)),
    code          TEXT    NOT NULL,
    message       TEXT,
    PRIMARY KEY (operation_seq, position)
  ) WITHOUT ROWID;
  CREATE INDEX instance_outcomes_by_instance ON instance_outcomes (instance_id, operation_seq);

  CREATE TABLE activation_state (
    region_id            TEXT    NOT NULL,
    instance_id          TEXT    NOT NULL,
    attach_seq           INTEGER,             -- completion stamp of the latest successful attach
    attach_operation_seq INTEGER REFERENCES operations (seq) ON DELETE CASCADE,
    activate_seq         INTEGER,             -- begin stamp of the latest successful reboot/start
    PRIMARY KEY (region_id, instance_id)
  ) WITHOUT ROWID;
  `,
  // Outcomes that are not known: a call that may have reached ECS without a definite answer is neither a
  // success nor a failure. Such an attach makes its instances "may be pending" (maybe_attach_*) until reading
  // the instance back (reconciled_*) shows whether the key pair is there. Rows written before this step marked
  // unknown instances only by their codes; those are carried over, and their attaches become "may be pending".
  `
  ALTER TABLE instance_outcomes ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0 CHECK (unknown IN (0, 1));
  UPDATE instance_outcomes SET unknown = 1 WHERE ok = 0 AND code IN ('Proxy.OutcomeUnknown', 'Console.NoResult');
  ALTER TABLE instance_outcomes ADD COLUMN reconciled_at INTEGER;
  ALTER TABLE instance_outcomes ADD COLUMN reconciled_key_pair TEXT;
  ALTER TABLE instance_outcomes ADD COLUMN reconciled_attached INTEGER CHECK (reconciled_attached IN (0, 1));

  ALTER TABLE activation_state ADD COLUMN maybe_attach_seq INTEGER;  -- completion stamp of the latest unknown attach
  ALTER TABLE activation_state ADD COLUMN maybe_attach_operation_seq INTEGER REFERENCES operations (seq) ON DELETE CASCADE;
  INSERT INTO activation_state (region_id, instance_id, maybe_attach_seq, maybe_attach_operation_seq)
    SELECT o.region_id, io.instance_id, o.completed_seq, o.seq
    FROM instance_outcomes io JOIN operations o ON o.seq = io.operation_seq
    WHERE io.unknown = 1 AND o.action = 'AttachKeyPair' AND o.completed_seq IS NOT NULL
      AND (o.options_json IS NULL OR json_extract(o.options_json, '$.DryRun') IS NOT 1)
    ORDER BY o.completed_seq
  ON CONFLICT (region_id, instance_id) DO UPDATE SET
    maybe_attach_seq = excluded.maybe_attach_seq, maybe_attach_operation_seq = excluded.maybe_attach_operation_seq;
  `,
  // Runs (docs/product.md#step-7-activation): an attach or activation executed by the proxy. The run's record
  // and its per-instance rows are JSON documents (shaped by ecs/runs-api.ts) next to the columns the queries
  // filter on; `run_events` is the live feed, its seq the Server-Sent Events id. An operation a run sent names
  // the run, so the activity trail links to it.
  `
  ALTER TABLE operations ADD COLUMN run_id TEXT;
  CREATE INDEX operations_by_run ON operations (run_id) WHERE run_id IS NOT NULL;

  CREATE TABLE runs (
    id            TEXT    PRIMARY KEY,
    created_at    INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    region_id     TEXT    NOT NULL,
    key_pair_name TEXT,
    state         TEXT    NOT NULL,
    doc_json      TEXT    NOT NULL
  );
  CREATE INDEX runs_by_created ON runs (created_at);

  CREATE TABLE run_instances (
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    instance_id TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    doc_json    TEXT    NOT NULL,
    PRIMARY KEY (run_id, position)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX run_instances_by_id ON run_instances (run_id, instance_id);
  CREATE INDEX run_instances_by_state ON run_instances (run_id, state, position);

  CREATE TABLE run_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    user_name TEXT,
    detail  TEXT
  );
  CREATE INDEX run_events_by_run ON run_events (run_id, seq);
  `,
];

/** The schema this code reads and writes (`PRAGMA user_version`). */
export const AUDIT_SCHEMA_VERSION = MIGRATIONS.length;
/** The migration steps, so a test can build a database as an older proxy left it. */
export const AUDIT_MIGRATIONS: readonly string[] = MIGRATIONS;

/** Brings the schema up to date, one step per immediate transaction; refuses a schema newer than this code. */
export function migrate(db: Database.Database): void {
  const step = db.transaction(() => {
    // Read inside the (immediate) transaction: two processes opening at once migrate one after the other.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new AuditUnavailableError(
        `audit database schema version ${version} is newer than this proxy understands (${AUDIT_SCHEMA_VERSION}); refusing to touch it`,
      );
    }
    const next = MIGRATIONS[version];
    if (next === undefined) return false;
    db.exec(next);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  while (step.immediate()) {
    // One migration per transaction until the schema is current.
  }
}
