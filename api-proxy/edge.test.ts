import { isIP, type AddressInfo } from 'node:net';
import { answerProblems, rawRequest, recordSimulatorCalls } from './edge-probe';
import { createTestProxy, jsonFromConsole, type TestProxy } from './test-support';

/**
 * The HTTP edge: which origins may mutate, which client address is audited, the per-user rate limit, the
 * audit of every refusal, and parser-level errors in the proxy's envelope. Side effects are counted at the
 * simulator (`recordSimulatorCalls`), below the proxy's retry loop.
 */

type Row = { InstanceId: string; Status: string; OSType: string; KeyPairName?: string; OperationLocks?: { LockReason?: unknown[] } };

function linux(proxy: TestProxy, count: number): string[] {
  return (proxy.simulator.instancesIn('cn-hangzhou') as readonly Row[])
    .filter((i) => i.Status === 'Running' && i.OSType === 'linux' && (i.OperationLocks?.LockReason?.length ?? 0) === 0)
    .slice(0, count)
    .map((i) => i.InstanceId);
}

/** A key pair other than the one the instance has, so an attach would show. */
function otherKeyPair(proxy: TestProxy, instanceId: string): string {
  const current = proxy.simulator.instance(instanceId)?.KeyPairName;
  const region = proxy.simulator.instancesIn('cn-hangzhou') as readonly Row[];
  const names = [...new Set(region.map((i) => i.KeyPairName).filter((n): n is string => n !== undefined && n !== ''))];
  const name = names.find((n) => n !== current);
  if (name === undefined) throw new Error('the fleet has a single key pair');
  return name;
}

async function listen(proxy: TestProxy): Promise<number> {
  await proxy.app.listen({ port: 0, host: '127.0.0.1' });
  return (proxy.app.server.address() as AddressInfo).port;
}

const mutations = (calls: { mutating: boolean }[]) => calls.filter((c) => c.mutating).length;

type Activity = { status: string; user: string; action: string; clientAddress: string; errorMessage?: string; instanceIds: string[] };

async function trail(proxy: TestProxy, headers: Record<string, string> = {}, query = 'limit=200'): Promise<Activity[]> {
  const res = await proxy.app.inject({
    method: 'GET',
    url: `/api/activity?${query}`,
    remoteAddress: '127.0.0.1',
    headers: { host: '127.0.0.1:8080', ...headers },
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ items: Activity[] }>().items;
}

const SSO = {
  AUTH_MODE: 'header',
  TRUSTED_PROXY_CIDRS: '127.0.0.1/32',
  PUBLIC_ORIGIN: 'http://127.0.0.1:8080',
  ROLE_ATTACH_GROUPS: 'sre',
  ROLE_POWER_GROUPS: 'sre',
};
const alice = { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'sre' };
const bob = { 'x-forwarded-user': 'bob', 'x-forwarded-groups': 'viewers' };
const fromConsole = { 'content-type': 'application/json', host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' };

describe('origins: scheme, host and port', () => {
  it('refuses Origin https://… to a console served over http, and nothing reaches the simulator (no SSO, real socket)', async () => {
    const proxy = await createTestProxy({ env: { PUBLIC_ORIGIN: '' } });
    try {
      const port = await listen(proxy);
      const calls = recordSimulatorCalls(proxy.simulator);
      const [id = ''] = linux(proxy, 1);
      const before = proxy.simulator.instance(id)?.KeyPairName;
      const key = otherKeyPair(proxy, id);
      const attach = (origin: string) =>
        fetch(`http://127.0.0.1:${port}/api/ecs/AttachKeyPair`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: JSON.stringify({ RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: [id] }),
        });

      const https = await attach(`https://127.0.0.1:${port}`);
      expect(https.status).toBe(403);
      expect(await https.json()).toMatchObject({ Code: 'Proxy.CrossOrigin' });
      expect(mutations(calls)).toBe(0);
      expect(proxy.simulator.instance(id)?.KeyPairName).toBe(before);

      // The console's own origin still works, over the same socket path.
      const own = await attach(`http://127.0.0.1:${port}`);
      expect(own.status).toBe(200);
      expect(proxy.simulator.instance(id)?.KeyPairName).toBe(key);
    } finally {
      await proxy.close();
    }
  });

  it('refuses another scheme or port than PUBLIC_ORIGIN’s behind SSO, audits it, and sends nothing', async () => {
    const proxy = await createTestProxy({ env: SSO });
    try {
      const calls = recordSimulatorCalls(proxy.simulator);
      const [id = ''] = linux(proxy, 1);
      const payload = { RegionId: 'cn-hangzhou', KeyPairName: otherKeyPair(proxy, id), InstanceIds: [id] };
      for (const origin of ['https://127.0.0.1:8080', 'http://127.0.0.1:8081', 'http://127.0.0.1', 'null']) {
        const res = await proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/AttachKeyPair',
          remoteAddress: '127.0.0.1',
          headers: { ...fromConsole, ...alice, origin },
          payload,
        });
        expect(res.statusCode, origin).toBe(403);
        expect(res.json()).toMatchObject({ Code: 'Proxy.CrossOrigin' });
      }
      expect(mutations(calls)).toBe(0);
      const denied = (await trail(proxy, alice)).filter((r) => r.status === 'denied');
      expect(denied).toHaveLength(4);
      expect(denied[0]).toMatchObject({ user: 'alice', action: 'AttachKeyPair', instanceIds: [id] });
      expect(denied.map((r) => r.errorMessage)).toContainEqual(expect.stringContaining('Origin https://127.0.0.1:8080'));
      const own = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/AttachKeyPair',
        remoteAddress: '127.0.0.1',
        headers: { ...fromConsole, ...alice },
        payload,
      });
      expect(own.statusCode).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('believes X-Forwarded-Proto and X-Forwarded-Host only from TRUSTED_PROXY_CIDRS', async () => {
    const proxy = await createTestProxy({ env: { PUBLIC_ORIGIN: '', TRUSTED_PROXY_CIDRS: '127.0.0.1' } });
    try {
      const calls = recordSimulatorCalls(proxy.simulator);
      const [id] = linux(proxy, 1);
      const reboot = (remoteAddress: string, headers: Record<string, string>) =>
        proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/RebootInstance',
          remoteAddress,
          headers: { 'content-type': 'application/json', host: '127.0.0.1:8080', ...headers },
          payload: { RegionId: 'cn-hangzhou', InstanceId: id, DryRun: true },
        });
      const tlsFront = { 'x-forwarded-proto': 'https', origin: 'https://127.0.0.1:8080' };
      // A TLS-terminating proxy on a trusted address: the browser's origin is https.
      expect((await reboot('127.0.0.1', tlsFront)).statusCode).not.toBe(403);
      expect(
        (await reboot('127.0.0.1', { ...tlsFront, 'x-forwarded-host': 'localhost:8443', origin: 'https://localhost:8443' })).statusCode,
      ).not.toBe(403);
      expect(mutations(calls)).toBe(2);
      // The same claims from anyone else are the caller's own: the connection is plain http to 127.0.0.1:8080.
      expect((await reboot('127.0.0.2', tlsFront)).statusCode).toBe(403);
      expect(
        (await reboot('127.0.0.2', { ...tlsFront, 'x-forwarded-host': 'localhost:8443', origin: 'https://localhost:8443' })).statusCode,
      ).toBe(403);
      expect((await reboot('127.0.0.2', { 'x-forwarded-proto': 'https', origin: 'http://127.0.0.1:8080' })).statusCode).not.toBe(403);
      // A list (a client's copy plus the proxy's) is not believed either.
      expect((await reboot('127.0.0.1', { 'x-forwarded-proto': 'https, http', origin: 'https://127.0.0.1:8080' })).statusCode).toBe(403);
      expect(mutations(calls)).toBe(3);
    } finally {
      await proxy.close();
    }
  });
});

describe('the audited client address', () => {
  let proxy: TestProxy;
  beforeEach(async () => {
    proxy = await createTestProxy({ env: SSO });
  });
  afterEach(async () => proxy.close());

  it('survives 1,100 bytes of X-Forwarded-For: the attach succeeds and a real IP is audited', async () => {
    const [a = '', b = ''] = linux(proxy, 2);
    const attach = (id: string, xff: string) =>
      proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/AttachKeyPair',
        remoteAddress: '127.0.0.1',
        headers: { ...fromConsole, ...alice, 'x-forwarded-for': xff },
        payload: { RegionId: 'cn-hangzhou', KeyPairName: otherKeyPair(proxy, id), InstanceIds: [id] },
      });
    const garbageLast = await attach(a, `198.51.100.23, ${'a'.repeat(1100)}`);
    expect(garbageLast.statusCode).toBe(200);
    const garbageFirst = await attach(b, `${'b'.repeat(1100)}, 198.51.100.23`);
    expect(garbageFirst.statusCode).toBe(200);
    const records = await trail(proxy, alice, 'action=AttachKeyPair');
    // Newest first: the right-most address is the client's; garbage there means only the peer is known.
    expect(records.map((r) => r.clientAddress)).toEqual(['198.51.100.23', '127.0.0.1']);
  });

  it('never stores a non-address such as not-an-ip', async () => {
    const [id] = linux(proxy, 1);
    for (const xff of ['not-an-ip', '198.51.100.7:443', 'unknown, not-an-ip']) {
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        remoteAddress: '127.0.0.1',
        headers: { ...fromConsole, ...alice, 'x-forwarded-for': xff },
        payload: { RegionId: 'cn-hangzhou', InstanceId: id, DryRun: true },
      });
      expect(res.json()).toMatchObject({ Code: 'DryRunOperation' });
    }
    const records = await trail(proxy, alice);
    expect(records).toHaveLength(3);
    for (const record of records) expect(isIP(record.clientAddress), record.clientAddress).not.toBe(0);
  });

  it('still leaves a denied record for a refused attach with such a header', async () => {
    const [id = ''] = linux(proxy, 1);
    const res = await proxy.app.inject({
      method: 'POST',
      url: '/api/ecs/AttachKeyPair',
      remoteAddress: '127.0.0.1',
      headers: { ...fromConsole, ...bob, 'x-forwarded-for': `${'x'.repeat(1100)}` },
      payload: { RegionId: 'cn-hangzhou', KeyPairName: otherKeyPair(proxy, id), InstanceIds: [id] },
    });
    expect(res.statusCode).toBe(403);
    const denied = await trail(proxy, bob, 'status=denied');
    expect(denied).toEqual([expect.objectContaining({ user: 'bob', action: 'AttachKeyPair', clientAddress: '127.0.0.1' })]);
  });
});

describe('the inbound rate limit', () => {
  it('answers 429 with Retry-After in the envelope past the limit, per user, and nothing more reaches the simulator', async () => {
    const proxy = await createTestProxy({ env: { ...SSO, RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const calls = recordSimulatorCalls(proxy.simulator);
      const describe = (who: Record<string, string>) =>
        proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/DescribeInstances',
          remoteAddress: '127.0.0.1',
          headers: { ...fromConsole, ...who },
          payload: { RegionId: 'cn-hangzhou', MaxResults: 1 },
        });
      for (let i = 0; i < 5; i += 1) expect((await describe(alice)).statusCode).toBe(200);
      const seen = calls.length;

      const limited = await describe(alice);
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ Code: 'Proxy.RateLimited', RequestId: limited.headers['x-request-id'] });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(
        answerProblems({ status: limited.statusCode, headers: limited.headers as Record<string, string>, body: limited.body }),
      ).toEqual([]);

      const [id = ''] = linux(proxy, 1);
      const attach = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/AttachKeyPair',
        remoteAddress: '127.0.0.1',
        headers: { ...fromConsole, ...alice },
        payload: { RegionId: 'cn-hangzhou', KeyPairName: otherKeyPair(proxy, id), InstanceIds: [id] },
      });
      expect(attach.statusCode).toBe(429);
      expect(calls.length).toBe(seen);
      // Keyed by user, not address: bob comes through the same SSO proxy and is not limited.
      expect((await describe(bob)).statusCode).toBe(200);
      // The refused attach is in the trail.
      const denied = await trail(proxy, alice, 'status=denied');
      expect(denied).toEqual([
        expect.objectContaining({ user: 'alice', action: 'AttachKeyPair', errorMessage: expect.stringMatching(/rate limited/) as unknown }),
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('is off with RATE_LIMIT_PER_MINUTE=0', async () => {
    const proxy = await createTestProxy({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    try {
      const res = await proxy.app.inject({ method: 'POST', url: '/api/ecs/DescribeRegions', headers: jsonFromConsole, payload: {} });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });
});

describe('the audit of refusals', () => {
  it('audits every refused mutating call that carries an identity, whatever the reason, and no read', async () => {
    const proxy = await createTestProxy({ env: SSO });
    try {
      const calls = recordSimulatorCalls(proxy.simulator);
      const [id = ''] = linux(proxy, 1);
      const key = otherKeyPair(proxy, id);
      const good = { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: [id] };
      const post = (headers: Record<string, string>, payload: string | object, action = 'AttachKeyPair') =>
        proxy.app.inject({
          method: 'POST',
          url: `/api/ecs/${action}`,
          remoteAddress: '127.0.0.1',
          headers: { ...fromConsole, ...alice, ...headers },
          payload,
        });
      const cases: [string, Awaited<ReturnType<typeof post>>, RegExp][] = [
        ['unknown parameter', await post({}, { ...good, Force: true }), /invalid parameters: unknown parameter\(s\) Force/],
        ['bad key pair name', await post({}, { ...good, KeyPairName: '-bad name-' }), /invalid parameters: KeyPairName/],
        ['unknown region', await post({}, { ...good, RegionId: 'mars-north-1' }), /region mars-north-1 is not one of/],
        ['malformed JSON', await post({}, '{"RegionId":'), /not valid JSON/],
        ['form body', await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'RegionId=cn-hangzhou'), /application\/json/],
        ['another origin', await post({ origin: 'https://evil.example' }, good), /not from the console's origin/],
        ['another host', await post({ host: 'evil.example:8080' }, good), /host name not allowed \(evil\.example:8080\)/],
      ];
      for (const [what, res] of cases) expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
      // A read refused for its parameters is not a change, and is not audited.
      expect((await post({}, { RegionId: 'cn-hangzhou', Bogus: 1 }, 'DescribeInstances')).statusCode).toBe(400);
      // Without an identity there is no one to audit (and nothing is refused differently).
      const anonymous = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/AttachKeyPair',
        remoteAddress: '10.9.9.9',
        headers: { ...fromConsole, ...alice },
        payload: { ...good, Force: true },
      });
      expect(anonymous.statusCode).toBe(401);

      const denied = await trail(proxy, alice, 'status=denied&limit=200');
      expect(denied).toHaveLength(cases.length);
      for (const [what, , reason] of cases) {
        expect(
          denied.some((r) => reason.test(r.errorMessage ?? '')),
          `${what}: ${denied.map((r) => r.errorMessage).join(' | ')}`,
        ).toBe(true);
      }
      expect(denied.every((r) => r.user === 'alice' && r.action === 'AttachKeyPair')).toBe(true);
      expect(mutations(calls)).toBe(0);
      expect(proxy.simulator.instance(id)?.KeyPairName).not.toBe(key);
    } finally {
      await proxy.close();
    }
  });

  it('past the denial budget writes one summary per user and window, when the next window opens', async () => {
    let now = Date.UTC(2026, 0, 15, 12, 0, 0);
    const proxy = await createTestProxy({ env: SSO, clock: () => now });
    try {
      const ids = linux(proxy, 40);
      const reboot = (id: string | undefined) =>
        proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/RebootInstance',
          remoteAddress: '127.0.0.1',
          headers: { ...fromConsole, ...bob },
          payload: { RegionId: 'cn-hangzhou', InstanceId: id },
        });
      for (const id of ids) expect((await reboot(id)).statusCode).toBe(403);
      // An exact repeat is not written again but is counted too.
      expect((await reboot(ids[0])).statusCode).toBe(403);
      expect(await trail(proxy, bob, 'status=denied&limit=200')).toHaveLength(30);

      now += 10_000;
      expect((await reboot(ids[0])).statusCode).toBe(403);
      const denied = await trail(proxy, bob, 'status=denied&limit=200');
      expect(denied).toHaveLength(32);
      const summaries = denied.filter((r) => /suppressed/.test(r.errorMessage ?? ''));
      expect(summaries.map((r) => r.errorMessage)).toEqual([
        '11 further refusals of bob suppressed between 2026-01-15T12:00:00.000Z and 2026-01-15T12:00:00.000Z (RebootInstance ×11)',
      ]);
      expect(summaries[0]).toMatchObject({ user: 'bob', action: 'RebootInstance', instanceIds: [] });
    } finally {
      await proxy.close();
    }
  });

  it('writes the pending summary when the proxy closes', async () => {
    const frozen = Date.UTC(2026, 0, 15, 12, 0, 5);
    const proxy = await createTestProxy({ env: SSO, clock: () => frozen });
    try {
      for (const id of linux(proxy, 33)) {
        await proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/RebootInstance',
          remoteAddress: '127.0.0.1',
          headers: { ...fromConsole, ...bob },
          payload: { RegionId: 'cn-hangzhou', InstanceId: id },
        });
      }
      expect((await proxy.audit.list({ status: 'denied', limit: 200 })).items).toHaveLength(30);
      await proxy.app.close();
      const denied = (await proxy.audit.list({ status: 'denied', limit: 200 })).items;
      expect(denied).toHaveLength(31);
      expect(denied.map((r) => r.errorMessage)).toContainEqual(expect.stringMatching(/^3 further refusals of bob suppressed between/));
    } finally {
      await proxy.close();
    }
  });
});

describe('parser-level errors in the envelope', () => {
  let proxy: TestProxy;
  let port: number;
  beforeAll(async () => {
    proxy = await createTestProxy();
    port = await listen(proxy);
  });
  afterAll(async () => proxy.close());

  const H = 'Host: localhost\r\n';
  it.each([
    ['a header over 16 KiB', `GET /healthz HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'Proxy.HeadersTooLarge'],
    ['a bad request line', 'GARBAGE\r\n\r\n', 400, 'Proxy.BadRequest'],
    ['bare LF line ends', 'GET /healthz HTTP/1.1\nHost: localhost\n\n', 400, 'Proxy.BadRequest'],
    ['a NUL byte in a header', `GET /healthz HTTP/1.1\r\nHost: local\u0000host\r\n\r\n`, 400, 'Proxy.BadRequest'],
    [
      'Content-Length with Transfer-Encoding',
      `POST /api/ecs/DescribeRegions HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      'Proxy.BadRequest',
    ],
    [
      'a bad chunk size',
      `POST /api/ecs/DescribeRegions HTTP/1.1\r\n${H}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n`,
      400,
      'Proxy.BadRequest',
    ],
    [
      'Expect: bogus',
      `POST /api/ecs/DescribeRegions HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2\r\nExpect: bogus\r\n\r\n{}`,
      417,
      'Proxy.ExpectationFailed',
    ],
    ['an unknown method', `FOO /healthz HTTP/1.1\r\n${H}\r\n`, 400, 'Proxy.BadRequest'],
    ['a method no route has', `PROPFIND /healthz HTTP/1.1\r\n${H}\r\n`, 404, 'Proxy.NotFound'],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, 'Proxy.MethodNotAllowed'],
    ['an over-long action name', `POST /api/ecs/${'A'.repeat(200)} HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, 414, 'Proxy.UriTooLong'],
    [
      'a body over the limit',
      `POST /api/ecs/DescribeRegions HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{}`,
      413,
      'Proxy.BodyTooLarge',
    ],
    ['no Host header', 'GET /healthz HTTP/1.1\r\n\r\n', 421, 'Proxy.HostNotAllowed'],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'Proxy.BadRequest'],
  ])('answers %s in the envelope, with the security headers and a request ID', async (_what, bytes, status, code) => {
    const answer = await rawRequest(port, bytes);
    expect(answer).toBeDefined();
    if (answer === undefined) return;
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body)).toMatchObject({ Code: code });
    expect(answerProblems(answer)).toEqual([]);
  });

  it('keeps serving afterwards', async () => {
    const answer = await rawRequest(port, `GET /healthz HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(answer).toMatchObject({ status: 200 });
  });
});
