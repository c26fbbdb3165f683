import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ActivityRecord, PendingList } from '../ecs/console-api';
import { createSimulator } from '../sim/model/simulator';
import { openSqliteAuditStore } from './audit';
import { UNKNOWN_OUTCOME_MESSAGE } from './audit/pending';
import { createTestProxy, jsonFromConsole, type TestProxy } from './test-support';
import { killHard, startProxy, startSim, type Proc } from './test-processes';

/**
 * A plain `POST /api/ecs/AttachKeyPair` whose proxy died between the audit's intent and ECS's answer: at the next
 * start the record says unknown (the proxy stopped before it recorded ECS's answer), and the instances are read
 * back (DescribeInstances) so pending activation says what happened (docs/product.md#audit-before-and-after,
 * docs/product.md#step-9-pending-activation). Truth is the simulator's.
 */

const REGION = 'cn-hangzhou';
type Instance = { InstanceId: string; OSType: string; KeyPairName?: string; Status: string; OperationLocks?: { LockReason?: unknown[] } };
const usable = (i: Instance) => i.OSType === 'linux' && i.Status === 'Running' && !i.OperationLocks?.LockReason?.length;

let dir = '';
const procs: Proc[] = [];
let proxy: TestProxy | undefined;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crash-left-'));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});
afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('reads back at start-up an attach a previous process began and never completed (inject)', async () => {
  // The simulated fleet is seeded: the one createTestProxy builds is this one.
  const fleet = createSimulator({ instances: 150 }).instancesIn(REGION) as readonly Instance[];
  const holder = fleet.find((i) => usable(i) && i.KeyPairName !== undefined);
  const key = holder?.KeyPairName ?? '';
  const other = fleet.find((i) => usable(i) && i.KeyPairName !== key);
  const ids = [holder?.InstanceId ?? '', other?.InstanceId ?? '', 'i-notinthisfleet'];
  expect(key).not.toBe('');

  // What a proxy killed mid-call leaves in its audit file: the intent, written by another process, no outcome.
  const file = path.join(dir, 'inject.sqlite');
  const before = openSqliteAuditStore(file);
  const id = await before.begin({
    at: Date.now() - 60_000,
    user: 'alice',
    groups: ['sre'],
    clientAddress: '10.0.0.7',
    action: 'AttachKeyPair',
    regionId: REGION,
    keyPairName: key,
    instanceIds: ids,
  });
  before.close();
  const raw = new Database(file);
  raw.prepare("UPDATE operations SET writer_process = 'a-killed-proxy'").run();
  raw.close();

  proxy = await createTestProxy({ env: { AUDIT_DB: file } });
  const p = proxy;
  const activity = () => p.app.inject({ method: 'GET', url: '/api/activity' }).then((r) => r.json<{ items: ActivityRecord[] }>().items);
  const [record] = await until(activity, (items) => items[0]?.instances.some((i) => i.reconciled) === true, 'never read back');
  expect(record).toMatchObject({ id, status: 'unknown', errorCode: 'Proxy.OutcomeUnknown', errorMessage: UNKNOWN_OUTCOME_MESSAGE });
  expect(record?.instances.map((i) => [i.InstanceId, i.unknown, i.reconciled?.attached])).toEqual([
    [ids[0], true, true],
    [ids[1], true, false],
    // Not listed by DescribeInstances: still unknown.
    [ids[2], true, undefined],
  ]);
  const pending = (await p.app.inject({ method: 'GET', url: `/api/pending?RegionId=${REGION}` })).json<PendingList>().Pending;
  expect(pending.map((x) => [x.InstanceId, x.operationId, x.mayBePending ?? false]).sort()).toEqual(
    [
      [ids[0], id, false],
      [ids[2], id, true],
    ].sort(),
  );
  // One read, nothing sent again.
  const reads = p.upstreamCalls.filter((c) => c.action === 'DescribeInstances');
  expect(reads.map((c) => JSON.parse(c.wire['InstanceIds'] ?? '[]') as string[])).toEqual([ids]);
  expect(p.upstreamCalls.filter((c) => c.action === 'AttachKeyPair')).toHaveLength(0);
});

it('kill -9 between the intent and ECS answer of POST /api/ecs/AttachKeyPair: the restart records unknown, then what ECS did', async () => {
  const sim = await startSim({ SIM_INSTANCES: '150', SIM_LATENCY_MS: '0' });
  procs.push(sim.proc);
  const simControl = (body: unknown) =>
    fetch(`${sim.url}/__sim/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const simInstance = async (id: string) => (await (await fetch(`${sim.url}/__sim/instances/${id}`)).json()) as Instance;
  const dataDir = mkdtempSync(path.join(dir, 'process-'));
  let started = await startProxy(sim.url, dataDir);
  procs.push(started.proc);
  const api = (base: string, url: string, body?: unknown) =>
    fetch(
      `${base}${url}`,
      body === undefined ? {} : { method: 'POST', headers: { ...jsonFromConsole, origin: base }, body: JSON.stringify(body) },
    );

  const listed = (await (await api(started.url, '/api/ecs/DescribeInstances', { RegionId: REGION, PageSize: 100 })).json()) as {
    Instances: { Instance: Instance[] };
  };
  const KEY = 'ops-team';
  const [attached, refused] = listed.Instances.Instance.filter((i) => usable(i) && i.KeyPairName !== KEY).map((i) => i.InstanceId);
  const ids = [attached ?? '', refused ?? ''];
  // ECS takes the call at once and answers late; one of the two it refuses, changing nothing.
  await simControl({
    latencyMs: 30_000,
    instanceFaults: { [ids[1] ?? '']: { Code: 'IncorrectInstanceStatus', Message: 'not now', remaining: 1 } },
  });
  const inFlight = api(started.url, '/api/ecs/AttachKeyPair', { RegionId: REGION, KeyPairName: KEY, InstanceIds: ids }).catch(
    () => undefined,
  );
  await until(
    () => simInstance(ids[0] ?? ''),
    (i) => i.KeyPairName === KEY,
    'the attach never reached ECS',
  );
  await killHard(started.proc);
  await inFlight;
  await simControl({ latencyMs: 0 });

  const restartedAt = Date.now();
  started = await startProxy(sim.url, dataDir);
  procs.push(started.proc);
  const base = started.url;
  const activity = async () =>
    ((await (await api(base, '/api/activity?action=AttachKeyPair')).json()) as { items: ActivityRecord[] }).items;
  const [record] = await until(activity, (items) => items[0]?.instances.every((i) => i.reconciled) === true, 'never read back');
  expect(record).toMatchObject({ status: 'unknown', errorCode: 'Proxy.OutcomeUnknown', errorMessage: UNKNOWN_OUTCOME_MESSAGE });
  expect(record?.completedAt).toBeUndefined();
  expect(record?.instances.map((i) => [i.InstanceId, i.reconciled?.attached])).toEqual([
    [ids[0], true],
    [ids[1], false],
  ]);
  const pending = ((await (await api(base, `/api/pending?RegionId=${REGION}`)).json()) as PendingList).Pending;
  expect(pending.filter((x) => ids.includes(x.InstanceId)).map((x) => [x.InstanceId, x.keyPairName, x.mayBePending ?? false])).toEqual([
    [ids[0], KEY, false],
  ]);
  expect((await simInstance(ids[0] ?? '')).KeyPairName).toBe(KEY);
  expect((await simInstance(ids[1] ?? '')).KeyPairName).not.toBe(KEY);

  // At the simulator, which records a request once it has answered it: the attach is still waiting out its
  // latency, so no attach was answered, none was sent again, and since the restart one read named exactly the two.
  type SimRequest = { action?: string; params: Record<string, string>; at: number };
  const requests = ((await (await fetch(`${sim.url}/__sim/state`)).json()) as { requests: SimRequest[] }).requests;
  expect(requests.filter((r) => r.action === 'AttachKeyPair')).toHaveLength(0);
  const readsSince = requests
    .filter((r) => r.action === 'DescribeInstances' && r.at >= restartedAt)
    .map((r) => JSON.parse(r.params['InstanceIds'] ?? '[]') as string[]);
  expect(readsSince).toEqual([ids]);
}, 60_000);
