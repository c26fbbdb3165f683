import type Database from 'better-sqlite3';

/** The connection settings every store connection gets. */
export function configure(db: Database.Database, busyTimeoutMs: number): void {
  // WAL: readers (the activity page, pending()) never block the writer, and a commit is one append to the
  // log. synchronous=FULL: every commit is fsynced before it returns — with NORMAL, WAL may lose the last
  // commits on power loss, i.e. an intent whose action ECS already carried out would vanish. Audit writes are
  // human-paced (a few per click), so the fsync costs nothing that matters (docs/product.md#audit-before-and-after: audited "durably").
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // The file is data, not code: never run functions named by the schema itself.
  db.pragma('trusted_schema = OFF');
}
