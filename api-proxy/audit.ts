import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open as openFile, statfs, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { InstanceId, KeyPairName, RegionId, isActionName } from '../ecs/contract';
import type { ActionName } from '../ecs/contract';
import type { ActivityPage, ActivityQuery, ActivityRecord, InstanceOutcome, OperationStatus, PendingActivation } from '../ecs/console-api';
import { instanceVerdict } from '../ecs/outcomes';

// The shapes the store returns are the console API's (ecs/console-api.ts), so the web app reads exactly these.
export type { ActivityPage, ActivityQuery, ActivityRecord, InstanceOutcome, OperationStatus, PendingActivation };

/**
 * The durable audit trail (PRODUCT.md safety rules: "Every mutating call is audited before and after,
 * durably; if the audit cannot be written, the action is refused") and the pending-activation memory
 * (PRODUCT.md flow steps 8 and 9), in one SQLite file through better-sqlite3.
 *
 * Why SQLite: the proxy runs as one process (PostgreSQL is for the several-replica future, PRODUCT.md "Beyond
 * the first release"). Each write is one synchronous better-sqlite3 transaction, so `begin()` resolves only
 * once the intent is committed and fsynced — there is no window in which ECS is called before the audit exists.
 *
 * Why the methods are asynchronous all the same: the one thing that can take long is waiting for another
 * connection's lock (a backup, `sqlite3` in a shell, a second proxy on the same file). SQLite's own
 * busy_timeout waits by sleeping inside the call, i.e. on the event loop, and froze every request of the
 * proxy for the whole wait. So the connection never waits (busy_timeout = 0): a write that finds the lock
 * taken gives it up at once and is tried again after a short asynchronous sleep, until the same deadline as
 * before (`lockWaitMs`, 5 s). Other requests run in between. The alternatives weighed (a worker thread) are in
 * docs/decisions/audit-store.md.
 *
 * Shape of the data:
 * - `operations`: one row per audited call — the intent (who, when, what), then its outcome.
 * - `operation_targets`: the instance IDs the call named, indexed by instance for the activity filter.
 * - `instance_outcomes`: what ECS said per instance (ecs-api.md §0.3, §6.3: calls partly succeed).
 * - `activation_state`: per (region, instance), the latest successful attach and the latest successful
 *   reboot/start, kept in the same transaction as the outcome, so `pending()` reads one small range instead
 *   of folding the whole history (it stays fast with 100k operations).
 * - `event_clock`: one counter that stamps every begin and every completion. Pending activation compares
 *   these stamps rather than wall-clock times, which can tie (same millisecond, fake clocks in tests) or step
 *   backwards (NTP).
 *
 * No side effects at import: nothing happens until `openAuditStore` is called.
 */

// ---------------------------------------------------------------------------------------------------------
// Public types

export interface AuditIntent {
  /** ms since the epoch. */
  at: number;
  user: string;
  email?: string;
  groups: string[];
  clientAddress: string;
  action: ActionName;
  regionId: string;
  keyPairName?: string;
  instanceIds: string[];
  /** e.g. ForceReboot, BatchOptimization, DryRun; never secrets (option names that look like one are refused). */
  options?: Record<string, string | number | boolean>;
}



export interface AuditOutcome {
  at: number;
  status: Exclude<OperationStatus, 'pending' | 'denied'>;
  httpStatus?: number;
  /** ECS RequestId. */
  requestId?: string;
  errorCode?: string;
  errorMessage?: string;
  durationMs: number;
  /** One per instance when known. */
  instances: InstanceOutcome[];
}


/** What reading an instance back found after an AttachKeyPair whose outcome was unknown for it. */
export interface AuditReconciliation {
  InstanceId: string;
  /** When the instance was read (ms since the epoch). */
  at: number;
  /** As ECS reported it; empty when the instance has no key pair. */
  KeyPairName: string;
  /** The instance carries the key pair the attach asked for. */
  attached: boolean;
}

/** The audit trail cannot be read or written; the caller must refuse the action (PRODUCT.md safety rules). */
export class AuditUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditUnavailableError';
  }
}

/** What `check()` found: writable, or the first problem in words fit for a readiness answer (no paths). */
export type AuditCheck = { ok: true } | { ok: false; problem: string };

/**
 * Every method that touches the database returns a promise: a lock held elsewhere is waited out without
 * blocking the event loop (see above). Bad input rejects with a TypeError whose message starts "audit:";
 * a database that cannot be used rejects with AuditUnavailableError.
 */
export interface AuditStore {
  /** Resolves with the operation id once the intent is durably written; rejects with AuditUnavailableError if it cannot be by the deadline. */
  begin(intent: AuditIntent): Promise<string>;
  /** Records the outcome; rejects with AuditUnavailableError on failure (the action already happened: log it). */
  complete(id: string, outcome: AuditOutcome): Promise<void>;
  /** A refused action is audited too. */
  recordDenied(intent: AuditIntent, reason: string): Promise<void>;
  /**
   * Records what reading the instances back found after a completed AttachKeyPair, for instances whose outcome
   * was unknown; each instance is reconciled at most once. An attached one becomes pending activation, one that
   * is not attached stops being "may be pending".
   */
  reconcile(id: string, readings: readonly AuditReconciliation[]): Promise<void>;
  /** Newest first, keyset pagination on (at, begin order): stable while new operations are written. */
  list(query: ActivityQuery): Promise<ActivityPage>;
  /** Instances of the region whose attached key pair awaits a reboot or start (PRODUCT.md step 8). */
  pending(regionId: string): Promise<PendingActivation[]>;
  /**
   * Readiness: the file is still where it was opened, the write lock can be taken, the disk has at least
   * `minFreeBytes` free, and a write that needs new space (a probe file beside the database, fsynced and
   * removed) succeeds.
   */
  check(): Promise<AuditCheck>;
  close(): void;
}

export interface AuditStoreOptions {
  /** Clock for the crash-recovery cutoff; defaults to Date.now. */
  now?: () => number;
  /** How long a call waits for a lock held by another connection before failing; default 5000 ms. */
  lockWaitMs?: number;
  /** How long `check()` waits for the lock; default 1000 ms (a readiness probe must answer quickly). */
  checkLockWaitMs?: number;
  /** `check()` fails below this much free space on the database's file system; default 64 MiB. */
  minFreeBytes?: number;
}

export const DEFAULT_LOCK_WAIT_MS = 5000;
export const DEFAULT_CHECK_LOCK_WAIT_MS = 1000;
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Limits and fixed texts

/** Defence in depth: the proxy validates first; these only stop absurd values from becoming records. */
export const AUDIT_LIMITS = {
  /** UTF-8 bytes of any single identifier or name. */
  textBytes: 1024,
  instances: 1000,
  groups: 1000,
  options: 32,
  pageSizeDefault: 50,
  pageSizeMax: 200,
} as const;

/** The errorMessage of an operation whose process died between intent and outcome. */
export const UNKNOWN_OUTCOME_MESSAGE = 'proxy stopped before the outcome was known';

/** A successful one of these, after an attach, makes the new key pair take effect (ecs-api.md §0.4). */
const ACTIVATING_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'RebootInstance',
  'RebootInstances',
  'StartInstance',
  'StartInstances',
]);

/**
 * Option names that could only carry a credential. The intent type has no place for secrets; this catches a
 * caller that copies request parameters into `options` wholesale (ecs-api.md §11: never forward credentials).
 */
const SECRET_LIKE_NAME = /secret|passw|token|signature|credential|access.?key|private.?key|authoriz|cookie/i;

// ---------------------------------------------------------------------------------------------------------
// Schema and migrations

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
];

/** The schema this code reads and writes (`PRAGMA user_version`). */
export const AUDIT_SCHEMA_VERSION = MIGRATIONS.length;
/** The migration steps, so a test can build a database as an older proxy left it. */
export const AUDIT_MIGRATIONS: readonly string[] = MIGRATIONS;

// ---------------------------------------------------------------------------------------------------------
// Input validation (defence in depth: the proxy validates with the contract first)

function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

function requireText(field: string, value: unknown, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new TypeError(`audit: ${field} must be a string`);
  if (!allowEmpty && value.length === 0) throw new TypeError(`audit: ${field} must not be empty`);
  if (byteLength(value) > AUDIT_LIMITS.textBytes) {
    throw new TypeError(`audit: ${field} is longer than ${AUDIT_LIMITS.textBytes} bytes`);
  }
  return value;
}

function optionalText(field: string, value: unknown): string | undefined {
  return value === undefined ? undefined : requireText(field, value, { allowEmpty: true });
}

/**
 * Free text is cut to the size limit instead of refused. What ECS wrote (error and per-instance messages;
 * SignatureDoesNotMatch quotes the whole string-to-sign) arrives after the action happened, and losing its
 * record would be worse than keeping the first KiB. What the caller brought (user, e-mail, groups, client
 * address, option values, a denial's reason) must not turn a valid call into a refusal either: one odd header
 * would otherwise make the audit "unavailable" for that user, and a refused call would leave no record at all.
 * A clipped value ends in "…" so a reader can tell.
 */
const CLIP_MARK = '…';

function clip(value: string): string {
  if (byteLength(value) <= AUDIT_LIMITS.textBytes) return value;
  const budget = AUDIT_LIMITS.textBytes - byteLength(CLIP_MARK);
  let used = 0;
  let out = '';
  for (const char of value) {
    const size = byteLength(char);
    if (used + size > budget) break;
    used += size;
    out += char;
  }
  return out + CLIP_MARK;
}

/** A string, clipped to the limit; still refused when it is not a string or (unless allowed) empty. */
function clippedText(field: string, value: unknown, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new TypeError(`audit: ${field} must be a string`);
  if (!allowEmpty && value.length === 0) throw new TypeError(`audit: ${field} must not be empty`);
  return clip(value);
}

function optionalClippedText(field: string, value: unknown): string | undefined {
  return value === undefined ? undefined : clippedText(field, value, { allowEmpty: true });
}

function requireTime(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`audit: ${field} must be a non-negative integer (ms since the epoch)`);
  }
  return value;
}

function requireList(field: string, value: unknown, max: number): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`audit: ${field} must be an array`);
  if (value.length > max) throw new TypeError(`audit: ${field} has more than ${max} entries`);
  return value;
}

/**
 * The caller's groups, at most the limit: past it, the last kept entry says how many were left out, so the
 * record stays honest about being incomplete instead of refusing the call.
 */
function clippedList(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new TypeError('audit: groups must be an array');
  if (value.length <= AUDIT_LIMITS.groups) return value;
  const kept: unknown[] = value.slice(0, AUDIT_LIMITS.groups - 1);
  kept.push(`${CLIP_MARK} ${value.length - kept.length} more`);
  return kept;
}

function contractField(field: string, schema: { safeParse(v: unknown): { success: boolean } }, value: unknown): string {
  const text = requireText(field, value);
  if (!schema.safeParse(text).success) throw new TypeError(`audit: ${field} "${text.slice(0, 80)}" is not valid`);
  return text;
}

interface CleanIntent {
  at: number;
  user: string;
  email: string | undefined;
  groupsJson: string;
  clientAddress: string;
  action: ActionName;
  regionId: string;
  keyPairName: string | undefined;
  instanceIds: string[];
  optionsJson: string | undefined;
}

function validateIntent(intent: AuditIntent, kind: 'intent' | 'denial' = 'intent'): CleanIntent {
  if (typeof intent !== 'object' || intent === null) throw new TypeError('audit: the intent must be an object');
  const action: unknown = intent.action;
  if (typeof action !== 'string' || !isActionName(action)) {
    throw new TypeError(`audit: action "${String(action).slice(0, 80)}" is not an action of the ECS contract`);
  }
  const groups = clippedList(intent.groups).map((g, i) => clippedText(`groups[${i}]`, g, { allowEmpty: true }));
  if (action === 'AttachKeyPair' && intent.keyPairName === undefined && kind === 'intent') {
    // Pending activation names the key pair that awaits a reboot; an attach without one is not a record.
    // A refusal never becomes pending, and one refused for a bad key pair name has no valid name to keep.
    throw new TypeError('audit: an AttachKeyPair intent needs its keyPairName');
  }
  const instanceIds = requireList('instanceIds', intent.instanceIds, AUDIT_LIMITS.instances).map((id, i) =>
    contractField(`instanceIds[${i}]`, InstanceId, id),
  );
  return {
    at: requireTime('at', intent.at),
    user: clippedText('user', intent.user),
    email: optionalClippedText('email', intent.email),
    groupsJson: JSON.stringify(groups),
    // Empty is kept too: a caller whose address is unknown (a socket already gone) is still audited.
    clientAddress: clippedText('clientAddress', intent.clientAddress, { allowEmpty: true }),
    action,
    regionId: contractField('regionId', RegionId, intent.regionId),
    keyPairName: intent.keyPairName === undefined ? undefined : contractField('keyPairName', KeyPairName, intent.keyPairName),
    instanceIds,
    optionsJson: validateOptions(intent.options),
  };
}

function validateOptions(options: unknown): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('audit: options must be a plain object');
  }
  const entries = Object.entries(options);
  if (entries.length > AUDIT_LIMITS.options) throw new TypeError(`audit: more than ${AUDIT_LIMITS.options} options`);
  const clean: Record<string, string | number | boolean> = {};
  for (const [name, value] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) throw new TypeError(`audit: option name "${name.slice(0, 80)}" is not valid`);
    if (SECRET_LIKE_NAME.test(name)) throw new TypeError(`audit: option "${name}" looks like a secret and is never stored`);
    if (typeof value === 'string') clean[name] = clippedText(`options.${name}`, value, { allowEmpty: true });
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TypeError(`audit: option "${name}" must be a finite number`);
      clean[name] = value;
    } else if (typeof value === 'boolean') clean[name] = value;
    else throw new TypeError(`audit: option "${name}" must be a string, number or boolean`);
  }
  return JSON.stringify(clean);
}

const OUTCOME_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'partial', 'failed', 'unknown']);
const ALL_STATUSES: ReadonlySet<string> = new Set(['pending', 'succeeded', 'partial', 'failed', 'unknown', 'denied']);

interface CleanOutcome {
  at: number;
  status: string;
  httpStatus: number | undefined;
  requestId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  durationMs: number;
  instances: { instanceId: string; ok: boolean; unknown: boolean; code: string; message: string | undefined }[];
}

function validateOutcome(outcome: AuditOutcome): CleanOutcome {
  if (typeof outcome !== 'object' || outcome === null) throw new TypeError('audit: the outcome must be an object');
  if (!OUTCOME_STATUSES.has(outcome.status)) throw new TypeError(`audit: outcome status "${String(outcome.status)}" is not valid`);
  const { httpStatus, durationMs } = outcome;
  if (httpStatus !== undefined && (!Number.isInteger(httpStatus) || httpStatus < 100 || httpStatus > 599)) {
    throw new TypeError('audit: httpStatus must be an HTTP status code');
  }
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw new TypeError('audit: durationMs must be a non-negative number');
  }
  const instances = requireList('instances', outcome.instances, AUDIT_LIMITS.instances).map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw new TypeError(`audit: instances[${i}] must be an object`);
    const item = raw as Partial<InstanceOutcome>;
    if (typeof item.ok !== 'boolean') throw new TypeError(`audit: instances[${i}].ok must be a boolean`);
    return {
      // As ECS reported it (possibly odd, e.g. "i-TestID" in ecs-api.md §6.3): recorded, but only a valid
      // instance ID can become a pending activation.
      instanceId: clippedText(`instances[${i}].InstanceId`, item.InstanceId, { allowEmpty: true }),
      ok: item.ok,
      // The one outcome rule (ecs/outcomes.ts) decides; the flag alone would miss codes that mean "unknown".
      unknown: instanceVerdict({ ok: item.ok, Code: String(item.Code), unknown: item.unknown === true }) === 'unknown',
      code: clippedText(`instances[${i}].Code`, item.Code, { allowEmpty: true }),
      message: optionalClippedText(`instances[${i}].Message`, item.Message),
    };
  });
  return {
    at: requireTime('outcome at', outcome.at),
    status: outcome.status,
    httpStatus,
    requestId: optionalClippedText('requestId', outcome.requestId),
    errorCode: optionalClippedText('errorCode', outcome.errorCode),
    errorMessage: optionalClippedText('errorMessage', outcome.errorMessage),
    durationMs: Math.round(durationMs),
    instances,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Cursor: base64url of [at, seq], the keyset position of the last item returned.

function encodeCursor(at: number, seq: number): string {
  return Buffer.from(JSON.stringify([at, seq]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { at: number; seq: number } {
  const invalid = new TypeError('audit: invalid activity cursor');
  if (cursor.length > 128 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid;
  const [at, seq] = value as unknown[];
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(seq)) throw invalid;
  return { at: at as number, seq: seq as number };
}

// ---------------------------------------------------------------------------------------------------------
// Activity query

function buildListQuery(query: ActivityQuery): { where: string[]; params: Record<string, string | number>; limit: number } {
  if (typeof query !== 'object' || query === null) throw new TypeError('audit: the activity query must be an object');
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const user = optionalText('user filter', query.user);
  if (user !== undefined) {
    params['user'] = user;
    where.push('user_name = @user');
  }
  const regionId = optionalText('regionId filter', query.regionId);
  if (regionId !== undefined) {
    params['regionId'] = regionId;
    where.push('region_id = @regionId');
  }
  const instanceId = optionalText('instanceId filter', query.instanceId);
  if (instanceId !== undefined) {
    // Matches what the call named, so pending, denied and unknown operations are found too.
    params['instanceId'] = instanceId;
    where.push('seq IN (SELECT operation_seq FROM operation_targets WHERE instance_id = @instanceId)');
  }
  if (query.action !== undefined) {
    if (typeof query.action !== 'string' || !isActionName(query.action)) {
      throw new TypeError('audit: action filter is not an action of the ECS contract');
    }
    params['action'] = query.action;
    where.push('action = @action');
  }
  if (query.status !== undefined) {
    if (!ALL_STATUSES.has(query.status)) throw new TypeError('audit: status filter is not an operation status');
    params['status'] = query.status;
    where.push('status = @status');
  }
  if (query.from !== undefined) {
    params['from'] = requireTime('from', query.from);
    where.push('at >= @from');
  }
  if (query.to !== undefined) {
    params['to'] = requireTime('to', query.to);
    where.push('at <= @to');
  }
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') throw new TypeError('audit: invalid activity cursor');
    const position = decodeCursor(query.cursor);
    params['cursorAt'] = position.at;
    params['cursorSeq'] = position.seq;
    // Strictly after the last item returned, in (at, seq) order: rows written since sort elsewhere or later,
    // so pages neither repeat nor skip while new operations come in.
    where.push('(at, seq) < (@cursorAt, @cursorSeq)');
  }
  let limit: number = AUDIT_LIMITS.pageSizeDefault;
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1) throw new TypeError('audit: limit must be a positive integer');
    limit = Math.min(query.limit, AUDIT_LIMITS.pageSizeMax);
  }
  return { where, params, limit };
}

function groupBySeq<R extends { operation_seq: number }, T>(rows: R[], map: (row: R) => T): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.operation_seq);
    if (list === undefined) grouped.set(row.operation_seq, [map(row)]);
    else list.push(map(row));
  }
  return grouped;
}

// ---------------------------------------------------------------------------------------------------------
// Rows

interface OperationRow {
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
}

interface TargetRow {
  operation_seq: number;
  instance_id: string;
}

interface OutcomeRow {
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

interface OpenOperationRow {
  seq: number;
  action: string;
  region_id: string;
  options_json: string | null;
  completed_seq: number | null;
  status: string;
}

/** An instance's confirmed and its "may be" attach, each with the operation that made it. */
interface PendingRow {
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

function toRecord(row: OperationRow, instanceIds: string[], instances: InstanceOutcome[]): ActivityRecord {
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

// ---------------------------------------------------------------------------------------------------------
// Opening

/**
 * Identifies the current process in `operations.writer_process`, so crash recovery never touches intents
 * this process wrote itself (say, through a second store on the same file). Made on first open, not at import.
 */
let processToken: string | undefined;
function currentProcessToken(): string {
  processToken ??= randomUUID();
  return processToken;
}

function isDryRun(optionsJson: string | null): boolean {
  return optionsJson !== null && (JSON.parse(optionsJson) as Record<string, unknown>)['DryRun'] === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens (creating if needed) the audit database at `path` and brings its schema up to date. `':memory:'` gives
 * a private in-memory store for tests. Throws AuditUnavailableError if the file cannot be opened or migrated,
 * so the server fails at start-up rather than at the first action.
 */
export function openAuditStore(path: string, options: AuditStoreOptions = {}): AuditStore {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('audit: the database path must be a non-empty string');
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
    const store = new SqliteAuditStore(db, path, identity && { dev: identity.dev, ino: identity.ino }, now(), currentProcessToken(), settings);
    // From now on a step never sleeps inside SQLite: a held lock fails at once and is retried asynchronously
    // (SqliteAuditStore.withLockRetry), so a lock held elsewhere cannot freeze the event loop.
    db.pragma('busy_timeout = 0');
    return store;
  } catch (error) {
    db.close();
    if (error instanceof AuditUnavailableError) throw error;
    throw new AuditUnavailableError(`audit database ${path} cannot be prepared: ${messageOf(error)}`, { cause: error });
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`audit: ${name} must be a non-negative number`);
  return value;
}

function configure(db: Database.Database, busyTimeoutMs: number): void {
  // WAL: readers (the activity page, pending()) never block the writer, and a commit is one append to the
  // log. synchronous=FULL: every commit is fsynced before it returns — with NORMAL, WAL may lose the last
  // commits on power loss, i.e. an intent whose action ECS already carried out would vanish. Audit writes are
  // human-paced (a few per click), so the fsync costs nothing that matters (PRODUCT.md: audited "durably").
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // The file is data, not code: never run functions named by the schema itself.
  db.pragma('trusted_schema = OFF');
}

function migrate(db: Database.Database): void {
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

// ---------------------------------------------------------------------------------------------------------
// The store

const SELECT_OPERATION_COLUMNS = `seq, id, at, user_name, email, groups_json, client_address, action, region_id,
  key_pair_name, options_json, status, completed_at, http_status, request_id, error_code, error_message, duration_ms`;

function prepareStatements(db: Database.Database) {
  return {
    tick: db.prepare<[], { value: number }>('UPDATE event_clock SET value = value + 1 WHERE id = 1 RETURNING value'),
    probe: db.prepare('UPDATE event_clock SET value = value WHERE id = 1'),
    insertOperation: db.prepare(
      `INSERT INTO operations (seq, id, at, user_name, email, groups_json, client_address, action, region_id,
         key_pair_name, options_json, status, completed_seq, completed_at, error_message, writer_process)
       VALUES (@seq, @id, @at, @user, @email, @groups, @clientAddress, @action, @regionId,
         @keyPairName, @options, @status, @completedSeq, @completedAt, @errorMessage, @writer)`,
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
    recover: db.prepare<[string, string, number], RecoveredRow>(
      `UPDATE operations SET status = 'unknown', error_message = ?
       WHERE status = 'pending' AND writer_process <> ? AND at < ?
       RETURNING seq, action, region_id, options_json`,
    ),
    recoveredTargets: db.prepare<[number], { instance_id: string }>('SELECT instance_id FROM operation_targets WHERE operation_seq = ?'),
  };
}

/** Incompressible, so a compressing or deduplicating file system still has to find real blocks for them. */
let readyProbeBytes: Buffer | undefined;

/** SQLITE_BUSY and its extended codes: another connection holds a lock this step needs. */
function isLockBusy(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

interface StoreSettings {
  lockWaitMs: number;
  checkLockWaitMs: number;
  minFreeBytes: number;
}

class SqliteAuditStore implements AuditStore {
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly intentTx: Database.Transaction<(intent: CleanIntent, status: 'pending' | 'denied', reason: string | null) => string>;
  private readonly outcomeTx: Database.Transaction<(id: string, outcome: CleanOutcome) => void>;
  private readonly reconcileTx: Database.Transaction<(id: string, readings: readonly AuditReconciliation[]) => void>;
  /** The activity query's SQL depends on which filters are set; prepare each shape once. */
  private readonly listStatements = new Map<string, Database.Statement<Record<string, string | number>, OperationRow>>();

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly fileIdentity: { dev: number; ino: number } | undefined,
    openedAt: number,
    private readonly writerProcess: string,
    private readonly settings: StoreSettings,
  ) {
    const s = prepareStatements(db);
    this.statements = s;

    const nextSeq = (): number => {
      const row = s.tick.get();
      if (row === undefined) throw new Error('audit: the event clock row is missing');
      return row.value;
    };

    this.intentTx = db.transaction((intent: CleanIntent, status: 'pending' | 'denied', reason: string | null): string => {
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
        writer: this.writerProcess,
      });
      intent.instanceIds.forEach((instanceId, position) => s.insertTarget.run(seq, position, instanceId));
      return id;
    });

    this.outcomeTx = db.transaction((id: string, outcome: CleanOutcome): void => {
      const op = s.findOperation.get(id);
      if (op === undefined) throw new TypeError(`audit: no operation with id "${id.slice(0, 80)}"`);
      // Still open means never completed: a row that recovery marked 'unknown' may still get its real outcome
      // from a process that outlived the restart. Denials are final.
      if (op.completed_seq !== null || op.status === 'denied') {
        throw new TypeError(`audit: operation ${id} already has its outcome`);
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
      this.updateActivation(op, completedSeq, outcome);
    });

    this.reconcileTx = db.transaction((id: string, readings: readonly AuditReconciliation[]): void => {
      const op = s.findAttach.get(id);
      if (op === undefined) throw new TypeError(`audit: no operation with id "${id.slice(0, 80)}"`);
      if (op.action !== 'AttachKeyPair' || op.completed_seq === null) {
        throw new TypeError(`audit: operation ${id} is not a completed AttachKeyPair`);
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
        // The key pair landed as part of this attach, so it counts from the attach's completion like a confirmed one.
        if (reading.attached) s.markAttached.run(op.region_id, reading.InstanceId, op.completed_seq, op.seq);
        s.dropMaybeAttached.run(op.region_id, reading.InstanceId, op.seq);
      }
    });

    // Crash survival: an intent still 'pending' that an earlier process wrote before this store opened can no
    // longer get its outcome from that process. Say so rather than leave it looking in flight forever. An attach
    // among them may have happened, so its instances become "may be pending", stamped now: only a reboot or
    // start requested from here on can be known to come after it.
    const recoverTx = db.transaction(() => {
      const recovered = s.recover.all(UNKNOWN_OUTCOME_MESSAGE, writerProcess, openedAt);
      for (const op of recovered) {
        if (op.action !== 'AttachKeyPair' || isDryRun(op.options_json)) continue;
        const stamp = nextSeq();
        for (const target of s.recoveredTargets.all(op.seq)) s.markMaybeAttached.run(op.region_id, target.instance_id, stamp, op.seq);
      }
    });
    this.guard('crash recovery', () => recoverTx.immediate());
  }

  /**
   * Pending activation (PRODUCT.md step 8), kept per (region, instance). An attach counts from the moment it
   * was confirmed (its completion stamp); a reboot/start counts from the moment it was requested (its begin
   * stamp). So only a reboot or start *requested after* ECS confirmed the attach clears it — one that was
   * already under way when the key landed may not have picked the key up, and forgetting a pending instance
   * is the failure this feature exists to prevent. Dry runs change nothing (ecs-api.md §6.3).
   */
  private updateActivation(op: OpenOperationRow, completedSeq: number, outcome: CleanOutcome): void {
    if (isDryRun(op.options_json)) return;
    const isAttach = op.action === 'AttachKeyPair';
    const isActivation = ACTIVATING_ACTIONS.has(op.action as ActionName);
    if (!isAttach && !isActivation) return;
    for (const item of outcome.instances) {
      if (!InstanceId.safeParse(item.instanceId).success) continue;
      // An attach that may have happened must not be forgotten; a reboot or start that may not have happened
      // must not clear anything.
      if (isAttach && item.unknown) this.statements.markMaybeAttached.run(op.region_id, item.instanceId, completedSeq, op.seq);
      if (!item.ok) continue;
      if (isAttach) this.statements.markAttached.run(op.region_id, item.instanceId, completedSeq, op.seq);
      else this.statements.markActivated.run(op.region_id, item.instanceId, op.seq);
    }
  }

  /** Runs a database step; any failure of the database (closed, locked, read-only, gone) becomes unavailability. */
  private guard<T>(what: string, step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof AuditUnavailableError) throw error;
      if (error instanceof TypeError && error.message.startsWith('audit:')) throw error;
      throw new AuditUnavailableError(`audit ${what} failed: ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * Runs one synchronous step (a whole transaction, so nothing is held between tries) and, while another
   * connection holds the lock, tries again after a short asynchronous sleep until `waitMs` have passed. The
   * event loop is free during every sleep; the step itself never waits, because busy_timeout is 0.
   */
  private async withLockRetry<T>(what: string, waitMs: number, step: () => T): Promise<T> {
    const deadline = performance.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return this.guard(what, step);
      } catch (error) {
        const left = deadline - performance.now();
        if (!isLockBusy(error) || left <= 0) {
          if (isLockBusy(error)) {
            throw new AuditUnavailableError(`audit ${what} failed: another connection held the database lock for ${waitMs} ms`, { cause: error });
          }
          throw error;
        }
        // 1, 2, 4 … ms up to 50 ms, with jitter so two waiting processes do not retry in lockstep.
        const pause = Math.min(50, 2 ** attempt) * (0.5 + Math.random() / 2);
        await sleep(Math.max(1, Math.min(pause, left)));
      }
    }
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

  async begin(intent: AuditIntent): Promise<string> {
    const clean = validateIntent(intent);
    return this.withLockRetry('intent write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      return this.intentTx.immediate(clean, 'pending', null);
    });
  }

  async complete(id: string, outcome: AuditOutcome): Promise<void> {
    requireText('operation id', id);
    const clean = validateOutcome(outcome);
    await this.withLockRetry('outcome write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      this.outcomeTx.immediate(id, clean);
    });
  }

  async recordDenied(intent: AuditIntent, reason: string): Promise<void> {
    const clean = validateIntent(intent, 'denial');
    const why = clippedText('reason', reason);
    await this.withLockRetry('denial write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      this.intentTx.immediate(clean, 'denied', why);
    });
  }

  async list(query: ActivityQuery): Promise<ActivityPage> {
    const { where, params, limit } = buildListQuery(query);
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
      const outcomes = groupBySeq(this.statements.outcomesOf.all(seqs), (o): InstanceOutcome => ({
        InstanceId: o.instance_id,
        ok: o.ok === 1,
        Code: o.code,
        ...(o.message === null ? {} : { Message: o.message }),
        ...(o.unknown === 1 ? { unknown: true } : {}),
        ...(o.reconciled_at === null
          ? {}
          : { reconciled: { at: o.reconciled_at, KeyPairName: o.reconciled_key_pair ?? '', attached: o.reconciled_attached === 1 } }),
      }));
      const items = page.map((row) => toRecord(row, targets.get(row.seq) ?? [], outcomes.get(row.seq) ?? []));
      const last = page[page.length - 1];
      return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.at, last.seq) : null };
    });
  }

  async pending(regionId: string): Promise<PendingActivation[]> {
    const region = requireText('regionId', regionId);
    return this.withLockRetry('pending read', this.settings.lockWaitMs, () =>
      this.statements.pending.all(region).flatMap((row): PendingActivation[] => {
        // The newer of the confirmed and the "may be" attach tells; the query kept only rows where one of them
        // is newer than the last activation, and if the newer one is not, the older one is not either.
        const isMaybe = row.maybe_attach_seq !== null && (row.attach_seq === null || row.maybe_attach_seq > row.attach_seq);
        const seq = isMaybe ? row.maybe_attach_seq : row.attach_seq;
        if (seq === null || (row.activate_seq !== null && seq <= row.activate_seq)) return [];
        const id = isMaybe ? row.m_id : row.id;
        if (id === null) return [];
        return [
          {
            InstanceId: row.instance_id,
            regionId: row.region_id,
            keyPairName: (isMaybe ? row.m_key_pair_name : row.key_pair_name) ?? '',
            user: (isMaybe ? row.m_user_name : row.user_name) ?? '',
            at: (isMaybe ? (row.m_completed_at ?? row.m_at) : (row.completed_at ?? row.at)) ?? 0,
            operationId: id,
            ...(isMaybe ? { mayBePending: true } : {}),
          },
        ];
      }),
    );
  }

  async reconcile(id: string, readings: readonly AuditReconciliation[]): Promise<void> {
    requireText('operation id', id);
    const clean = requireList('readings', readings, AUDIT_LIMITS.instances).map((raw, i): AuditReconciliation => {
      if (typeof raw !== 'object' || raw === null) throw new TypeError(`audit: readings[${i}] must be an object`);
      const reading = raw as Partial<AuditReconciliation>;
      if (typeof reading.attached !== 'boolean') throw new TypeError(`audit: readings[${i}].attached must be a boolean`);
      return {
        InstanceId: contractField(`readings[${i}].InstanceId`, InstanceId, reading.InstanceId),
        at: requireTime(`readings[${i}].at`, reading.at),
        KeyPairName: clippedText(`readings[${i}].KeyPairName`, reading.KeyPairName, { allowEmpty: true }),
        attached: reading.attached,
      };
    });
    await this.withLockRetry('reconciliation write', this.settings.lockWaitMs, () => {
      this.assertFileIntact();
      this.reconcileTx.immediate(id, clean);
    });
  }

  /** One check at a time: concurrent probes share it (and the probe file, which has a fixed name). */
  private checking: Promise<AuditCheck> | undefined;

  check(): Promise<AuditCheck> {
    this.checking ??= this.runCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async runCheck(): Promise<AuditCheck> {
    try {
      // A write inside a transaction that is rolled back: proves the write lock can be taken and the file is
      // not read-only, without changing anything. It needs no new space, hence the two checks after it.
      await this.withLockRetry('readiness check', this.settings.checkLockWaitMs, () => {
        this.assertFileIntact();
        this.db.exec('BEGIN IMMEDIATE');
        try {
          this.statements.probe.run();
        } finally {
          this.db.exec('ROLLBACK');
        }
      });
    } catch (error) {
      return { ok: false, problem: isLockBusy(error) ? 'the audit database is locked by another process' : 'the audit store is not writable' };
    }
    if (this.fileIdentity === undefined) return { ok: true };
    const folder = dirname(this.path);
    try {
      const fs = await statfs(folder);
      // bavail, not bfree: blocks reserved for root are not ours to count on.
      if (fs.bavail * fs.bsize < this.settings.minFreeBytes) {
        return { ok: false, problem: `the audit disk has less than ${Math.round(this.settings.minFreeBytes / (1024 * 1024))} MiB free` };
      }
    } catch {
      return { ok: false, problem: 'the free space of the audit disk cannot be read' };
    }
    // Free space as reported is not the whole story (quotas, a file system remounted read-only after an error):
    // write a few KiB of incompressible bytes beside the database, fsync them, and remove them again.
    const probe = `${this.path}.readyz-probe`;
    try {
      const handle = await openFile(probe, 'w', 0o600);
      try {
        await handle.write((readyProbeBytes ??= randomBytes(16 * 1024)));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await unlink(probe);
    } catch {
      await unlink(probe).catch(() => undefined);
      return { ok: false, problem: 'the audit disk does not accept new data' };
    }
    return { ok: true };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
