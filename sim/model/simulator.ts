import { ecsActions, fromWire, isEcsActionName } from '../../ecs/contract';
import type { EcsActionName, InstanceStatus, RequestOf, WireProblem } from '../../ecs/contract';
import { EcsError, ecsErrors } from '../../ecs/errors';
import { describeCloudAssistantStatus, describeInvocationResults, describeInvocations, runCommand } from './cloud-assistant';
import { cloudAssistantProblem } from './cloud-assistant-errors';
import { defaultControl, type AgentState, type SimControl, type SimControlUpdate } from './control';
import { describeInstances, describeInstanceStatus, describeKeyPairs, describeRegions } from './describe';
import { buildFleet, REGIONS } from './fleet';
import type { CommandPlan } from './invocations';
import { isAgentBeating, settle, settleRegion, sshOf } from './model';
import type { BootPlan, Fleet, RegionState, SimInstance, World } from './model';
import { attachKeyPair, rebootInstance, rebootInstances, startInstance, startInstances } from './mutate';
import { Rng } from './random';
import { heartbeatAt, type SshState } from './ssh';

/**
 * The simulated ECS: one model behind several doors (docs/conventions.md#one-simulator-several-doors). `call()`
 * takes an action and its wire parameters exactly as they arrive on the query string and answers with a status, a
 * body and headers, as ECS would. It never throws, never waits and uses no timers: every state change is computed
 * lazily from `now()`, so it runs the same under msw in the browser, in unit tests with a fake clock and behind
 * the HTTP door.
 */

export type { SimInstance } from './model';

export interface SimOptions {
  seed?: string;
  /** Size of the one large region (cn-hangzhou). */
  instances?: number;
  /** Clock in ms; all state transitions are computed lazily from it. */
  now?: () => number;
  /** The boot durations the control starts from and a reset returns to (SimControl.transitionMs). */
  transitionMs?: SimControl['transitionMs'];
}

export interface SimResult {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface TransportPlan {
  delayMs: number;
  fault: 'drop' | 'malformed' | null;
}

const DEFAULT_SEED = 'ecs-keypair-console';

type Handler<A extends EcsActionName> = (world: World, req: RequestOf<A>) => Record<string, unknown>;

const HANDLERS: { [A in EcsActionName]: Handler<A> } = {
  DescribeRegions: describeRegions,
  DescribeInstances: describeInstances,
  DescribeKeyPairs: describeKeyPairs,
  DescribeInstanceStatus: describeInstanceStatus,
  AttachKeyPair: attachKeyPair,
  RebootInstance: rebootInstance,
  StartInstance: startInstance,
  RebootInstances: rebootInstances,
  StartInstances: startInstances,
  DescribeCloudAssistantStatus: describeCloudAssistantStatus,
  RunCommand: runCommand,
  DescribeInvocations: describeInvocations,
  DescribeInvocationResults: describeInvocationResults,
};

/**
 * Turns a parameter problem into the code ECS uses for that parameter (docs/ecs-notes.md#attach-errors,
 * docs/ecs-notes.md#regions, docs/ecs-notes.md#instance-filters, docs/ecs-notes.md#error-codes).
 */
function problemError(action: EcsActionName, problem: WireProblem): EcsError {
  const { kind, param, detail } = problem;
  const cloudAssistant = cloudAssistantProblem(action, problem);
  if (cloudAssistant !== undefined) return cloudAssistant;
  if (kind === 'missing') return ecsErrors.missingParameter(param);
  if (param === 'RegionId') return ecsErrors.regionNotFound();
  if (action === 'AttachKeyPair' && param === 'InstanceIds') return ecsErrors.instanceIdsNotSupported();
  if (param === 'Status') return ecsErrors.invalidStatus();
  if (param === 'AcceptLanguage') return ecsErrors.invalidLanguage();
  if (param === 'NextToken') return ecsErrors.invalidNextToken();
  return ecsErrors.invalidParameter(param, detail);
}

/** HTTP status for an injected per-instance failure, following the table in docs/ecs-notes.md#error-codes. */
function faultStatus(code: string): number {
  if (code === 'InternalError' || code === 'InstanceNotReady') return 500;
  if (code.startsWith('ServiceUnavailable')) return 503;
  if (code === 'OperationConflict') return 409;
  if (code.endsWith('.NotFound')) return 404;
  if (code.startsWith('Throttling') || code.startsWith('Invalid') || code.startsWith('Missing')) return 400;
  return 403;
}

function runAction<A extends EcsActionName>(action: A, world: World, wire: Record<string, string>): Record<string, unknown> {
  const parsed = fromWire(action, wire);
  if (!parsed.ok) throw problemError(action, parsed.problem);
  const handler: Handler<A> = HANDLERS[action];
  return handler(world, parsed.value);
}

interface State {
  fleet: Fleet;
  /** Separate streams, so turning faults on does not change request IDs or transport draws, and vice versa. */
  requestRng: Rng;
  faultRng: Rng;
  transportRng: Rng;
  /** Throttle counters of the current window only, keyed `action|region`. */
  throttleWindow: number;
  throttleCounts: Map<string, number>;
  /** Accepted reboots and starts per instance since the last reset: the second half of each boot's jitter seed. */
  boots: Map<string, number>;
  /** Cloud Assistant command and invocation IDs. */
  idRng: Rng;
}

export class Simulator {
  readonly options: Required<SimOptions>;
  control: SimControl;
  private state: State;

  constructor(options: SimOptions = {}) {
    const instances = options.instances ?? 300;
    if (!Number.isInteger(instances) || instances < 0) throw new RangeError(`instances must be a non-negative integer, got ${instances}`);
    this.options = {
      seed: options.seed ?? DEFAULT_SEED,
      instances,
      now: options.now ?? (() => Date.now()),
      transitionMs: options.transitionMs ?? defaultControl().transitionMs,
    };
    this.control = this.initialControl();
    this.state = this.freshState();
  }

  private initialControl(): SimControl {
    return { ...defaultControl(), transitionMs: { ...this.options.transitionMs } };
  }

  private freshState(): State {
    const { seed, instances, now } = this.options;
    return {
      fleet: buildFleet(seed, instances, now()),
      requestRng: new Rng(`${seed}/request-id`),
      faultRng: new Rng(`${seed}/faults`),
      transportRng: new Rng(`${seed}/transport`),
      throttleWindow: Number.NaN,
      throttleCounts: new Map(),
      boots: new Map(),
      idRng: new Rng(`${seed}/cloud-assistant`),
    };
  }

  /**
   * Shallow merge; `faults`, `transitionMs`, `commandMs` and `agents` are merged field by field,
   * `instanceFaults`, `bootFaults` and `commandFaults` replaced by copies (they count down in place, so the
   * caller's objects must not be shared). Each `agents` entry is applied to its instance now.
   */
  setControl(patch: SimControlUpdate): void {
    const current = this.control;
    this.control = {
      ...current,
      ...patch,
      faults: { ...current.faults, ...patch.faults },
      transitionMs: { ...current.transitionMs, ...patch.transitionMs },
      commandMs: { ...current.commandMs, ...patch.commandMs },
      agents: { ...current.agents, ...patch.agents },
      instanceFaults: patch.instanceFaults === undefined ? current.instanceFaults : copyEntries(patch.instanceFaults),
      bootFaults: patch.bootFaults === undefined ? current.bootFaults : copyEntries(patch.bootFaults),
      commandFaults: patch.commandFaults === undefined ? current.commandFaults : copyEntries(patch.commandFaults),
    };
    for (const [id, state] of Object.entries(patch.agents ?? {})) this.setAgent(id, state, this.options.now());
  }

  /**
   * Back to the seeded fleet, the initial control (injected failures cleared, the constructor's
   * `transitionMs`) and cleared counters and random streams.
   */
  reset(): void {
    this.control = this.initialControl();
    this.state = this.freshState();
  }

  call(action: string, wire: Record<string, string>, ctx: { requestId?: string; hostId?: string } = {}): SimResult {
    const now = this.options.now();
    const requestId = ctx.requestId ?? this.state.requestRng.requestId();
    let hostId = ctx.hostId;
    try {
      if (!isEcsActionName(action)) throw ecsErrors.invalidAction(action);
      const region = this.throttleRegion(action, wire);
      hostId ??= this.state.fleet.byRegion.has(region) ? `ecs.${region}.aliyuncs.com` : 'ecs.aliyuncs.com';
      this.injectServerFault();
      this.countCall(action, region, now);
      const world: World = {
        fleet: this.state.fleet,
        now,
        takeInstanceFault: (id) => this.takeInstanceFault(id),
        planBoot: (id) => this.planBoot(id),
        planCommand: (id) => this.planCommand(id),
        recordAgent: (id, state) => {
          this.control.agents[id] = state;
          this.setAgent(id, state, now);
        },
        newId: (prefix, region) => this.newId(prefix, region),
      };
      const body = runAction(action, world, wire);
      return { status: 200, body: { RequestId: requestId, ...body }, headers: { 'x-acs-request-id': requestId } };
    } catch (caught) {
      // Anything that is not an EcsError is a simulator bug; answer like ECS would, without internals.
      const error = caught instanceof EcsError ? caught : ecsErrors.internalError();
      return { status: error.status, body: error.toBody(requestId, hostId), headers: { ...error.headers, 'x-acs-request-id': requestId } };
    }
  }

  /** Latency (mean ± jitter, never negative, plus slowMs on a slow draw) and a transport fault, seeded. */
  transportPlan(): TransportPlan {
    const { latencyMs, jitterMs, faults } = this.control;
    const rng = this.state.transportRng;
    // Always three draws, so the sequence of plans does not shift when a rate is switched on or off.
    const jitter = (rng.next() * 2 - 1) * jitterMs;
    const isSlow = rng.next() < faults.slowRate;
    const roll = rng.next();
    const delayMs = Math.round(Math.max(0, latencyMs + jitter) + (isSlow ? faults.slowMs : 0));
    const fault = roll < faults.dropRate ? 'drop' : roll < faults.dropRate + faults.malformedRate ? 'malformed' : null;
    return { delayMs, fault };
  }

  regions(): readonly string[] {
    return REGIONS.map((r) => r.RegionId);
  }

  /** A snapshot of the instance after lazy transitions (a copy: later changes do not show through). */
  instance(id: string): Readonly<SimInstance> | undefined {
    const slot = this.state.fleet.byId.get(id);
    if (slot === undefined) return undefined;
    settle(slot, this.options.now());
    return { ...slot.data };
  }

  /**
   * The statuses of these instances at one instant (undefined for an unknown ID), in the order asked: a
   * sampler for tests that count how many are out of Running at once. Cheaper than `instance()` per ID: one
   * clock read and no copies.
   */
  statusesOf(ids: readonly string[]): (InstanceStatus | undefined)[] {
    const now = this.options.now();
    const byId = this.state.fleet.byId;
    return ids.map((id) => {
      const slot = byId.get(id);
      if (slot === undefined) return undefined;
      settle(slot, now);
      return slot.data.Status;
    });
  }

  instancesIn(regionId: string): readonly Readonly<SimInstance>[] {
    const region = this.state.fleet.byRegion.get(regionId);
    if (region === undefined) return [];
    settleRegion(region, this.options.now());
    return region.slots.map((slot) => ({ ...slot.data }));
  }

  /**
   * Throttling is per API and per region (docs/ecs-notes.md#throttling). Reboot/StartInstance carry no RegionId,
   * so they count against their instance's region; DescribeRegions and unknown instances count against 'global'.
   */
  private throttleRegion(action: EcsActionName, wire: Record<string, string>): string {
    if (ecsActions[action].regional) return wire.RegionId ?? 'global';
    const instanceId = wire.InstanceId;
    return (instanceId === undefined ? undefined : this.state.fleet.byId.get(instanceId)?.region.info.RegionId) ?? 'global';
  }

  /**
   * control.faults.errorRate: a transient server error before anything is looked at or applied
   * (docs/ecs-notes.md#error-codes).
   */
  private injectServerFault(): void {
    const { errorRate } = this.control.faults;
    if (errorRate <= 0) return;
    const rng = this.state.faultRng;
    if (rng.next() < errorRate) throw rng.next() < 0.5 ? ecsErrors.internalError() : ecsErrors.serviceUnavailable();
  }

  /**
   * Counts the call in the current window (aligned to multiples of windowMs on the clock, like ECS's per-minute
   * windows, docs/ecs-notes.md#throttling) and refuses it once the limit is reached. `x-acs-retry-after` is in
   * milliseconds: the official SDK (@alicloud/openapi-core 1.0.8, utils `getThrottlingTimeLeft`) parseInt()s the
   * header into ThrottlingError.retryAfter, and @darabonba/typescript's `getBackoffDelay` returns min(retryAfter,
   * 120 * 1000) which is passed straight to `sleep(ms)`. (That SDK classifies ThrottlingError by the Code
   * containing "Throttling", not by the header's presence.)
   */
  private countCall(action: EcsActionName, region: string, now: number): void {
    const throttle = this.control.throttle;
    if (throttle === null) return;
    if (this.control.throttleActions !== undefined && !this.control.throttleActions.includes(action)) return;
    const windowStart = Math.floor(now / throttle.windowMs) * throttle.windowMs;
    if (windowStart !== this.state.throttleWindow) {
      this.state.throttleWindow = windowStart;
      this.state.throttleCounts.clear();
    }
    const key = `${action}|${region}`;
    const count = this.state.throttleCounts.get(key) ?? 0;
    if (count >= throttle.limit) throw ecsErrors.throttling(Math.ceil(windowStart + throttle.windowMs - now));
    this.state.throttleCounts.set(key, count + 1);
  }

  private takeInstanceFault(instanceId: string): EcsError | undefined {
    const faults = this.control.instanceFaults;
    const fault = faults[instanceId];
    if (fault === undefined) return undefined;
    if (fault.remaining <= 0) {
      delete faults[instanceId];
      return undefined;
    }
    fault.remaining -= 1;
    if (fault.remaining <= 0) delete faults[instanceId];
    return new EcsError(faultStatus(fault.Code), fault.Code, fault.Message);
  }

  private planBoot(instanceId: string): BootPlan {
    const { transitionMs, bootJitterMs } = this.control;
    const boots = this.state.boots;
    const count = boots.get(instanceId) ?? 0;
    boots.set(instanceId, count + 1);
    // A stream per boot rather than one shared stream: concurrent calls may arrive in any order, and each
    // instance's boots must still last the same from run to run.
    const rng = new Rng(`${this.options.seed}/boot/${instanceId}/${count}`);
    const jittered = (base: number): number =>
      bootJitterMs === 0 ? base : Math.max(1, Math.round(base + (rng.next() * 2 - 1) * bootJitterMs));
    return {
      stoppingMs: jittered(transitionMs.stopping),
      startingMs: jittered(transitionMs.starting),
      fault: this.takeBootFault(instanceId),
    };
  }

  /**
   * The SSH model of a Linux instance, after lazy transitions (a deep copy), or undefined for Windows and
   * unknown IDs: what tests read to check what a script or a boot did.
   */
  sshState(id: string): SshState | undefined {
    const slot = this.state.fleet.byId.get(id);
    if (slot === undefined || slot.sshPlan === undefined) return undefined;
    settle(slot, this.options.now());
    return structuredClone(sshOf(slot));
  }

  /** Sets an instance's agent at `now`, keeping LastHeartbeatTime truthful (a silent agent was last heard now). */
  private setAgent(id: string, state: AgentState, now: number): void {
    const slot = this.state.fleet.byId.get(id);
    if (slot === undefined) return;
    settle(slot, now);
    const agent = slot.agent;
    if (isAgentBeating(slot) && state !== 'online') agent.lastHeartbeatAt = heartbeatAt(agent, now);
    // An agent that starts beating again counts its heartbeats from now.
    if (agent.state !== 'online' && state === 'online') agent.runningSince = now;
    if (state === 'none') agent.version = '';
    else if (agent.version === '') agent.version = slot.data.OSType === 'windows' ? '2.1.3.857' : '2.2.3.857';
    agent.state = state;
  }

  private planCommand(instanceId: string): CommandPlan {
    const { delivery, run } = this.control.commandMs;
    const faults = this.control.commandFaults;
    const fault = faults[instanceId];
    let planned: CommandPlan['fault'] = null;
    if (fault !== undefined && fault.remaining > 0) {
      planned = { mode: fault.mode, exitCode: fault.exitCode ?? 1 };
      fault.remaining -= 1;
    }
    if (fault !== undefined && fault.remaining <= 0) delete faults[instanceId];
    return { deliveryMs: delivery, runMs: run, fault: planned };
  }

  /** Cloud Assistant IDs look like ECS's (`c-` / `t-`, then the region's ID prefix and random characters). */
  private newId(prefix: 'c' | 't', region: RegionState): string {
    return `${prefix}-${region.info.idPrefix}${this.state.idRng.alnum(13)}`;
  }

  private takeBootFault(instanceId: string): BootPlan['fault'] {
    const faults = this.control.bootFaults;
    const fault = faults[instanceId];
    if (fault === undefined) return null;
    if (fault.remaining <= 0) {
      delete faults[instanceId];
      return null;
    }
    fault.remaining -= 1;
    if (fault.remaining <= 0) delete faults[instanceId];
    return fault.mode;
  }
}

function copyEntries<T extends object>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([id, entry]) => [id, { ...entry }]));
}

export function createSimulator(options?: SimOptions): Simulator {
  return new Simulator(options);
}
