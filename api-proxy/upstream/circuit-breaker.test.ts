import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, DEFAULT_FAILURE_THRESHOLD, DEFAULT_OPEN_MS, type CircuitBreaker } from './circuit-breaker';

const A = 'https://ecs.cn-hangzhou.aliyuncs.com';
const B = 'https://ecs.cn-beijing.aliyuncs.com';

type Step =
  /** Take a permit and report the attempt's result; `refused` expects no permit. */
  { attempt: 'reached' | 'unreachable' | 'released' | 'refused' } | { advance: number };

function harness(threshold = 3, openMs = 1000): { breaker: CircuitBreaker; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return { breaker: createCircuitBreaker({ failureThreshold: threshold, openMs, now: () => clock.t }), clock };
}

function run(breaker: CircuitBreaker, clock: { t: number }, steps: readonly Step[]): void {
  for (const step of steps) {
    if ('advance' in step) {
      clock.t += step.advance;
      continue;
    }
    expect(breaker.allows(A)).toBe(step.attempt !== 'refused');
    const permit = breaker.acquire(A);
    if (step.attempt === 'refused') {
      expect(permit).toBeUndefined();
      continue;
    }
    expect(permit).toBeDefined();
    if (step.attempt === 'reached') permit?.reached();
    else if (step.attempt === 'unreachable') permit?.unreachable();
    else permit?.release();
  }
}

const fail = { attempt: 'unreachable' } as const;
const ok = { attempt: 'reached' } as const;
const refused = { attempt: 'refused' } as const;
const released = { attempt: 'released' } as const;

describe('circuit breaker (threshold 3, open for 1 s)', () => {
  it.each<[string, Step[], 'closed' | 'open' | 'half-open', number]>([
    ['starts closed', [], 'closed', 0],
    ['stays closed below the threshold', [fail, fail], 'closed', 2],
    ['a success resets the count', [fail, fail, ok, fail, fail], 'closed', 2],
    ['opens on the third failure in a row', [fail, fail, fail], 'open', 3],
    ['refuses while open, without counting', [fail, fail, fail, refused, { advance: 999 }, refused], 'open', 3],
    ['half-open once the time is up', [fail, fail, fail, { advance: 1000 }], 'half-open', 3],
    ['a successful trial closes it', [fail, fail, fail, { advance: 1000 }, ok], 'closed', 0],
    ['a failed trial opens it again for the full time', [fail, fail, fail, { advance: 1000 }, fail, { advance: 999 }, refused], 'open', 4],
    [
      'after a failed trial, the next trial comes after openMs',
      [fail, fail, fail, { advance: 1000 }, fail, { advance: 1000 }, ok],
      'closed',
      0,
    ],
    [
      'a released trial (nothing learned) lets the next attempt be the trial',
      [fail, fail, fail, { advance: 1000 }, released, ok],
      'closed',
      0,
    ],
  ])('%s', (_name, steps, state, failures) => {
    const { breaker, clock } = harness();
    run(breaker, clock, steps);
    expect(breaker.state(A)).toBe(state);
    expect(breaker.isOpen()).toBe(state !== 'closed');
    const snapshot = breaker.snapshot().find((s) => s.endpoint === A);
    expect(snapshot?.consecutiveFailures ?? 0).toBe(failures);
    expect(snapshot?.state ?? 'closed').toBe(state);
  });

  it('lets exactly one trial through while half-open', () => {
    const { breaker, clock } = harness();
    run(breaker, clock, [fail, fail, fail, { advance: 1000 }]);
    expect(breaker.allows(A)).toBe(true);
    const trial = breaker.acquire(A);
    expect(trial).toBeDefined();
    // Others arriving while the trial is out fail fast, like during the open time.
    expect(breaker.allows(A)).toBe(false);
    expect(breaker.acquire(A)).toBeUndefined();
    trial?.reached();
    expect(breaker.acquire(A)).toBeDefined();
  });

  it('does not prolong the open time for attempts that started before it opened', () => {
    const { breaker, clock } = harness();
    const late = breaker.acquire(A);
    run(breaker, clock, [fail, fail, fail, { advance: 600 }]);
    late?.unreachable();
    clock.t += 400;
    expect(breaker.state(A)).toBe('half-open');
  });

  it('closes when an attempt that started earlier reaches the endpoint after all', () => {
    const { breaker, clock } = harness();
    const slow = breaker.acquire(A);
    run(breaker, clock, [fail, fail, fail]);
    slow?.reached();
    expect(breaker.state(A)).toBe('closed');
  });

  it('ignores a second report on the same permit', () => {
    const { breaker } = harness(1);
    const permit = breaker.acquire(A);
    permit?.reached();
    permit?.unreachable();
    expect(breaker.state(A)).toBe('closed');
  });

  it('keeps one circuit per endpoint', () => {
    const { breaker, clock } = harness();
    run(breaker, clock, [fail, fail, fail]);
    expect(breaker.state(A)).toBe('open');
    expect(breaker.state(B)).toBe('closed');
    expect(breaker.acquire(B)).toBeDefined();
  });

  it('defaults to 5 failures and 5 s, and refuses nonsense options', () => {
    const breaker = createCircuitBreaker();
    expect([breaker.failureThreshold, breaker.openMs]).toEqual([DEFAULT_FAILURE_THRESHOLD, DEFAULT_OPEN_MS]);
    expect([DEFAULT_FAILURE_THRESHOLD, DEFAULT_OPEN_MS]).toEqual([5, 5000]);
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => createCircuitBreaker({ failureThreshold: 1.5 })).toThrow(RangeError);
    expect(() => createCircuitBreaker({ openMs: 0 })).toThrow(RangeError);
    expect(() => createCircuitBreaker({ openMs: Number.NaN })).toThrow(RangeError);
  });
});
