import { z } from 'zod';

/**
 * Runs: an attach (or an activation) executed by the proxy rather than by a browser tab, so it survives
 * closing the tab and restarting the proxy, and everyone who may view sees it (docs/product.md#step-7-activation).
 * The proxy's run engine, its store, the web app and the msw model all take their types from these schemas.
 */

export const RUN_MAX_INSTANCES = 10_000;

/**
 * How long an instance a run rebooted or started has to be Running again before it counts as failed: a waves
 * policy's `healthTimeoutMs`, or this when the policy has none (stopped instances started, running ones left).
 */
export const DEFAULT_HEALTH_TIMEOUT_MS = 600_000;

export const WaveSize = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('count'), value: z.number().int().min(1).max(RUN_MAX_INSTANCES) }),
  z.strictObject({ kind: z.literal('percent'), value: z.number().min(1).max(100) }),
]);

export const RunningPolicy = z.discriminatedUnion('mode', [
  /** Leave running instances pending: the key takes effect at their next reboot. */
  z.strictObject({ mode: z.literal('leave') }),
  z.strictObject({
    mode: z.literal('waves'),
    size: WaveSize,
    oneZoneAtATime: z.boolean().default(false),
    /** Each instance of a wave (and each one the run starts) must be Running again within this, or it counts as a failure. */
    healthTimeoutMs: z.number().int().min(10_000).max(3_600_000).default(DEFAULT_HEALTH_TIMEOUT_MS),
    /** Failures tolerated before the run pauses itself; 0 pauses at the first. */
    failureBudget: z.number().int().min(0).max(RUN_MAX_INSTANCES).default(0),
    pauseBetweenWavesMs: z.number().int().min(0).max(3_600_000).default(0),
    forceReboot: z.boolean().default(false),
  }),
]);

export const ActivationPolicy = z.strictObject({
  stopped: z.enum(['start', 'leave']),
  running: RunningPolicy,
});
export type ActivationPolicy = z.output<typeof ActivationPolicy>;

export const CreateRun = z.strictObject({
  RegionId: z.string().min(1).max(64),
  kind: z.enum(['attach', 'activate']),
  /** Required for an attach; an activation activates whatever each instance has pending. */
  KeyPairName: z.string().min(2).max(128).optional(),
  InstanceIds: z
    .array(z.string().regex(/^i-[a-z0-9]{1,64}$/))
    .min(1)
    .max(RUN_MAX_INSTANCES),
  policy: ActivationPolicy,
  /** A retry of the failed instances of this run. */
  retryOf: z.string().max(64).optional(),
});
export type CreateRun = z.output<typeof CreateRun>;

export const RUN_STATES = ['running', 'paused', 'cancelling', 'cancelled', 'completed', 'completed_with_failures'] as const;
export const RunState = z.enum(RUN_STATES);
export type RunState = z.output<typeof RunState>;

export const INSTANCE_STATES = [
  'skipped',
  'queued',
  'sending',
  'attached',
  'failed',
  'unknown',
  'activating',
  'active',
  'activation_failed',
  'pending',
  'not_sent',
] as const;
export const RunInstanceState = z.enum(INSTANCE_STATES);
export type RunInstanceState = z.output<typeof RunInstanceState>;

/** Why an instance is not sent (the re-check at the start of the run). */
export const SKIP_REASONS = ['windows', 'locked', 'already-has-key', 'not-found', 'not-pending', 'bad-status'] as const;
export const SkipReason = z.enum(SKIP_REASONS);

/** What "active" rests on: until Cloud Assistant verification exists, only the reboot or start itself. */
export const ActiveEvidence = z.enum(['inferred-reboot', 'inferred-start']);

export const RunInstance = z.object({
  InstanceId: z.string(),
  InstanceName: z.string().optional(),
  ZoneId: z.string().optional(),
  /** Status and key pair when the run re-checked the instance (the key pair is what an undo would restore). */
  statusBefore: z.string().optional(),
  previousKeyPairName: z.string().optional(),
  state: RunInstanceState,
  skipReason: SkipReason.optional(),
  /** 1-based reboot wave, for running instances in a waves policy. */
  wave: z.number().int().optional(),
  /** ECS's code and message of the last failure, in ECS's words (the web explains them). */
  Code: z.string().optional(),
  Message: z.string().optional(),
  requestIds: z.array(z.string()),
  evidence: ActiveEvidence.optional(),
  updatedAt: z.number(),
});
export type RunInstance = z.output<typeof RunInstance>;

export const WAVE_STATES = ['waiting', 'rebooting', 'done', 'failed', 'skipped'] as const;
export const Wave = z.object({
  index: z.number().int(),
  size: z.number().int(),
  state: z.enum(WAVE_STATES),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  failures: z.number().int(),
});
export type Wave = z.output<typeof Wave>;

export const RunCounts = z.partialRecord(RunInstanceState, z.number().int());

export const Run = z.object({
  id: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  regionId: z.string(),
  kind: z.enum(['attach', 'activate']),
  keyPairName: z.string().optional(),
  policy: ActivationPolicy,
  state: RunState,
  phase: z.enum(['recheck', 'attach', 'start', 'waves', 'done']),
  /** Why the run paused itself (the failure budget), or who paused it. */
  pausedReason: z.string().optional(),
  counts: RunCounts,
  total: z.number().int(),
  waves: z.array(Wave),
  retryOf: z.string().optional(),
  updatedAt: z.number(),
});
export type Run = z.output<typeof Run>;

export const RunPage = z.object({ items: z.array(Run), nextCursor: z.string().nullable() });
export type RunPage = z.output<typeof RunPage>;
export const RunInstancesPage = z.object({ items: z.array(RunInstance), nextCursor: z.string().nullable() });
export type RunInstancesPage = z.output<typeof RunInstancesPage>;

export const RunsQuery = z.strictObject({
  state: RunState.optional(),
  creator: z.string().max(256).optional(),
  regionId: z.string().max(64).optional(),
  keyPairName: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(512).optional(),
});

export const RunInstancesQuery = z.strictObject({
  state: RunInstanceState.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(512).optional(),
});

export const RUN_CONTROLS = ['pause', 'resume', 'cancel'] as const;
/** One line of the live feed (`GET /api/runs/:id/events`, Server-Sent Events, `id:` = seq for Last-Event-ID). */
export const RunEvent = z.object({
  seq: z.number().int(),
  runId: z.string(),
  at: z.number(),
  kind: z.enum(['created', 'state', 'instances', 'wave', 'control']),
  user: z.string().optional(),
  detail: z.string().optional(),
});
export type RunEvent = z.output<typeof RunEvent>;
