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
  });
});
