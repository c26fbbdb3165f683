import { expect } from 'vitest';
import { ecsActions, toWire } from '../../ecs/contract';
import type { EcsActionName, RequestOf, ResponseOf } from '../../ecs/contract';
import { EcsErrorBody } from '../../ecs/errors';
import { KEY_SCRIPT_MARKER, KEY_SCRIPT_PARAMS } from '../../ecs/key-script';
import { encodeBase64 } from '../../ecs/ssh-keys';
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
export function callOk<A extends EcsActionName>(sim: Simulator, action: A, params: RequestOf<A>): ResponseOf<A> {
  return expectOk(sim.call(action, toWire(action, params)), action);
}

export function expectOk<A extends EcsActionName>(result: SimResult, action: A): ResponseOf<A> {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  return ecsActions[action].response.parse(result.body) as ResponseOf<A>;
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

// ---------------------------------------------------------------------------------------------------------
// Cloud Assistant.

export const b64 = (text: string): string => encodeBase64(new TextEncoder().encode(text));
export const unb64 = (text: string): string => new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));

/**
 * A stand-in for the console's fixed script (api-proxy/cloud-assistant/authorized-keys.sh): what the simulator
 * goes by is the marker on the second line and the four parameters, not the body.
 */
export const STAND_IN_KEY_SCRIPT = [
  '#!/bin/bash',
  KEY_SCRIPT_MARKER,
  "mode='{{mode}}' user_b64='{{user_b64}}' key_b64='{{key_b64}}' replace_b64='{{replace_b64}}'",
  'exec /usr/local/lib/authorized-keys "$mode" "$user_b64" "$key_b64" "$replace_b64"',
  '',
].join('\n');

export interface KeyScriptCall {
  mode: string;
  user?: string;
  key?: string;
  replace?: string;
}

/** RunCommand for the stand-in key script, as the proxy sends it: Base64 content, every value Base64. */
export function keyScriptRequest(
  regionId: string,
  instanceIds: string[],
  call: KeyScriptCall,
  extra: Partial<RequestOf<'RunCommand'>> = {},
) {
  return {
    RegionId: regionId,
    Type: 'RunShellScript' as const,
    CommandContent: b64(STAND_IN_KEY_SCRIPT),
    ContentEncoding: 'Base64',
    InstanceId: instanceIds,
    EnableParameter: true,
    Parameters: {
      [KEY_SCRIPT_PARAMS.mode]: call.mode,
      [KEY_SCRIPT_PARAMS.user]: b64(call.user ?? 'root'),
      [KEY_SCRIPT_PARAMS.key]: call.key === undefined ? '' : b64(call.key),
      [KEY_SCRIPT_PARAMS.replace]: call.replace === undefined ? '' : b64(call.replace),
    },
    Timeout: 60,
    ...extra,
  } satisfies RequestOf<'RunCommand'>;
}

/** The agent rows of these instances (or the first page of the region), by ID. */
export function agentRows(sim: Simulator, regionId: string, ids: string[]) {
  const res = callOk(sim, 'DescribeCloudAssistantStatus', { RegionId: regionId, InstanceId: ids });
  return new Map((res.InstanceCloudAssistantStatusSet?.InstanceCloudAssistantStatus ?? []).map((row) => [row.InstanceId, row]));
}

/** Running Linux instances without locks whose agent heartbeats: the ones RunCommand accepts. */
export function readyInstances(
  sim: Simulator,
  regionId: string,
  count: number,
  predicate: (i: Readonly<SimInstance>) => boolean = () => true,
) {
  const candidates = sim.instancesIn(regionId).filter((i) => isPlainLinux('Running')(i) && predicate(i));
  const rows = agentRows(
    sim,
    regionId,
    candidates.slice(0, 100).map((i) => i.InstanceId),
  );
  const ready = candidates.filter((i) => rows.get(i.InstanceId)?.CloudAssistantStatus === 'true').slice(0, count);
  if (ready.length < count) throw new Error(`only ${ready.length} ready instances in ${regionId}, wanted ${count}`);
  return ready.map((i) => i.InstanceId);
}
