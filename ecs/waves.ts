/**
 * Reboot waves: how a run splits the running instances it activates into groups that are rebooted one after
 * the other, so that only a bounded part of a fleet is ever down (docs/product.md#step-7-activation). Pure
 * and zod-free: the review dialog previews exactly the waves the proxy's run engine will send.
 */

export type WaveSize = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

export interface WavePolicy {
  size: WaveSize;
  /** Never reboot instances of two zones in the same wave: a zone outage then takes at most one wave down. */
  oneZoneAtATime: boolean;
}

export interface WaveTarget {
  InstanceId: string;
  ZoneId?: string | undefined;
}

export interface WavePlan {
  /** Instance IDs per wave, in sending order. */
  waves: string[][];
  /** The largest wave: the most instances out of Running at once. */
  maxAtOnce: number;
}

/** Instances per wave for `total` targets: at least 1; a percentage rounds up so that 100% is one wave. */
export function waveCapacity(size: WaveSize, total: number): number {
  if (!Number.isFinite(size.value) || size.value <= 0) throw new RangeError('a wave needs a positive size');
  if (size.kind === 'count') return Math.max(1, Math.floor(size.value));
  if (size.value > 100) throw new RangeError('a wave cannot be more than 100% of the instances');
  return Math.max(1, Math.ceil((total * size.value) / 100));
}

/**
 * Splits the targets into waves of at most the policy's size. With one zone at a time, each zone is split on
 * its own and the zones follow each other (largest first, then by name, so the plan is stable), and no wave
 * mixes zones. The input order is kept within a zone.
 */
export function planWaves(targets: readonly WaveTarget[], policy: WavePolicy): WavePlan {
  const capacity = waveCapacity(policy.size, targets.length);
  const groups: WaveTarget[][] = [];
  if (policy.oneZoneAtATime) {
    const byZone = new Map<string, WaveTarget[]>();
    for (const target of targets) {
      const zone = target.ZoneId ?? '';
      const list = byZone.get(zone);
      if (list) list.push(target);
      else byZone.set(zone, [target]);
    }
    groups.push(...[...byZone.entries()].sort(([a, x], [b, y]) => y.length - x.length || a.localeCompare(b)).map(([, list]) => list));
  } else {
    groups.push([...targets]);
  }
  const waves: string[][] = [];
  for (const group of groups) {
    for (let i = 0; i < group.length; i += capacity) waves.push(group.slice(i, i + capacity).map((t) => t.InstanceId));
  }
  return { waves, maxAtOnce: waves.reduce((max, wave) => Math.max(max, wave.length), 0) };
}
