import { expect } from 'vitest';
import { actions, toWire } from '../../ecs/contract';
import type { ActionName, RequestOf, ResponseOf } from '../../ecs/contract';
import { EcsErrorBody } from '../../ecs/errors';
import type { SimInstance } from './model';
import type { SimResult, Simulator } from './simulator';

/** Helpers for the simulator's own tests: a fake clock and calls that check the contract on every answer. */

export interface FakeClock {
  now: () => number;
  advance: (ms: number) => void;
}

/** Starts 10 s into a minute, so window arithmetic in throttling tests is not trivially zero. */
export function fakeClock(start = Date.UTC(2026, 1, 2, 9, 30, 10)): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Calls with a structured request, flattened by the contract's `toWire` (the path the proxy takes too). */
export function callOk<A extends ActionName>(sim: Simulator, action: A, params: RequestOf<A>): ResponseOf<A> {
  return expectOk(sim.call(action, toWire(action, params)), action);
}

export function expectOk<A extends ActionName>(result: SimResult, action: A): ResponseOf<A> {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  return actions[action].response.parse(result.body) as ResponseOf<A>;
}

export interface ErrorAnswer extends EcsErrorBody {
  status: number;
  headers: Record<string, string>;
}

/** Calls with raw wire parameters (to send malformed input) and expects an error envelope. */
export function callErr(sim: Simulator, action: string, wire: Record<string, string>): ErrorAnswer {
  return expectErr(sim.call(action, wire));
}

export function expectErr(result: SimResult): ErrorAnswer {
  expect(result.status, JSON.stringify(result.body)).toBeGreaterThanOrEqual(400);
  return { ...EcsErrorBody.parse(result.body), status: result.status, headers: result.headers };
}

/** The first instance of a region matching `predicate`; fails the test if there is none. */
export function findInstance(sim: Simulator, regionId: string, predicate: (i: Readonly<SimInstance>) => boolean): Readonly<SimInstance> {
  const found = sim.instancesIn(regionId).find(predicate);
  if (found === undefined) throw new Error(`no instance in ${regionId} matches`);
  return found;
}

export function findInstances(
  sim: Simulator,
  regionId: string,
  predicate: (i: Readonly<SimInstance>) => boolean,
  count: number,
): Readonly<SimInstance>[] {
  const found = sim.instancesIn(regionId).filter(predicate).slice(0, count);
  if (found.length < count) throw new Error(`only ${found.length} instances in ${regionId} match, wanted ${count}`);
  return found;
}

export const isLocked = (i: Readonly<SimInstance>): boolean => (i.OperationLocks.LockReason ?? []).length > 0;
export const isPlainLinux =
  (status: string) =>
  (i: Readonly<SimInstance>): boolean =>
    i.OSType === 'linux' && i.Status === status && !isLocked(i);
