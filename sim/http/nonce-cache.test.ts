import { describe, expect, it } from 'vitest';
import { NonceCache } from './nonce-cache';

describe('NonceCache', () => {
  it('forgets nonces once they expire and stays bounded', () => {
    const cache = new NonceCache(3);
    expect(cache.use('ak', 'n1', 100, 0)).toBe(true);
    expect(cache.use('ak', 'n1', 100, 50)).toBe(false);
    expect(cache.use('other', 'n1', 100, 50)).toBe(true);
    expect(cache.use('ak', 'n1', 300, 150)).toBe(true);
    for (let i = 0; i < 10; i += 1) cache.use('ak', `x${i}`, 1_000, 200);
    expect(cache.size).toBeLessThanOrEqual(3);
  });
});
