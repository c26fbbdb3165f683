import { test as base, expect, type APIRequestContext } from '@playwright/test';
import type { SimControlPatch } from '../sim/http/control';
import { E2E_SERVERS, type E2eServer } from './servers';

/**
 * Fixtures over hooks (Playwright docs): every test starts from a reset simulator, reached through the
 * simulator's own control port — never through the proxy.
 */
export interface SimControl {
  reset(): Promise<void>;
  /** A patch of the simulator's control (sim/model/control.ts): throttle, faults, instanceFaults, latency. */
  control(patch: SimControlPatch): Promise<void>;
  /** The simulator's current record of one instance. */
  instance(id: string): Promise<Record<string, unknown>>;
  /** Summary of the fleet per region (for choosing instances in a spec). */
  state(): Promise<{ regions: { RegionId: string; instances: number }[] }>;
  /** The ECS door's request record since the last reset: what really reached the simulated ECS. */
  requests(): Promise<SimRequest[]>;
}

export interface SimRequest {
  at: number;
  action?: string;
  params: Record<string, string>;
  status: number | null;
  code?: string;
}

/** The instance IDs a recorded request named (`InstanceId.N`, or the JSON array `InstanceIds`). */
export function requestInstanceIds(request: SimRequest): string[] {
  const ids = Object.entries(request.params)
    .filter(([name]) => /^InstanceId\.\d+$/.test(name))
    .map(([, value]) => value);
  const list = request.params['InstanceIds'];
  if (list !== undefined) ids.push(...(JSON.parse(list) as string[]));
  return ids;
}

function simControl(request: APIRequestContext, server: E2eServer): SimControl {
  return {
    async reset() {
      const res = await request.post(`${server.simControl}/reset`);
      expect(res.ok()).toBe(true);
    },
    async control(patch) {
      const res = await request.post(`${server.simControl}/control`, { data: patch });
      expect(res.ok(), await res.text()).toBe(true);
    },
    async instance(id) {
      const res = await request.get(`${server.simControl}/instances/${id}`);
      expect(res.ok()).toBe(true);
      return (await res.json()) as Record<string, unknown>;
    },
    async state() {
      const res = await request.get(`${server.simControl}/state`);
      return (await res.json()) as { regions: { RegionId: string; instances: number }[] };
    },
    async requests() {
      const res = await request.get(`${server.simControl}/state`);
      return ((await res.json()) as { requests: SimRequest[] }).requests;
    },
  };
}

export const test = base.extend<{ sim: SimControl; ssoSim: SimControl; largeSim: SimControl }>({
  sim: async ({ request }, use) => {
    const sim = simControl(request, E2E_SERVERS.main);
    await sim.reset();
    await use(sim);
  },
  ssoSim: async ({ request }, use) => {
    const sim = simControl(request, E2E_SERVERS.sso);
    await sim.reset();
    await use(sim);
  },
  largeSim: async ({ request }, use) => {
    const sim = simControl(request, E2E_SERVERS.large);
    await sim.reset();
    await use(sim);
  },
});

export { expect };
