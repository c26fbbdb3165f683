import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import Database from 'better-sqlite3';
import type { AuditStore } from './audit';
import { AUDIT_LIMITS, AuditInputError, AuditUnavailableError } from './audit';
import { ActivityPage, PendingList, Session } from '../ecs/console-api';
import { INTERNAL_ACTION_NAMES, toWire } from '../ecs/contract';
import { instanceVerdict, readEcsAnswer } from '../ecs/outcomes';
import { createTestProxy, jsonFromConsole, SIM_SECRET, TEST_ORIGIN, type TestProxy } from './test-support';

type Row = { InstanceId: string; Status: string; OSType: string; KeyPairName?: string; OperationLocks?: { LockReason?: unknown[] } };

function linux(proxy: TestProxy, status: 'Running' | 'Stopped', count: number): string[] {
  return (proxy.simulator.instancesIn('cn-hangzhou') as readonly Row[])
    .filter((i) => i.Status === status && i.OSType === 'linux' && (i.OperationLocks?.LockReason?.length ?? 0) === 0)
    .slice(0, count)
    .map((i) => i.InstanceId);
}

function windows(proxy: TestProxy): string {
  const row = (proxy.simulator.instancesIn('cn-hangzhou') as readonly Row[]).find((i) => i.OSType === 'windows');
  if (!row) throw new Error('fleet has no Windows instance');
  return row.InstanceId;
}

async function keyPairName(proxy: TestProxy): Promise<string> {
  const res = await proxy.app.inject({
    method: 'POST',
    url: '/api/ecs/DescribeKeyPairs',
    headers: jsonFromConsole,
    payload: { RegionId: 'cn-hangzhou' },
  });
  const body = res.json<{ KeyPairs: { KeyPair: { KeyPairName: string }[] } }>();
  const first = body.KeyPairs.KeyPair[0];
  if (!first) throw new Error('no key pairs');
  return first.KeyPairName;
}

/** Lets the proxy learn the region list before a test breaks the upstream. */
async function warmRegions(proxy: TestProxy): Promise<void> {
  const res = await proxy.app.inject({
    method: 'POST',
    url: '/api/ecs/DescribeInstances',
    headers: jsonFromConsole,
    payload: { RegionId: 'cn-hangzhou', MaxResults: 1 },
  });
  expect(res.statusCode).toBe(200);
}

describe('the ECS door', () => {
  let proxy: TestProxy;
  beforeEach(async () => {
    proxy = await createTestProxy();
  });
  afterEach(async () => proxy.close());

  it('signs and forwards an allowed read, returning ECS’s body and status unchanged', async () => {
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeInstances',
      headers: { 'content-type': 'application/json' },
      payload: { RegionId: 'cn-hangzhou', MaxResults: 5, Status: 'Running' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ TotalCount: number; Instances: { Instance: { Status: string }[] }; RequestId: string }>();
    expect(body.Instances.Instance).toHaveLength(5);
    expect(body.Instances.Instance.every((i) => i.Status === 'Running')).toBe(true);
    expect(body.RequestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('builds ECS’s list forms itself (InstanceIds as a JSON string, InstanceId.N)', async () => {
    const [a, b] = linux(proxy, 'Running', 2);
    await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeInstances',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', InstanceIds: [a, b] },
    });
    await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/RebootInstances',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', InstanceId: [a, b], DryRun: true },
    });
    const sent = proxy.upstreamCalls.filter((c) => c.action !== 'DescribeRegions');
    expect(sent[0]?.wire).toEqual({ RegionId: 'cn-hangzhou', InstanceIds: JSON.stringify([a, b]) });
    expect(sent[1]?.wire).toEqual({ RegionId: 'cn-hangzhou', 'InstanceId.1': a, 'InstanceId.2': b, DryRun: 'true' });
  });

  it('routes RebootInstance by the RegionId the console names but does not send it to ECS', async () => {
    // The simulated ECS serves every region on one host, so the route is read where the client is asked.
    const routes: { action: string; regionId: string }[] = [];
    const routed = await createTestProxy({
      ecs: (real) => ({
        call: (action, wire, route) => {
          routes.push({ action, regionId: route.regionId });
          return real.call(action, wire, route);
        },
        close: () => real.close(),
      }),
    });
    try {
      const [id] = linux(routed, 'Running', 1);
      const res = await routed.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou', InstanceId: id },
      });
      expect(res.statusCode).toBe(200);
      expect(routes.filter((r) => r.action === 'RebootInstance')).toEqual([{ action: 'RebootInstance', regionId: 'cn-hangzhou' }]);
      const sent = routed.upstreamCalls.filter((c) => c.action !== 'DescribeRegions');
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ action: 'RebootInstance', wire: { InstanceId: id }, status: 200 });
      expect(sent[0]?.wire).not.toHaveProperty('RegionId');
    } finally {
      await routed.close();
    }
  });

  it.each([
    'DeleteInstance',
    'RunInstances',
    'CreateKeyPair',
    'ImportKeyPair',
    'DetachKeyPair',
    'InvokeCommand',
    'constructor',
    '__proto__',
    'toString',
    ...INTERNAL_ACTION_NAMES,
  ])('refuses %s with 403 and sends nothing upstream', async (action) => {
    const res = await proxy.app.inject({
      method: 'POST',
      url: `/api/ecs/${action}`,
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ Code: 'Proxy.ActionNotAllowed' });
    expect(proxy.upstreamCalls).toHaveLength(0);
  });

  it('never runs a command for a browser: a RunCommand the simulator would accept is refused, nothing runs', async () => {
    // Cloud Assistant actions are the proxy's own (ecs/wire.ts INTERNAL_ACTIONS, docs/product.md#fixed-commands-only).
    const region = 'cn-hangzhou';
    const status = proxy.simulator.call('DescribeCloudAssistantStatus', { RegionId: region, MaxResults: '50' }).body as {
      InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: { InstanceId: string; CloudAssistantStatus: string }[] };
    };
    const ready = status.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus.find(
      (r) => r.CloudAssistantStatus === 'true' && proxy.simulator.instance(r.InstanceId)?.OSType === 'linux',
    );
    if (!ready) throw new Error('no instance with a heartbeating agent');
    const command = { RegionId: region, Type: 'RunShellScript', CommandContent: 'id', InstanceId: [ready.InstanceId] };
    expect(proxy.simulator.call('RunCommand', toWire('RunCommand', { ...command, RepeatMode: 'DryRun' })).body).toMatchObject({
      Code: 'DryRunOperation',
    });
    for (const action of ['RunCommand', 'InvokeCommand']) {
      const res = await proxy.app.inject({ method: 'POST', url: `/api/ecs/${action}`, headers: jsonFromConsole, payload: command });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ Code: 'Proxy.ActionNotAllowed' });
    }
    expect(proxy.upstreamCalls).toHaveLength(0);
    expect(proxy.simulator.call('DescribeInvocations', { RegionId: region }).body).toMatchObject({ TotalCount: 0 });
    const session = Session.parse((await proxy.app.inject({ method: 'GET', url: '/api/session' })).json());
    for (const action of INTERNAL_ACTION_NAMES) expect(session.allowedActions).not.toContain(action);
  });

  it.each([
    ['a bare host', 'evil.com'],
    ['a path', 'a/b'],
    ['userinfo', 'x@y'],
    ['a suffix host', 'cn-hangzhou.evil.com'],
    ['a port', ':8080'],
    ['a region with a port', 'cn-hangzhou:8080'],
    ['unicode', 'cn-hängzhou'],
    ['look-alike unicode', '𝒸𝓃-hangzhou'],
    ['a very long value', 'a'.repeat(5000)],
    ['a traversal', '../cn-hangzhou'],
    ['a header injection', 'cn-hangzhou\r\nHost: evil.com'],
  ])('refuses a RegionId with %s without contacting any host', async (_what, RegionId) => {
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeInstances',
      headers: jsonFromConsole,
      payload: { RegionId },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ Code: 'Proxy.InvalidParameter' });
    expect(proxy.upstreamCalls).toHaveLength(0);
  });

  it('refuses a well-formed region that is not on the DescribeRegions list', async () => {
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeInstances',
      headers: jsonFromConsole,
      payload: { RegionId: 'mars-north-1' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ Code: 'Proxy.UnknownRegion' });
    expect(proxy.upstreamCalls.filter((c) => c.action !== 'DescribeRegions')).toHaveLength(0);
  });

  it('refuses unknown, extra and oversized parameters before sending', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => `i-x${i}`);
    const cases = [
      { RegionId: 'cn-hangzhou', Action: 'DeleteInstance' },
      { RegionId: 'cn-hangzhou', AccessKeyId: 'someone-else' },
      { RegionId: 'cn-hangzhou', KeyPairName: 'ops', InstanceIds: ids },
      { RegionId: 'cn-hangzhou', KeyPairName: 'ops', InstanceIds: 'i-abc' },
      { RegionId: 'cn-hangzhou', KeyPairName: 'x'.repeat(200), InstanceIds: ['i-abc'] },
    ];
    for (const payload of cases) {
      const res = await proxy.app.inject({ method: 'POST', url: '/api/ecs/AttachKeyPair', headers: jsonFromConsole, payload });
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(res.json()).toMatchObject({ Code: 'Proxy.InvalidParameter' });
    }
    const page = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeKeyPairs',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', PageSize: 51 },
    });
    expect(page.statusCode).toBe(400);
    const batch = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/StartInstances',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', InstanceId: Array.from({ length: 101 }, (_, i) => `i-x${i}`) },
    });
    expect(batch.statusCode).toBe(400);
    expect(proxy.upstreamCalls).toHaveLength(0);
  });

  it('answers malformed and oversized bodies with a clear error and keeps serving', async () => {
    const bad = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeInstances',
      headers: jsonFromConsole,
      payload: '{"RegionId":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ Code: 'Proxy.MalformedBody' });
    const huge = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeInstances',
      headers: jsonFromConsole,
      payload: JSON.stringify({ RegionId: 'x'.repeat(200_000) }),
    });
    expect(huge.statusCode).toBe(413);
    const array = await proxy.app.inject({ method: 'POST', url: '/api/ecs/DescribeInstances', headers: jsonFromConsole, payload: '[1,2]' });
    expect(array.statusCode).toBe(400);
    const ok = await proxy.app.inject({ method: 'POST', url: '/api/ecs/DescribeRegions', headers: jsonFromConsole, payload: {} });
    expect(ok.statusCode).toBe(200);
  });

  it('refuses cross-site and non-JSON mutations (CSRF)', async () => {
    const [id] = linux(proxy, 'Running', 1);
    const payload = { RegionId: 'cn-hangzhou', InstanceId: id };
    const crossSite = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/RebootInstance',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      payload,
    });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.json()).toMatchObject({ Code: 'Proxy.CrossOrigin' });
    const noOrigin = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/RebootInstance',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(noOrigin.statusCode).toBe(403);
    const form = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/RebootInstance',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: TEST_ORIGIN },
      payload: `RegionId=cn-hangzhou&InstanceId=${id}`,
    });
    expect(form.statusCode).toBe(415);
    const textPlain = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/RebootInstance',
      headers: { 'content-type': 'text/plain', origin: TEST_ORIGIN },
      payload: JSON.stringify(payload),
    });
    expect(textPlain.statusCode).toBe(415);
    expect(proxy.upstreamCalls).toHaveLength(0);
  });

  it('without PUBLIC_ORIGIN, accepts only the request’s own host as origin', async () => {
    const own = await createTestProxy({ env: { PUBLIC_ORIGIN: '' } });
    try {
      const [id] = linux(own, 'Running', 1);
      const payload = { RegionId: 'cn-hangzhou', InstanceId: id, DryRun: true };
      const same = await own.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: { 'content-type': 'application/json', host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' },
        payload,
      });
      expect(same.statusCode).not.toBe(403);
      const other = await own.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: { 'content-type': 'application/json', host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9999' },
        payload,
      });
      expect(other.statusCode).toBe(403);
    } finally {
      await own.close();
    }
  });
});

describe('attach, follow-ups, audit and pending activation', () => {
  let proxy: TestProxy;
  beforeEach(async () => {
    proxy = await createTestProxy();
  });
  afterEach(async () => proxy.close());

  it('returns a partial success as ECS does and audits every instance before and after', async () => {
    const [running] = linux(proxy, 'Running', 1);
    const [stopped] = linux(proxy, 'Stopped', 1);
    const win = windows(proxy);
    const key = await keyPairName(proxy);
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/AttachKeyPair',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: [running, stopped, win] },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ FailCount: number | string; RequestId: string; Results: { Result: { InstanceId: string; Code: string }[] } }>();
    expect(Number(body.FailCount)).toBe(1);
    expect(body.Results.Result.find((r) => r.InstanceId === win)?.Code).toBe('DependencyViolation.WindowsInstance');

    const activity = await proxy.app.inject({ method: 'GET', url: '/api/activity?action=AttachKeyPair' });
    const page = activity.json<{
      items: {
        status: string;
        user: string;
        requestId: string;
        keyPairName: string;
        instances: { InstanceId: string; ok: boolean; Code: string }[];
      }[];
    }>();
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ status: 'partial', user: 'local operator', requestId: body.RequestId, keyPairName: key });
    expect(page.items[0]?.instances.find((i) => i.InstanceId === win)).toMatchObject({
      ok: false,
      Code: 'DependencyViolation.WindowsInstance',
    });

    const pending = await proxy.app.inject({ method: 'GET', url: '/api/pending?RegionId=cn-hangzhou' });
    // The console API's schemas (ecs/console-api.ts) describe exactly what the proxy answers.
    expect(ActivityPage.safeParse(activity.json()).success).toBe(true);
    expect(PendingList.safeParse(pending.json()).success).toBe(true);
    expect(Session.safeParse((await proxy.app.inject({ method: 'GET', url: '/api/session' })).json()).success).toBe(true);
    const ids = pending
      .json<{ Pending: { InstanceId: string; keyPairName: string }[] }>()
      .Pending.map((p) => p.InstanceId)
      .sort();
    expect(ids).toEqual([running, stopped].sort());

    // A reboot of the running one and a start of the stopped one clear their pending marks.
    const reboot = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/RebootInstances',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', InstanceId: [running], BatchOptimization: 'SuccessFirst' },
    });
    expect(reboot.statusCode).toBe(200);
    const afterReboot = await proxy.app.inject({ method: 'GET', url: '/api/pending?RegionId=cn-hangzhou' });
    expect(afterReboot.json<{ Pending: { InstanceId: string }[] }>().Pending.map((p) => p.InstanceId)).toEqual([stopped]);
    await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/StartInstance',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', InstanceId: stopped },
    });
    const afterStart = await proxy.app.inject({ method: 'GET', url: '/api/pending?RegionId=cn-hangzhou' });
    expect(afterStart.json<{ Pending: unknown[] }>().Pending).toEqual([]);
  });

  it('passes request-level ECS errors through and audits them as failed', async () => {
    const [id] = linux(proxy, 'Running', 1);
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/AttachKeyPair',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', KeyPairName: 'no-such-key', InstanceIds: [id] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ Code: 'InvalidKeyPairName.NotFound' });
    const activity = await proxy.app.inject({ method: 'GET', url: '/api/activity' });
    expect(activity.json<{ items: { status: string; errorCode: string }[] }>().items[0]).toMatchObject({
      status: 'failed',
      errorCode: 'InvalidKeyPairName.NotFound',
    });
  });

  it('refuses a mutation when the audit intent cannot be written, and sends nothing', async () => {
    const failing = await createTestProxy({
      audit: (real): AuditStore => ({
        ...real,
        begin: () => {
          throw new AuditUnavailableError('disk full');
        },
      }),
    });
    try {
      const [id] = linux(failing, 'Running', 1);
      const res = await failing.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou', InstanceId: id },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ Code: 'Proxy.AuditUnavailable' });
      expect(failing.upstreamCalls.filter((c) => c.action === 'RebootInstance')).toHaveLength(0);
      expect(failing.simulator.instance(id ?? '')).toMatchObject({ Status: 'Running' });
    } finally {
      await failing.close();
    }
  });

  it('filters and pages the activity trail', async () => {
    const ids = linux(proxy, 'Running', 3);
    for (const id of ids) {
      await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou', InstanceId: id, DryRun: true },
      });
    }
    const first = await proxy.app.inject({ method: 'GET', url: '/api/activity?limit=2' });
    const page1 = first.json<{ items: { instanceIds: string[] }[]; nextCursor: string | null }>();
    expect(page1.items).toHaveLength(2);
    expect(page1.items[0]?.instanceIds).toEqual([ids[2]]);
    const second = await proxy.app.inject({
      method: 'GET',
      url: `/api/activity?limit=2&cursor=${encodeURIComponent(page1.nextCursor ?? '')}`,
    });
    expect(second.json<{ items: { instanceIds: string[] }[] }>().items.map((i) => i.instanceIds[0])).toEqual([ids[0]]);
    const byInstance = await proxy.app.inject({ method: 'GET', url: `/api/activity?instanceId=${ids[1]}` });
    expect(byInstance.json<{ items: unknown[] }>().items).toHaveLength(1);
    const bad = await proxy.app.inject({ method: 'GET', url: '/api/activity?limit=100000' });
    expect(bad.statusCode).toBe(400);
    const unknownFilter = await proxy.app.inject({ method: 'GET', url: '/api/activity?sql=1' });
    expect(unknownFilter.statusCode).toBe(400);
    const forged = await proxy.app.inject({ method: 'GET', url: '/api/activity?cursor=not-a-cursor' });
    expect(forged.statusCode).toBe(400);
    expect(forged.json()).toMatchObject({ Code: 'Proxy.InvalidParameter' });
  });

  it('answers 400 only for the store’s AuditInputError: any other TypeError from the store is a 500', async () => {
    let thrown: Error = new AuditInputError('invalid activity cursor');
    const store = await createTestProxy({
      audit: (real): AuditStore => ({
        ...real,
        list: () => Promise.reject(thrown),
      }),
    });
    try {
      const refused = await store.app.inject({ method: 'GET', url: '/api/activity' });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({
        Code: 'Proxy.InvalidParameter',
        Message: 'Invalid activity filter: audit: invalid activity cursor',
      });
      // A bug inside a store (here: the kind of TypeError a missing property raises) is not the caller's mistake.
      thrown = new TypeError("Cannot read properties of undefined (reading 'at')");
      const failed = await store.app.inject({ method: 'GET', url: '/api/activity' });
      expect(failed.statusCode).toBe(500);
      expect(failed.json()).toMatchObject({ Code: 'Proxy.InternalError' });
      expect(failed.body).not.toContain('Cannot read properties');
    } finally {
      await store.close();
    }
  });
});

describe('upstream failures', () => {
  it('passes a throttling storm through with its retry hint after the client gave up', async () => {
    const proxy = await createTestProxy();
    try {
      await warmRegions(proxy);
      proxy.simulator.setControl({ throttle: { limit: 0, windowMs: 3_600_000 }, throttleActions: ['DescribeInstances'] });
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeInstances',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ Code: 'Throttling.User' });
      expect(Number(res.headers['x-acs-retry-after'])).toBeGreaterThan(0);
      expect(proxy.upstreamCalls.filter((c) => c.action === 'DescribeInstances')).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('passes a 5xx through for a mutating call without retrying it', async () => {
    const proxy = await createTestProxy();
    try {
      const [id] = linux(proxy, 'Running', 1);
      await warmRegions(proxy);
      proxy.simulator.setControl({ faults: { errorRate: 1, dropRate: 0, slowRate: 0, slowMs: 0, malformedRate: 0 } });
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou', InstanceId: id },
      });
      expect([500, 503]).toContain(res.statusCode);
      expect(res.json()).toHaveProperty('Code');
    } finally {
      await proxy.close();
    }
  });

  it('reports a mutation whose answer never came as unknown, audited as unknown, never retried', async () => {
    const proxy = await createTestProxy({ upstream: { timeoutMs: 300 } });
    try {
      const [id] = linux(proxy, 'Running', 1);
      const key = await keyPairName(proxy);
      proxy.simulator.setControl({ faults: { errorRate: 0, dropRate: 0, slowRate: 1, slowMs: 2000, malformedRate: 0 } });
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/AttachKeyPair',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: [id] },
      });
      expect(res.statusCode).toBe(504);
      expect(res.json()).toMatchObject({ Code: 'Proxy.OutcomeUnknown' });
      const activity = await proxy.app.inject({ method: 'GET', url: '/api/activity?action=AttachKeyPair' });
      expect(activity.json<{ items: { status: string }[] }>().items[0]?.status).toBe('unknown');
    } finally {
      await proxy.close();
    }
  });

  it('reports a dropped connection on a mutation as unknown', async () => {
    const proxy = await createTestProxy();
    try {
      const [id] = linux(proxy, 'Running', 1);
      await warmRegions(proxy);
      proxy.simulator.setControl({ faults: { errorRate: 0, dropRate: 1, slowRate: 0, slowMs: 0, malformedRate: 0 } });
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou', InstanceId: id },
      });
      expect(res.statusCode).toBe(504);
      expect(proxy.upstreamCalls.filter((c) => c.action === 'RebootInstance')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('says plainly when ECS cannot be reached at all', async () => {
    const proxy = await createTestProxy({
      ecs: () => ({
        call: () => Promise.resolve({ kind: 'unreachable' as const, reason: 'connect ECONNREFUSED', attempts: 3, durationMs: 5 }),
        close: () => Promise.resolve(),
      }),
    });
    try {
      const res = await proxy.app.inject({ method: 'POST', url: '/api/ecs/DescribeRegions', headers: jsonFromConsole, payload: {} });
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ Code: 'Proxy.UpstreamUnreachable' });
      const ready = await proxy.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ checks: { upstream: 'ECS did not answer DescribeRegions' } });
    } finally {
      await proxy.close();
    }
  });
});

describe('identity and permissions', () => {
  const headerEnv = {
    AUTH_MODE: 'header',
    TRUSTED_PROXY_CIDRS: '127.0.0.1/32',
    ROLE_ATTACH_GROUPS: 'sre',
    ROLE_POWER_GROUPS: 'sre,oncall',
  };

  it('believes identity headers only from the trusted proxy, and refuses spoofed copies', async () => {
    const proxy = await createTestProxy({ env: headerEnv });
    try {
      const trusted = await proxy.app.inject({
        method: 'GET',
        url: '/api/session',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'sre' },
      });
      expect(trusted.statusCode).toBe(200);
      expect(trusted.json()).toMatchObject({ user: 'alice', groups: ['sre'], authMode: 'header' });
      expect(trusted.json<{ allowedActions: string[] }>().allowedActions).toContain('AttachKeyPair');

      const spoofed = await proxy.app.inject({
        method: 'GET',
        url: '/api/session',
        remoteAddress: '10.9.8.7',
        headers: { 'x-forwarded-user': 'admin', 'x-forwarded-groups': 'sre' },
      });
      expect(spoofed.statusCode).toBe(401);
      expect(spoofed.json()).toMatchObject({ Code: 'Proxy.Unauthenticated' });
      const spoofedCall = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeRegions',
        remoteAddress: '10.9.8.7',
        headers: { ...jsonFromConsole, 'x-forwarded-user': 'admin' },
        payload: {},
      });
      expect(spoofedCall.statusCode).toBe(401);
      expect(proxy.upstreamCalls).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });

  it('lets a read-only operator look but not attach or reboot, and audits the denial', async () => {
    // A clock that stands still keeps the whole test inside one denial window.
    const frozen = Date.now();
    const proxy = await createTestProxy({ env: headerEnv, clock: () => frozen });
    try {
      const viewer = { 'x-forwarded-user': 'bob', 'x-forwarded-groups': 'developers' };
      const session = await proxy.app.inject({ method: 'GET', url: '/api/session', remoteAddress: '127.0.0.1', headers: viewer });
      expect(session.json<{ allowedActions: string[] }>().allowedActions).toEqual([
        'DescribeRegions',
        'DescribeInstances',
        'DescribeKeyPairs',
        'DescribeInstanceStatus',
      ]);
      const list = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeInstances',
        remoteAddress: '127.0.0.1',
        headers: { ...jsonFromConsole, ...viewer },
        payload: { RegionId: 'cn-hangzhou', MaxResults: 1 },
      });
      expect(list.statusCode).toBe(200);
      const [id] = linux(proxy, 'Running', 1);
      const reboot = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        remoteAddress: '127.0.0.1',
        headers: { ...jsonFromConsole, ...viewer },
        payload: { RegionId: 'cn-hangzhou', InstanceId: id },
      });
      expect(reboot.statusCode).toBe(403);
      expect(reboot.json()).toMatchObject({ Code: 'Proxy.Forbidden' });
      expect(proxy.upstreamCalls.filter((c) => c.action === 'RebootInstance')).toHaveLength(0);
      const trail = await proxy.app.inject({
        method: 'GET',
        url: '/api/activity?status=denied',
        remoteAddress: '127.0.0.1',
        headers: viewer,
      });
      expect(trail.json<{ items: { user: string; action: string }[] }>().items[0]).toMatchObject({ user: 'bob', action: 'RebootInstance' });
      // Hammering the refused action is still refused, but an exact repeat is not audited again, and a flood
      // of distinct denials stops being written after the per-user budget.
      for (let i = 0; i < 5; i++) {
        const again = await proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/RebootInstance',
          remoteAddress: '127.0.0.1',
          headers: { ...jsonFromConsole, ...viewer },
          payload: { RegionId: 'cn-hangzhou', InstanceId: id },
        });
        expect(again.statusCode).toBe(403);
      }
      const deniedCount = async () =>
        (
          await proxy.app.inject({
            method: 'GET',
            url: '/api/activity?status=denied&limit=200',
            remoteAddress: '127.0.0.1',
            headers: viewer,
          })
        ).json<{ items: unknown[] }>().items.length;
      expect(await deniedCount()).toBe(1);
      const others = linux(proxy, 'Running', 40);
      for (const other of others) {
        await proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/RebootInstance',
          remoteAddress: '127.0.0.1',
          headers: { ...jsonFromConsole, ...viewer },
          payload: { RegionId: 'cn-hangzhou', InstanceId: other },
        });
      }
      expect(await deniedCount()).toBe(30);
    } finally {
      await proxy.close();
    }
  });

  it('uses the forwarded client address from the trusted proxy for the audit record', async () => {
    const proxy = await createTestProxy({ env: headerEnv });
    try {
      const [id] = linux(proxy, 'Running', 1);
      await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        remoteAddress: '127.0.0.1',
        headers: { ...jsonFromConsole, 'x-forwarded-user': 'carol', 'x-forwarded-groups': 'oncall', 'x-forwarded-for': '203.0.113.7' },
        payload: { RegionId: 'cn-hangzhou', InstanceId: id, DryRun: true },
      });
      const trail = await proxy.app.inject({
        method: 'GET',
        url: '/api/activity',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-user': 'carol' },
      });
      expect(trail.json<{ items: { clientAddress: string; user: string }[] }>().items[0]).toMatchObject({
        user: 'carol',
        clientAddress: '203.0.113.7',
      });
    } finally {
      await proxy.close();
    }
  });
});

describe('HTTP hygiene', () => {
  let proxy: TestProxy;
  let dist: string;
  let outside: string;
  /** A file beside the web build, as package.json or /etc/passwd would be: never reachable through a URL. */
  const MARKER = 'outside-the-web-build-7f3a9c';
  beforeAll(() => {
    outside = mkdtempSync(path.join(tmpdir(), 'web-root-'));
    writeFileSync(path.join(outside, 'secret.txt'), MARKER);
    dist = path.join(outside, 'web');
    mkdirSync(dist);
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  });
  afterAll(() => rmSync(outside, { recursive: true, force: true }));
  beforeEach(async () => {
    proxy = await createTestProxy({ webDist: dist });
  });
  afterEach(async () => proxy.close());

  it('sends strict security headers on every response', async () => {
    for (const url of ['/', '/api/session', '/nope', '/healthz']) {
      const res = await proxy.app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-request-id']).toBeTruthy();
    }
  });

  it('caches hashed assets immutably and never index.html', async () => {
    const asset = await proxy.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const index = await proxy.app.inject({ method: 'GET', url: '/' });
    expect(index.headers['cache-control']).toBe('no-cache');
    const deepLink = await proxy.app.inject({
      method: 'GET',
      url: '/regions/cn-hangzhou?status=Running',
      headers: { accept: 'text/html' },
    });
    expect(deepLink.statusCode).toBe(200);
    expect(deepLink.body).toContain('<title>console</title>');
    expect(deepLink.headers['cache-control']).toBe('no-cache');
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/../../secret.txt',
    '/..%5csecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/%252e%252e/secret.txt',
  ])('does not serve %s, a file outside the web build', async (url) => {
    // The file is there (so the test could fail) and the build itself is served (so the door works).
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe(MARKER);
    expect((await proxy.app.inject({ method: 'GET', url: '/assets/index-abc123.js' })).body).toBe('console.log(1)');
    for (const accept of ['*/*', 'text/html']) {
      const res = await proxy.app.inject({ method: 'GET', url, headers: { accept } });
      expect(res.body).not.toContain(MARKER);
      // Either refused in the envelope, or the single-page app's index.html: nothing else.
      if (res.statusCode === 200) expect(res.body).toContain('<title>console</title>');
      else expect(res.statusCode).toBeGreaterThanOrEqual(400);
    }
  });

  it('has liveness and readiness probes', async () => {
    expect((await proxy.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await proxy.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { credentials: 'ok', upstream: 'ok', audit: 'ok' } });
  });

  it('logs one structured line per request with user and action, and never the secret or headers', async () => {
    await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeRegions',
      headers: { ...jsonFromConsole, authorization: 'Bearer very-secret-token' },
      payload: {},
    });
    const lines = proxy.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l['action'] === 'DescribeRegions');
    expect(line).toMatchObject({ msg: 'request', user: 'local operator', status: 200 });
    expect(line?.['reqId']).toBeTruthy();
    const all = proxy.logs.join('\n');
    expect(all).not.toContain(SIM_SECRET);
    expect(all).not.toContain('very-secret-token');
  });

  it('answers 5xx without internals', async () => {
    const broken = await createTestProxy({
      ecs: () => ({
        call: () => Promise.reject(new Error('boom at /secret/path with key AKIA123')),
        close: () => Promise.resolve(),
      }),
    });
    try {
      const res = await broken.app.inject({ method: 'POST', url: '/api/ecs/DescribeRegions', headers: jsonFromConsole, payload: {} });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ Code: 'Proxy.InternalError' });
      expect(res.body).not.toContain('boom');
      expect(res.body).not.toContain('/secret/path');
    } finally {
      await broken.close();
    }
  });
});

describe('findings of the security review', () => {
  it('refuses a rebound host name without SSO, so no web page can drive the console (DNS rebinding)', async () => {
    const proxy = await createTestProxy({ env: { PUBLIC_ORIGIN: '' } });
    try {
      const headers = { 'content-type': 'application/json', host: 'evil.example:8080', origin: 'http://evil.example:8080' };
      const read = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeInstances',
        headers,
        payload: { RegionId: 'cn-hangzhou' },
      });
      expect(read.statusCode).toBe(421);
      expect(read.json()).toMatchObject({ Code: 'Proxy.HostNotAllowed' });
      const [id] = linux(proxy, 'Running', 1);
      const write = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers,
        payload: { RegionId: 'cn-hangzhou', InstanceId: id },
      });
      expect(write.statusCode).toBe(421);
      expect((await proxy.app.inject({ method: 'GET', url: '/api/activity', headers: { host: 'evil.example:8080' } })).statusCode).toBe(
        421,
      );
      expect(proxy.upstreamCalls).toHaveLength(0);
      const local = await proxy.app.inject({ method: 'GET', url: '/api/session', headers: { host: 'localhost:8080' } });
      expect(local.statusCode).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('keeps the audit trail and pending list from users without the view role', async () => {
    const proxy = await createTestProxy({ env: { AUTH_MODE: 'header', TRUSTED_PROXY_CIDRS: '127.0.0.1/32', ROLE_VIEW_GROUPS: 'ops' } });
    try {
      const outsider = { 'x-forwarded-user': 'mallory', 'x-forwarded-groups': 'contractors' };
      for (const url of ['/api/activity', '/api/pending?RegionId=cn-hangzhou']) {
        const res = await proxy.app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1', headers: outsider });
        expect(res.statusCode, url).toBe(403);
        expect(res.json()).toMatchObject({ Code: 'Proxy.Forbidden' });
      }
      const insider = await proxy.app.inject({
        method: 'GET',
        url: '/api/activity',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-user': 'olga', 'x-forwarded-groups': 'ops' },
      });
      expect(insider.statusCode).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('answers malformed URLs and text that cannot be encoded with a clear 400, never a 500', async () => {
    const proxy = await createTestProxy();
    try {
      const badUrl = await proxy.app.inject({ method: 'GET', url: '/%ff<script>' });
      expect(badUrl.statusCode).toBe(400);
      expect(badUrl.json()).toMatchObject({ Code: 'Proxy.BadRequest' });
      expect(String(badUrl.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
      const surrogate = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeInstances',
        headers: jsonFromConsole,
        payload: '{"RegionId":"cn-hangzhou","InstanceName":"\\ud800"}',
      });
      expect(surrogate.statusCode).toBe(400);
      expect(surrogate.json()).toMatchObject({ Code: 'Proxy.InvalidParameter' });
    } finally {
      await proxy.close();
    }
  });

  it('maps an impossible upstream status to 502 and still completes the audit record, as unknown', async () => {
    const proxy = await createTestProxy({
      ecs: (real) => ({
        call: (action, wire, route) =>
          action === 'RebootInstance'
            ? Promise.resolve({
                kind: 'response' as const,
                status: 600,
                body: { RequestId: 'R-600' },
                headers: {},
                attempts: 1,
                durationMs: 1,
              })
            : real.call(action, wire, route),
        close: () => Promise.resolve(),
      }),
    });
    try {
      const [id] = linux(proxy, 'Running', 1);
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: jsonFromConsole,
        payload: { RegionId: 'cn-hangzhou', InstanceId: id },
      });
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ Code: 'Proxy.BadUpstreamResponse' });
      // An answer nobody can read is not a refusal: the reboot may have happened.
      const trail = await proxy.app.inject({ method: 'GET', url: '/api/activity' });
      expect(trail.json<{ items: { status: string }[] }>().items[0]?.status).toBe('unknown');
    } finally {
      await proxy.close();
    }
  });

  it('serves no dotfiles, and a web build that appears after start-up is not half-served', async () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'web-late-'));
    const late = await createTestProxy({ webDist: dist });
    try {
      writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>late</title>');
      const res = await late.app.inject({ method: 'GET', url: '/regions/x', headers: { accept: 'text/html' } });
      expect(res.statusCode).toBe(404);
    } finally {
      await late.close();
    }
    writeFileSync(path.join(dist, '.env'), 'SECRET=1');
    const served = await createTestProxy({ webDist: dist });
    try {
      const dotfile = await served.app.inject({ method: 'GET', url: '/.env' });
      expect(dotfile.body).not.toContain('SECRET=1');
    } finally {
      await served.close();
      rmSync(dist, { recursive: true, force: true });
    }
  });
});

describe('signed assertions (AUTH_MODE=jwt) through the whole app', () => {
  const ISSUER = 'https://sso.example.test';
  const AUDIENCE = 'ecs-keypair-console';
  let jwks: http.Server;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let proxy: TestProxy;
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

  beforeAll(async () => {
    keys = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    proxy = await createTestProxy({
      env: {
        AUTH_MODE: 'jwt',
        JWT_PRESET: 'cloudflare',
        JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks`,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        ROLE_ATTACH_GROUPS: 'sre',
      },
    });
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ email: 'alice@example.com', groups: ['sre'], ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);
  const session = (token: string) =>
    proxy.app.inject({ method: 'GET', url: '/api/session', headers: { 'cf-access-jwt-assertion': token } });

  it('believes a valid assertion and takes user and groups from it', async () => {
    const res = await session(await sign({}));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: 'alice@example.com', groups: ['sre'], authMode: 'jwt' });
  });

  it('refuses wrong audience or issuer, expiry beyond the skew, alg none, HS256 with the public key, and an unknown key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const publicPem = await exportSPKI(keys.publicKey);
    const cases: [string, string][] = [
      [
        'wrong audience',
        await new SignJWT({ email: 'a@x' })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience('another-app')
          .setExpirationTime('5m')
          .sign(keys.privateKey),
      ],
      [
        'wrong issuer',
        await new SignJWT({ email: 'a@x' })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer('https://evil.test')
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(keys.privateKey),
      ],
      [
        'expired beyond the 60 s skew',
        await new SignJWT({ email: 'a@x' })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime(now - 120)
          .sign(keys.privateKey),
      ],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: AUDIENCE, email: 'a@x', exp: now + 300 })}.`],
      [
        'HS256 keyed with the public key',
        await new SignJWT({ email: 'a@x' })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(publicPem)),
      ],
      ['unknown key id', await sign({}, { kid: 'not-a-key' })],
      ['garbage', 'not.a.jwt'],
    ];
    for (const [what, token] of cases) {
      const res = await session(token);
      expect(res.statusCode, what).toBe(401);
      expect(res.json(), what).toMatchObject({ Code: 'Proxy.Unauthenticated' });
    }
    expect((await proxy.app.inject({ method: 'GET', url: '/api/session' })).statusCode).toBe(401);
    const mutation = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/DescribeRegions',
      headers: { ...jsonFromConsole, 'cf-access-jwt-assertion': 'not.a.jwt' },
      payload: {},
    });
    expect(mutation.statusCode).toBe(401);
    expect(proxy.upstreamCalls).toHaveLength(0);
  });
});

describe('the audit store and readiness under faults', () => {
  const attachTo = (proxy: TestProxy, key: string, id: string | undefined, headers: Record<string, string> = {}) =>
    proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/AttachKeyPair',
      headers: { ...jsonFromConsole, ...headers },
      payload: { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: [id] },
    });

  it('keeps answering while another connection holds the audit write lock, and refuses the attach with nothing sent', async () => {
    const proxy = await createTestProxy({ auditOptions: { lockWaitMs: 1_500 } });
    const other = new Database(proxy.config.auditDb);
    try {
      const key = await keyPairName(proxy);
      const id = linux(proxy, 'Running', 20).find((i) => proxy.simulator.instance(i)?.KeyPairName !== key);
      const before = proxy.simulator.instance(id ?? '');
      expect(before).toBeDefined();
      await proxy.app.inject({ method: 'GET', url: '/api/activity' });

      other.exec('BEGIN IMMEDIATE');
      let settled = false;
      const attach = attachTo(proxy, key, id).finally(() => (settled = true));
      // Long enough for the attach to reach its audit write and start waiting for the lock.
      const waitStarted = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(performance.now() - waitStarted).toBeLessThan(300);
      for (const url of ['/healthz', '/api/session', '/api/activity', '/api/pending?RegionId=cn-hangzhou']) {
        const started = performance.now();
        const res = await proxy.app.inject({ method: 'GET', url });
        expect(performance.now() - started, url).toBeLessThan(100);
        expect(res.statusCode, url).toBe(200);
      }
      expect(settled).toBe(false);

      const refused = await attach;
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ Code: 'Proxy.AuditUnavailable' });
      // Nothing reached the simulated ECS: the instance is exactly as it was.
      expect(proxy.simulator.instance(id ?? '')).toEqual(before);

      other.exec('ROLLBACK');
      const accepted = await attachTo(proxy, key, id);
      expect(accepted.statusCode).toBe(200);
      expect(proxy.simulator.instance(id ?? '')?.KeyPairName).toBe(key);
    } finally {
      other.close();
      await proxy.close();
    }
  });

  it('stores an over-long client address clipped, and the attach goes through', async () => {
    const proxy = await createTestProxy({ env: { AUTH_MODE: 'header', TRUSTED_PROXY_CIDRS: '127.0.0.1/32', ROLE_ATTACH_GROUPS: 'sre' } });
    try {
      const who = { 'x-forwarded-user': 'carol', 'x-forwarded-groups': 'sre' };
      const [id] = linux(proxy, 'Running', 1);
      const keys = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeKeyPairs',
        remoteAddress: '127.0.0.1',
        headers: { ...jsonFromConsole, ...who },
        payload: { RegionId: 'cn-hangzhou' },
      });
      const key = keys.json<{ KeyPairs: { KeyPair: { KeyPairName: string }[] } }>().KeyPairs.KeyPair[0]?.KeyPairName ?? '';
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/AttachKeyPair',
        remoteAddress: '127.0.0.1',
        headers: { ...jsonFromConsole, ...who, 'x-forwarded-for': 'not-an-ip-'.repeat(110) },
        payload: { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: [id] },
      });
      expect(res.statusCode).toBe(200);
      expect(proxy.simulator.instance(id ?? '')?.KeyPairName).toBe(key);
      const trail = await proxy.app.inject({
        method: 'GET',
        url: '/api/activity?action=AttachKeyPair',
        remoteAddress: '127.0.0.1',
        headers: who,
      });
      const [record] = trail.json<{ items: { status: string; clientAddress: string }[] }>().items;
      expect(record?.status).toBe('succeeded');
      expect(Buffer.byteLength(record?.clientAddress ?? '')).toBeLessThanOrEqual(AUDIT_LIMITS.textBytes);
    } finally {
      await proxy.close();
    }
  });

  it('is not ready once ECS is down, asking ECS itself at most every 10 s', async () => {
    let now = Date.now();
    const proxy = await createTestProxy({ clock: () => now });
    try {
      const readyz = () => proxy.app.inject({ method: 'GET', url: '/readyz' });
      expect((await readyz()).statusCode).toBe(200);
      await proxy.simServer.close();
      // Within the window the last answer stands; after it, ECS is asked again and does not answer.
      now += 5_000;
      expect((await readyz()).statusCode).toBe(200);
      now += 5_001;
      const started = performance.now();
      const down = await readyz();
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({
        status: 'not ready',
        checks: { credentials: 'ok', upstream: 'ECS did not answer DescribeRegions', audit: 'ok' },
      });
    } finally {
      await proxy.close();
    }
  });

  it('is not ready when ECS hangs, and says so within its 2 s timeout', async () => {
    let now = Date.now();
    const proxy = await createTestProxy({ upstream: { timeoutMs: 10_000 }, clock: () => now });
    try {
      await warmRegions(proxy);
      now += 10_001;
      proxy.simulator.setControl({ faults: { errorRate: 0, dropRate: 0, slowRate: 1, slowMs: 8_000, malformedRate: 0 } });
      const started = performance.now();
      const res = await proxy.app.inject({ method: 'GET', url: '/readyz' });
      const elapsed = performance.now() - started;
      expect(res.statusCode).toBe(503);
      expect(res.json<{ checks: Record<string, string> }>().checks['upstream']).toBe('ECS did not answer DescribeRegions within 2000 ms');
      expect(elapsed).toBeGreaterThanOrEqual(1_900);
      expect(elapsed).toBeLessThan(2_600);
    } finally {
      await proxy.close();
    }
  });

  it('is not ready when the audit disk is short of space', async () => {
    const proxy = await createTestProxy({ auditOptions: { minFreeBytes: Number.MAX_SAFE_INTEGER } });
    try {
      const res = await proxy.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        status: 'not ready',
        checks: { upstream: 'ok', audit: expect.stringMatching(/^the audit disk has less than \d+ MiB free$/) as unknown },
      });
    } finally {
      await proxy.close();
    }
  });
});

describe('a mutating call that got no definite answer from ECS', () => {
  type Activity = {
    items: {
      status: string;
      httpStatus?: number;
      instances: { InstanceId: string; ok: boolean; unknown?: boolean; reconciled?: { KeyPairName: string; attached: boolean } }[];
    }[];
  };
  type Pending = { Pending: { InstanceId: string; keyPairName: string; mayBePending?: boolean }[] };

  /** Two settled Linux instances that do not carry the key pair yet, so an attach really changes them. */
  async function targets(proxy: TestProxy): Promise<{ ids: string[]; key: string }> {
    const key = await keyPairName(proxy);
    const ids = linux(proxy, 'Running', 20)
      .filter((id) => proxy.simulator.instance(id)?.KeyPairName !== key)
      .slice(0, 2);
    expect(ids).toHaveLength(2);
    return { ids, key };
  }

  const attach = (proxy: TestProxy, key: string, ids: string[]) =>
    proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/AttachKeyPair',
      headers: jsonFromConsole,
      payload: { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: ids },
    });
  const activity = async (proxy: TestProxy) =>
    (await proxy.app.inject({ method: 'GET', url: '/api/activity?action=AttachKeyPair' })).json<Activity>().items[0];
  const pending = async (proxy: TestProxy) =>
    (await proxy.app.inject({ method: 'GET', url: '/api/pending?RegionId=cn-hangzhou' })).json<Pending>().Pending;

  /** The answers a gateway between the proxy and ECS gives after ECS has done the work. */
  const gatewayAnswers: [string, number, Record<string, unknown>][] = [
    [
      'a 500 InternalError',
      500,
      { RequestId: 'GW-500', Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' },
    ],
    ['a 502 without an ECS code', 502, { message: 'Bad Gateway' }],
    ['a bare 503', 503, {}],
  ];

  it.each(gatewayAnswers)(
    'after %s: the reply, the audit and pending all say unknown, and reading back finds the key attached',
    async (_what, status, body) => {
      const proxy = await createTestProxy({
        ecs: (real) => ({
          // The attach really reaches the simulated ECS; only its answer is replaced on the way back.
          call: async (action, wire, route) => {
            const outcome = await real.call(action, wire, route);
            return action === 'AttachKeyPair' ? { kind: 'response', status, body, headers: {}, attempts: 1, durationMs: 1 } : outcome;
          },
          close: () => Promise.resolve(),
        }),
      });
      try {
        const { ids, key } = await targets(proxy);
        const res = await attach(proxy, key, ids);

        // ECS did attach, once: the old key pair is gone (and with it password login), and nothing was resent.
        for (const id of ids) expect(proxy.simulator.instance(id)?.KeyPairName).toBe(key);
        expect(proxy.upstreamCalls.filter((c) => c.action === 'AttachKeyPair')).toHaveLength(1);
        // The read-back asked ECS about exactly those instances.
        const readBack = proxy.upstreamCalls.filter((c) => c.action === 'DescribeInstances' && c.wire['InstanceIds'] !== undefined);
        expect(readBack.map((c) => JSON.parse(c.wire['InstanceIds'] ?? '[]') as unknown)).toEqual([ids]);
        // The reply is the gateway's, RequestId included, and reads as unknown by the rule the browser uses.
        expect(res.statusCode).toBe(status);
        expect(res.json()).toEqual(body);
        expect(
          readEcsAnswer('AttachKeyPair', ids, res.statusCode, res.json<Record<string, unknown>>()).instances.map(instanceVerdict),
        ).toEqual(['unknown', 'unknown']);

        const record = await activity(proxy);
        expect(record).toMatchObject({ status: 'unknown', httpStatus: status });
        expect(record?.instances.map((i) => [i.InstanceId, i.ok, i.unknown, i.reconciled?.KeyPairName, i.reconciled?.attached])).toEqual(
          ids.map((id) => [id, false, true, key, true]),
        );
        // Reconciled: a confirmed pending activation, not a "may be".
        const marks = await pending(proxy);
        expect(marks.map((p) => [p.InstanceId, p.keyPairName, p.mayBePending]).sort()).toEqual(
          ids.map((id) => [id, key, undefined]).sort(),
        );
      } finally {
        await proxy.close();
      }
    },
  );

  it('leaves the instances "may be pending" when the read-back itself fails', async () => {
    let isAttachSent = false;
    const proxy = await createTestProxy({
      ecs: (real) => ({
        call: async (action, wire, route) => {
          if (action === 'DescribeInstances' && isAttachSent)
            return { kind: 'unknown', reason: 'connection reset (ECONNRESET)', attempts: 1, durationMs: 1 };
          const outcome = await real.call(action, wire, route);
          if (action !== 'AttachKeyPair') return outcome;
          isAttachSent = true;
          return { kind: 'response', status: 502, body: {}, headers: {}, attempts: 1, durationMs: 1 };
        },
        close: () => Promise.resolve(),
      }),
    });
    try {
      const { ids, key } = await targets(proxy);
      expect((await attach(proxy, key, ids)).statusCode).toBe(502);
      for (const id of ids) expect(proxy.simulator.instance(id)?.KeyPairName).toBe(key);
      const record = await activity(proxy);
      expect(record?.status).toBe('unknown');
      expect(record?.instances.every((i) => i.unknown === true && i.reconciled === undefined)).toBe(true);
      expect((await pending(proxy)).map((p) => [p.InstanceId, p.mayBePending]).sort()).toEqual(ids.map((id) => [id, true]).sort());
      expect(PendingList.safeParse({ RegionId: 'cn-hangzhou', Pending: await pending(proxy) }).success).toBe(true);
      expect(ActivityPage.safeParse((await proxy.app.inject({ method: 'GET', url: '/api/activity' })).json()).success).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('finds by reading back that an attach whose answer was lost did not happen, and marks nothing pending', async () => {
    const proxy = await createTestProxy({
      ecs: (real) => ({
        // The gateway fails the attach without forwarding it.
        call: (action, wire, route) =>
          action === 'AttachKeyPair'
            ? Promise.resolve({
                kind: 'response' as const,
                status: 500,
                body: { Code: 'InternalError', Message: 'boom' },
                headers: {},
                attempts: 1,
                durationMs: 1,
              })
            : real.call(action, wire, route),
        close: () => Promise.resolve(),
      }),
    });
    try {
      const { ids, key } = await targets(proxy);
      const before = ids.map((id) => proxy.simulator.instance(id)?.KeyPairName ?? '');
      expect((await attach(proxy, key, ids)).statusCode).toBe(500);
      const record = await activity(proxy);
      expect(record?.status).toBe('unknown');
      expect(record?.instances.map((i) => [i.reconciled?.KeyPairName, i.reconciled?.attached])).toEqual(before.map((k) => [k, false]));
      expect(await pending(proxy)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('does not hold the reply longer than a few seconds when the read-back hangs', async () => {
    let isAttachSent = false;
    const proxy = await createTestProxy({
      ecs: (real) => ({
        call: async (action, wire, route) => {
          if (action === 'DescribeInstances' && isAttachSent) {
            // Never answers; gives up only when the proxy's own deadline aborts it.
            return new Promise((resolve) =>
              route.signal?.addEventListener('abort', () => resolve({ kind: 'unknown', reason: 'aborted', attempts: 1, durationMs: 1 }), {
                once: true,
              }),
            );
          }
          const outcome = await real.call(action, wire, route);
          if (action !== 'AttachKeyPair') return outcome;
          isAttachSent = true;
          return { kind: 'unknown', reason: 'connection reset (ECONNRESET)', attempts: 1, durationMs: 1 };
        },
        close: () => Promise.resolve(),
      }),
    });
    try {
      const { ids, key } = await targets(proxy);
      const started = performance.now();
      const res = await attach(proxy, key, ids);
      expect(performance.now() - started).toBeLessThan(6_000);
      expect(res.statusCode).toBe(504);
      expect(res.json()).toMatchObject({ Code: 'Proxy.OutcomeUnknown' });
      expect(res.json<{ Message: string }>().Message).toContain('connection reset');
      expect((await pending(proxy)).map((p) => p.mayBePending)).toEqual([true, true]);
    } finally {
      await proxy.close();
    }
  });
});
