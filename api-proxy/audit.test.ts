import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { ActionName } from '../ecs/contract';
import {
  AUDIT_LIMITS,
  AUDIT_MIGRATIONS,
  AUDIT_SCHEMA_VERSION,
  AuditUnavailableError,
  UNKNOWN_OUTCOME_MESSAGE,
  openAuditStore,
} from './audit';
import type { AuditIntent, AuditOutcome, AuditStore, InstanceOutcome } from './audit';

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

function open(path = join(dir, 'audit.db'), options?: Parameters<typeof openAuditStore>[1]): AuditStore {
  const store = openAuditStore(path, options);
  stores.push(store);
  return store;
}

function intent(overrides: Partial<AuditIntent> = {}): AuditIntent {
  return {
    at: 1_000,
    user: 'alice',
    email: 'alice@example.com',
    groups: ['ops', 'sre'],
    clientAddress: '10.0.0.7',
    action: 'AttachKeyPair',
    regionId: 'cn-hangzhou',
    keyPairName: 'team-key',
    instanceIds: ['i-a1', 'i-a2'],
    ...overrides,
  };
}

const ok = (InstanceId: string): InstanceOutcome => ({ InstanceId, ok: true, Code: '200' });
const failed = (InstanceId: string, Code = 'IncorrectInstanceStatus'): InstanceOutcome => ({
  InstanceId,
  ok: false,
  Code,
  Message: 'The current status of the resource does not support this operation.',
});

function outcome(instances: InstanceOutcome[], overrides: Partial<AuditOutcome> = {}): AuditOutcome {
  const okCount = instances.filter((i) => i.ok).length;
  return {
    at: 1_100,
    status: okCount === instances.length ? 'succeeded' : okCount === 0 ? 'failed' : 'partial',
    httpStatus: 200,
    requestId: 'REQ-1',
    durationMs: 87,
    instances,
    ...overrides,
  };
}

/** begin + complete in one go. */
async function run(store: AuditStore, i: Partial<AuditIntent>, instances: InstanceOutcome[], o: Partial<AuditOutcome> = {}): Promise<string> {
  const id = await store.begin(intent(i));
  await store.complete(id, outcome(instances, o));
  return id;
}

async function all(store: AuditStore): Promise<Awaited<ReturnType<AuditStore['list']>>['items']> {
  return (await store.list({ limit: AUDIT_LIMITS.pageSizeMax })).items;
}

describe('intent and outcome', () => {
  it('keeps the intent as pending, then completes it with the outcome per instance', async () => {
    const store = open();
    const id = await store.begin(intent({ options: { BatchOptimization: 'SuccessFirst', ForceReboot: false } }));

    expect(await all(store)).toEqual([
      {
        id,
        at: 1_000,
        user: 'alice',
        email: 'alice@example.com',
        groups: ['ops', 'sre'],
        clientAddress: '10.0.0.7',
        action: 'AttachKeyPair',
        regionId: 'cn-hangzhou',
        keyPairName: 'team-key',
        instanceIds: ['i-a1', 'i-a2'],
        options: { BatchOptimization: 'SuccessFirst', ForceReboot: false },
        status: 'pending',
        instances: [],
      },
    ]);

    await store.complete(id, outcome([ok('i-a1'), failed('i-a2')], { errorCode: 'Partial', errorMessage: '1 of 2 failed' }));

    const [record] = await all(store);
    expect(record).toMatchObject({
      id,
      status: 'partial',
      completedAt: 1_100,
      httpStatus: 200,
      requestId: 'REQ-1',
      errorCode: 'Partial',
      errorMessage: '1 of 2 failed',
      durationMs: 87,
      instanceIds: ['i-a1', 'i-a2'],
      instances: [ok('i-a1'), failed('i-a2')],
    });
  });

  it('survives closing and reopening the file', async () => {
    const path = join(dir, 'audit.db');
    const first = open(path);
    const id = await run(first, {}, [ok('i-a1'), ok('i-a2')]);
    first.close();

    const again = open(path);
    expect((await all(again)).map((r) => [r.id, r.status])).toEqual([[id, 'succeeded']]);
    expect((await again.pending('cn-hangzhou')).map((p) => p.InstanceId)).toEqual(['i-a1', 'i-a2']);
  });

  it('refuses a second outcome for the same operation and an unknown id, changing nothing', async () => {
    const store = open();
    const id = await run(store, {}, [ok('i-a1'), ok('i-a2')]);
    await expect(store.complete(id, outcome([failed('i-a1')]))).rejects.toThrow(TypeError);
    await expect(store.complete('no-such-id', outcome([ok('i-a1')]))).rejects.toThrow(TypeError);
    expect((await all(store))[0]).toMatchObject({ status: 'succeeded', instances: [ok('i-a1'), ok('i-a2')] });
  });

  it('creates the folder of the database path, and the file readable by its owner only', async () => {
    const path = join(dir, 'nested', 'deeper', 'audit.db');
    const store = open(path);
    await run(store, {}, [ok('i-a1')]);
    expect(await all(store)).toHaveLength(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('records a refused action as denied, with the reason, and never as an attach', async () => {
    const store = open();
    await store.recordDenied(intent({ user: 'mallory', groups: ['viewers'] }), 'not permitted for the caller’s groups');

    expect(await all(store)).toEqual([
      expect.objectContaining({
        user: 'mallory',
        groups: ['viewers'],
        status: 'denied',
        errorMessage: 'not permitted for the caller’s groups',
        completedAt: 1_000,
        instanceIds: ['i-a1', 'i-a2'],
        instances: [],
      }),
    ]);
    expect((await store.list({ status: 'denied' })).items).toHaveLength(1);
    expect(await store.pending('cn-hangzhou')).toEqual([]);
    const [denied] = await all(store);
    await expect(store.complete(denied?.id ?? '', outcome([ok('i-a1')]))).rejects.toThrow(TypeError);
  });
});

describe('activity list', () => {
  async function seed(store: AuditStore): Promise<Record<string, string>> {
    return {
      attachAlice: await run(store, { at: 100, user: 'alice', instanceIds: ['i-a1', 'i-a2'] }, [ok('i-a1'), ok('i-a2')]),
      rebootBob: await run(
        store,
        { at: 200, user: 'bob', action: 'RebootInstances', keyPairName: undefined, instanceIds: ['i-a1'] },
        [failed('i-a1')],
      ),
      attachBeijing: await run(store, { at: 300, regionId: 'cn-beijing', instanceIds: ['i-b1'] }, [ok('i-b1')]),
      startPending: await store.begin(intent({ at: 400, user: 'bob', action: 'StartInstance', keyPairName: undefined, instanceIds: ['i-a2'] })),
    };
  }

  it('filters by user, action, region, instance, time range and status', async () => {
    const store = open();
    const ids = await seed(store);
    const query = async (q: Parameters<AuditStore['list']>[0]) => (await store.list(q)).items.map((r) => r.id);

    expect(await query({})).toEqual([ids.startPending, ids.attachBeijing, ids.rebootBob, ids.attachAlice]);
    expect(await query({ user: 'bob' })).toEqual([ids.startPending, ids.rebootBob]);
    expect(await query({ action: 'AttachKeyPair' })).toEqual([ids.attachBeijing, ids.attachAlice]);
    expect(await query({ regionId: 'cn-beijing' })).toEqual([ids.attachBeijing]);
    // The instance filter matches what the call named, so a pending call is found before it has an outcome.
    expect(await query({ instanceId: 'i-a2' })).toEqual([ids.startPending, ids.attachAlice]);
    expect(await query({ instanceId: 'i-a1' })).toEqual([ids.rebootBob, ids.attachAlice]);
    expect(await query({ from: 200, to: 300 })).toEqual([ids.attachBeijing, ids.rebootBob]);
    expect(await query({ from: 301 })).toEqual([ids.startPending]);
    expect(await query({ to: 99 })).toEqual([]);
    expect(await query({ status: 'failed' })).toEqual([ids.rebootBob]);
    expect(await query({ status: 'pending' })).toEqual([ids.startPending]);
    expect(await query({ user: 'alice', regionId: 'cn-hangzhou', action: 'AttachKeyPair', status: 'succeeded' })).toEqual([ids.attachAlice]);
    expect(await query({ user: 'nobody' })).toEqual([]);
  });

  it('pages newest first with no duplicates and no gaps while operations keep arriving', async () => {
    const store = open();
    // Several operations share a millisecond: the order among them must still be total and stable.
    const existing: string[] = [];
    for (let i = 0; i < 23; i++) existing.push(await store.begin(intent({ at: 1_000 + Math.floor(i / 3) })));
    const expected = [...existing].reverse();

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await store.list({ limit: 5, ...(cursor === undefined ? {} : { cursor }) });
      pages += 1;
      seen.push(...page.items.map((r) => r.id));
      const ats = page.items.map((r) => r.at);
      expect(ats).toEqual([...ats].sort((a, b) => b - a));
      // Writes between pages: a brand-new operation and one in the very millisecond of the last item shown.
      const last = page.items[page.items.length - 1];
      await store.begin(intent({ at: 5_000 + pages }));
      if (last) await store.begin(intent({ at: last.at }));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(expected);
  });

  it('defaults to 50 per page, caps at 200, and rejects a forged cursor', async () => {
    const store = open(':memory:');
    for (let i = 0; i < 205; i++) await store.begin(intent({ at: i }));
    expect((await store.list({})).items).toHaveLength(50);
    const capped = await store.list({ limit: 10_000 });
    expect(capped.items).toHaveLength(200);
    expect((await store.list({ cursor: capped.nextCursor ?? '' })).items.map((r) => r.at)).toEqual([4, 3, 2, 1, 0]);
    await expect(store.list({ cursor: 'not a cursor!' })).rejects.toThrow(TypeError);
    await expect(store.list({ cursor: Buffer.from('{"at":1}').toString('base64url') })).rejects.toThrow(TypeError);
    await expect(store.list({ limit: 0 })).rejects.toThrow(TypeError);
  });
});

describe('pending activation', () => {
  const hz = 'cn-hangzhou';
  const pendingIds = async (store: AuditStore, region = hz) => (await store.pending(region)).map((p) => p.InstanceId);

  it('marks an attached instance until a successful reboot or start, and again after a re-attach', async () => {
    const store = open();
    const attach = await run(store, { at: 100, instanceIds: ['i-a1', 'i-a2', 'i-a3'] }, [ok('i-a1'), ok('i-a2'), failed('i-a3')], { at: 110 });
    expect(await store.pending(hz)).toEqual([
      { InstanceId: 'i-a1', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach },
      { InstanceId: 'i-a2', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach },
    ]);

    // A reboot that failed for i-a1 leaves it pending; the one that succeeded for i-a2 clears it.
    await run(store, { at: 200, action: 'RebootInstances', instanceIds: ['i-a1', 'i-a2'] }, [failed('i-a1'), ok('i-a2')]);
    expect(await pendingIds(store)).toEqual(['i-a1']);

    await run(store, { at: 300, action: 'StartInstance', instanceIds: ['i-a1'] }, [ok('i-a1')]);
    expect(await pendingIds(store)).toEqual([]);

    const again = await run(store, { at: 400, user: 'bob', keyPairName: 'new-key', instanceIds: ['i-a2'] }, [ok('i-a2')], { at: 410 });
    expect(await store.pending(hz)).toEqual([
      { InstanceId: 'i-a2', regionId: hz, keyPairName: 'new-key', user: 'bob', at: 410, operationId: again },
    ]);
  });

  it('is cleared by every reboot and start action', async () => {
    const store = open();
    for (const action of ['RebootInstance', 'RebootInstances', 'StartInstance', 'StartInstances'] as const) {
      await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
      expect(await pendingIds(store)).toEqual(['i-a1']);
      await run(store, { action, instanceIds: ['i-a1'] }, [ok('i-a1')]);
      expect(await pendingIds(store), action).toEqual([]);
    }
  });

  it('keeps regions apart', async () => {
    const store = open();
    await run(store, { regionId: 'cn-beijing', instanceIds: ['i-a1'] }, [ok('i-a1')]);
    await run(store, { regionId: hz, instanceIds: ['i-a1'] }, [ok('i-a1')]);
    await run(store, { regionId: hz, action: 'RebootInstances', instanceIds: ['i-a1'] }, [ok('i-a1')]);
    expect(await pendingIds(store, hz)).toEqual([]);
    expect(await pendingIds(store, 'cn-beijing')).toEqual(['i-a1']);
  });

  it('is not cleared by a dry run, nor by a reboot requested before the attach was confirmed', async () => {
    const store = open();
    await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
    await run(store, { action: 'RebootInstances', instanceIds: ['i-a1'], options: { DryRun: true } }, [ok('i-a1')]);
    expect(await pendingIds(store)).toEqual(['i-a1']);

    // Reboot requested while the attach is still in flight: it may have restarted the instance before the key
    // landed, so the instance must stay marked.
    const attach = await store.begin(intent({ instanceIds: ['i-a2'] }));
    const reboot = await store.begin(intent({ action: 'RebootInstances', instanceIds: ['i-a2'] }));
    await store.complete(reboot, outcome([ok('i-a2')]));
    await store.complete(attach, outcome([ok('i-a2')]));
    expect(await pendingIds(store)).toEqual(['i-a1', 'i-a2']);
  });

  it('counts the latest requested reboot even when an earlier one completes last', async () => {
    const store = open();
    await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
    const earlier = await store.begin(intent({ action: 'RebootInstances', instanceIds: ['i-a1'] }));
    await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
    const later = await store.begin(intent({ action: 'RebootInstances', instanceIds: ['i-a1'] }));
    await store.complete(later, outcome([ok('i-a1')]));
    await store.complete(earlier, outcome([ok('i-a1')]));
    expect(await pendingIds(store)).toEqual([]);
  });

  it('agrees with a replay of the rule on random interleavings', async () => {
    const actions = ['AttachKeyPair', 'RebootInstance', 'RebootInstances', 'StartInstance', 'StartInstances'] as const;
    const regions = ['cn-hangzhou', 'cn-beijing'] as const;
    const instances = ['i-p1', 'i-p2', 'i-p3'] as const;
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('begin' as const),
        action: fc.constantFrom(...actions),
        region: fc.constantFrom(...regions),
        ids: fc.subarray([...instances], { minLength: 1 }),
        dryRun: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('complete' as const), pick: fc.nat(), oks: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const store = openAuditStore(':memory:');
        try {
          // The model: a logical clock over calls; an attach counts when confirmed, a reboot/start when requested.
          let tick = 0;
          const open: { id: string; action: ActionName; region: string; ids: string[]; dryRun: boolean; begunAt: number }[] = [];
          const attached = new Map<string, { at: number; id: string }>();
          const activated = new Map<string, number>();
          for (const s of steps) {
            tick += 1;
            if (s.kind === 'begin') {
              const id = await store.begin(
                intent({ action: s.action, regionId: s.region, instanceIds: s.ids, ...(s.dryRun ? { options: { DryRun: true } } : {}) }),
              );
              open.push({ id, action: s.action, region: s.region, ids: s.ids, dryRun: s.dryRun, begunAt: tick });
              continue;
            }
            if (open.length === 0) continue;
            const [op] = open.splice(s.pick % open.length, 1);
            if (!op) continue;
            const results = op.ids.map((InstanceId, i) => (s.oks[i] === true ? ok(InstanceId) : failed(InstanceId)));
            await store.complete(op.id, outcome(results));
            if (op.dryRun) continue;
            for (const r of results) {
              if (!r.ok) continue;
              const key = `${op.region}/${r.InstanceId}`;
              if (op.action === 'AttachKeyPair') attached.set(key, { at: tick, id: op.id });
              else activated.set(key, Math.max(activated.get(key) ?? 0, op.begunAt));
            }
          }
          for (const region of regions) {
            const expected = [...attached.entries()]
              .filter(([key, a]) => key.startsWith(`${region}/`) && a.at > (activated.get(key) ?? 0))
              .map(([key, a]) => ({ InstanceId: key.slice(region.length + 1), operationId: a.id }))
              .sort((x, y) => x.InstanceId.localeCompare(y.InstanceId));
            expect((await store.pending(region)).map((p) => ({ InstanceId: p.InstanceId, operationId: p.operationId }))).toEqual(expected);
          }
        } finally {
          store.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('when the audit cannot be written', () => {
  it('refuses after the store is closed, and check() says so', async () => {
    const store = open();
    const id = await store.begin(intent());
    expect(await store.check()).toEqual({ ok: true });
    store.close();
    expect(await store.check()).toEqual({ ok: false, problem: 'the audit store is not writable' });
    await expect(store.begin(intent())).rejects.toThrow(AuditUnavailableError);
    await expect(store.complete(id, outcome([ok('i-a1')]))).rejects.toThrow(AuditUnavailableError);
    await expect(store.recordDenied(intent(), 'no')).rejects.toThrow(AuditUnavailableError);
    await expect(store.list({})).rejects.toThrow(AuditUnavailableError);
  });

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
    expect(() => openAuditStore(join(blocker, 'audit.db'))).toThrow(AuditUnavailableError);
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not an SQLite database, and it is long enough to have a header'.repeat(20));
    expect(() => openAuditStore(garbage)).toThrow(AuditUnavailableError);
  });

  it('refuses a database written by a newer version of the proxy', () => {
    const path = join(dir, 'audit.db');
    open(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${AUDIT_SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openAuditStore(path)).toThrow(/newer/);
  });
});

describe('crash survival', () => {
  it('keeps an intent whose process was killed, and marks it unknown on the next open', async () => {
    const path = join(dir, 'audit.db');
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'audit-crash.fixture.ts'), path], {
      cwd: join(here, '..'),
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
      instances: [],
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
  it('rejects absurd input with a TypeError and writes nothing', async () => {
    const store = open();
    const tooMany = Array.from({ length: AUDIT_LIMITS.instances + 1 }, (_, i) => `i-x${i}`);
    const bad: Partial<AuditIntent>[] = [
      { instanceIds: tooMany },
      { user: '' },
      { regionId: 'evil.example.com' },
      { instanceIds: ['not-an-instance'] },
      { keyPairName: 'https://x' },
      { action: 'DeleteInstance' as ActionName },
      { at: -1 },
      { at: Number.NaN },
      { options: { Nested: { deep: true } } as unknown as Record<string, string> },
      { options: { AccessKeySecret: 'sk-123' } },
      { options: { SecurityToken: 'sts' } },
    ];
    for (const overrides of bad) {
      await expect(store.begin(intent(overrides)), JSON.stringify(overrides).slice(0, 80)).rejects.toThrow(TypeError);
      await expect(store.recordDenied(intent(overrides), 'no')).rejects.toThrow(TypeError);
    }
    expect(await all(store)).toEqual([]);
    // An attach is not begun without its key pair (pending activation names it); a refusal may lack one.
    await expect(store.begin(intent({ keyPairName: undefined }))).rejects.toThrow(TypeError);
    expect(await all(store)).toEqual([]);
    await store.recordDenied(intent({ keyPairName: undefined }), 'refused: invalid parameters: KeyPairName');
    expect(await all(store)).toEqual([expect.objectContaining({ status: 'denied', action: 'AttachKeyPair', errorMessage: 'refused: invalid parameters: KeyPairName' })]);
    expect(await store.pending('cn-hangzhou')).toEqual([]);

    const id = await store.begin(intent({ instanceIds: Array.from({ length: AUDIT_LIMITS.instances }, (_, i) => `i-x${i}`) }));
    await expect(store.complete(id, outcome([ok('i-x0')], { status: 'pending' as AuditOutcome['status'] }))).rejects.toThrow(TypeError);
    await expect(store.complete(id, outcome([ok('i-x0')], { httpStatus: 42 }))).rejects.toThrow(TypeError);
    await expect(store.complete(id, outcome([{ InstanceId: 'i-x0', Code: '200' } as InstanceOutcome]))).rejects.toThrow(TypeError);
    expect((await all(store))[0]?.status).toBe('pending');
  });

  it('clips every over-long free-text field to the limit instead of refusing the record', async () => {
    const store = open();
    const limit = AUDIT_LIMITS.textBytes;
    // Multi-byte text is measured in bytes: 400 CJK characters are 1200 bytes, and no character is cut in half.
    const long = {
      user: '审'.repeat(400),
      email: `${'@'.repeat(2000)}`,
      group: `g${'ü'.repeat(600)}`,
      clientAddress: `203.0.113.7, ${'198.51.100.1, '.repeat(80)}`,
      option: 'o'.repeat(1100),
      reason: `not permitted: ${'x'.repeat(1100)}`,
      requestId: 'r'.repeat(1025),
      code: 'C'.repeat(1100),
    };
    const manyGroups = Array.from({ length: AUDIT_LIMITS.groups + 5 }, (_, i) => `group-${i}`);
    const id = await store.begin(
      intent({ user: long.user, email: long.email, groups: [long.group, 'ops'], clientAddress: long.clientAddress, options: { BatchOptimization: long.option, DryRun: false } }),
    );
    await store.complete(id, outcome([{ InstanceId: 'i-a1', ok: false, Code: long.code }], { requestId: long.requestId, errorCode: long.code }));
    await store.recordDenied(intent({ at: 2_000, user: 'mallory', groups: manyGroups, clientAddress: '' }), long.reason);

    const [denied, attach] = await all(store);
    const clipped = (text: string | undefined, original: string) => {
      expect(Buffer.byteLength(text ?? '')).toBeLessThanOrEqual(limit);
      expect(text?.endsWith('…')).toBe(true);
      expect(original.startsWith(text?.slice(0, -1) ?? '-')).toBe(true);
    };
    expect(attach?.status).toBe('failed');
    clipped(attach?.user, long.user);
    clipped(attach?.email, long.email);
    clipped(attach?.groups[0], long.group);
    expect(attach?.groups[1]).toBe('ops');
    clipped(attach?.clientAddress, long.clientAddress);
    clipped(String(attach?.options?.['BatchOptimization']), long.option);
    expect(attach?.options?.['DryRun']).toBe(false);
    clipped(attach?.requestId, long.requestId);
    clipped(attach?.errorCode, long.code);
    clipped(attach?.instances[0]?.Code, long.code);

    expect(denied).toMatchObject({ status: 'denied', user: 'mallory', clientAddress: '' });
    clipped(denied?.errorMessage, long.reason);
    // Past the limit the list keeps its first entries and says how many it left out.
    expect(denied?.groups).toHaveLength(AUDIT_LIMITS.groups);
    expect(denied?.groups.slice(0, 3)).toEqual(['group-0', 'group-1', 'group-2']);
    expect(denied?.groups[AUDIT_LIMITS.groups - 1]).toBe('… 6 more');
  });

  it('keeps a long ECS message, cut to the size limit, rather than losing the outcome', async () => {
    const store = open();
    const long = `Specified signature is not matched with our calculation. server string to sign is:${'GET&%2F&'.repeat(400)}`;
    const id = await store.begin(intent());
    await store.complete(id, outcome([{ InstanceId: 'i-a1', ok: false, Code: 'SignatureDoesNotMatch', Message: `中${long}` }], { errorMessage: long }));
    const [record] = await all(store);
    expect(record?.status).toBe('failed');
    for (const text of [record?.errorMessage ?? '', record?.instances[0]?.Message ?? '']) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(AUDIT_LIMITS.textBytes);
      expect(text.endsWith('…')).toBe(true);
    }
    expect(record?.instances[0]?.Message?.startsWith('中Specified signature')).toBe(true);
  });

  it('has no column that could hold a credential', () => {
    const path = join(dir, 'audit.db');
    open(path);
    const raw = new Database(path, { readonly: true });
    try {
      const tables = raw.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all();
      const columns = Object.fromEntries(
        tables.map(({ name }) => [name, raw.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`).all().map((c) => c.name)]),
      );
      expect(columns).toEqual({
        activation_state: ['region_id', 'instance_id', 'attach_seq', 'attach_operation_seq', 'activate_seq', 'maybe_attach_seq', 'maybe_attach_operation_seq'],
        event_clock: ['id', 'value'],
        instance_outcomes: [
          'operation_seq', 'position', 'instance_id', 'ok', 'code', 'message', 'unknown', 'reconciled_at', 'reconciled_key_pair',
          'reconciled_attached',
        ],
        operation_targets: ['operation_seq', 'position', 'instance_id'],
        operations: [
          'seq', 'id', 'at', 'user_name', 'email', 'groups_json', 'client_address', 'action', 'region_id', 'key_pair_name',
          'options_json', 'status', 'completed_seq', 'completed_at', 'http_status', 'request_id', 'error_code',
          'error_message', 'duration_ms', 'writer_process',
        ],
      });
      const names = Object.values(columns).flat().join(' ');
      expect(names).not.toMatch(/secret|passw|token|signature|credential|access_?key|authoriz|cookie/i);
    } finally {
      raw.close();
    }
  });
});

describe('outcomes that are not known', () => {
  const hz = 'cn-hangzhou';
  const unknown = (InstanceId: string, Code = 'InternalError'): InstanceOutcome => ({ InstanceId, ok: false, Code, unknown: true });
  const reading = (InstanceId: string, KeyPairName: string, attached: boolean) => ({ InstanceId, at: 2_000, KeyPairName, attached });
  const pendingIds = async (store: AuditStore) => (await store.pending(hz)).map((p) => p.InstanceId);

  it('keeps an unknown instance apart from a failed one, and lists an unknown attach as "may be pending"', async () => {
    const store = open();
    const attach = await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [unknown('i-a1'), failed('i-a2')], { status: 'unknown', at: 110 });
    expect((await all(store))[0]?.instances).toEqual([unknown('i-a1'), failed('i-a2')]);
    expect(await store.pending(hz)).toEqual([
      { InstanceId: 'i-a1', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach, mayBePending: true },
    ]);
  });

  it('reads unknown by the one rule: a NoResult or OutcomeUnknown instance is unknown even without the flag', async () => {
    const store = open();
    await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [
      { InstanceId: 'i-a1', ok: false, Code: 'Console.NoResult' },
      { InstanceId: 'i-a2', ok: false, Code: 'Proxy.OutcomeUnknown' },
    ]);
    expect((await all(store))[0]?.instances.map((i) => i.unknown)).toEqual([true, true]);
    expect((await store.pending(hz)).map((p) => [p.InstanceId, p.mayBePending])).toEqual([
      ['i-a1', true],
      ['i-a2', true],
    ]);
  });

  it('is cleared by a successful reboot or start, but not by one of unknown outcome', async () => {
    const store = open();
    await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [unknown('i-a1'), unknown('i-a2')], { status: 'unknown' });
    await run(store, { action: 'RebootInstances', instanceIds: ['i-a1', 'i-a2'] }, [ok('i-a1'), unknown('i-a2')], { status: 'partial' });
    expect(await pendingIds(store)).toEqual(['i-a2']);
  });

  it('turns a reconciled "attached" into pending activation, durably', async () => {
    const path = join(dir, 'audit.db');
    const store = open(path);
    const attach = await run(store, { instanceIds: ['i-a1', 'i-a2', 'i-a3'] }, [unknown('i-a1'), unknown('i-a2'), ok('i-a3')], { status: 'partial', at: 110 });
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

  it('brings back an earlier confirmed attach when the unknown one turns out not to have happened', async () => {
    const store = open();
    const first = await run(store, { keyPairName: 'first-key', instanceIds: ['i-a1'] }, [ok('i-a1')], { at: 110 });
    const second = await run(store, { keyPairName: 'second-key', instanceIds: ['i-a1'] }, [unknown('i-a1')], { status: 'unknown', at: 210 });
    expect((await store.pending(hz)).map((p) => [p.keyPairName, p.operationId, p.mayBePending])).toEqual([['second-key', second, true]]);
    await store.reconcile(second, [reading('i-a1', 'first-key', false)]);
    expect(await store.pending(hz)).toEqual([{ InstanceId: 'i-a1', regionId: hz, keyPairName: 'first-key', user: 'alice', at: 110, operationId: first }]);
  });

  it('reconciles only instances whose outcome was unknown, each once, and only completed attaches', async () => {
    const store = open();
    const attach = await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [failed('i-a1'), unknown('i-a2')], { status: 'unknown' });
    await store.reconcile(attach, [reading('i-a1', 'team-key', true), reading('i-a2', 'other', false)]);
    // A second reading does not rewrite the first.
    await store.reconcile(attach, [reading('i-a2', 'team-key', true)]);
    expect((await all(store))[0]?.instances.map((i) => i.reconciled?.attached)).toEqual([undefined, false]);
    expect(await store.pending(hz)).toEqual([]);

    const inFlight = await store.begin(intent());
    await expect(store.reconcile(inFlight, [reading('i-a1', 'team-key', true)])).rejects.toThrow(TypeError);
    const reboot = await run(store, { action: 'RebootInstance', instanceIds: ['i-a1'] }, [unknown('i-a1')], { status: 'unknown' });
    await expect(store.reconcile(reboot, [reading('i-a1', 'team-key', true)])).rejects.toThrow(TypeError);
    await expect(store.reconcile(attach, [{ InstanceId: 'not an id', at: 1, KeyPairName: '', attached: true }])).rejects.toThrow(TypeError);
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
