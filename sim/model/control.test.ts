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

  it('bounds the Cloud Assistant fields: agent states, command phases of 1 ms to 1 h, the fault modes and exit codes 1–255', () => {
    const valid = (patch: Record<string, unknown>) => SimControlSchema.safeParse({ ...defaultControl(), ...patch }).success;
    expect(valid({ agents: { 'i-a': 'online', 'i-b': 'offline', 'i-c': 'none' } })).toBe(true);
    expect(valid({ agents: { 'i-a': 'asleep' } })).toBe(false);
    expect(valid({ commandMs: { delivery: 1, run: 3_600_000 } })).toBe(true);
    expect(valid({ commandMs: { delivery: 0, run: 10 } })).toBe(false);
    expect(valid({ commandMs: { delivery: 10 } })).toBe(false);
    const fault = (entry: Record<string, unknown>) => valid({ commandFaults: { 'i-a': entry } });
    for (const mode of ['agent-lost', 'timeout', 'exit', 'write-lost']) expect(fault({ mode, remaining: 1 })).toBe(true);
    expect(fault({ mode: 'exit', exitCode: 255, remaining: 1 })).toBe(true);
    expect(fault({ mode: 'exit', exitCode: 0, remaining: 1 })).toBe(false);
    expect(fault({ mode: 'exit', exitCode: 256, remaining: 1 })).toBe(false);
    expect(fault({ mode: 'hang', remaining: 1 })).toBe(false);
    expect(fault({ mode: 'timeout' })).toBe(false);
  });
});
