import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimAndProxy } from './process';

/**
 * A run against the serial path (docs/product.md#step-7-activation): with 100 ms of simulated ECS latency,
 * attaching ~8,000 instances as one run (policy: leave pending; batches of 50, RUN_ATTACH_IN_FLIGHT in flight)
 * against the same attaches sent one batch of 50 after the other through `POST /api/ecs/AttachKeyPair`. The
 * simulated ECS and the proxy (live mode, ECS_ENDPOINT on loopback) are separate processes. Prints; asserts
 * nothing (target: the run at most 0.30× the serial time).
 *
 *   npm run bench -- runs   (BENCH_RUN_INSTANCES=8000 by default)
 */

const TARGET = Number(process.env['BENCH_RUN_INSTANCES'] ?? 8000);
const KEY = 'ops-team';

export async function benchRuns(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-runs-'));
  const { sim, proxy } = await startSimAndProxy(dir, { simInstances: Math.ceil(TARGET * 1.4), proxyEnv: { RATE_LIMIT_PER_MINUTE: '0' } });
  const post = async (url: string, body: unknown) => {
    const res = await fetch(`${proxy.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: proxy.url },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const simControl = (body: unknown) =>
    fetch(`${sim.url}/__sim/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    // The targets: Linux instances without the key, Running or Stopped, unlocked.
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await post('/api/ecs/DescribeInstances', {
        RegionId: 'cn-hangzhou',
        MaxResults: 100,
        ...(token ? { NextToken: token } : {}),
      });
      const list = ((page.json['Instances'] as { Instance?: Record<string, unknown>[] } | undefined)?.Instance ?? []) as {
        InstanceId: string;
        OSType: string;
        Status: string;
        KeyPairName?: string;
        OperationLocks?: { LockReason?: unknown[] };
      }[];
      for (const i of list) {
        if (
          i.OSType === 'linux' &&
          i.KeyPairName !== KEY &&
          (i.Status === 'Running' || i.Status === 'Stopped') &&
          !i.OperationLocks?.LockReason?.length
        )
          ids.push(i.InstanceId);
      }
      token = typeof page.json['NextToken'] === 'string' && page.json['NextToken'] !== '' ? page.json['NextToken'] : undefined;
    } while (token !== undefined && ids.length < TARGET);
    const targets = ids.slice(0, TARGET);
    console.log(`targets: ${targets.length} instances, ECS latency 100 ms`);

    await simControl({ latencyMs: 100 });
    const t0 = performance.now();
    for (let i = 0; i < targets.length; i += 50) {
      const res = await post('/api/ecs/AttachKeyPair', {
        RegionId: 'cn-hangzhou',
        KeyPairName: KEY,
        InstanceIds: targets.slice(i, i + 50),
      });
      if (res.status !== 200) throw new Error(`serial attach failed: ${res.status} ${JSON.stringify(res.json)}`);
    }
    const serialMs = performance.now() - t0;
    console.log(`serial, batches of 50 through POST /api/ecs   ${(serialMs / 1000).toFixed(2)} s`);

    // The same fleet again, without the key, for the run.
    await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
    await simControl({ latencyMs: 100 });
    const t1 = performance.now();
    const created = await post('/api/runs', {
      RegionId: 'cn-hangzhou',
      kind: 'attach',
      KeyPairName: KEY,
      InstanceIds: targets,
      policy: { stopped: 'leave', running: { mode: 'leave' } },
    });
    if (created.status !== 201) throw new Error(`run not created: ${created.status} ${JSON.stringify(created.json)}`);
    const id = String(created.json['id']);
    let run: { state: string; counts: Record<string, number> };
    for (;;) {
      run = (await (await fetch(`${proxy.url}/api/runs/${id}`)).json()) as typeof run;
      if (['completed', 'completed_with_failures', 'cancelled'].includes(run.state)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const runMs = performance.now() - t1;
    console.log(
      `one run (re-check + attach, 4 in flight)      ${(runMs / 1000).toFixed(2)} s   ${run.state} ${JSON.stringify(run.counts)}`,
    );
    console.log(`ratio run / serial                            ${(runMs / serialMs).toFixed(3)}×   (target ≤ 0.30×)`);
  } finally {
    proxy.child.kill('SIGTERM');
    sim.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
