/**
 * Remembers signature nonces per access key until the request that carried them could no longer pass the
 * timestamp check anyway (its signed time plus the validity window); after that a replay fails with
 * InvalidTimeStamp.Expired, so the entry can go. Entries are kept in insertion order and expired ones are
 * swept as new ones come in; a hard cap bounds memory under a flood (dropping the oldest first).
 */
export class NonceCache {
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** Records the nonce; false if it is already known and not yet expired. */
  use(accessKeyId: string, nonce: string, expiresAt: number, now: number): boolean {
    this.sweep(now);
    const key = `${accessKeyId}\n${nonce}`;
    const known = this.entries.get(key);
    if (known !== undefined && known > now) return false;
    this.entries.delete(key);
    this.entries.set(key, expiresAt);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return true;
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(now: number): void {
    // Entries were inserted with roughly increasing expiry; stop at the first live one instead of a full scan.
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}
