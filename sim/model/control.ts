import { z } from 'zod';

/**
 * The simulator's knobs, one schema for the model, the HTTP control door and the end-to-end fixtures: the
 * type is the schema's output, so no second description of the shape exists. The bounds are what a test can
 * sensibly ask for; the door refuses anything else.
 */

const Rate = z.number().min(0).max(1);
const Millis = z.number().int().min(0).max(600_000);

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
  /** Injected failures for AttachKeyPair/Reboot/Start per instance; `remaining` counts down, removed at 0. */
  instanceFaults: z.record(
    z.string().min(1).max(64),
    z.strictObject({ Code: z.string().min(1).max(128), Message: z.string().max(1024), remaining: z.number().int().min(0).max(1_000_000) }),
  ),
});

export type SimControl = z.output<typeof SimControlSchema>;

export function defaultControl(): SimControl {
  return {
    latencyMs: 0,
    jitterMs: 0,
    throttle: null,
    faults: { errorRate: 0, dropRate: 0, slowRate: 0, slowMs: 5000, malformedRate: 0 },
    instanceFaults: {},
  };
}
