import { loadConfig } from './config';
import { createTestProxy, jsonFromConsole, type TestProxy } from './test-support';

/**
 * One layer owns retries: the proxy (docs/decisions/retries.md). Every count here is taken at the simulated
 * ECS's own request record, below the proxy's retry loop, so a retry added anywhere shows up.
 */

const REGION = 'cn-hangzhou';

type Row = { InstanceId: string; OSType: string; Status: string; OperationLocks?: { LockReason?: unknown[] } };

function attachable(proxy: TestProxy, count: number): string[] {
  return (proxy.simulator.instancesIn(REGION) as readonly Row[])
    .filter(
      (i) =>
        i.OSType === 'linux' && (i.Status === 'Running' || i.Status === 'Stopped') && (i.OperationLocks?.LockReason?.length ?? 0) === 0,
    )
    .slice(0, count)
    .map((i) => i.InstanceId);
}

async function keyPairName(proxy: TestProxy): Promise<string> {
  const res = await proxy.app.inject({
    method: 'POST',
    url: '/api/ecs/DescribeKeyPairs',
    headers: jsonFromConsole,
    payload: { RegionId: REGION },
  });
  const name = res.json<{ KeyPairs: { KeyPair: { KeyPairName: string }[] } }>().KeyPairs.KeyPair[0]?.KeyPairName;
  if (name === undefined) throw new Error('no key pairs');
  return name;
}

/** Sets a throttling knob through the simulator's own HTTP control door, as an operator of the test would. */
async function throttle(proxy: TestProxy, patch: { limit: number; windowMs: number }, actions: string[]): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${proxy.simPort}/__sim/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ throttle: patch, throttleActions: actions }),
  });
  expect(res.status).toBe(200);
}

/** A storm that never clears: every call refused, each time with a 1 ms x-acs-retry-after, which the proxy honours. */
const PERMANENT_SHORT = { limit: 0, windowMs: 1 };
/** Every call refused with a wait of up to an hour, longer than the proxy sleeps between attempts. */
const PERMANENT_LONG = { limit: 0, windowMs: 3_600_000 };

const defaults = loadConfig({});
if (!defaults.ok) throw new Error('the default configuration must load');
const DEFAULT_MAX_RETRIES = defaults.config.upstream.maxRetries;

describe('the proxy alone: retries counted at the simulated ECS', () => {
  it.each([0, 2, DEFAULT_MAX_RETRIES])(
    'sends one throttled call exactly 1 + %i times, then hands it back with Retry-After',
    async (maxRetries) => {
      const proxy = await createTestProxy({ upstream: { maxRetries } });
      try {
        const ids = attachable(proxy, 2);
        const key = await keyPairName(proxy);
        await throttle(proxy, PERMANENT_SHORT, ['DescribeInstances', 'AttachKeyPair']);

        const read = await proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/DescribeInstances',
          headers: jsonFromConsole,
          payload: { RegionId: REGION },
        });
        const attach = await proxy.app.inject({
          method: 'POST',
          url: '/api/ecs/AttachKeyPair',
          headers: jsonFromConsole,
          payload: { RegionId: REGION, KeyPairName: key, InstanceIds: ids },
        });
        for (const res of [read, attach]) {
          expect(res.statusCode).toBe(400);
          expect(res.json()).toMatchObject({ Code: 'Throttling.User' });
          // ECS asked for 1 ms; the proxy names whole seconds, never less than one.
          expect(res.headers['retry-after']).toBe('1');
          expect(res.headers['x-acs-retry-after']).toBe('1');
        }
        for (const action of ['DescribeInstances', 'AttachKeyPair']) {
          const attempts = proxy.upstreamCalls.filter((c) => c.action === action);
          expect(attempts).toHaveLength(1 + maxRetries);
          expect(attempts.every((c) => c.status === 400 && c.code === 'Throttling.User')).toBe(true);
        }
      } finally {
        await proxy.close();
      }
    },
  );

  it('hands a throttled call back after one attempt when ECS asks for a longer wait than the proxy sleeps, naming that wait', async () => {
    const proxy = await createTestProxy({ upstream: { maxRetries: DEFAULT_MAX_RETRIES } });
    try {
      await keyPairName(proxy);
      await throttle(proxy, PERMANENT_LONG, ['DescribeInstances']);
      const res = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeInstances',
        headers: jsonFromConsole,
        payload: { RegionId: REGION },
      });
      expect(res.statusCode).toBe(400);
      const ecsWaitMs = Number(res.headers['x-acs-retry-after']);
      expect(ecsWaitMs).toBeGreaterThan(5);
      expect(res.headers['retry-after']).toBe(String(Math.ceil(ecsWaitMs / 1000)));
      expect(proxy.upstreamCalls.filter((c) => c.action === 'DescribeInstances')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('sends no Retry-After on answers that are not throttling', async () => {
    const proxy = await createTestProxy();
    try {
      const ok = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/DescribeInstances',
        headers: jsonFromConsole,
        payload: { RegionId: REGION, MaxResults: 1 },
      });
      const refused = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/AttachKeyPair',
        headers: jsonFromConsole,
        payload: { RegionId: REGION, KeyPairName: 'no-such-key', InstanceIds: attachable(proxy, 1) },
      });
      expect([ok.statusCode, refused.statusCode]).toEqual([200, 400]);
      expect(ok.headers['retry-after']).toBeUndefined();
      expect(refused.headers['retry-after']).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });
});
