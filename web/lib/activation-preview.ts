import type { ActivationPolicy } from '#ecs/runs-api';
import { planWaves } from '#ecs/waves';

/**
 * The activation policy as an operator fills it in, checked and previewed before a run is created
 * (docs/product.md#step-7-activation). Pure: the review dialog, the activation dialog and their tests read the
 * same rules, and the waves come from ecs/waves.ts planWaves, the planner the proxy's run engine uses, so the
 * preview is the plan the proxy will send.
 */

/** RUN_MAX_INSTANCES in ecs/runs-api.ts, repeated here because a value import from there would load zod. */
export const MAX_RUN_INSTANCES = 10_000;
/** The bounds of ecs/runs-api.ts RunningPolicy: 10 s to 60 min for the health gate, at most 60 min of pause. */
export const HEALTH_TIMEOUT_MIN_MS = 10_000;
export const HEALTH_TIMEOUT_MAX_MS = 3_600_000;
export const PAUSE_MAX_MS = 3_600_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 600_000;

export type DurationUnit = 's' | 'min';
const UNIT_MS: Record<DurationUnit, number> = { s: 1_000, min: 60_000 };

/** The form's values: numbers as typed (strings), so a half-typed value is shown and explained, not lost. */
export interface ActivationForm {
  stopped: 'start' | 'leave';
  running: 'leave' | 'waves';
  sizeKind: 'count' | 'percent';
  size: string;
  oneZoneAtATime: boolean;
  healthTimeout: string;
  healthTimeoutUnit: DurationUnit;
  failureBudget: string;
  pauseBetweenWaves: string;
  pauseUnit: DurationUnit;
  forceReboot: boolean;
}

/**
 * Nothing reboots or starts unless the operator chooses it: a key takes effect at the next reboot or start
 * anyway, and pending instances can be activated later from the instance list. An activation (`activate`)
 * reboots running instances in waves: leaving them pending is what they already are.
 */
export function defaultActivationForm(variant: 'attach' | 'activate'): ActivationForm {
  return {
    stopped: variant === 'activate' ? 'start' : 'leave',
    running: variant === 'activate' ? 'waves' : 'leave',
    sizeKind: 'count',
    size: '10',
    oneZoneAtATime: false,
    healthTimeout: '10',
    healthTimeoutUnit: 'min',
    failureBudget: '0',
    pauseBetweenWaves: '0',
    pauseUnit: 's',
    forceReboot: false,
  };
}

export type ActivationField = 'size' | 'healthTimeout' | 'failureBudget' | 'pauseBetweenWaves';

/** What is wrong with a field; the key is under `activationPolicy.invalid` in the app catalogue. */
export interface ActivationIssue {
  field: ActivationField;
  key: 'countRange' | 'percentRange' | 'timeoutRange' | 'budgetRange' | 'pauseRange';
}

export type ActivationRead = { policy: ActivationPolicy; issues: [] } | { policy: undefined; issues: ActivationIssue[] };

/** A number as typed: empty or not a number is NaN (never 0, which `Number('')` would give). */
function numberOf(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

const isWhole = (n: number): boolean => Number.isInteger(n);

/** Checks the form against the bounds of ecs/runs-api.ts and builds the policy the proxy would accept. */
export function readActivationForm(form: ActivationForm): ActivationRead {
  if (form.running === 'leave') return { policy: { stopped: form.stopped, running: { mode: 'leave' } }, issues: [] };
  const issues: ActivationIssue[] = [];
  const size = numberOf(form.size);
  if (form.sizeKind === 'count' && !(isWhole(size) && size >= 1 && size <= MAX_RUN_INSTANCES))
    issues.push({ field: 'size', key: 'countRange' });
  if (form.sizeKind === 'percent' && !(Number.isFinite(size) && size >= 1 && size <= 100))
    issues.push({ field: 'size', key: 'percentRange' });
  // Whole milliseconds, as the schema asks; 0.5 min is a fine thing to type.
  const healthTimeoutMs = Math.round(numberOf(form.healthTimeout) * UNIT_MS[form.healthTimeoutUnit]);
  if (!(healthTimeoutMs >= HEALTH_TIMEOUT_MIN_MS && healthTimeoutMs <= HEALTH_TIMEOUT_MAX_MS))
    issues.push({ field: 'healthTimeout', key: 'timeoutRange' });
  const failureBudget = numberOf(form.failureBudget);
  if (!(isWhole(failureBudget) && failureBudget >= 0 && failureBudget <= MAX_RUN_INSTANCES))
    issues.push({ field: 'failureBudget', key: 'budgetRange' });
  // An empty pause is no pause: the field is optional.
  const pauseText = form.pauseBetweenWaves.trim() === '' ? '0' : form.pauseBetweenWaves;
  const pauseBetweenWavesMs = Math.round(numberOf(pauseText) * UNIT_MS[form.pauseUnit]);
  if (!(pauseBetweenWavesMs >= 0 && pauseBetweenWavesMs <= PAUSE_MAX_MS)) issues.push({ field: 'pauseBetweenWaves', key: 'pauseRange' });
  if (issues.length > 0) return { policy: undefined, issues };
  return {
    policy: {
      stopped: form.stopped,
      running: {
        mode: 'waves',
        size: { kind: form.sizeKind, value: size },
        oneZoneAtATime: form.oneZoneAtATime,
        healthTimeoutMs,
        failureBudget,
        pauseBetweenWavesMs,
        forceReboot: form.forceReboot,
      },
    },
    issues: [],
  };
}

/** The policy of a one-instance activation from the instance list: start it, or reboot it alone with the default gate. */
export function singleActivationPolicy(status: 'Running' | 'Stopped'): ActivationPolicy {
  if (status === 'Stopped') return { stopped: 'start', running: { mode: 'leave' } };
  return {
    stopped: 'leave',
    running: {
      mode: 'waves',
      size: { kind: 'count', value: 1 },
      oneZoneAtATime: false,
      healthTimeoutMs: DEFAULT_HEALTH_TIMEOUT_MS,
      failureBudget: 0,
      pauseBetweenWavesMs: 0,
      forceReboot: false,
    },
  };
}

/** An instance the run will activate, with its status as listed (the run re-checks it before sending). */
export interface ActivationTarget {
  InstanceId: string;
  Status: string;
  ZoneId?: string | undefined;
}

export type InstanceActivation = { kind: 'start' } | { kind: 'wave'; wave: number } | { kind: 'leave' };

export interface PreviewWave {
  ids: string[];
  /** The zones the wave reboots in (one with one zone at a time); '' for an instance without a zone. */
  zones: string[];
}

export interface ActivationPreview {
  startCount: number;
  leaveStoppedCount: number;
  leaveRunningCount: number;
  waves: PreviewWave[];
  /** The most instances out of Running at once: the largest wave. */
  maxAtOnce: number;
  /** With one zone at a time: consecutive waves per zone, in order ("waves 1–2: zone a"). */
  zoneRuns: { zone: string; from: number; to: number }[];
  byInstance: ReadonlyMap<string, InstanceActivation>;
}

/**
 * What the policy does to the targets, as the engine decides it (api-proxy/runs/activation-phase.ts): Stopped →
 * started or left, Running → left or planned into waves in the targets' order. Other statuses are not activated
 * (the run's re-check skips them), so they are not in the preview.
 */
export function previewActivation(targets: readonly ActivationTarget[], policy: ActivationPolicy): ActivationPreview {
  const byInstance = new Map<string, InstanceActivation>();
  const running = targets.filter((t) => t.Status === 'Running');
  const stopped = targets.filter((t) => t.Status === 'Stopped');
  for (const t of stopped) byInstance.set(t.InstanceId, { kind: policy.stopped === 'start' ? 'start' : 'leave' });
  const waves: PreviewWave[] = [];
  if (policy.running.mode === 'waves' && running.length > 0) {
    const zoneOf = new Map(running.map((t) => [t.InstanceId, t.ZoneId ?? '']));
    const plan = planWaves(running, { size: policy.running.size, oneZoneAtATime: policy.running.oneZoneAtATime });
    plan.waves.forEach((ids, i) => {
      for (const id of ids) byInstance.set(id, { kind: 'wave', wave: i + 1 });
      waves.push({ ids, zones: [...new Set(ids.map((id) => zoneOf.get(id) ?? ''))] });
    });
  } else {
    for (const t of running) byInstance.set(t.InstanceId, { kind: 'leave' });
  }
  const zoneRuns: ActivationPreview['zoneRuns'] = [];
  if (policy.running.mode === 'waves' && policy.running.oneZoneAtATime) {
    waves.forEach((wave, i) => {
      const zone = wave.zones[0] ?? '';
      const last = zoneRuns.at(-1);
      if (last && last.zone === zone) last.to = i + 1;
      else zoneRuns.push({ zone, from: i + 1, to: i + 1 });
    });
  }
  return {
    startCount: policy.stopped === 'start' ? stopped.length : 0,
    leaveStoppedCount: policy.stopped === 'leave' ? stopped.length : 0,
    leaveRunningCount: policy.running.mode === 'leave' ? running.length : 0,
    waves,
    maxAtOnce: waves.reduce((max, w) => Math.max(max, w.ids.length), 0),
    zoneRuns,
    byInstance,
  };
}

/**
 * Wave sizes as a short list: each size with how many waves in a row have it ("10 × 99, then 5" rather than a
 * hundred numbers), so the preview of 10,000 instances in waves of 10 stays one line.
 */
export function waveSizeRuns(waves: readonly PreviewWave[]): { size: number; repeat: number }[] {
  const runs: { size: number; repeat: number }[] = [];
  for (const wave of waves) {
    const last = runs.at(-1);
    if (last && last.size === wave.ids.length) last.repeat += 1;
    else runs.push({ size: wave.ids.length, repeat: 1 });
  }
  return runs;
}
