import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../model/simulator';
import type { Simulator } from '../model/simulator';
import { createSimServer } from './server';
import type { SimServer } from './server';

// The control door over a real socket: its refusals depend on the peer address and the request's headers.

let simulator: Simulator;
let sim: SimServer;
let base: string;

beforeAll(async () => {
  simulator = createSimulator({ seed: 'sim-server-test', instances: 40 });
  sim = createSimServer({ simulator, accessKeys: { 'test-access-key': 'test-access-secret' } });
  base = (await sim.listen(0)).url;
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  await fetch(`${base}/__sim/reset`, { method: 'POST' });
});

function linuxInstance(status: 'Running' | 'Stopped'): string {
  const found = simulator
    .instancesIn('cn-hangzhou')
    .find((i) => i.OSType === 'linux' && i.Status === status && i.OperationLocks.LockReason?.length === 0);
  if (!found) throw new Error(`no ${status} linux instance in the test fleet`);
  return found.InstanceId;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('control endpoint /__sim/', () => {
  it('refuses cross-site browser requests and non-JSON patches', async () => {
    const crossSite = await fetch(`${base}/__sim/control`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: 'https://evil.example' },
      body: JSON.stringify({ latencyMs: 999 }),
    });
    expect(crossSite.status).toBe(403);
    const textPlain = await fetch(`${base}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ latencyMs: 999 }),
    });
    expect(textPlain.status).toBe(415);
    const reset = await fetch(`${base}/__sim/reset`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(reset.status).toBe(403);
    expect(simulator.control.latencyMs).toBe(0);
  });

  it('reports state, applies a control patch and resets', async () => {
    const state = (await (await fetch(`${base}/__sim/state`)).json()) as {
      control: { latencyMs: number };
      regions: { RegionId: string; instances: number }[];
    };
    expect(state.control.latencyMs).toBe(0);
    expect(state.regions.find((r) => r.RegionId === 'cn-hangzhou')?.instances).toBe(40);

    const patched = await fetch(`${base}/__sim/control`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ latencyMs: 5, faults: { slowMs: 10 } }),
    });
    expect(patched.status).toBe(200);
    expect(simulator.control.latencyMs).toBe(5);
    expect(simulator.control.faults).toMatchObject({ slowMs: 10, dropRate: 0 });

    await fetch(`${base}/__sim/reset`, { method: 'POST' });
    expect(simulator.control.latencyMs).toBe(0);
  });

  it('sets boot durations field by field and jitter, and a reset restores them', async () => {
    const control = async (patch: unknown) =>
      (await (await fetch(`${base}/__sim/control`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(patch) })).json()) as {
        control: { transitionMs: unknown; bootJitterMs: number };
      };
    expect((await control({ transitionMs: { starting: 30 } })).control.transitionMs).toEqual({ stopping: 1500, starting: 30 });
    const patched = await control({ transitionMs: { stopping: 200 }, bootJitterMs: 5 });
    expect(patched.control).toMatchObject({ transitionMs: { stopping: 200, starting: 30 }, bootJitterMs: 5 });

    // Short boots for a real-clock test: the reboot is over in about a quarter of a second.
    const id = linuxInstance('Running');
    expect(simulator.call('RebootInstance', { InstanceId: id }).status).toBe(200);
    expect(simulator.statusesOf([id])).toEqual(['Stopping']);
    await expect.poll(() => simulator.statusesOf([id])[0], { timeout: 2000, interval: 5 }).toBe('Running');

    const reset = (await (await fetch(`${base}/__sim/reset`, { method: 'POST' })).json()) as {
      control: { transitionMs: unknown; bootJitterMs: number };
    };
    expect(reset.control).toMatchObject({ transitionMs: { stopping: 1500, starting: 2500 }, bootJitterMs: 0 });
  });

  it('injects failures to boot: the reboot is accepted, the instance stays Starting, and /__sim/reset clears them', async () => {
    const id = linuxInstance('Running');
    const patch = { transitionMs: { stopping: 5, starting: 5 }, bootFaults: { [id]: { mode: 'never-returns', remaining: 1 } } };
    expect((await fetch(`${base}/__sim/control`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(patch) })).status).toBe(200);
    const before = (await (await fetch(`${base}/__sim/state`)).json()) as { control: { bootFaults: unknown } };
    expect(before.control.bootFaults).toEqual({ [id]: { mode: 'never-returns', remaining: 1 } });

    expect(simulator.call('RebootInstance', { InstanceId: id }).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stuck = (await (await fetch(`${base}/__sim/instances/${id}`)).json()) as Record<string, unknown>;
    expect(stuck['Status']).toBe('Starting');

    // Armed again, then reset: faults gone, the seeded fleet back.
    await fetch(`${base}/__sim/control`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ bootFaults: { [id]: { mode: 'stops', remaining: 2 } } }),
    });
    const reset = (await (await fetch(`${base}/__sim/reset`, { method: 'POST' })).json()) as { control: { bootFaults: unknown } };
    expect(reset.control.bootFaults).toEqual({});
    expect(simulator.control.bootFaults).toEqual({});
    expect(simulator.statusesOf([id])).toEqual(['Running']);
  });

  it('refuses bad control bodies with a 400 JSON error', async () => {
    const bad = [
      'not json',
      '[]',
      JSON.stringify({ latencyMs: -1 }),
      JSON.stringify({ faults: { dropRate: 2 } }),
      JSON.stringify({ typo: 1 }),
      JSON.stringify({ transitionMs: { stopping: 0 } }),
      JSON.stringify({ transitionMs: { typo: 1 } }),
      JSON.stringify({ bootJitterMs: -1 }),
      JSON.stringify({ bootFaults: { 'i-a': { mode: 'explodes', remaining: 1 } } }),
      JSON.stringify({ bootFaults: { 'i-a': { mode: 'stops' } } }),
      JSON.stringify({ agents: { 'i-a': 'asleep' } }),
      JSON.stringify({ commandMs: { run: 0 } }),
      JSON.stringify({ commandFaults: { 'i-a': { mode: 'exit', exitCode: 0, remaining: 1 } } }),
      JSON.stringify({ commandFaults: { 'i-a': { mode: 'vanish', remaining: 1 } } }),
    ];
    for (const body of bad) {
      const res = await fetch(`${base}/__sim/control`, { method: 'POST', headers: JSON_HEADERS, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Record<string, unknown>)['Code']).toBe('Sim.InvalidControl');
    }
    expect((await fetch(`${base}/__sim/nope`)).status).toBe(404);
  });

  it('sets agents, command durations and command faults, shows an instance’s SSH state, and a reset clears them', async () => {
    const id = linuxInstance('Running');
    const patch = {
      agents: { [id]: 'offline' },
      commandMs: { run: 20 },
      commandFaults: { [id]: { mode: 'write-lost', remaining: 1 } },
    };
    const patched = await fetch(`${base}/__sim/control`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(patch) });
    expect(patched.status).toBe(200);
    const { control } = (await patched.json()) as { control: Record<string, unknown> };
    expect(control).toMatchObject({ ...patch, commandMs: { delivery: 500, run: 20 } });
    const status = simulator.call('DescribeCloudAssistantStatus', { RegionId: 'cn-hangzhou', 'InstanceId.1': id });
    expect(JSON.stringify(status.body)).toContain('"CloudAssistantStatus":"false"');

    const ssh = (await (await fetch(`${base}/__sim/instances/${id}/ssh`)).json()) as { loginUser: string; files: Record<string, string[]> };
    expect(ssh.files[ssh.loginUser]).toEqual(simulator.sshState(id)?.files.get(ssh.loginUser as 'root'));
    const windows = simulator.instancesIn('cn-hangzhou').find((i) => i.OSType === 'windows')?.InstanceId ?? '';
    expect((await fetch(`${base}/__sim/instances/${windows}/ssh`)).status).toBe(404);

    const reset = (await (await fetch(`${base}/__sim/reset`, { method: 'POST' })).json()) as { control: Record<string, unknown> };
    expect(reset.control).toMatchObject({ agents: {}, commandFaults: {}, commandMs: { delivery: 500, run: 1000 } });
  });

  it('shows one instance', async () => {
    const id = linuxInstance('Stopped');
    const res = await fetch(`${base}/__sim/instances/${id}`);
    expect(((await res.json()) as Record<string, unknown>)['Status']).toBe('Stopped');
    expect((await fetch(`${base}/__sim/instances/i-doesnotexist`)).status).toBe(404);
  });
});
