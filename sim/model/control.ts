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
});

export type SimControl = z.output<typeof SimControlSchema>;
export type BootFaultMode = (typeof BOOT_FAULT_MODES)[number];

/**
 * What `Simulator.setControl` takes: any subset of the fields, with `faults` and `transitionMs` merged field by
 * field and `instanceFaults` and `bootFaults` replaced whole.
 */
export type SimControlUpdate = Partial<Omit<SimControl, 'faults' | 'transitionMs'>> & {
  faults?: Partial<SimControl['faults']>;
  transitionMs?: Partial<SimControl['transitionMs']>;
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
  };
}
