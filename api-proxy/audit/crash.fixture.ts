import { writeSync } from 'node:fs';
import { openSqliteAuditStore } from './sqlite-store';
import type { AuditIntent } from './types';

/**
 * Child-process fixture for sqlite-store.test.ts (crash survival, docs/product.md#audit-before-and-after). It writes one operation
 * that completes and one intent whose outcome never comes, prints both ids, then dies by SIGKILL: no close(),
 * no exit handlers, no chance to flush anything — like an OOM kill or a power cut after the intent write.
 *
 *   node --import tsx api-proxy/audit/crash.fixture.ts <db-path>
 *
 * This file is a script, not a module to import: running it is its only purpose.
 */

const dbPath = process.argv[2];
if (dbPath === undefined) {
  process.stderr.write('usage: crash.fixture.ts <db-path>\n');
  process.exit(2);
}

const intent = (at: number, action: AuditIntent['action']): AuditIntent => ({
  at,
  user: 'crash-fixture',
  groups: ['ops'],
  clientAddress: '127.0.0.1',
  action,
  regionId: 'cn-hangzhou',
  keyPairName: 'team-key',
  instanceIds: ['i-crash1', 'i-crash2'],
});

const store = openSqliteAuditStore(dbPath);
const finished = await store.begin(intent(1_000, 'AttachKeyPair'));
await store.complete(finished, {
  at: 1_001,
  status: 'succeeded',
  durationMs: 1,
  instances: [
    { InstanceId: 'i-crash1', ok: true, Code: '200' },
    { InstanceId: 'i-crash2', ok: true, Code: '200' },
  ],
});
const inFlight = await store.begin(intent(2_000, 'RebootInstances'));
writeSync(1, `${JSON.stringify({ finished, inFlight })}\n`);
process.kill(process.pid, 'SIGKILL');
