import { planWaves, waveCapacity } from './waves';

const fleet = (n: number, zones: string[] = ['cn-hangzhou-h']) =>
  Array.from({ length: n }, (_, i) => ({ InstanceId: `i-${String(i).padStart(3, '0')}`, ZoneId: zones[i % zones.length] }));

describe('reboot waves', () => {
  it('splits 25 instances into waves of 10: 10, 10, 5, at most 10 at once', () => {
    const plan = planWaves(fleet(25), { size: { kind: 'count', value: 10 }, oneZoneAtATime: false });
    expect(plan.waves.map((w) => w.length)).toEqual([10, 10, 5]);
    expect(plan.maxAtOnce).toBe(10);
    expect(plan.waves.flat()).toEqual(fleet(25).map((t) => t.InstanceId));
  });

  it('reads a percentage of the whole selection, rounded up, never below one', () => {
    expect(waveCapacity({ kind: 'percent', value: 10 }, 25)).toBe(3);
    expect(waveCapacity({ kind: 'percent', value: 1 }, 5)).toBe(1);
    expect(waveCapacity({ kind: 'percent', value: 100 }, 7)).toBe(7);
    expect(() => waveCapacity({ kind: 'percent', value: 101 }, 7)).toThrow(RangeError);
    expect(() => waveCapacity({ kind: 'count', value: 0 }, 7)).toThrow(RangeError);
  });

  it('never mixes zones in a wave when asked to go one zone at a time', () => {
    const targets = fleet(14, ['zone-a', 'zone-a', 'zone-b']);
    const plan = planWaves(targets, { size: { kind: 'count', value: 4 }, oneZoneAtATime: true });
    const zoneOf = new Map(targets.map((t) => [t.InstanceId, t.ZoneId]));
    for (const wave of plan.waves) expect(new Set(wave.map((id) => zoneOf.get(id))).size).toBe(1);
    // zone-a has 10 (4, 4, 2) and goes first; zone-b has 4.
    expect(plan.waves.map((w) => w.length)).toEqual([4, 4, 2, 4]);
    expect(plan.waves.flat().sort()).toEqual(targets.map((t) => t.InstanceId).sort());
  });

  it('plans nothing for no targets', () => {
    expect(planWaves([], { size: { kind: 'count', value: 10 }, oneZoneAtATime: true })).toEqual({ waves: [], maxAtOnce: 0 });
  });
});
