import type { Instance, InstanceStatus, KeyPair } from '../../ecs/contract';
import { ecsErrors } from '../../ecs/errors';
import type { EcsError } from '../../ecs/errors';
import type { BootFaultMode } from './control';

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

export type SimKeyPair = Filled<KeyPair, 'KeyPairFingerPrint' | 'CreationTime' | 'ResourceGroupId'>;

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
}

export interface RegionState {
  info: RegionInfo;
  /** Sorted by creation time, then ID: the stable order every listing uses. */
  slots: Slot[];
  keyPairs: SimKeyPair[];
  keyPairByName: Map<string, SimKeyPair>;
  /** Slots with a non-empty `pending` list, so a listing settles only those, not the whole region. */
  transitioning: Set<Slot>;
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

function apply(slot: Slot, step: Transition): void {
  const data = slot.data;
  data.Status = step.status;
  if (step.status === 'Running') {
    // StartTime records the last time the instance came up, so a reboot or start is visible in listings.
    data.StartTime = formatMinute(step.at);
    data.StoppedMode = 'Not-applicable';
  } else if (step.status === 'Stopped') {
    data.StoppedMode = 'KeepCharging';
  }
}

/** Applies every transition that is due at `now`. */
export function settle(slot: Slot, now: number): void {
  const pending = slot.pending;
  let first = pending[0];
  while (first !== undefined && first.at <= now) {
    pending.shift();
    apply(slot, first);
    first = pending[0];
  }
  if (pending.length === 0) slot.region.transitioning.delete(slot);
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

export function lockReasons(data: SimInstance): string[] {
  return (data.OperationLocks.LockReason ?? []).map((lock) => lock.LockReason);
}
