import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signV3 } from '../acs-signature';
import { ECS_API_VERSION } from '../ecs/contract';
import { AK, SECRET, startSimAndProxy } from './process';

/**
 * Added latency of the proxy per call (the README, "Measured"): the same DescribeInstances call, signed and sent
 * straight to the simulated ECS, and sent through the proxy (live mode with ECS_ENDPOINT pointing at that
 * simulator, so the proxy runs its real identity, allowlist, validation, signing and upstream code). Both are
 * separate processes on loopback; calls are sequential so the numbers are per-call latency, not throughput.
 *
 *   npm run bench -- proxy   (BENCH_CALLS=2000 by default)
 */

const CALLS = Number(process.env['BENCH_CALLS'] ?? 2000);
const WARMUP = 200;

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

async function measure(label: string, once: () => Promise<void>): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    await once();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const result = { median: percentile(samples, 50), p99: percentile(samples, 99) };
  console.log(`${label.padEnd(26)} median ${result.median.toFixed(2)} ms   p99 ${result.p99.toFixed(2)} ms   (${CALLS} calls)`);
  return result;
}

export async function benchProxyLatency(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-proxy-'));
  const { sim, proxy } = await startSimAndProxy(dir, { simInstances: 1000 });
  try {
    const params = { RegionId: 'cn-hangzhou', MaxResults: '10' };
    const simHost = new URL(sim.url).host;
    const direct = await measure('direct to simulated ECS', async () => {
      const signed = signV3({
        method: 'POST',
        host: simHost,
        query: params,
        action: 'DescribeInstances',
        version: ECS_API_VERSION,
        credentials: { accessKeyId: AK, accessKeySecret: SECRET },
        date: new Date(),
        nonce: randomUUID(),
      });
      // fetch sets Host itself from the URL (the same value that was signed).
      const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== 'host'));
      const res = await fetch(`${sim.url}/?${signed.queryString}`, { method: 'POST', headers: { ...headers, accept: 'application/json' } });
      if (res.status !== 200) throw new Error(`direct call failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    });
    const viaProxy = await measure('through the proxy', async () => {
      const res = await fetch(`${proxy.url}/api/ecs/DescribeInstances`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ RegionId: 'cn-hangzhou', MaxResults: 10 }),
      });
      if (res.status !== 200) throw new Error(`proxy call failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    });
    console.log(
      `${'added by the proxy'.padEnd(26)} median ${(viaProxy.median - direct.median).toFixed(2)} ms   p99 ${(viaProxy.p99 - direct.p99).toFixed(2)} ms`,
    );
  } finally {
    proxy.child.kill('SIGTERM');
    sim.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
