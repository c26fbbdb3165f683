import { randomBytes } from 'node:crypto';
import { open as openFile, statfs, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isLockBusy } from './sqlite-locks';
import type { AuditCheck } from './types';

/** Incompressible, so a compressing or deduplicating file system still has to find real blocks for them. */
let readyProbeBytes: Buffer | undefined;

/**
 * Readiness of the disk under the database file: at least `minFreeBytes` free, and a write that needs new space
 * (a probe file beside the database, fsynced and removed) succeeds. The answers are fit for a readiness reply
 * (no paths).
 */
export async function checkDisk(path: string, minFreeBytes: number): Promise<AuditCheck> {
  const folder = dirname(path);
  try {
    const fs = await statfs(folder);
    // bavail, not bfree: blocks reserved for root are not ours to count on.
    if (fs.bavail * fs.bsize < minFreeBytes) {
      return { ok: false, problem: `the audit disk has less than ${Math.round(minFreeBytes / (1024 * 1024))} MiB free` };
    }
  } catch {
    return { ok: false, problem: 'the free space of the audit disk cannot be read' };
  }
  // Free space as reported is not the whole story (quotas, a file system remounted read-only after an error):
  // write a few KiB of incompressible bytes beside the database, fsync them, and remove them again.
  const probe = `${path}.readyz-probe`;
  try {
    const handle = await openFile(probe, 'w', 0o600);
    try {
      await handle.write((readyProbeBytes ??= randomBytes(16 * 1024)));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(probe);
  } catch {
    await unlink(probe).catch(() => undefined);
    return { ok: false, problem: 'the audit disk does not accept new data' };
  }
  return { ok: true };
}

/**
 * The store's readiness: a write inside a transaction that is rolled back proves the write lock can be taken
 * and the file is not read-only, without changing anything. It needs no new space, hence the disk check after
 * it (skipped for an in-memory store, which has no disk).
 */
export async function checkStore(options: {
  takeWriteLock: () => Promise<void>;
  diskPath: string | undefined;
  minFreeBytes: number;
}): Promise<AuditCheck> {
  try {
    await options.takeWriteLock();
  } catch (error) {
    return {
      ok: false,
      problem: isLockBusy(error) ? 'the audit database is locked by another process' : 'the audit store is not writable',
    };
  }
  if (options.diskPath === undefined) return { ok: true };
  return checkDisk(options.diskPath, options.minFreeBytes);
}
