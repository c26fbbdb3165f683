/**
 * Seeded randomness for the simulator. Everything random in the simulated ECS (the fleet, request IDs, faults,
 * transport delays) comes from a named stream derived from one seed string, so a seed reproduces a run exactly in
 * Node and in the browser alike (no `node:crypto`, no `Math.random`).
 */

/** 32-bit FNV-1a followed by a murmur3-style finaliser: a well-mixed seed from any string. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const ALNUM_CHUNK = 36 ** 5;
const HEX = '0123456789abcdef';

/** mulberry32: tiny, fast and good enough for test data; not for anything secret. */
export class Rng {
  private state: number;

  constructor(seed: string) {
    this.state = hashString(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick() from an empty list');
    return item;
  }

  /** Picks by weight: `[[value, weight], …]`; weights need not sum to 1. */
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of table) total += w;
    let r = this.next() * total;
    for (const [value, w] of table) {
      r -= w;
      if (r < 0) return value;
    }
    const last = table[table.length - 1];
    if (last === undefined) throw new RangeError('weighted() from an empty table');
    return last[0];
  }

  /** `n` characters from [a-z0-9], the alphabet of ECS resource IDs. */
  alnum(n: number): string {
    // Five base-36 digits per draw (36^5 < 2^32) keeps 10,000-instance fleets fast to build.
    let out = '';
    while (out.length < n)
      out += Math.floor(this.next() * ALNUM_CHUNK)
        .toString(36)
        .padStart(5, '0');
    return out.slice(0, n);
  }

  /** `n` lowercase hex digits. */
  hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += HEX.charAt(Math.floor(this.next() * 16));
    return out;
  }

  /** An uppercase UUID-shaped ID, the form ECS uses for RequestId (docs/ecs-notes.md#transport). */
  requestId(): string {
    const h = this.hex(32).toUpperCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}
