/**
 * The per-region cap on ECS calls in flight (UPSTREAM_CONCURRENCY): ECS's limits are per region
 * (docs/ecs-notes.md#throttling), so one busy region must not hold up the others.
 */

/** A FIFO counting semaphore; a waiter whose signal aborts leaves the queue. */
export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  get isIdle(): boolean {
    return this.active === 0 && this.waiting.length === 0;
  }

  /** Resolves true with a slot held, or false if `signal` aborted first. */
  acquire(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(grant);
        if (index !== -1) this.waiting.splice(index, 1);
        resolve(false);
      };
      // The releasing call hands its slot over, so `active` stays as it is.
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.active -= 1;
    else next();
  }
}

/** One gate per region, made on first use and dropped when idle, so the map does not grow with every region ever called. */
export class RegionGates {
  private readonly gates = new Map<string, Gate>();

  constructor(private readonly perRegion: number) {}

  /** Looked up per attempt: an idle region's gate is dropped while a call sleeps between attempts. */
  get(regionId: string): Gate {
    let gate = this.gates.get(regionId);
    if (gate === undefined) {
      gate = new Gate(this.perRegion);
      this.gates.set(regionId, gate);
    }
    return gate;
  }

  /** Gives the slot back, and forgets the region's gate once nobody holds or waits for it. */
  release(regionId: string, gate: Gate): void {
    gate.release();
    if (gate.isIdle) this.gates.delete(regionId);
  }
}
