import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killHard, startProxy as startProxyIn, startSim, type Proc } from '../test-processes';

/**
 * A real proxy process killed with SIGKILL mid-run and started again on the same audit file, against a
 * simulated ECS in its own process that outlives the kill (docs/product.md#step-7-activation: nothing is sent
 * twice blindly). Truth is read from the simulator: its instances and its request record (`/__sim/state`).
 */

const KEY = 'ops-team';

let dir = '';
let sim: Proc | undefined;
const procs: Proc[] = [];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'runs-restart-'));
});
afterAll(() => {
  for (const p of [...procs, ...(sim ? [sim] : [])]) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startProxy(simUrl: string): Promise<{ proc: Proc; url: string }> {
  const started = await startProxyIn(simUrl, dir, { RUN_ATTACH_IN_FLIGHT: '2', RUN_HEALTH_POLL_MS: '100' });
  procs.push(started.proc);
  return started;
}

type SimRequest = { action?: string; params: Record<string, string>; at: number };

it(
  'kill -9 mid-run, then a restart: the run completes, states match the simulator, nothing attached twice blindly',
  { timeout: 60_000 },
  async () => {
    const started = await startSim({ SIM_INSTANCES: '600', SIM_LATENCY_MS: '120' });
    sim = started.proc;
    const simUrl = started.url;
    const control = async (body: unknown) =>
      fetch(`${simUrl}/__sim/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await control({ transitionMs: { stopping: 150, starting: 250 }, bootJitterMs: 50 })).status).toBe(200);

    let { proc: proxy, url: base } = await startProxy(simUrl);
    const api = (url: string, body?: unknown) =>
      fetch(
        `${base}${url}`,
        body === undefined
          ? {}
          : { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify(body) },
      );
    const described = (await (
      await api('/api/ecs/DescribeInstances', { RegionId: 'cn-hangzhou', PageSize: 100, Status: 'Running' })
    ).json()) as {
      Instances: { Instance: { InstanceId: string; OSType: string; KeyPairName?: string; OperationLocks?: { LockReason?: unknown[] } }[] };
    };
    const ids = described.Instances.Instance.filter(
      (i) => i.OSType === 'linux' && i.KeyPairName !== KEY && !i.OperationLocks?.LockReason?.length,
    ).map((i) => i.InstanceId);
    expect(ids.length).toBeGreaterThan(40);
    const created = await api('/api/runs', {
      RegionId: 'cn-hangzhou',
      kind: 'attach',
      KeyPairName: KEY,
      InstanceIds: ids,
      policy: { stopped: 'leave', running: { mode: 'waves', size: { kind: 'count', value: 25 }, healthTimeoutMs: 60_000 } },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // Kill as soon as the run has sent something: mid-attach or in its first wave.
    for (;;) {
      const run = (await (await api(`/api/runs/${id}`)).json()) as { counts: Record<string, number> };
      if ((run.counts['sending'] ?? 0) + (run.counts['attached'] ?? 0) + (run.counts['activating'] ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await killHard(proxy);

    ({ proc: proxy, url: base } = await startProxy(simUrl));
    let final: { state: string } | undefined;
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      final = (await (await api(`/api/runs/${id}`)).json()) as { state: string };
      if (['completed', 'completed_with_failures', 'cancelled'].includes(final.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(final?.state).toBe('completed');

    const rows = ((await (await api(`/api/runs/${id}/instances?limit=1000`)).json()) as { items: { InstanceId: string; state: string }[] })
      .items;
    const truth = (await (
      await api('/api/ecs/DescribeInstances', { RegionId: 'cn-hangzhou', InstanceIds: ids.slice(0, 100), PageSize: 100 })
    ).json()) as {
      Instances: { Instance: { InstanceId: string; KeyPairName?: string; Status: string }[] };
    };
    const byId = new Map(truth.Instances.Instance.map((i) => [i.InstanceId, i]));
    for (const row of rows) {
      const instance = byId.get(row.InstanceId);
      expect(instance?.KeyPairName, row.InstanceId).toBe(KEY);
      expect(instance?.Status).toBe('Running');
      // Active after its reboot, or pending where a restart could not confirm the boot: both hold the key.
      expect(['active', 'pending']).toContain(row.state);
    }

    const requests = ((await (await fetch(`${simUrl}/__sim/state`)).json()) as { requests: SimRequest[] }).requests;
    const named = (r: SimRequest): string[] =>
      r.action === 'AttachKeyPair' || r.action === 'DescribeInstances'
        ? (JSON.parse(r.params['InstanceIds'] ?? '[]') as string[])
        : Object.entries(r.params)
            .filter(([k]) => /^InstanceId(\.\d+)?$/.test(k))
            .map(([, v]) => v);
    const lastAttach = new Map<string, number>();
    const readSince = new Set<string>();
    const reboots = new Map<string, number>();
    requests.forEach((r, index) => {
      for (const instanceId of named(r)) {
        if (r.action === 'DescribeInstances') readSince.add(instanceId);
        if (r.action === 'RebootInstances') reboots.set(instanceId, (reboots.get(instanceId) ?? 0) + 1);
        if (r.action !== 'AttachKeyPair') continue;
        if (lastAttach.has(instanceId)) expect(readSince.has(instanceId), `${instanceId} attached twice without a read between`).toBe(true);
        lastAttach.set(instanceId, index);
        readSince.delete(instanceId);
      }
    });
    expect(lastAttach.size).toBe(ids.length);
    expect([...reboots.values()].every((n) => n === 1)).toBe(true);
  },
);
