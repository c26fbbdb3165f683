import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createTestProxy, jsonFromConsole, type TestProxy } from './test-support';

/**
 * The circuit breaker through the whole proxy (upstream/circuit-breaker.ts): after consecutive connection
 * failures, calls fail fast with Proxy.UpstreamUnreachable and nothing is attempted, counted where attempts
 * would land (the simulated ECS's request record, or the connections a port accepted).
 */

const REGION = 'cn-hangzhou';

function describeInstances(proxy: TestProxy) {
  return proxy.app.inject({
    method: 'POST',
    url: '/api/ecs/DescribeInstances',
    headers: jsonFromConsole,
    payload: { RegionId: REGION, MaxResults: 1 },
  });
}

/** Accepts TCP connections and never says a word: a TLS handshake with it never completes (a connect timeout). */
async function silentPort(): Promise<{ base: URL; connections: () => number; close: () => Promise<void> }> {
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
  return {
    base: new URL(`https://127.0.0.1:${port}`),
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('circuit breaker through the proxy', () => {
  it('after consecutive refused connections, fails fast with nothing sent, then one trial closes it', async () => {
    const clock = { t: 1_000_000 };
    const proxy = await createTestProxy({
      upstream: { maxRetries: 2 },
      breaker: { failureThreshold: 3, openMs: 5_000, now: () => clock.t },
    });
    try {
      expect((await describeInstances(proxy)).statusCode).toBe(200);
      const [id] = (proxy.simulator.instancesIn(REGION) as readonly { InstanceId: string; OSType: string }[])
        .filter((i) => i.OSType === 'linux')
        .map((i) => i.InstanceId);
      if (id === undefined) throw new Error('no linux instance');
      const before = proxy.simulator.instance(id);

      // ECS goes away: three refused connections (one call and its two retries) open the circuit.
      await proxy.sim.close();
      const refused = await describeInstances(proxy);
      expect(refused.statusCode).toBe(502);
      expect(refused.json()).toMatchObject({
        Code: 'Proxy.UpstreamUnreachable',
        Message: 'ECS could not be reached. Nothing was changed. Try again.',
      });
      expect(proxy.breaker.isOpen()).toBe(true);

      // ECS is back, but for the open time nothing is tried: the simulated ECS receives no request at all.
      await proxy.sim.listen(proxy.simPort, '127.0.0.1');
      proxy.sim.clearRequests();
      const reboot = await proxy.app.inject({
        method: 'POST',
        url: '/api/ecs/RebootInstance',
        headers: jsonFromConsole,
        payload: { RegionId: REGION, InstanceId: id },
      });
      const read = await describeInstances(proxy);
      for (const res of [reboot, read]) {
        expect(res.statusCode).toBe(502);
        expect(res.json()).toMatchObject({
          Code: 'Proxy.UpstreamUnreachable',
          Message: 'ECS could not be reached a moment ago, so nothing was sent. Try again in a few seconds.',
          RequestId: expect.any(String) as string,
        });
      }
      expect(proxy.upstreamCalls).toEqual([]);
      expect(proxy.simulator.instance(id)).toEqual(before);
      expect(proxy.breaker.snapshot()).toEqual([expect.objectContaining({ state: 'open', consecutiveFailures: 3 })]);

      // After the open time one trial goes through; it reaches ECS, so the circuit closes.
      clock.t += 5_000;
      expect(proxy.breaker.snapshot()[0]?.state).toBe('half-open');
      expect((await describeInstances(proxy)).statusCode).toBe(200);
      expect(proxy.upstreamCalls.map((c) => [c.action, c.status])).toEqual([['DescribeInstances', 200]]);
      expect(proxy.breaker.isOpen()).toBe(false);
      expect((await describeInstances(proxy)).statusCode).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('answers at once instead of waiting out the connect timeouts again, and connects nowhere while open', async () => {
    const silent = await silentPort();
    const connectTimeoutMs = 400;
    const proxy = await createTestProxy({
      upstreamBase: silent.base,
      upstream: { maxRetries: 2, connectTimeoutMs, timeoutMs: 5_000 },
      breaker: { failureThreshold: 3, openMs: 60_000 },
    });
    try {
      // DescribeRegions goes to the bootstrap endpoint, the silent port: three connect timeouts in a row.
      let started = performance.now();
      const first = await proxy.app.inject({ method: 'POST', url: '/api/ecs/DescribeRegions', headers: jsonFromConsole, payload: {} });
      const firstMs = performance.now() - started;
      expect(first.statusCode).toBe(502);
      expect(firstMs).toBeGreaterThanOrEqual(3 * connectTimeoutMs - 50);
      expect(silent.connections()).toBe(3);

      started = performance.now();
      const second = await proxy.app.inject({ method: 'POST', url: '/api/ecs/DescribeRegions', headers: jsonFromConsole, payload: {} });
      const secondMs = performance.now() - started;
      expect(second.statusCode).toBe(502);
      expect(second.json()).toMatchObject({
        Code: 'Proxy.UpstreamUnreachable',
        Message: expect.stringMatching(/a moment ago, so nothing was sent/) as string,
      });
      expect(secondMs).toBeLessThan(connectTimeoutMs / 2);
      expect(silent.connections()).toBe(3);
    } finally {
      await proxy.close();
      await silent.close();
    }
  });
});
