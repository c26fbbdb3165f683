/**
 * A small circuit breaker per ECS endpoint. When an endpoint cannot be connected to several times in a row
 * (connection refused, DNS failure, connect timeout), every further attempt would wait out the same timeouts
 * and fail the same way, while the operator stares at a spinner. So after `failureThreshold` consecutive
 * connection failures the circuit opens: attempts are refused at once, without touching the network, for
 * `openMs`. Then one trial attempt is let through (half-open): if it reaches the endpoint the circuit closes,
 * if it cannot connect either the circuit opens again for another `openMs`.
 *
 * Only connection failures count. Any answer from the endpoint, or a request that was written before the
 * connection broke, proves the endpoint can be reached and resets the count: throttling, 5xx and timeouts
 * after sending are the retry rule's business, not this module's.
 *
 * Pure bookkeeping with an injectable clock; the ECS client asks it before each attempt and reports back.
 */

export interface CircuitBreakerOptions {
  /** Consecutive connection failures to one endpoint that open its circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit refuses attempts before one trial goes through. Default 5000 ms. */
  openMs?: number;
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitSnapshot {
  endpoint: string;
  state: CircuitState;
  consecutiveFailures: number;
  /** While open: when the next trial may go (ms, the breaker's clock). */
  openUntil?: number;
}

/** Leave to make one attempt; report how it went exactly once (later reports are ignored). */
export interface CircuitPermit {
  /** The endpoint answered, or the request was written before the connection broke. */
  reached(): void;
  /** The connection could not be made: nothing was sent. */
  unreachable(): void;
  /** The attempt told nothing about the endpoint (cancelled before connecting, no credentials). */
  release(): void;
}

export interface CircuitBreaker {
  /** Whether an attempt to `endpoint` would be let through now (takes no permit). */
  allows(endpoint: string): boolean;
  /** A permit for one attempt, or undefined when the circuit refuses it (open, or a trial is in flight). */
  acquire(endpoint: string): CircuitPermit | undefined;
  state(endpoint: string): CircuitState;
  /** True while any endpoint's circuit is open or half-open: a readiness probe can report ECS as unreachable. */
  isOpen(): boolean;
  /** Every endpoint that has failed at least once since it last succeeded. */
  snapshot(): CircuitSnapshot[];
  failureThreshold: number;
  openMs: number;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_OPEN_MS = 5_000;

interface Circuit {
  failures: number;
  /** Set while open or half-open. */
  openUntil: number | undefined;
  isTrialInFlight: boolean;
}

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  const openMs = options.openMs ?? DEFAULT_OPEN_MS;
  const now = options.now ?? (() => Date.now());
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1)
    throw new RangeError(`failureThreshold must be an integer ≥ 1, got ${failureThreshold}`);
  if (!Number.isFinite(openMs) || openMs <= 0) throw new RangeError(`openMs must be a positive number, got ${openMs}`);

  // Only endpoints with failures are kept, and endpoints come from the region directory, so this stays small.
  const circuits = new Map<string, Circuit>();

  function stateOf(circuit: Circuit | undefined): CircuitState {
    if (circuit?.openUntil === undefined) return 'closed';
    return now() < circuit.openUntil ? 'open' : 'half-open';
  }

  function permit(endpoint: string, isTrial: boolean): CircuitPermit {
    let isSettled = false;
    const settle = (apply: (circuit: Circuit | undefined) => void): void => {
      if (isSettled) return;
      isSettled = true;
      const circuit = circuits.get(endpoint);
      if (isTrial && circuit) circuit.isTrialInFlight = false;
      apply(circuit);
    };
    return {
      // Reaching the endpoint closes the circuit whoever proves it, a trial or an attempt that started earlier.
      reached: () => settle(() => circuits.delete(endpoint)),
      unreachable: () =>
        settle((existing) => {
          const circuit = existing ?? { failures: 0, openUntil: undefined, isTrialInFlight: false };
          circuits.set(endpoint, circuit);
          const state = stateOf(circuit);
          circuit.failures += 1;
          // A failed trial opens the circuit again; late failures of attempts that started before it opened
          // do not prolong it.
          if ((state === 'closed' && circuit.failures >= failureThreshold) || (state === 'half-open' && isTrial))
            circuit.openUntil = now() + openMs;
        }),
      release: () => settle(() => undefined),
    };
  }

  return {
    failureThreshold,
    openMs,
    allows(endpoint) {
      const circuit = circuits.get(endpoint);
      const state = stateOf(circuit);
      return state === 'closed' || (state === 'half-open' && circuit?.isTrialInFlight === false);
    },
    acquire(endpoint) {
      const circuit = circuits.get(endpoint);
      const state = stateOf(circuit);
      if (state === 'closed') return permit(endpoint, false);
      if (state === 'open' || circuit === undefined || circuit.isTrialInFlight) return undefined;
      circuit.isTrialInFlight = true;
      return permit(endpoint, true);
    },
    state: (endpoint) => stateOf(circuits.get(endpoint)),
    isOpen() {
      for (const circuit of circuits.values()) if (stateOf(circuit) !== 'closed') return true;
      return false;
    },
    snapshot() {
      return [...circuits].map(([endpoint, circuit]) => ({
        endpoint,
        state: stateOf(circuit),
        consecutiveFailures: circuit.failures,
        ...(circuit.openUntil === undefined ? {} : { openUntil: circuit.openUntil }),
      }));
    },
  };
}
