import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { all, describeAuditStore, hz, intent, ok, outcome, pendingIds, reading, run, unknown } from './contract.test-suite';
import { AuditUnavailableError } from './errors';
import { AUDIT_MIGRATIONS, AUDIT_SCHEMA_VERSION } from './migrations';
import { UNKNOWN_OUTCOME_MESSAGE } from './pending';
import { openSqliteAuditStore } from './sqlite-store';
import type { AuditStore } from './types';

const here = dirname(fileURLToPath(import.meta.url));

let dir: string;
let stores: AuditStore[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-test-'));
  stores = [];
});

afterEach(() => {
  for (const store of stores) store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(path = join(dir, 'audit.db'), options?: Parameters<typeof openSqliteAuditStore>[1]): AuditStore {
  const store = openSqliteAuditStore(path, options);
  stores.push(store);
  return store;
}

// Every store is a file of its own, like the proxy's, in the folder the hooks above make and remove; the
// scratch stores of the bulk tests live in memory.
let files = 0;
const pathOf = new WeakMap<AuditStore, string>();
describeAuditStore(
  'SQLite',
  () => {
    const path = join(dir, `store-${++files}.db`);
    const store = openSqliteAuditStore(path);
    pathOf.set(store, path);
    return store;
  },
  {
    openScratch: () => openSqliteAuditStore(':memory:'),
    // What a process killed mid-call leaves: intents it wrote under its own process token, never completed.
    // A test process has one token, so the dead process's is written in by hand.
    afterCrash: (store) => {
      const path = pathOf.get(store) ?? '';
      store.close();
      const raw = new Database(path);
      raw.prepare("UPDATE operations SET writer_process = 'a-dead-process' WHERE status = 'pending'").run();
      raw.close();
      return openSqliteAuditStore(path);
    },
  },
);

describe('intent and outcome', () => {
  it('survives closing and reopening the file', async () => {
    const path = join(dir, 'audit.db');
    const first = open(path);
    const id = await run(first, {}, [ok('i-a1'), ok('i-a2')]);
    first.close();

    const again = open(path);
    expect((await all(again)).map((r) => [r.id, r.status])).toEqual([[id, 'succeeded']]);
    expect((await again.pending('cn-hangzhou')).map((p) => p.InstanceId)).toEqual(['i-a1', 'i-a2']);
  });

  it('creates the folder of the database path, and the file readable by its owner only', async () => {
    const path = join(dir, 'nested', 'deeper', 'audit.db');
    const store = open(path);
    await run(store, {}, [ok('i-a1')]);
    expect(await all(store)).toHaveLength(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('when the audit cannot be written', () => {
  it('refuses when its folder was removed, instead of writing into a file nobody will read', async () => {
    const folder = join(dir, 'data');
    const store = open(join(folder, 'audit.db'));
    await run(store, {}, [ok('i-a1')]);
    rmSync(folder, { recursive: true, force: true });
    expect((await store.check()).ok).toBe(false);
    await expect(store.begin(intent())).rejects.toThrow(AuditUnavailableError);
  });

  it('refuses while another connection holds the write lock, writing nothing, and recovers after', async () => {
    const path = join(dir, 'audit.db');
    const store = open(path, { lockWaitMs: 20, checkLockWaitMs: 20 });
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(store.begin(intent())).rejects.toThrow(AuditUnavailableError);
      await expect(store.recordDenied(intent(), 'no')).rejects.toThrow(/held the database lock/);
      expect(await store.check()).toEqual({ ok: false, problem: 'the audit database is locked by another process' });
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(await all(store)).toEqual([]);
    expect(await store.check()).toEqual({ ok: true });
    await store.begin(intent());
    expect(await all(store)).toHaveLength(1);
  });

  it('waits for a held lock without blocking the event loop, and writes once the lock is released', async () => {
    const path = join(dir, 'audit.db');
    const store = open(path, { lockWaitMs: 2_000 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    let settled = false;
    const writing = store.begin(intent()).finally(() => (settled = true));
    // Timers keep firing on time while the write waits: the wait is asynchronous. (SQLite's busy_timeout
    // would hold the thread in its own sleep and these 10 ms timers would all fire late, at once.)
    const lags: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 10));
      lags.push(performance.now() - before - 10);
    }
    expect(settled).toBe(false);
    expect(Math.max(...lags)).toBeLessThan(50);
    // Reads do not need the write lock under WAL: they answer meanwhile.
    expect(await store.list({})).toEqual({ items: [], nextCursor: null });
    other.exec('ROLLBACK');
    other.close();
    const id = await writing;
    expect((await all(store)).map((r) => r.id)).toEqual([id]);
  });

  it('says so when the disk is short of space or refuses new data', async () => {
    const path = join(dir, 'audit.db');
    // Probes that overlap share one check, so they do not trip over each other's probe file.
    const healthy = open(path);
    expect(await Promise.all([healthy.check(), healthy.check(), healthy.check()])).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    // Free space: a threshold no disk meets stands in for a full one.
    const short = await open(path, { minFreeBytes: Number.MAX_SAFE_INTEGER }).check();
    expect(short.ok).toBe(false);
    expect(short.ok ? '' : short.problem).toMatch(/^the audit disk has less than \d+ MiB free$/);
    // A write that needs new space fails (here: the probe's path is taken by a folder), although the database
    // itself still takes a rolled-back write.
    const store = open(path, { minFreeBytes: 0 });
    mkdirSync(`${path}.readyz-probe`);
    expect(await store.check()).toEqual({ ok: false, problem: 'the audit disk does not accept new data' });
    rmSync(`${path}.readyz-probe`, { recursive: true });
    expect(await store.check()).toEqual({ ok: true });
    expect(existsSync(`${path}.readyz-probe`)).toBe(false);
  });

  it('fails to open where no database can be created', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    expect(() => openSqliteAuditStore(join(blocker, 'audit.db'))).toThrow(AuditUnavailableError);
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not an SQLite database, and it is long enough to have a header'.repeat(20));
    expect(() => openSqliteAuditStore(garbage)).toThrow(AuditUnavailableError);
  });

  it('refuses a database written by a newer version of the proxy', () => {
    const path = join(dir, 'audit.db');
    open(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${AUDIT_SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openSqliteAuditStore(path)).toThrow(/newer/);
  });
});

describe('crash survival', () => {
  it('keeps an intent whose process was killed, and marks it unknown on the next open', async () => {
    const path = join(dir, 'audit.db');
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'crash.fixture.ts'), path], {
      cwd: join(here, '..', '..'),
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(child.stderr).toBe('');
    expect(child.signal).toBe('SIGKILL');
    const { finished, inFlight } = JSON.parse(child.stdout) as { finished: string; inFlight: string };

    const store = open(path);
    const byId = new Map((await all(store)).map((r) => [r.id, r]));
    expect(byId.get(finished)).toMatchObject({ status: 'succeeded', instances: [ok('i-crash1'), ok('i-crash2')] });
    expect(byId.get(inFlight)).toMatchObject({
      action: 'RebootInstances',
      user: 'crash-fixture',
      instanceIds: ['i-crash1', 'i-crash2'],
      status: 'unknown',
      errorMessage: UNKNOWN_OUTCOME_MESSAGE,
      instances: [
        { InstanceId: 'i-crash1', ok: false, Code: 'Proxy.OutcomeUnknown', Message: UNKNOWN_OUTCOME_MESSAGE, unknown: true },
        { InstanceId: 'i-crash2', ok: false, Code: 'Proxy.OutcomeUnknown', Message: UNKNOWN_OUTCOME_MESSAGE, unknown: true },
      ],
    });
    expect(byId.get(inFlight)?.completedAt).toBeUndefined();
    // A reboot of unknown outcome does not count: the key may not be active yet.
    expect((await store.pending('cn-hangzhou')).map((p) => p.InstanceId)).toEqual(['i-crash1', 'i-crash2']);
  });

  it('never marks intents that this process is still working on', async () => {
    const path = join(dir, 'audit.db');
    const first = open(path);
    const id = await first.begin(intent());
    open(path, { now: () => 1_000_000 });
    expect(await all(first)).toEqual([expect.objectContaining({ id, status: 'pending' })]);
    await first.complete(id, outcome([ok('i-a1')]));
    expect((await all(first))[0]?.status).toBe('succeeded');
  });

  it('sets up the schema version and WAL on a new file', () => {
    const path = join(dir, 'audit.db');
    open(path);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(AUDIT_SCHEMA_VERSION);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });
});

describe('input', () => {
  it('has no column that could hold a credential', () => {
    const path = join(dir, 'audit.db');
    open(path);
    const raw = new Database(path, { readonly: true });
    try {
      const tables = raw.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all();
      const columns = Object.fromEntries(
        tables.map(({ name }) => [
          name,
          raw
            .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`)
            .all()
            .map((c) => c.name),
        ]),
      );
      expect(columns).toEqual({
        activation_state: [
          'region_id',
          'instance_id',
          'attach_seq',
          'attach_operation_seq',
          'activate_seq',
          'maybe_attach_seq',
          'maybe_attach_operation_seq',
        ],
        event_clock: ['id', 'value'],
        instance_outcomes: [
          'operation_seq',
          'position',
          'instance_id',
          'ok',
          'code',
          'message',
          'unknown',
          'reconciled_at',
          'reconciled_key_pair',
          'reconciled_attached',
        ],
        operation_targets: ['operation_seq', 'position', 'instance_id'],
        operations: [
          'seq',
          'id',
          'at',
          'user_name',
          'email',
          'groups_json',
          'client_address',
          'action',
          'region_id',
          'key_pair_name',
          'options_json',
          'status',
          'completed_seq',
          'completed_at',
          'http_status',
          'request_id',
          'error_code',
          'error_message',
          'duration_ms',
          'writer_process',
          'run_id',
        ],
        run_events: ['seq', 'run_id', 'at', 'kind', 'user_name', 'detail'],
        run_instances: ['run_id', 'position', 'instance_id', 'state', 'doc_json'],
        runs: ['id', 'created_at', 'created_by', 'region_id', 'key_pair_name', 'state', 'doc_json'],
        sqlite_sequence: ['name', 'seq'],
      });
      const names = Object.values(columns).flat().join(' ');
      expect(names).not.toMatch(/secret|passw|token|signature|credential|access_?key|authoriz|cookie/i);
    } finally {
      raw.close();
    }
  });
});

describe('outcomes that are not known', () => {
  it('turns a reconciled "attached" into pending activation, durably', async () => {
    const path = join(dir, 'audit.db');
    const store = open(path);
    const attach = await run(store, { instanceIds: ['i-a1', 'i-a2', 'i-a3'] }, [unknown('i-a1'), unknown('i-a2'), ok('i-a3')], {
      status: 'partial',
      at: 110,
    });
    await store.reconcile(attach, [reading('i-a1', 'team-key', true), reading('i-a2', 'old-key', false)]);
    store.close();

    const again = open(path);
    expect(await again.pending(hz)).toEqual([
      { InstanceId: 'i-a1', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach },
      { InstanceId: 'i-a3', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach },
    ]);
    expect((await all(again))[0]?.instances).toEqual([
      { ...unknown('i-a1'), reconciled: { at: 2_000, KeyPairName: 'team-key', attached: true } },
      { ...unknown('i-a2'), reconciled: { at: 2_000, KeyPairName: 'old-key', attached: false } },
      ok('i-a3'),
    ]);
    // Pending from a reconciled attach is cleared like any other.
    await run(again, { action: 'RebootInstance', instanceIds: ['i-a1'] }, [ok('i-a1')]);
    expect(await pendingIds(again)).toEqual(['i-a3']);
  });

  it('lists an attach whose process died before its outcome as "may be pending", until a later reboot', async () => {
    const path = join(dir, 'audit.db');
    const first = open(path);
    const id = await first.begin(intent({ instanceIds: ['i-a1'] }));
    first.close();
    // As if another process had written the intent and then been killed.
    const raw = new Database(path);
    raw.prepare("UPDATE operations SET writer_process = 'a-dead-process'").run();
    raw.close();

    const again = open(path, { now: () => 1_000_000 });
    expect((await all(again))[0]).toMatchObject({ id, status: 'unknown', errorMessage: UNKNOWN_OUTCOME_MESSAGE });
    expect((await again.pending(hz)).map((p) => [p.InstanceId, p.operationId, p.mayBePending])).toEqual([['i-a1', id, true]]);
    again.close();
    // Opening again does not mark it afresh: a reboot requested after the recovery clears it for good.
    const third = open(path, { now: () => 2_000_000 });
    await run(third, { action: 'RebootInstance', instanceIds: ['i-a1'] }, [ok('i-a1')]);
    third.close();
    expect(await open(path, { now: () => 3_000_000 }).pending(hz)).toEqual([]);
  });

  it('carries unknown outcomes of an older database over when it is migrated', async () => {
    const path = join(dir, 'audit.db');
    const old = new Database(path);
    old.exec(AUDIT_MIGRATIONS[0] ?? '');
    old.pragma('user_version = 1');
    old.exec(`
      UPDATE event_clock SET value = 2;
      INSERT INTO operations (seq, id, at, user_name, groups_json, client_address, action, region_id, key_pair_name, status,
        completed_seq, completed_at, writer_process)
      VALUES (1, 'op-old', 100, 'alice', '[]', '10.0.0.7', 'AttachKeyPair', 'cn-hangzhou', 'team-key', 'unknown', 2, 110, 'old');
      INSERT INTO operation_targets VALUES (1, 0, 'i-a1'), (1, 1, 'i-a2');
      INSERT INTO instance_outcomes VALUES (1, 0, 'i-a1', 0, 'Proxy.OutcomeUnknown', 'no answer'),
        (1, 1, 'i-a2', 0, 'InvalidKeyPairName.NotFound', NULL);
    `);
    old.close();

    const store = open(path);
    expect((await all(store))[0]?.instances.map((i) => [i.InstanceId, i.unknown])).toEqual([
      ['i-a1', true],
      ['i-a2', undefined],
    ]);
    expect((await store.pending(hz)).map((p) => [p.InstanceId, p.operationId, p.mayBePending])).toEqual([['i-a1', 'op-old', true]]);
  });
});
