import { describe, expect, it } from 'vitest';
import { SimControlSchema, defaultControl } from './control';
import { createSimulator } from './simulator';

describe('SimControlSchema', () => {
  it('accepts the defaults, and a reset simulator reports them', () => {
    expect(SimControlSchema.parse(defaultControl())).toEqual(defaultControl());
    const simulator = createSimulator({ instances: 0 });
    simulator.setControl({ latencyMs: 7 });
    simulator.reset();
    expect(simulator.control).toEqual(defaultControl());
  });

  it('refuses unknown fields at every level', () => {
    expect(SimControlSchema.safeParse({ ...defaultControl(), typo: 1 }).success).toBe(false);
    expect(SimControlSchema.safeParse({ ...defaultControl(), faults: { ...defaultControl().faults, typo: 1 } }).success).toBe(false);
    expect(SimControlSchema.safeParse({ ...defaultControl(), throttle: { limit: 1, windowMs: 1, typo: 1 } }).success).toBe(false);
    expect(SimControlSchema.safeParse({ ...defaultControl(), transitionMs: { stopping: 1, starting: 1, typo: 1 } }).success).toBe(false);
    expect(
      SimControlSchema.safeParse({ ...defaultControl(), bootFaults: { 'i-a': { mode: 'stops', remaining: 1, typo: 1 } } }).success,
    ).toBe(false);
  });

  it('bounds the boot fields: phases 1 ms to 1 h, jitter up to 1 h, the two failure modes', () => {
    const valid = (patch: Record<string, unknown>) => SimControlSchema.safeParse({ ...defaultControl(), ...patch }).success;
    expect(valid({ transitionMs: { stopping: 1, starting: 3_600_000 }, bootJitterMs: 3_600_000 })).toBe(true);
    expect(valid({ transitionMs: { stopping: 0, starting: 10 } })).toBe(false);
    expect(valid({ transitionMs: { stopping: 10, starting: 3_600_001 } })).toBe(false);
    expect(valid({ transitionMs: { stopping: 10 } })).toBe(false);
    expect(valid({ bootJitterMs: -1 })).toBe(false);
    expect(valid({ bootJitterMs: 0.5 })).toBe(false);
    expect(valid({ bootFaults: { 'i-a': { mode: 'never-returns', remaining: 2 }, 'i-b': { mode: 'stops', remaining: 0 } } })).toBe(true);
    expect(valid({ bootFaults: { 'i-a': { mode: 'explodes', remaining: 1 } } })).toBe(false);
    expect(valid({ bootFaults: { 'i-a': { mode: 'stops' } } })).toBe(false);
    expect(valid({ bootFaults: { '': { mode: 'stops', remaining: 1 } } })).toBe(false);
  });
});
