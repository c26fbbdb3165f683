import type { Instance, InstanceStatus, KeyPair } from '../../ecs/contract';
import { ecsErrors } from '../../ecs/errors';
import type { EcsError } from '../../ecs/errors';
import type { BootFaultMode } from './control';
import { interrupt, nextStepAt, step, type CommandPlan, type Invocation, type InstanceRun } from './invocations';
import { COLLEAGUES, keyMaterial } from './keys';
import { applyBindingAtBoot, heartbeatAt, initialSsh, isLoginUser, type AgentInfo, type SshPlan, type SshState } from './ssh';

/**
 * The simulator's in-memory records and the lazy state machine. Instances are stored in their ECS wire shape
 * (docs/ecs-notes.md#instance-fields), so a DescribeInstances row is a shallow copy, not a mapping. The types
 * derive from the contract's response schemas (docs/conventions.md#one-contract) with the fields the simulator
 * always fills made required.
 */

type Filled<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

export type SimInstance = Filled<
  Instance,
  | 'InstanceName'
  | 'HostName'
  | 'OSType'
  | 'OSName'
  | 'OSNameEn'
  | 'ZoneId'
  | 'InstanceType'
  | 'ImageId'
  | 'CreationTime'
  | 'StartTime'
  | 'ExpiredTime'
  | 'InstanceNetworkType'
  | 'InstanceChargeType'
  | 'StoppedMode'
  | 'VpcAttributes'
  | 'PublicIpAddress'
  | 'InnerIpAddress'
  | 'EipAddress'
  | 'Tags'
  | 'OperationLocks'
> & { Status: InstanceStatus };

export type SimKeyPair = Filled<KeyPair, 'KeyPairFingerPrint' | 'CreationTime' | 'ResourceGroupId' | 'PublicKey'>;

export interface RegionInfo {
  RegionId: string;
  /** LocalName for zh-CN (the DescribeRegions default, docs/ecs-notes.md#regions). */
  zh: string;
  /** LocalName for every other AcceptLanguage. */
  en: string;
  zones: readonly string[];
  /** The first characters of real instance IDs in that region (`i-bp1…` in Hangzhou). */
  idPrefix: string;
}

/** A status the instance will reach at time `at` (ms on the simulator clock). */
export interface Transition {
  status: InstanceStatus;
  at: number;
}

/** One instance plus the bookkeeping that never goes on the wire. */
export interface Slot {
  data: SimInstance;
  region: RegionState;
  /** Position in `region.slots`, i.e. the stable listing order. */
  order: number;
  /** Future statuses in time order; applied lazily by `settle` whenever the instance is read. */
  pending: Transition[];
  /** Linux only: how the SSH state starts (seeded); `ssh` is built from it on first use (`sshOf`). */
  sshPlan: SshPlan | undefined;
  ssh: SshState | undefined;
  agent: AgentInfo;
  /** Cloud Assistant runs on this instance that have not ended; advanced by `settle` with the transitions. */
  runs: InstanceRun[];
}

export interface RegionState {
  info: RegionInfo;
  /** Sorted by creation time, then ID: the stable order every listing uses. */
  slots: Slot[];
  keyPairs: SimKeyPair[];
  keyPairByName: Map<string, SimKeyPair>;
  /**
   * Key pairs whose key is not derived yet (keys.ts: a millisecond each, so on first use): the ed25519 seed by
   * name. `keyPairsOf` and `keyLineOf` fill KeyPairFingerPrint and PublicKey in.
   */
  keySeeds: Map<string, Uint8Array>;
  /** The colleagues' keys found in some authorized_keys files (the same seeds in every region). */
  colleagueSeeds: readonly Uint8Array[];
  /** Slots with pending transitions or runs, so a listing settles only those, not the whole region. */
  transitioning: Set<Slot>;
  /** Cloud Assistant invocations of this region, oldest first, and RunCommand's ClientTokens. */
  invocations: Invocation[];
  invocationById: Map<string, Invocation>;
  clientTokens: Map<string, { signature: string; CommandId: string; InvokeId: string }>;
}

export interface Fleet {
  regions: RegionState[];
  byRegion: Map<string, RegionState>;
  /**
   * Global index: RebootInstance/StartInstance carry no RegionId (docs/ecs-notes.md#reboot-instance,
   * docs/ecs-notes.md#start-instance).
   */
  byId: Map<string, Slot>;
}

/** How one accepted reboot or start of one instance plays out. */
export interface BootPlan {
  stoppingMs: number;
  startingMs: number;
  /** An injected failure to boot (SimControl.bootFaults), or null for a boot that ends Running. */
  fault: BootFaultMode | null;
}

/** What an action handler sees: the fleet at one instant, plus the injected per-instance failures. */
export interface World {
  fleet: Fleet;
  /** The simulator clock, read once per call so a call sees one consistent instant. */
  now: number;
  /** Consumes one injected failure for this instance (SimControl.instanceFaults), if there is one. */
  takeInstanceFault(instanceId: string): EcsError | undefined;
  /**
   * The durations and outcome of a boot ECS has accepted for this instance; counts as one boot (for the
   * jitter draw) and consumes one SimControl.bootFaults entry, so call it only once the call is accepted.
   */
  planBoot(instanceId: string): BootPlan;
  /**
   * How an accepted RunCommand plays out on this instance (SimControl.commandMs, commandFaults); consumes one
   * commandFaults entry, so call it only once the call is accepted.
   */
  planCommand(instanceId: string): CommandPlan;
  /** The agent a test set by hand, or an `agent-lost` fault struck: recorded in SimControl.agents. */
  recordAgent(instanceId: string, state: AgentInfo['state']): void;
  /** A new seeded Cloud Assistant ID: `c-…` for commands, `t-…` for invocations. */
  newId(prefix: 'c' | 't', region: RegionState): string;
}

/** The region's state; unknown regions are InvalidRegionId.NotFound (docs/ecs-notes.md#error-codes). */
export function requireRegion(world: World, regionId: string): RegionState {
  const region = world.fleet.byRegion.get(regionId);
  if (region === undefined) throw ecsErrors.regionNotFound();
  return region;
}

/** `yyyy-MM-ddTHH:mmZ`, the minute-precision form of the docs' examples (docs/ecs-notes.md#instance-fields). */
export function formatMinute(ms: number): string {
  // Plain arithmetic (Hinnant's civil-from-days) rather than Date#toISOString: fleets format ~30,000 of these.
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const minuteOfDay = minutes - days * 1440;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(Math.floor(minuteOfDay / 60))}:${pad2(minuteOfDay % 60)}Z`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function apply(slot: Slot, next: Transition): void {
  const data = slot.data;
  const wasRunning = data.Status === 'Running';
  data.Status = next.status;
  if (next.status === 'Running') {
    // StartTime records the last time the instance came up, so a reboot or start is visible in listings.
    data.StartTime = formatMinute(next.at);
    data.StoppedMode = 'Not-applicable';
    if (!wasRunning) booted(slot, next.at);
  } else if (next.status === 'Stopped') {
    data.StoppedMode = 'KeepCharging';
  }
  if (wasRunning && next.status !== 'Running') {
    // The agent stops with the instance, and a command it was running is cut off.
    if (slot.agent.state === 'online') slot.agent.lastHeartbeatAt = heartbeatAt(slot.agent, next.at);
    for (const run of slot.runs) interrupt(run, next.at);
  }
}

/**
 * A boot completed: the agent starts beating, and the image applies the bound key pair (the simulator's model,
 * docs/ecs-notes.md#simulator-model-of-ssh-state; Alibaba's mechanism is unconfirmed).
 */
function booted(slot: Slot, at: number): void {
  slot.agent.runningSince = at;
  const plan = slot.sshPlan;
  if (plan === undefined) return;
  const name = slot.data.KeyPairName;
  // Not built yet and still bound as at the start: the rewrite would change nothing, so the keys (a
  // millisecond each) are not derived for the few instances the fleet starts mid-boot.
  if (slot.ssh === undefined && name === plan.initialKeyPair) return;
  applyBindingAtBoot(sshOf(slot), name === undefined ? undefined : keyLineOf(slot.region, name));
}

/** The run whose next step is due first. */
function nextRun(slot: Slot): { run: InstanceRun; at: number } | undefined {
  let best: { run: InstanceRun; at: number } | undefined;
  for (const run of slot.runs) {
    const at = nextStepAt(run);
    if (at !== undefined && (best === undefined || at < best.at)) best = { run, at };
  }
  return best;
}

/**
 * Applies every transition and every Cloud Assistant step that is due at `now`, in time order (a transition
 * first on a tie), so a command meets the instance in the state it had at that moment.
 */
export function settle(slot: Slot, now: number): void {
  const pending = slot.pending;
  for (;;) {
    const first = pending[0];
    const run = slot.runs.length === 0 ? undefined : nextRun(slot);
    const transitionAt = first?.at ?? Number.POSITIVE_INFINITY;
    const runAt = run?.at ?? Number.POSITIVE_INFINITY;
    if (first !== undefined && transitionAt <= now && transitionAt <= runAt) {
      pending.shift();
      apply(slot, first);
    } else if (run !== undefined && runAt <= now) {
      step(run.run, runContext(slot));
    } else {
      break;
    }
    if (slot.runs.some((r) => nextStepAt(r) === undefined)) slot.runs = slot.runs.filter((r) => nextStepAt(r) !== undefined);
  }
  if (pending.length === 0 && slot.runs.length === 0) slot.region.transitioning.delete(slot);
}

function runContext(slot: Slot): Parameters<typeof step>[1] {
  const ssh = slot.sshPlan === undefined ? undefined : sshOf(slot);
  return {
    isRunning: slot.data.Status === 'Running',
    isAgentUp: slot.agent.state === 'online',
    ssh,
    // Windows users are not modelled: any name is taken as existing there.
    hasUser: (name) => ssh === undefined || isLoginUser(ssh, name),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Keys and SSH state, built on first use.

function fillKey(region: RegionState, pair: SimKeyPair): void {
  const seed = region.keySeeds.get(pair.KeyPairName);
  if (seed === undefined) return;
  const material = keyMaterial(seed, pair.KeyPairName);
  pair.KeyPairFingerPrint = material.fingerprint;
  pair.PublicKey = material.line;
  region.keySeeds.delete(pair.KeyPairName);
}

/** The region's key pairs with their keys derived. */
export function keyPairsOf(region: RegionState): SimKeyPair[] {
  if (region.keySeeds.size > 0) for (const pair of region.keyPairs) fillKey(region, pair);
  return region.keyPairs;
}

/** The OpenSSH line of a key pair of this region (comment = its name), or undefined for an unknown name. */
export function keyLineOf(region: RegionState, name: string): string | undefined {
  const pair = region.keyPairByName.get(name);
  if (pair === undefined) return undefined;
  fillKey(region, pair);
  return pair.PublicKey;
}

/** The instance's SSH state (Linux only: callers check `sshPlan`), built from its seeded plan on first use. */
export function sshOf(slot: Slot): SshState {
  if (slot.ssh !== undefined) return slot.ssh;
  const plan = slot.sshPlan;
  if (plan === undefined) throw new Error(`sshOf: ${slot.data.InstanceId} is not a Linux instance`);
  const region = slot.region;
  const bound = plan.initialKeyPair === undefined ? undefined : keyLineOf(region, plan.initialKeyPair);
  const colleagueSeed = plan.colleague === undefined ? undefined : region.colleagueSeeds[plan.colleague];
  const colleague =
    colleagueSeed === undefined ? undefined : keyMaterial(colleagueSeed, COLLEAGUES[plan.colleague ?? 0] ?? 'colleague').line;
  slot.ssh = initialSsh(plan, bound, colleague);
  return slot.ssh;
}

/** True while the agent heartbeats: installed, healthy and the instance Running (docs/ecs-notes.md#cloud-assistant-status). */
export function isAgentBeating(slot: Slot): boolean {
  return slot.agent.state === 'online' && slot.data.Status === 'Running';
}

export function settleRegion(region: RegionState, now: number): void {
  // Deleting the current element while iterating a Set is well defined in JS.
  for (const slot of region.transitioning) settle(slot, now);
}

/**
 * Moves the instance to `steps[0].status` now and queues the rest at cumulative offsets, e.g. a reboot is
 * `[Stopping, 0] → [Starting, stopping] → [Running, stopping + starting]`.
 */
export function schedule(slot: Slot, now: number, steps: readonly (readonly [InstanceStatus, number])[]): void {
  slot.pending = [];
  let at = now;
  for (const [status, afterMs] of steps) {
    at += afterMs;
    slot.pending.push({ status, at });
  }
  slot.region.transitioning.add(slot);
  settle(slot, now);
}

/** Queues a Cloud Assistant run on the instance; `settle` advances it. */
export function addRun(slot: Slot, run: InstanceRun): void {
  slot.runs.push(run);
  slot.region.transitioning.add(slot);
}

export function lockReasons(data: SimInstance): string[] {
  return (data.OperationLocks.LockReason ?? []).map((lock) => lock.LockReason);
}
