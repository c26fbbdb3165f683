import { z } from 'zod';

/**
 * The simulator's knobs, one schema for the model, the HTTP control door and the end-to-end fixtures: the
 * type is the schema's output, so no second description of the shape exists. The bounds are what a test can
 * sensibly ask for; the door refuses anything else.
 */

const Rate = z.number().min(0).max(1);
const Millis = z.number().int().min(0).max(600_000);
/**
 * Boot phases may outlast the console's 10-minute health gate, so a test can have an instance come back after
 * the gate gave up on it. At least 1 ms: a reboot is asynchronous (docs/ecs-notes.md#reboot-and-start), so the
 * answer must still find the instance out of Running.
 */
const BootMillis = z.number().int().min(1).max(3_600_000);
const InstanceIdKey = z.string().min(1).max(64);
const Remaining = z.number().int().min(0).max(1_000_000);

export const BOOT_FAULT_MODES = ['never-returns', 'stops'] as const;
/** A Cloud Assistant agent: heartbeating while Running, installed but silent, or not installed. */
export const AGENT_STATES = ['online', 'offline', 'none'] as const;
export const COMMAND_FAULT_MODES = ['agent-lost', 'timeout', 'exit', 'write-lost'] as const;
/** How long each phase of a command lasts on one instance: Pending, then Running. */
const CommandMillis = z.number().int().min(1).max(3_600_000);

export const SimControlSchema = z.strictObject({
  /** Mean added latency per call, applied by the transport doors (see `transportPlan`), not by `call()`. */
  latencyMs: Millis,
  jitterMs: Millis,
  /**
   * Calls allowed per action per region per window; null = off (docs/ecs-notes.md#throttling). Limit 0
   * throttles every call: a storm that never clears, for bounding retries.
   */
  throttle: z.strictObject({ limit: z.number().int().min(0).max(1_000_000), windowMs: z.number().int().min(1).max(3_600_000) }).nullable(),
  /** If set, only these actions are throttled. */
  throttleActions: z.array(z.string().min(1).max(64)).max(100).optional(),
  faults: z.strictObject({ errorRate: Rate, dropRate: Rate, slowRate: Rate, slowMs: Millis, malformedRate: Rate }),
  /**
   * Injected refusals of AttachKeyPair/Reboot/Start per instance: the call fails with this code and nothing
   * happens. `remaining` counts down, removed at 0.
   */
  instanceFaults: z.record(
    InstanceIdKey,
    z.strictObject({ Code: z.string().min(1).max(128), Message: z.string().max(1024), remaining: Remaining }),
  ),
  /**
   * How long each phase of a reboot or start lasts: a reboot is Stopping for `stopping`, then Starting for
   * `starting`, then Running; a start is Starting for `starting`, then Running
   * (docs/ecs-notes.md#reboot-instance, docs/ecs-notes.md#start-instance). Read when the call is accepted, so
   * a change does not move boots already under way. Merged field by field.
   */
  transitionMs: z.strictObject({ stopping: BootMillis, starting: BootMillis }),
  /**
   * Each phase of each accepted reboot or start lasts `transitionMs` ± up to this much (uniform, at least
   * 1 ms), so a wave of instances does not come back in lockstep. The draw is seeded by the instance ID and
   * how many boots it has had since the last reset, so it does not depend on the order concurrent calls
   * arrive in. 0 = the exact `transitionMs`.
   */
  bootJitterMs: z.number().int().min(0).max(3_600_000),
  /**
   * Injected failures to boot, per instance: the next `remaining` reboots or starts of that instance are
   * accepted as ECS accepts them (the call succeeds, docs/ecs-notes.md#reboot-and-start: a success only means
   * the transition began), but the instance never reaches Running. `never-returns`: it stays Starting (until
   * `/__sim/reset`; ECS refuses to reboot or start it meanwhile). `stops`: after the Starting phase it ends
   * Stopped, as a start that failed. Refused calls and dry runs do not count down; removed at 0.
   */
  bootFaults: z.record(InstanceIdKey, z.strictObject({ mode: z.enum(BOOT_FAULT_MODES), remaining: Remaining })),
  /**
   * Cloud Assistant agents set by hand (docs/ecs-notes.md#simulator-model-of-ssh-state): each entry is applied to
   * the instance when the patch arrives and stays until changed or `/__sim/reset` (which brings back the seeded
   * agents). `online` heartbeats whenever the instance is Running; `offline` is installed but silent
   * (DescribeCloudAssistantStatus "false", RunCommand refused); `none` is not installed (empty version). Merged
   * entry by entry; the control shows every agent set since the last reset, `agent-lost` faults included.
   */
  agents: z.record(InstanceIdKey, z.enum(AGENT_STATES)),
  /**
   * Each command on one instance is Pending (being delivered) for `delivery`, then Running for `run`, then ends
   * (or times out first, when `run` exceeds the call's Timeout). Read when RunCommand is accepted. Merged field
   * by field.
   */
  commandMs: z.strictObject({ delivery: CommandMillis, run: CommandMillis }),
  /**
   * Injected failures of accepted RunCommand calls, per instance; the next `remaining` accepted calls naming the
   * instance get the fault there (refused calls and dry runs do not count down; removed at 0):
   * - `agent-lost`: the agent goes offline right after the call's check, so the command is never delivered:
   *   Aborted, ErrorCode ClientNotRunning; the agent stays offline (recorded in `agents`).
   * - `timeout`: the command never finishes: Timeout, ErrorCode ExecutionTimeout, after the call's Timeout.
   * - `exit`: the command exits `exitCode` (default 1) without doing anything: Failed, ExitCodeNonzero.
   * - `write-lost`: the script answers as if it had written, but authorized_keys is unchanged, so only a read
   *   back (mode list) can tell.
   */
  commandFaults: z.record(
    InstanceIdKey,
    z.strictObject({
      mode: z.enum(COMMAND_FAULT_MODES),
      exitCode: z.number().int().min(1).max(255).optional(),
      remaining: Remaining,
    }),
  ),
});

export type SimControl = z.output<typeof SimControlSchema>;
export type BootFaultMode = (typeof BOOT_FAULT_MODES)[number];
export type AgentState = (typeof AGENT_STATES)[number];
export type CommandFaultMode = (typeof COMMAND_FAULT_MODES)[number];

/**
 * What `Simulator.setControl` takes: any subset of the fields, with `faults`, `transitionMs`, `commandMs` and
 * `agents` merged field by field and `instanceFaults`, `bootFaults` and `commandFaults` replaced whole.
 */
export type SimControlUpdate = Partial<Omit<SimControl, 'faults' | 'transitionMs' | 'commandMs'>> & {
  faults?: Partial<SimControl['faults']>;
  transitionMs?: Partial<SimControl['transitionMs']>;
  commandMs?: Partial<SimControl['commandMs']>;
};

export function defaultControl(): SimControl {
  return {
    latencyMs: 0,
    jitterMs: 0,
    throttle: null,
    faults: { errorRate: 0, dropRate: 0, slowRate: 0, slowMs: 5000, malformedRate: 0 },
    instanceFaults: {},
    transitionMs: { stopping: 1500, starting: 2500 },
    bootJitterMs: 0,
    bootFaults: {},
    agents: {},
    commandMs: { delivery: 500, run: 1000 },
    commandFaults: {},
  };
}
