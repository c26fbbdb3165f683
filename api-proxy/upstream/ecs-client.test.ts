import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actions, toWire } from '../../ecs/contract';
import type { ActionName } from '../../ecs/contract';
import { createSimulator } from '../../sim/model/simulator';
import type { Simulator } from '../../sim/model/simulator';
import { createSimServer } from '../../sim/http/server';
import type { SimServer } from '../../sim/http/server';
import { CredentialsUnavailableError, staticCredentials } from './credentials';
import type { CredentialSource } from './credentials';
import { createCircuitBreaker } from './circuit-breaker';
import { createEcsClient } from './ecs-client';
import { MAX_RESPONSE_BYTES } from './retry-policy';
import type { EcsClient, EcsClientOptions, RetryInfo, UpstreamOutcome } from './ecs-client';

const AK = 'ecs-client-test-key-id';
const SK = 'ecs-client-test-key-secret';
const STS_AK = 'STS.ecs-client-test-key-id';
const STS_SK = 'ecs-client-test-sts-secret';
const STS_TOKEN = 'ecs-client-test-sts-token-value';
const REGION = 'cn-hangzhou';

const creds = staticCredentials({ accessKeyId: AK, accessKeySecret: SK }, 'static (test)');

// ---------------------------------------------------------------------------------------------------------
// Harness: a client with recorded sleeps and retries; every client made in a test is closed after it.

interface Harness {
  client: EcsClient;
  sleeps: number[];
  retries: RetryInfo[];
}

const clients: EcsClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function makeClient(base: string, overrides: Partial<EcsClientOptions> = {}): Harness {
  const sleeps: number[] = [];
  const retries: RetryInfo[] = [];
  const client = createEcsClient({
    endpointFor: () => new URL(base),
    credentials: creds,
    connectTimeoutMs: 1_000,
    timeoutMs: 2_000,
    concurrencyPerRegion: 4,
    maxRetries: 3,
    // Sleeps are recorded, not waited: the suite stays fast and the requested delays can be asserted.
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    onRetry: (info) => retries.push(info),
    ...overrides,
  });
  clients.push(client);
  return { client, sleeps, retries };
}

function call(
  client: EcsClient,
  action: ActionName,
  params: Record<string, unknown>,
  extra: { signal?: AbortSignal; regionId?: string } = {},
): Promise<UpstreamOutcome> {
  return client.call(action, toWire(action, params), {
    regionId: extra.regionId ?? REGION,
    mutating: actions[action].mutating,
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
}

function expectResponse(outcome: UpstreamOutcome): Extract<UpstreamOutcome, { kind: 'response' }> {
  if (outcome.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(outcome)}`);
  return outcome;
}

// ---------------------------------------------------------------------------------------------------------
// Fake upstreams for faults the simulator does not make.

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Fake {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

const fakes: Fake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** A node:http server on 127.0.0.1; `handle` runs once the request body has been read. */
async function fakeUpstream(handle: (seen: Seen, res: http.ServerResponse, index: number) => void): Promise<Fake> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      handle(entry, res, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: Fake = {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  fakes.push(fake);
  return fake;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const OK = (seen: Seen, res: http.ServerResponse): void =>
  json(res, 200, { RequestId: 'REQ-OK', Echo: new URL(seen.url, 'http://x').searchParams.get('RegionId') });

function query(seen: Seen): URLSearchParams {
  return new URL(seen.url, 'http://x').searchParams;
}

// ---------------------------------------------------------------------------------------------------------
// Against the simulated ECS (real signature checks, nonce memory, throttling windows).

describe('against the simulated ECS', () => {
  let simulator: Simulator;
  let sim: SimServer;
  let simBase: string;
  /** One clock for the simulator, its HTTP door and the client's signer; recorded sleeps may advance it. */
  let t = Date.UTC(2026, 1, 2, 9, 30, 45);

  beforeAll(async () => {
    simulator = createSimulator({ seed: 'ecs-client-test', instances: 40, now: () => t });
    sim = createSimServer({ simulator, accessKeys: { [AK]: SK, [STS_AK]: STS_SK }, securityTokens: { [STS_AK]: STS_TOKEN }, now: () => t });
    simBase = (await sim.listen(0)).url;
  });

  afterAll(async () => {
    await sim.close();
  });

  beforeEach(() => {
    simulator.reset();
    t = Date.UTC(2026, 1, 2, 9, 30, 45);
  });

  function simClient(overrides: Partial<EcsClientOptions> = {}): Harness {
    return makeClient(simBase, { now: () => new Date(t), ...overrides });
  }

  it('signs and sends a read, and the answer satisfies the contract', async () => {
    const { client, retries } = simClient();
    const outcome = expectResponse(await call(client, 'DescribeInstances', { RegionId: REGION, MaxResults: 10 }));
    expect(outcome.status).toBe(200);
    expect(outcome.attempts).toBe(1);
    const body = actions.DescribeInstances.response.parse(outcome.body);
    expect(body.Instances?.Instance).toHaveLength(10);
    expect(outcome.headers['x-acs-request-id']).toBe(body.RequestId);
    expect(retries).toEqual([]);
  });

  it('attaches a key pair (a mutating call) and ECS state changes', async () => {
    const { client } = simClient();
    const pairs = actions.DescribeKeyPairs.response.parse(
      expectResponse(await call(client, 'DescribeKeyPairs', { RegionId: REGION })).body,
    );
    const keyPair = pairs.KeyPairs?.KeyPair?.[0]?.KeyPairName ?? '';
    const target = simulator
      .instancesIn(REGION)
      .find(
        (i) =>
          i.OSType === 'linux' && i.Status === 'Running' && i.KeyPairName !== keyPair && (i.OperationLocks?.LockReason ?? []).length === 0,
      );
    expect(target).toBeDefined();
    const id = target?.InstanceId ?? '';

    const outcome = expectResponse(await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: keyPair, InstanceIds: [id] }));
    expect(outcome.status).toBe(200);
    const body = actions.AttachKeyPair.response.parse(outcome.body);
    expect(String(body.FailCount)).toBe('0');
    expect(simulator.instance(id)?.KeyPairName).toBe(keyPair);
  });

  it('signs the STS token in: accepted with it, refused by ECS without it', async () => {
    const withToken = simClient({
      credentials: staticCredentials({ accessKeyId: STS_AK, accessKeySecret: STS_SK, securityToken: STS_TOKEN }, 'sts'),
    });
    expect(expectResponse(await call(withToken.client, 'DescribeRegions', {})).status).toBe(200);
    const without = simClient({ credentials: staticCredentials({ accessKeyId: STS_AK, accessKeySecret: STS_SK }, 'sts without token') });
    const refused = expectResponse(await call(without.client, 'DescribeRegions', {}));
    expect(refused.body['Code']).toBe('MissingSecurityToken');
    expect(refused.attempts).toBe(1);
  });

  it('a wrong secret gets SignatureDoesNotMatch once, with no retry and no secret in the outcome', async () => {
    const { client, retries, sleeps } = simClient({
      credentials: staticCredentials({ accessKeyId: AK, accessKeySecret: 'wrong-secret-value' }, 'wrong'),
    });
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(outcome.status).toBe(400);
    expect(outcome.body['Code']).toBe('SignatureDoesNotMatch');
    expect(outcome.attempts).toBe(1);
    expect(retries).toEqual([]);
    expect(sleeps).toEqual([]);
    expect(JSON.stringify(outcome)).not.toContain('wrong-secret-value');
  });

  it('waits out throttling for exactly x-acs-retry-after ms, re-signs, and succeeds (mutating too)', async () => {
    simulator.setControl({ throttle: { limit: 1, windowMs: 60_000 } });
    // The recorded sleep moves the shared clock, so the retry lands in the next throttling window (docs/ecs-notes.md#throttling).
    const { client, sleeps, retries } = simClient({
      maxDelayMs: 60_000,
      sleep: (ms) => {
        sleeps.push(ms);
        t += ms;
        return Promise.resolve();
      },
    });
    expect(expectResponse(await call(client, 'DescribeKeyPairs', { RegionId: REGION })).status).toBe(200);
    const second = expectResponse(await call(client, 'DescribeKeyPairs', { RegionId: REGION }));
    expect(second.status).toBe(200);
    expect(second.attempts).toBe(2);
    // 09:30:45 → the window ends at 09:31:00.
    expect(sleeps).toEqual([15_000]);
    expect(retries).toEqual([
      { action: 'DescribeKeyPairs', regionId: REGION, attempt: 1, delayMs: 15_000, reason: 'Throttling.User (HTTP 400)' },
    ]);

    // A throttled AttachKeyPair was refused before anything happened, so it is retried as well.
    const id =
      simulator
        .instancesIn(REGION)
        .find((i) => i.OSType === 'linux' && i.Status === 'Stopped' && (i.OperationLocks?.LockReason ?? []).length === 0)?.InstanceId ?? '';
    const keyPair = 'ecs-client-test-pair';
    const pairs = actions.DescribeKeyPairs.response.parse(second.body);
    const name = pairs.KeyPairs?.KeyPair?.[0]?.KeyPairName ?? keyPair;
    expect(expectResponse(await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: name, InstanceIds: [id] })).status).toBe(
      200,
    );
    const attach = expectResponse(await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: name, InstanceIds: [id] }));
    expect(attach.status).toBe(200);
    expect(attach.attempts).toBe(2);
    expect(sleeps).toHaveLength(2);
  });

  it('gives back the Throttling answer after maxRetries when the storm never clears', async () => {
    simulator.setControl({ throttle: { limit: 1, windowMs: 60_000 } });
    const { client, sleeps, retries } = simClient({ maxRetries: 2, maxDelayMs: 60_000 });
    await call(client, 'DescribeRegions', {});
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(outcome.status).toBe(400);
    expect(outcome.body['Code']).toBe('Throttling.User');
    expect(outcome.attempts).toBe(3);
    expect(sleeps).toEqual([15_000, 15_000]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('hands a throttled answer back at once when ECS asks for a longer wait than maxDelayMs', async () => {
    simulator.setControl({ throttle: { limit: 1, windowMs: 60_000 } });
    const { client, sleeps } = simClient({ maxDelayMs: 5_000 });
    await call(client, 'DescribeRegions', {});
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(outcome.body['Code']).toBe('Throttling.User');
    expect(outcome.attempts).toBe(1);
    expect(sleeps).toEqual([]);
    // The caller (and the browser) can show the wait.
    expect(outcome.headers['x-acs-retry-after']).toBe('15000');
  });

  it('uses a fresh nonce per attempt: the simulator, which refuses replays, accepts every retry', async () => {
    simulator.setControl({ faults: { errorRate: 0, dropRate: 0, slowRate: 0, slowMs: 0, malformedRate: 0 } });
    simulator.setControl({ throttle: { limit: 1, windowMs: 60_000 } });
    const { client } = simClient({
      maxDelayMs: 60_000,
      sleep: (ms) => {
        t += ms;
        return Promise.resolve();
      },
    });
    for (let i = 0; i < 4; i += 1) {
      const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
      expect(outcome.status).toBe(200);
      expect(outcome.attempts).toBe(i === 0 ? 1 : 2);
    }
  });

  it('a reused nonce is refused by ECS (so the client must never reuse one)', async () => {
    const { client } = simClient({ nonce: () => 'the-same-nonce', maxRetries: 1 });
    expect(expectResponse(await call(client, 'DescribeRegions', {})).status).toBe(200);
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(outcome.body['Code']).toBe('SignatureNonceUsed');
  });

  it('reports a dropped answer to AttachKeyPair as unknown, without retrying, although the key was attached', async () => {
    const { client, retries } = simClient();
    const pairs = actions.DescribeKeyPairs.response.parse(
      expectResponse(await call(client, 'DescribeKeyPairs', { RegionId: REGION })).body,
    );
    const keyPair = pairs.KeyPairs?.KeyPair?.[1]?.KeyPairName ?? '';
    const id =
      simulator
        .instancesIn(REGION)
        .find(
          (i) =>
            i.OSType === 'linux' &&
            i.Status === 'Running' &&
            i.KeyPairName !== keyPair &&
            (i.OperationLocks?.LockReason ?? []).length === 0,
        )?.InstanceId ?? '';
    simulator.setControl({ faults: { errorRate: 0, dropRate: 1, slowRate: 0, slowMs: 0, malformedRate: 0 } });

    const outcome = await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: keyPair, InstanceIds: [id] });
    expect(outcome.kind).toBe('unknown');
    expect(outcome.attempts).toBe(1);
    expect(retries).toEqual([]);
    // Exactly why it must not be retried blindly: the change happened.
    expect(simulator.instance(id)?.KeyPairName).toBe(keyPair);
  });

  it('reports a garbled 200 to a mutating call as unknown, and to a read as Proxy.BadUpstreamResponse after retries', async () => {
    const { client } = simClient({ maxRetries: 2 });
    simulator.setControl({ faults: { errorRate: 0, dropRate: 0, slowRate: 0, slowMs: 0, malformedRate: 1 } });
    const id = simulator.instancesIn(REGION).find((i) => i.Status === 'Running')?.InstanceId ?? '';
    const reboot = await call(client, 'RebootInstance', { InstanceId: id });
    expect(reboot.kind).toBe('unknown');
    expect(reboot.attempts).toBe(1);

    const read = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(read.status).toBe(502);
    expect(read.body['Code']).toBe('Proxy.BadUpstreamResponse');
    expect(read.attempts).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Against fake upstreams.

describe('what goes on the wire', () => {
  it('POSTs every parameter in the signed query with an empty body and the V3 headers', async () => {
    const fake = await fakeUpstream(OK);
    const sts = staticCredentials({ accessKeyId: STS_AK, accessKeySecret: STS_SK, securityToken: STS_TOKEN }, 'sts');
    const { client } = makeClient(fake.base, { credentials: sts });
    await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: 'ops-key', InstanceIds: ['i-abc', 'i-def'] });
    const [seen] = fake.seen;
    expect(seen?.method).toBe('POST');
    expect(seen?.body).toBe('');
    expect(new URL(seen?.url ?? '', 'http://x').pathname).toBe('/');
    expect(Object.fromEntries(query(seen as Seen))).toEqual({ RegionId: REGION, KeyPairName: 'ops-key', InstanceIds: '["i-abc","i-def"]' });
    // The query is the canonical, signed encoding (docs/ecs-notes.md#signer-notes): sorted names, RFC 3986 escapes.
    expect(seen?.url).toBe('/?InstanceIds=%5B%22i-abc%22%2C%22i-def%22%5D&KeyPairName=ops-key&RegionId=cn-hangzhou');
    expect(seen?.headers).toMatchObject({
      accept: 'application/json',
      host: new URL(fake.base).host,
      'x-acs-action': 'AttachKeyPair',
      'x-acs-version': '2014-05-26',
      'x-acs-security-token': STS_TOKEN,
    });
    expect(seen?.headers['authorization']).toMatch(
      /^ACS3-HMAC-SHA256 Credential=STS\.ecs-client-test-key-id,SignedHeaders=[^,]*x-acs-security-token[^,]*,Signature=[0-9a-f]{64}$/,
    );
  });

  it('never puts credentials or the Authorization header into an outcome, even from an upstream that echoes them', async () => {
    const fake = await fakeUpstream((seen, res, index) => {
      const echo = {
        RequestId: 'R',
        Code: index < 1 ? 'ServiceUnavailable' : 'Echo',
        Message: JSON.stringify(seen.headers),
        Nested: [{ auth: seen.headers['authorization'] }],
      };
      json(res, index < 1 ? 503 : 200, echo, {
        'x-echo-authorization': String(seen.headers['authorization']),
        'x-echo-token': String(seen.headers['x-acs-security-token']),
      });
    });
    const sts = staticCredentials({ accessKeyId: STS_AK, accessKeySecret: STS_SK, securityToken: STS_TOKEN }, 'sts');
    const { client, retries } = makeClient(fake.base, { credentials: sts });
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(fake.seen).toHaveLength(2);
    const authorization = String(fake.seen[1]?.headers['authorization']);
    const signature = authorization.split('Signature=')[1] ?? 'missing';
    const shown = JSON.stringify({ outcome, retries });
    for (const secret of [STS_SK, STS_TOKEN, authorization, signature]) expect(shown).not.toContain(secret);
    expect(shown).toContain('[redacted]');
  });
});

describe('retries against fake upstreams', () => {
  it('retries 503 ServiceUnavailable for a mutating call (nothing happened) with jittered backoff', async () => {
    const fake = await fakeUpstream((_seen, res, index) =>
      index < 2
        ? json(res, 503, {
            RequestId: 'R',
            Code: 'ServiceUnavailable',
            Message: 'The request has failed due to a temporary failure of the server.',
          })
        : json(res, 200, { RequestId: 'R3' }),
    );
    const { client, sleeps, retries } = makeClient(fake.base, { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 });
    const outcome = expectResponse(await call(client, 'RebootInstances', { RegionId: REGION, InstanceId: ['i-abc'] }));
    expect(outcome.status).toBe(200);
    expect(outcome.attempts).toBe(3);
    expect(fake.seen).toHaveLength(3);
    // Full jitter: random() × min(max, base × 2^n).
    expect(sleeps).toEqual([50, 100]);
    expect(retries.map((r) => r.reason)).toEqual(['ServiceUnavailable (HTTP 503)', 'ServiceUnavailable (HTTP 503)']);
    // Every attempt is signed afresh.
    expect(new Set(fake.seen.map((s) => s.headers['x-acs-signature-nonce'])).size).toBe(3);
  });

  it('does not repeat a mutating call on a bare 503 that a gateway in front of ECS may have forwarded', async () => {
    const gateway = await fakeUpstream((_seen, res, index) =>
      index === 0 ? json(res, 503, { message: 'upstream busy' }) : json(res, 200, { RequestId: 'R2' }),
    );
    const mutating = await call(makeClient(gateway.base).client, 'RebootInstances', { RegionId: REGION, InstanceId: ['i-abc'] });
    expect(expectResponse(mutating).status).toBe(503);
    expect(gateway.seen).toHaveLength(1);
    const garbled = await fakeUpstream((_seen, res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html>Service Unavailable</html>');
    });
    expect(
      await call(makeClient(garbled.base).client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: 'ops', InstanceIds: ['i-abc'] }),
    ).toMatchObject({ kind: 'unknown' });
    expect(garbled.seen).toHaveLength(1);
    // A read may be repeated on the same answer.
    const read = await fakeUpstream((_seen, res, index) =>
      index === 0 ? json(res, 503, { message: 'upstream busy' }) : json(res, 200, { RequestId: 'R2' }),
    );
    expect(expectResponse(await call(makeClient(read.base).client, 'DescribeRegions', {})).status).toBe(200);
    await Promise.all([gateway.close(), garbled.close(), read.close()]);
  });

  it('names the wait on a throttled answer it hands back: ECS’s own, or else until ECS’s next one-minute window', async () => {
    const noHint = await fakeUpstream((_seen, res) =>
      json(res, 400, { RequestId: 'R', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' }),
    );
    const at = new Date(Date.UTC(2026, 1, 2, 9, 30, 45, 250));
    const gaveUp = expectResponse(
      await call(makeClient(noHint.base, { maxRetries: 1, now: () => at }).client, 'AttachKeyPair', {
        RegionId: REGION,
        KeyPairName: 'ops',
        InstanceIds: ['i-abc'],
      }),
    );
    expect([gaveUp.status, gaveUp.attempts, gaveUp.retryAfterMs]).toEqual([400, 2, 14_750]);
    expect(noHint.seen).toHaveLength(2);

    const hinted = await fakeUpstream((_seen, res) =>
      json(res, 400, { RequestId: 'R', Code: 'Throttling.Api', Message: 'busy' }, { 'x-acs-retry-after': '2500' }),
    );
    // ECS asked for longer than the client sleeps: handed back at once, with ECS's wait.
    const handedBack = expectResponse(await call(makeClient(hinted.base, { maxDelayMs: 1_000 }).client, 'DescribeRegions', {}));
    expect([handedBack.attempts, handedBack.retryAfterMs]).toEqual([1, 2_500]);

    // Anything else, including a throttled attempt followed by success, names no wait.
    const thenOk = await fakeUpstream((_seen, res, index) =>
      index === 0 ? json(res, 429, { RequestId: 'R', Code: 'Throttling', Message: 'busy' }) : json(res, 200, { RequestId: 'R2' }),
    );
    const recovered = expectResponse(await call(makeClient(thenOk.base).client, 'DescribeRegions', {}));
    expect([recovered.status, recovered.retryAfterMs]).toEqual([200, undefined]);
    const refused = await fakeUpstream((_seen, res) =>
      json(res, 400, { RequestId: 'R', Code: 'InvalidParameter', Message: 'no' }, { 'x-acs-retry-after': '2500' }),
    );
    expect(expectResponse(await call(makeClient(refused.base).client, 'DescribeRegions', {})).retryAfterMs).toBeUndefined();
  });

  it('bounds the backoff by maxDelayMs', async () => {
    const fake = await fakeUpstream((_seen, res) => json(res, 503, { RequestId: 'R', Code: 'ServiceUnavailable', Message: 'busy' }));
    const { client, sleeps } = makeClient(fake.base, { baseDelayMs: 400, maxDelayMs: 1_000, maxRetries: 5, random: () => 0.999 });
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(outcome.status).toBe(503);
    expect(outcome.attempts).toBe(6);
    expect(sleeps).toEqual([399, 799, 999, 999, 999]);
  });

  it('retries 500 InternalError for a read but not for a mutating call', async () => {
    const failFirst = (_seen: Seen, res: http.ServerResponse, index: number): void =>
      index === 0
        ? json(res, 500, {
            RequestId: 'R1',
            Code: 'InternalError',
            Message: 'The request processing has failed due to some unknown error.',
          })
        : json(res, 200, { RequestId: 'R2' });
    const readFake = await fakeUpstream(failFirst);
    const read = expectResponse(await call(makeClient(readFake.base).client, 'DescribeInstances', { RegionId: REGION }));
    expect(read.status).toBe(200);
    expect(readFake.seen).toHaveLength(2);

    const writeFake = await fakeUpstream(failFirst);
    const write = expectResponse(await call(makeClient(writeFake.base).client, 'StartInstance', { InstanceId: 'i-abc' }));
    expect(write.status).toBe(500);
    expect(write.body['Code']).toBe('InternalError');
    expect(write.attempts).toBe(1);
    expect(writeFake.seen).toHaveLength(1);
  });

  it('does not retry an ordinary client error', async () => {
    const fake = await fakeUpstream((_seen, res) =>
      json(res, 400, {
        RequestId: 'R',
        Code: 'InvalidKeyPairName.NotFound',
        Message: 'The specified KeyPairName does not exist in our records.',
      }),
    );
    const outcome = expectResponse(await call(makeClient(fake.base).client, 'DescribeKeyPairs', { RegionId: REGION }));
    expect(outcome.status).toBe(400);
    expect(outcome.attempts).toBe(1);
    expect(fake.seen).toHaveLength(1);
  });

  it('says unreachable after every retry when the connection is refused (mutating too: nothing was sent)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const { client, retries } = makeClient(`http://127.0.0.1:${port}`, { maxRetries: 2 });
    const outcome = await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: 'ops-key', InstanceIds: ['i-abc'] });
    expect(outcome).toMatchObject({ kind: 'unreachable', attempts: 3 });
    expect(outcome.kind === 'unreachable' && outcome.reason).toMatch(/ECONNREFUSED/);
    expect(retries.map((r) => r.reason)).toEqual(['connection refused (ECONNREFUSED)', 'connection refused (ECONNREFUSED)']);
  });

  it('with a circuit breaker: stops retrying once the endpoint’s circuit opens, and later calls are not even tried', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const breaker = createCircuitBreaker({ failureThreshold: 2, openMs: 60_000 });
    const { client, retries } = makeClient(`http://127.0.0.1:${port}`, { maxRetries: 4, breaker });
    const first = await call(client, 'DescribeRegions', {});
    expect(first).toMatchObject({ kind: 'unreachable', attempts: 2 });
    expect(first.kind === 'unreachable' && first.circuitOpen).toBeFalsy();
    expect(retries).toHaveLength(2);
    const second = await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: 'ops-key', InstanceIds: ['i-abc'] });
    expect(second).toMatchObject({ kind: 'unreachable', attempts: 0, circuitOpen: true });
    expect(second.kind === 'unreachable' && second.reason).toMatch(
      /^not sent: 127\.0\.0\.1:\d+ could not be connected to 2 times in a row just before$/,
    );
    expect(breaker.state(`http://127.0.0.1:${port}`)).toBe('open');
  });

  /** Accepts TCP connections and swallows every byte: a TLS handshake with it never completes. */
  async function silentTcp(): Promise<{ base: string; connections: () => number }> {
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('data', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fakes.push({
      base: '',
      seen: [],
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    });
    return { base: `https://127.0.0.1:${port}`, connections: () => connections };
  }

  it('a connect (TLS handshake) timeout sends nothing, so even a mutating call is retried, then unreachable', async () => {
    const silent = await silentTcp();
    const { client, retries } = makeClient(silent.base, { connectTimeoutMs: 100, timeoutMs: 5_000, maxRetries: 1 });
    const outcome = await call(client, 'RebootInstance', { InstanceId: 'i-abc' });
    expect(outcome).toMatchObject({ kind: 'unreachable', attempts: 2 });
    expect(retries.map((r) => r.reason)).toEqual(['connect timeout (UND_ERR_CONNECT_TIMEOUT)']);
    expect(silent.connections()).toBe(2);
  });

  it('an attempt that times out before its request was written counts as not sent, not as unknown', async () => {
    // The total timeout fires during the handshake, before undici writes the request: no error code says so,
    // but undici never announced the request's headers, so nothing can have reached ECS.
    const silent = await silentTcp();
    const { client } = makeClient(silent.base, { connectTimeoutMs: 10_000, timeoutMs: 150, maxRetries: 1 });
    const outcome = await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: 'ops-key', InstanceIds: ['i-abc'] });
    expect(outcome).toMatchObject({ kind: 'unreachable', attempts: 2 });
    expect(outcome.kind === 'unreachable' && outcome.reason).toMatch(/no answer within 150 ms/);
  });

  it('a server that never answers: mutating → unknown after one request; read → retried', async () => {
    const hanging = await fakeUpstream(() => undefined);
    const { client } = makeClient(hanging.base, { timeoutMs: 250, maxRetries: 2 });
    const write = await call(client, 'RebootInstance', { InstanceId: 'i-abc' });
    expect(write).toMatchObject({ kind: 'unknown', attempts: 1 });
    expect(write.kind === 'unknown' && write.reason).toMatch(/no answer within 250 ms/);
    expect(hanging.seen).toHaveLength(1);

    const read = await call(client, 'DescribeInstanceStatus', { RegionId: REGION });
    expect(read).toMatchObject({ kind: 'unknown', attempts: 3 });
    expect(hanging.seen).toHaveLength(4);
  });

  it('a server that resets the connection after reading the request: mutating → unknown; read → retried', async () => {
    const resetting = await fakeUpstream((_seen, res, index) =>
      index === 0 || index === 1 ? res.socket?.destroy() : json(res, 200, { RequestId: 'R' }),
    );
    const { client, retries } = makeClient(resetting.base);
    const write = await call(client, 'AttachKeyPair', { RegionId: REGION, KeyPairName: 'ops-key', InstanceIds: ['i-abc'] });
    expect(write).toMatchObject({ kind: 'unknown', attempts: 1 });
    expect(resetting.seen).toHaveLength(1);
    expect(retries).toEqual([]);

    const read = expectResponse(await call(client, 'DescribeKeyPairs', { RegionId: REGION }));
    expect(read.status).toBe(200);
    expect(read.attempts).toBe(2);
    expect(resetting.seen).toHaveLength(3);
  });

  it('garbled bodies: a read retries then answers Proxy.BadUpstreamResponse; a refused mutating call is not unknown', async () => {
    const garbled = await fakeUpstream((_seen, res, index) => {
      res.writeHead(index < 3 ? 200 : 400, { 'content-type': 'text/html', 'x-acs-request-id': `REQ-${index}` });
      res.end('<html>Bad gateway</html>');
    });
    const { client } = makeClient(garbled.base, { maxRetries: 2 });
    const read = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(read).toMatchObject({ status: 502, attempts: 3, body: { Code: 'Proxy.BadUpstreamResponse', RequestId: 'REQ-2' } });
    expect(String(read.body['Message'])).toMatch(/HTTP 200/);

    // A 4xx answer is a refusal whatever its body: nothing happened, and no retry will fix it.
    const write = expectResponse(await call(client, 'StartInstance', { InstanceId: 'i-abc' }));
    expect(write).toMatchObject({ status: 502, attempts: 1, body: { Code: 'Proxy.BadUpstreamResponse', RequestId: 'REQ-3' } });
  });

  it('does not hold an oversized answer in memory', async () => {
    const huge = await fakeUpstream((_seen, res) => {
      // Chunked (no content-length), so the cap has to be enforced while streaming.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent <= MAX_RESPONSE_BYTES + chunk.length) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('{}');
      };
      pump();
    });
    const { client } = makeClient(huge.base, { maxRetries: 0 });
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(outcome).toMatchObject({ status: 502, body: { Code: 'Proxy.BadUpstreamResponse' } });
    expect(String(outcome.body['Message'])).toMatch(/larger than 16 MiB/);
  });
});

describe('concurrency, cancellation and lifecycle', () => {
  /** Holds every request until the test lets it go; records the most requests in flight per RegionId. */
  async function gatedUpstream() {
    const held: { region: string; release: () => void }[] = [];
    const inFlight = new Map<string, number>();
    const maxInFlight = new Map<string, number>();
    const fake = await fakeUpstream((seen, res) => {
      const region = query(seen).get('RegionId') ?? 'none';
      const now = (inFlight.get(region) ?? 0) + 1;
      inFlight.set(region, now);
      maxInFlight.set(region, Math.max(maxInFlight.get(region) ?? 0, now));
      held.push({
        region,
        release: () => {
          inFlight.set(region, (inFlight.get(region) ?? 1) - 1);
          json(res, 200, { RequestId: `R-${region}` });
        },
      });
    });
    return { fake, held, maxInFlight };
  }

  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('keeps at most concurrencyPerRegion calls in flight per region, independently per region', async () => {
    const { fake, held, maxInFlight } = await gatedUpstream();
    const { client } = makeClient(fake.base, { concurrencyPerRegion: 2 });
    const calls = ['cn-hangzhou', 'cn-beijing'].flatMap((region) =>
      Array.from({ length: 6 }, () => call(client, 'DescribeInstances', { RegionId: region }, { regionId: region })),
    );
    let released = 0;
    while (released < 12) {
      await until(() => held.length > 0);
      held.shift()?.release();
      released += 1;
    }
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((o) => o.kind === 'response' && o.status === 200)).toBe(true);
    expect(Object.fromEntries(maxInFlight)).toEqual({ 'cn-hangzhou': 2, 'cn-beijing': 2 });
    expect(fake.seen).toHaveLength(12);
  });

  it('a call aborted while queued leaves the queue without sending anything', async () => {
    const { fake, held } = await gatedUpstream();
    const { client } = makeClient(fake.base, { concurrencyPerRegion: 1 });
    const first = call(client, 'DescribeKeyPairs', { RegionId: REGION });
    await until(() => held.length === 1);
    const controller = new AbortController();
    const queued = call(
      client,
      'AttachKeyPair',
      { RegionId: REGION, KeyPairName: 'ops-key', InstanceIds: ['i-abc'] },
      { signal: controller.signal },
    );
    controller.abort();
    expect(await queued).toMatchObject({ kind: 'unreachable', attempts: 0 });
    held.shift()?.release();
    expect((await first).kind).toBe('response');
    // The slot was not leaked: a third call goes through.
    const third = call(client, 'DescribeKeyPairs', { RegionId: REGION });
    await until(() => held.length === 1);
    held.shift()?.release();
    expect((await third).kind).toBe('response');
    expect(fake.seen.map((s) => s.headers['x-acs-action'])).toEqual(['DescribeKeyPairs', 'DescribeKeyPairs']);
  });

  it('a mutating call aborted by the caller after sending is unknown', async () => {
    const { fake, held } = await gatedUpstream();
    const { client } = makeClient(fake.base);
    const controller = new AbortController();
    const pending = call(client, 'StartInstances', { RegionId: REGION, InstanceId: ['i-abc'] }, { signal: controller.signal });
    await until(() => held.length === 1);
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'unknown', attempts: 1 });
  });

  it('answers Proxy.UnknownRegion without sending when the region has no endpoint', async () => {
    const fake = await fakeUpstream(OK);
    const { client } = makeClient(fake.base, {
      endpointFor: () => {
        throw new Error('no ECS endpoint for region "evil.com"');
      },
    });
    const outcome = await client.call('DescribeInstances', { RegionId: 'evil.com' }, { regionId: 'evil.com', mutating: false });
    expect(outcome).toMatchObject({ kind: 'response', status: 400, attempts: 0, body: { Code: 'Proxy.UnknownRegion' } });
    expect(fake.seen).toHaveLength(0);
  });

  it('answers Proxy.CredentialsUnavailable without sending, and keeps the cause for the log only', async () => {
    const fake = await fakeUpstream(OK);
    const failing: CredentialSource = {
      description: 'failing',
      get: () =>
        Promise.reject(new CredentialsUnavailableError('default credential chain: reading /home/ops/.alibabacloud/credentials failed')),
    };
    const logged: unknown[] = [];
    const { client } = makeClient(fake.base, { credentials: failing, onCredentialsError: (error) => logged.push(error) });
    const outcome = expectResponse(await call(client, 'DescribeRegions', {}));
    expect(outcome).toMatchObject({ status: 503, body: { Code: 'Proxy.CredentialsUnavailable' } });
    expect(JSON.stringify(outcome)).not.toContain('/home/ops');
    expect(logged).toHaveLength(1);
    expect(fake.seen).toHaveLength(0);
  });

  it('after close(), calls are unreachable', async () => {
    const fake = await fakeUpstream(OK);
    const { client } = makeClient(fake.base);
    expect((await call(client, 'DescribeRegions', {})).kind).toBe('response');
    await client.close();
    expect(await call(client, 'DescribeRegions', {})).toMatchObject({ kind: 'unreachable', attempts: 0 });
    expect(fake.seen).toHaveLength(1);
  });

  it('refuses nonsense options at creation', () => {
    const base = {
      endpointFor: () => new URL('http://127.0.0.1:1'),
      credentials: creds,
      connectTimeoutMs: 1_000,
      timeoutMs: 1_000,
      concurrencyPerRegion: 2,
      maxRetries: 1,
    };
    expect(() => createEcsClient({ ...base, concurrencyPerRegion: 0 })).toThrow(/concurrencyPerRegion/);
    expect(() => createEcsClient({ ...base, maxRetries: -1, timeoutMs: 0 })).toThrow(/maxRetries.*timeoutMs|timeoutMs.*maxRetries/);
  });
});
