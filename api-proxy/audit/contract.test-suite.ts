import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionName } from '../../ecs/contract';
import type { InstanceOutcome } from '../../ecs/console-api';
import { instanceVerdict } from '../../ecs/outcomes';
import { AuditInputError, AuditUnavailableError } from './errors';
import { UNKNOWN_OUTCOME_MESSAGE } from './pending';
import type { AuditIntent, AuditOutcome, AuditStore, StoredRun, StoredRunInstance } from './types';
import { AUDIT_LIMITS } from './validate';

/**
 * What every `AuditStore` must do, as a test suite a store's own test file runs against it:
 *
 *   describeAuditStore('SQLite', () => openSqliteAuditStore(path), { afterCrash });
 *
 * `openStore` gives a new, empty store each time it is called; the suite closes what it opens. What a store
 * makes of a crash-left operation is the contract's (`afterCrash` says how a store is reopened after a kill);
 * behaviour that belongs to one kind of store (files, locks, migrations, how a crash is detected) is tested next
 * to that store.
 */

export function intent(overrides: Partial<AuditIntent> = {}): AuditIntent {
  return {
    at: 1_000,
    user: 'alice',
    email: 'alice@example.com',
    groups: ['ops', 'sre'],
    clientAddress: '10.0.0.7',
    action: 'AttachKeyPair',
    regionId: 'cn-hangzhou',
    keyPairName: 'team-key',
    instanceIds: ['i-a1', 'i-a2'],
    ...overrides,
  };
}

export const ok = (InstanceId: string): InstanceOutcome => ({ InstanceId, ok: true, Code: '200' });
export const failed = (InstanceId: string, Code = 'IncorrectInstanceStatus'): InstanceOutcome => ({
  InstanceId,
  ok: false,
  Code,
  Message: 'The current status of the resource does not support this operation.',
});

export function outcome(instances: InstanceOutcome[], overrides: Partial<AuditOutcome> = {}): AuditOutcome {
  const okCount = instances.filter((i) => i.ok).length;
  return {
    at: 1_100,
    status: okCount === instances.length ? 'succeeded' : okCount === 0 ? 'failed' : 'partial',
    httpStatus: 200,
    requestId: 'REQ-1',
    durationMs: 87,
    instances,
    ...overrides,
  };
}

/** begin + complete in one go. */
export async function run(
  store: AuditStore,
  i: Partial<AuditIntent>,
  instances: InstanceOutcome[],
  o: Partial<AuditOutcome> = {},
): Promise<string> {
  const id = await store.begin(intent(i));
  await store.complete(id, outcome(instances, o));
  return id;
}

export async function all(store: AuditStore): Promise<Awaited<ReturnType<AuditStore['list']>>['items']> {
  return (await store.list({ limit: AUDIT_LIMITS.pageSizeMax })).items;
}

export const hz = 'cn-hangzhou';
export const unknown = (InstanceId: string, Code = 'InternalError'): InstanceOutcome => ({ InstanceId, ok: false, Code, unknown: true });
export const reading = (InstanceId: string, KeyPairName: string, attached: boolean) => ({ InstanceId, at: 2_000, KeyPairName, attached });
export const pendingIds = async (store: AuditStore, region = hz) => (await store.pending(region)).map((p) => p.InstanceId);

export interface AuditStoreSuiteOptions {
  /**
   * For the tests that open stores by the hundred or fill one with hundreds of operations: a cheaper store that
   * behaves the same (SQLite: in memory instead of a file fsynced on every write). Default: `openStore`.
   */
  openScratch?: () => AuditStore;
  /**
   * The same data as a new process opens it after the process that had `store` open was killed (`store` is done
   * with): what that process began and never completed is its crash-left work.
   */
  afterCrash: (store: AuditStore) => AuditStore;
}

export function describeAuditStore(name: string, openStore: () => AuditStore, options: AuditStoreSuiteOptions): void {
  const openScratch = options.openScratch ?? openStore;
  describe(`${name}: the AuditStore contract`, () => {
    let stores: AuditStore[] = [];
    afterEach(() => {
      for (const store of stores) store.close();
      stores = [];
    });
    function open(kind: 'store' | 'scratch' = 'store'): AuditStore {
      const store = kind === 'scratch' ? openScratch() : openStore();
      stores.push(store);
      return store;
    }

    describe('intent and outcome', () => {
      it('keeps the intent as pending, then completes it with the outcome per instance', async () => {
        const store = open();
        const id = await store.begin(intent({ options: { BatchOptimization: 'SuccessFirst', ForceReboot: false } }));

        expect(await all(store)).toEqual([
          {
            id,
            at: 1_000,
            user: 'alice',
            email: 'alice@example.com',
            groups: ['ops', 'sre'],
            clientAddress: '10.0.0.7',
            action: 'AttachKeyPair',
            regionId: 'cn-hangzhou',
            keyPairName: 'team-key',
            instanceIds: ['i-a1', 'i-a2'],
            options: { BatchOptimization: 'SuccessFirst', ForceReboot: false },
            status: 'pending',
            instances: [],
          },
        ]);

        await store.complete(id, outcome([ok('i-a1'), failed('i-a2')], { errorCode: 'Partial', errorMessage: '1 of 2 failed' }));

        const [record] = await all(store);
        expect(record).toMatchObject({
          id,
          status: 'partial',
          completedAt: 1_100,
          httpStatus: 200,
          requestId: 'REQ-1',
          errorCode: 'Partial',
          errorMessage: '1 of 2 failed',
          durationMs: 87,
          instanceIds: ['i-a1', 'i-a2'],
          instances: [ok('i-a1'), failed('i-a2')],
        });
      });

      it('refuses a second outcome for the same operation and an unknown id, changing nothing', async () => {
        const store = open();
        const id = await run(store, {}, [ok('i-a1'), ok('i-a2')]);
        await expect(store.complete(id, outcome([failed('i-a1')]))).rejects.toThrow(TypeError);
        await expect(store.complete('no-such-id', outcome([ok('i-a1')]))).rejects.toThrow(TypeError);
        expect((await all(store))[0]).toMatchObject({ status: 'succeeded', instances: [ok('i-a1'), ok('i-a2')] });
      });

      it('records a refused action as denied, with the reason, and never as an attach', async () => {
        const store = open();
        await store.recordDenied(intent({ user: 'mallory', groups: ['viewers'] }), 'not permitted for the caller’s groups');

        expect(await all(store)).toEqual([
          expect.objectContaining({
            user: 'mallory',
            groups: ['viewers'],
            status: 'denied',
            errorMessage: 'not permitted for the caller’s groups',
            completedAt: 1_000,
            instanceIds: ['i-a1', 'i-a2'],
            instances: [],
          }),
        ]);
        expect((await store.list({ status: 'denied' })).items).toHaveLength(1);
        expect(await store.pending('cn-hangzhou')).toEqual([]);
        const [denied] = await all(store);
        await expect(store.complete(denied?.id ?? '', outcome([ok('i-a1')]))).rejects.toThrow(TypeError);
      });
    });

    describe('activity list', () => {
      async function seed(store: AuditStore): Promise<Record<string, string>> {
        return {
          attachAlice: await run(store, { at: 100, user: 'alice', instanceIds: ['i-a1', 'i-a2'] }, [ok('i-a1'), ok('i-a2')]),
          rebootBob: await run(store, { at: 200, user: 'bob', action: 'RebootInstances', keyPairName: undefined, instanceIds: ['i-a1'] }, [
            failed('i-a1'),
          ]),
          attachBeijing: await run(store, { at: 300, regionId: 'cn-beijing', instanceIds: ['i-b1'] }, [ok('i-b1')]),
          startPending: await store.begin(
            intent({ at: 400, user: 'bob', action: 'StartInstance', keyPairName: undefined, instanceIds: ['i-a2'] }),
          ),
        };
      }

      it('filters by user, action, region, instance, time range and status', async () => {
        const store = open();
        const ids = await seed(store);
        const query = async (q: Parameters<AuditStore['list']>[0]) => (await store.list(q)).items.map((r) => r.id);

        expect(await query({})).toEqual([ids.startPending, ids.attachBeijing, ids.rebootBob, ids.attachAlice]);
        expect(await query({ user: 'bob' })).toEqual([ids.startPending, ids.rebootBob]);
        expect(await query({ action: 'AttachKeyPair' })).toEqual([ids.attachBeijing, ids.attachAlice]);
        expect(await query({ regionId: 'cn-beijing' })).toEqual([ids.attachBeijing]);
        // The instance filter matches what the call named, so a pending call is found before it has an outcome.
        expect(await query({ instanceId: 'i-a2' })).toEqual([ids.startPending, ids.attachAlice]);
        expect(await query({ instanceId: 'i-a1' })).toEqual([ids.rebootBob, ids.attachAlice]);
        expect(await query({ from: 200, to: 300 })).toEqual([ids.attachBeijing, ids.rebootBob]);
        expect(await query({ from: 301 })).toEqual([ids.startPending]);
        expect(await query({ to: 99 })).toEqual([]);
        expect(await query({ status: 'failed' })).toEqual([ids.rebootBob]);
        expect(await query({ status: 'pending' })).toEqual([ids.startPending]);
        expect(await query({ user: 'alice', regionId: 'cn-hangzhou', action: 'AttachKeyPair', status: 'succeeded' })).toEqual([
          ids.attachAlice,
        ]);
        expect(await query({ user: 'nobody' })).toEqual([]);
      });

      it('pages newest first with no duplicates and no gaps while operations keep arriving', async () => {
        const store = open();
        // Several operations share a millisecond: the order among them must still be total and stable.
        const existing: string[] = [];
        for (let i = 0; i < 23; i++) existing.push(await store.begin(intent({ at: 1_000 + Math.floor(i / 3) })));
        const expected = [...existing].reverse();

        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.list({ limit: 5, ...(cursor === undefined ? {} : { cursor }) });
          pages += 1;
          seen.push(...page.items.map((r) => r.id));
          const ats = page.items.map((r) => r.at);
          expect(ats).toEqual([...ats].sort((a, b) => b - a));
          // Writes between pages: a brand-new operation and one in the very millisecond of the last item shown.
          const last = page.items[page.items.length - 1];
          await store.begin(intent({ at: 5_000 + pages }));
          if (last) await store.begin(intent({ at: last.at }));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(pages).toBe(5);
        expect(seen).toEqual(expected);
      });

      it('defaults to 50 per page, caps at 200, and rejects a forged cursor', async () => {
        const store = open('scratch');
        for (let i = 0; i < 205; i++) await store.begin(intent({ at: i }));
        expect((await store.list({})).items).toHaveLength(50);
        const capped = await store.list({ limit: 10_000 });
        expect(capped.items).toHaveLength(200);
        expect((await store.list({ cursor: capped.nextCursor ?? '' })).items.map((r) => r.at)).toEqual([4, 3, 2, 1, 0]);
        await expect(store.list({ cursor: 'not a cursor!' })).rejects.toThrow(TypeError);
        await expect(store.list({ cursor: Buffer.from('{"at":1}').toString('base64url') })).rejects.toThrow(TypeError);
        await expect(store.list({ limit: 0 })).rejects.toThrow(TypeError);
      });
    });

    describe('pending activation', () => {
      it('marks an attached instance until a successful reboot or start, and again after a re-attach', async () => {
        const store = open();
        const attach = await run(store, { at: 100, instanceIds: ['i-a1', 'i-a2', 'i-a3'] }, [ok('i-a1'), ok('i-a2'), failed('i-a3')], {
          at: 110,
        });
        expect(await store.pending(hz)).toEqual([
          { InstanceId: 'i-a1', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach },
          { InstanceId: 'i-a2', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach },
        ]);

        // A reboot that failed for i-a1 leaves it pending; the one that succeeded for i-a2 clears it.
        await run(store, { at: 200, action: 'RebootInstances', instanceIds: ['i-a1', 'i-a2'] }, [failed('i-a1'), ok('i-a2')]);
        expect(await pendingIds(store)).toEqual(['i-a1']);

        await run(store, { at: 300, action: 'StartInstance', instanceIds: ['i-a1'] }, [ok('i-a1')]);
        expect(await pendingIds(store)).toEqual([]);

        const again = await run(store, { at: 400, user: 'bob', keyPairName: 'new-key', instanceIds: ['i-a2'] }, [ok('i-a2')], { at: 410 });
        expect(await store.pending(hz)).toEqual([
          { InstanceId: 'i-a2', regionId: hz, keyPairName: 'new-key', user: 'bob', at: 410, operationId: again },
        ]);
      });

      it('is cleared by every reboot and start action', async () => {
        const store = open();
        for (const action of ['RebootInstance', 'RebootInstances', 'StartInstance', 'StartInstances'] as const) {
          await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
          expect(await pendingIds(store)).toEqual(['i-a1']);
          await run(store, { action, instanceIds: ['i-a1'] }, [ok('i-a1')]);
          expect(await pendingIds(store), action).toEqual([]);
        }
      });

      it('keeps regions apart', async () => {
        const store = open();
        await run(store, { regionId: 'cn-beijing', instanceIds: ['i-a1'] }, [ok('i-a1')]);
        await run(store, { regionId: hz, instanceIds: ['i-a1'] }, [ok('i-a1')]);
        await run(store, { regionId: hz, action: 'RebootInstances', instanceIds: ['i-a1'] }, [ok('i-a1')]);
        expect(await pendingIds(store, hz)).toEqual([]);
        expect(await pendingIds(store, 'cn-beijing')).toEqual(['i-a1']);
      });

      it('is not cleared by a dry run, nor by a reboot requested before the attach was confirmed', async () => {
        const store = open();
        await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
        await run(store, { action: 'RebootInstances', instanceIds: ['i-a1'], options: { DryRun: true } }, [ok('i-a1')]);
        expect(await pendingIds(store)).toEqual(['i-a1']);

        // Reboot requested while the attach is still in flight: it may have restarted the instance before the key
        // landed, so the instance must stay marked.
        const attach = await store.begin(intent({ instanceIds: ['i-a2'] }));
        const reboot = await store.begin(intent({ action: 'RebootInstances', instanceIds: ['i-a2'] }));
        await store.complete(reboot, outcome([ok('i-a2')]));
        await store.complete(attach, outcome([ok('i-a2')]));
        expect(await pendingIds(store)).toEqual(['i-a1', 'i-a2']);
      });

      it('counts the latest requested reboot even when an earlier one completes last', async () => {
        const store = open();
        await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
        const earlier = await store.begin(intent({ action: 'RebootInstances', instanceIds: ['i-a1'] }));
        await run(store, { instanceIds: ['i-a1'] }, [ok('i-a1')]);
        const later = await store.begin(intent({ action: 'RebootInstances', instanceIds: ['i-a1'] }));
        await store.complete(later, outcome([ok('i-a1')]));
        await store.complete(earlier, outcome([ok('i-a1')]));
        expect(await pendingIds(store)).toEqual([]);
      });

      it('agrees with a replay of the rule on random interleavings', async () => {
        const actions = ['AttachKeyPair', 'RebootInstance', 'RebootInstances', 'StartInstance', 'StartInstances'] as const;
        const regions = ['cn-hangzhou', 'cn-beijing'] as const;
        const instances = ['i-p1', 'i-p2', 'i-p3'] as const;
        const step = fc.oneof(
          fc.record({
            kind: fc.constant('begin' as const),
            action: fc.constantFrom(...actions),
            region: fc.constantFrom(...regions),
            ids: fc.subarray([...instances], { minLength: 1 }),
            dryRun: fc.boolean(),
          }),
          fc.record({
            kind: fc.constant('complete' as const),
            pick: fc.nat(),
            oks: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
          }),
        );

        await fc.assert(
          fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
            const store = openScratch();
            try {
              // The model: a logical clock over calls; an attach counts when confirmed, a reboot/start when requested.
              let tick = 0;
              const open: { id: string; action: ActionName; region: string; ids: string[]; dryRun: boolean; begunAt: number }[] = [];
              const attached = new Map<string, { at: number; id: string }>();
              const activated = new Map<string, number>();
              for (const s of steps) {
                tick += 1;
                if (s.kind === 'begin') {
                  const id = await store.begin(
                    intent({
                      action: s.action,
                      regionId: s.region,
                      instanceIds: s.ids,
                      ...(s.dryRun ? { options: { DryRun: true } } : {}),
                    }),
                  );
                  open.push({ id, action: s.action, region: s.region, ids: s.ids, dryRun: s.dryRun, begunAt: tick });
                  continue;
                }
                if (open.length === 0) continue;
                const [op] = open.splice(s.pick % open.length, 1);
                if (!op) continue;
                const results = op.ids.map((InstanceId, i) => (s.oks[i] === true ? ok(InstanceId) : failed(InstanceId)));
                await store.complete(op.id, outcome(results));
                if (op.dryRun) continue;
                for (const r of results) {
                  if (!r.ok) continue;
                  const key = `${op.region}/${r.InstanceId}`;
                  if (op.action === 'AttachKeyPair') attached.set(key, { at: tick, id: op.id });
                  else activated.set(key, Math.max(activated.get(key) ?? 0, op.begunAt));
                }
              }
              for (const region of regions) {
                const expected = [...attached.entries()]
                  .filter(([key, a]) => key.startsWith(`${region}/`) && a.at > (activated.get(key) ?? 0))
                  .map(([key, a]) => ({ InstanceId: key.slice(region.length + 1), operationId: a.id }))
                  .sort((x, y) => x.InstanceId.localeCompare(y.InstanceId));
                expect((await store.pending(region)).map((p) => ({ InstanceId: p.InstanceId, operationId: p.operationId }))).toEqual(
                  expected,
                );
              }
            } finally {
              store.close();
            }
          }),
          { numRuns: 150 },
        );
      });
    });

    describe('when the audit cannot be written', () => {
      it('refuses after the store is closed, and check() says so', async () => {
        const store = open();
        const id = await store.begin(intent());
        expect(await store.check()).toEqual({ ok: true });
        store.close();
        expect(await store.check()).toEqual({ ok: false, problem: 'the audit store is not writable' });
        await expect(store.begin(intent())).rejects.toThrow(AuditUnavailableError);
        await expect(store.complete(id, outcome([ok('i-a1')]))).rejects.toThrow(AuditUnavailableError);
        await expect(store.recordDenied(intent(), 'no')).rejects.toThrow(AuditUnavailableError);
        await expect(store.list({})).rejects.toThrow(AuditUnavailableError);
      });
    });

    describe('input', () => {
      it('rejects absurd input with a TypeError and writes nothing', async () => {
        const store = open();
        const tooMany = Array.from({ length: AUDIT_LIMITS.instances + 1 }, (_, i) => `i-x${i}`);
        const bad: Partial<AuditIntent>[] = [
          { instanceIds: tooMany },
          { user: '' },
          { regionId: 'evil.example.com' },
          { instanceIds: ['not-an-instance'] },
          { keyPairName: 'https://x' },
          { action: 'DeleteInstance' as ActionName },
          { at: -1 },
          { at: Number.NaN },
          { options: { Nested: { deep: true } } as unknown as Record<string, string> },
          { options: { AccessKeySecret: 'sk-123' } },
          { options: { SecurityToken: 'sts' } },
        ];
        for (const overrides of bad) {
          await expect(store.begin(intent(overrides)), JSON.stringify(overrides).slice(0, 80)).rejects.toThrow(TypeError);
          await expect(store.recordDenied(intent(overrides), 'no')).rejects.toThrow(TypeError);
        }
        expect(await all(store)).toEqual([]);
        // An attach is not begun without its key pair (pending activation names it); a refusal may lack one.
        await expect(store.begin(intent({ keyPairName: undefined }))).rejects.toThrow(TypeError);
        expect(await all(store)).toEqual([]);
        await store.recordDenied(intent({ keyPairName: undefined }), 'refused: invalid parameters: KeyPairName');
        expect(await all(store)).toEqual([
          expect.objectContaining({ status: 'denied', action: 'AttachKeyPair', errorMessage: 'refused: invalid parameters: KeyPairName' }),
        ]);
        expect(await store.pending('cn-hangzhou')).toEqual([]);

        const id = await store.begin(intent({ instanceIds: Array.from({ length: AUDIT_LIMITS.instances }, (_, i) => `i-x${i}`) }));
        await expect(store.complete(id, outcome([ok('i-x0')], { status: 'pending' as AuditOutcome['status'] }))).rejects.toThrow(TypeError);
        await expect(store.complete(id, outcome([ok('i-x0')], { httpStatus: 42 }))).rejects.toThrow(TypeError);
        await expect(store.complete(id, outcome([{ InstanceId: 'i-x0', Code: '200' } as InstanceOutcome]))).rejects.toThrow(TypeError);
        expect((await all(store))[0]?.status).toBe('pending');
      });

      it('clips every over-long free-text field to the limit instead of refusing the record', async () => {
        const store = open();
        const limit = AUDIT_LIMITS.textBytes;
        // Multi-byte text is measured in bytes: 400 CJK characters are 1200 bytes, and no character is cut in half.
        const long = {
          user: '审'.repeat(400),
          email: `${'@'.repeat(2000)}`,
          group: `g${'ü'.repeat(600)}`,
          clientAddress: `203.0.113.7, ${'198.51.100.1, '.repeat(80)}`,
          option: 'o'.repeat(1100),
          reason: `not permitted: ${'x'.repeat(1100)}`,
          requestId: 'r'.repeat(1025),
          code: 'C'.repeat(1100),
        };
        const manyGroups = Array.from({ length: AUDIT_LIMITS.groups + 5 }, (_, i) => `group-${i}`);
        const id = await store.begin(
          intent({
            user: long.user,
            email: long.email,
            groups: [long.group, 'ops'],
            clientAddress: long.clientAddress,
            options: { BatchOptimization: long.option, DryRun: false },
          }),
        );
        await store.complete(
          id,
          outcome([{ InstanceId: 'i-a1', ok: false, Code: long.code }], { requestId: long.requestId, errorCode: long.code }),
        );
        await store.recordDenied(intent({ at: 2_000, user: 'mallory', groups: manyGroups, clientAddress: '' }), long.reason);

        const [denied, attach] = await all(store);
        const clipped = (text: string | undefined, original: string) => {
          expect(Buffer.byteLength(text ?? '')).toBeLessThanOrEqual(limit);
          expect(text?.endsWith('…')).toBe(true);
          expect(original.startsWith(text?.slice(0, -1) ?? '-')).toBe(true);
        };
        expect(attach?.status).toBe('failed');
        clipped(attach?.user, long.user);
        clipped(attach?.email, long.email);
        clipped(attach?.groups[0], long.group);
        expect(attach?.groups[1]).toBe('ops');
        clipped(attach?.clientAddress, long.clientAddress);
        clipped(String(attach?.options?.['BatchOptimization']), long.option);
        expect(attach?.options?.['DryRun']).toBe(false);
        clipped(attach?.requestId, long.requestId);
        clipped(attach?.errorCode, long.code);
        clipped(attach?.instances[0]?.Code, long.code);

        expect(denied).toMatchObject({ status: 'denied', user: 'mallory', clientAddress: '' });
        clipped(denied?.errorMessage, long.reason);
        // Past the limit the list keeps its first entries and says how many it left out.
        expect(denied?.groups).toHaveLength(AUDIT_LIMITS.groups);
        expect(denied?.groups.slice(0, 3)).toEqual(['group-0', 'group-1', 'group-2']);
        expect(denied?.groups[AUDIT_LIMITS.groups - 1]).toBe('… 6 more');
      });

      it('keeps a long ECS message, cut to the size limit, rather than losing the outcome', async () => {
        const store = open();
        const long = `Specified signature is not matched with our calculation. server string to sign is:${'GET&%2F&'.repeat(400)}`;
        const id = await store.begin(intent());
        await store.complete(
          id,
          outcome([{ InstanceId: 'i-a1', ok: false, Code: 'SignatureDoesNotMatch', Message: `中${long}` }], { errorMessage: long }),
        );
        const [record] = await all(store);
        expect(record?.status).toBe('failed');
        for (const text of [record?.errorMessage ?? '', record?.instances[0]?.Message ?? '']) {
          expect(Buffer.byteLength(text)).toBeLessThanOrEqual(AUDIT_LIMITS.textBytes);
          expect(text.endsWith('…')).toBe(true);
        }
        expect(record?.instances[0]?.Message?.startsWith('中Specified signature')).toBe(true);
      });
    });

    describe('outcomes that are not known', () => {
      it('keeps an unknown instance apart from a failed one, and lists an unknown attach as "may be pending"', async () => {
        const store = open();
        const attach = await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [unknown('i-a1'), failed('i-a2')], {
          status: 'unknown',
          at: 110,
        });
        expect((await all(store))[0]?.instances).toEqual([unknown('i-a1'), failed('i-a2')]);
        expect(await store.pending(hz)).toEqual([
          { InstanceId: 'i-a1', regionId: hz, keyPairName: 'team-key', user: 'alice', at: 110, operationId: attach, mayBePending: true },
        ]);
      });

      it('reads unknown by the one rule: a NoResult or OutcomeUnknown instance is unknown even without the flag', async () => {
        const store = open();
        await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [
          { InstanceId: 'i-a1', ok: false, Code: 'Console.NoResult' },
          { InstanceId: 'i-a2', ok: false, Code: 'Proxy.OutcomeUnknown' },
        ]);
        expect((await all(store))[0]?.instances.map((i) => i.unknown)).toEqual([true, true]);
        expect((await store.pending(hz)).map((p) => [p.InstanceId, p.mayBePending])).toEqual([
          ['i-a1', true],
          ['i-a2', true],
        ]);
      });

      it('is cleared by a successful reboot or start, but not by one of unknown outcome', async () => {
        const store = open();
        await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [unknown('i-a1'), unknown('i-a2')], { status: 'unknown' });
        await run(store, { action: 'RebootInstances', instanceIds: ['i-a1', 'i-a2'] }, [ok('i-a1'), unknown('i-a2')], {
          status: 'partial',
        });
        expect(await pendingIds(store)).toEqual(['i-a2']);
      });

      it('brings back an earlier confirmed attach when the unknown one turns out not to have happened', async () => {
        const store = open();
        const first = await run(store, { keyPairName: 'first-key', instanceIds: ['i-a1'] }, [ok('i-a1')], { at: 110 });
        const second = await run(store, { keyPairName: 'second-key', instanceIds: ['i-a1'] }, [unknown('i-a1')], {
          status: 'unknown',
          at: 210,
        });
        expect((await store.pending(hz)).map((p) => [p.keyPairName, p.operationId, p.mayBePending])).toEqual([
          ['second-key', second, true],
        ]);
        await store.reconcile(second, [reading('i-a1', 'first-key', false)]);
        expect(await store.pending(hz)).toEqual([
          { InstanceId: 'i-a1', regionId: hz, keyPairName: 'first-key', user: 'alice', at: 110, operationId: first },
        ]);
      });

      it('reconciles only instances whose outcome was unknown, each once, and only completed attaches', async () => {
        const store = open();
        const attach = await run(store, { instanceIds: ['i-a1', 'i-a2'] }, [failed('i-a1'), unknown('i-a2')], { status: 'unknown' });
        await store.reconcile(attach, [reading('i-a1', 'team-key', true), reading('i-a2', 'other', false)]);
        // A second reading does not rewrite the first.
        await store.reconcile(attach, [reading('i-a2', 'team-key', true)]);
        expect((await all(store))[0]?.instances.map((i) => i.reconciled?.attached)).toEqual([undefined, false]);
        expect(await store.pending(hz)).toEqual([]);

        const inFlight = await store.begin(intent());
        await expect(store.reconcile(inFlight, [reading('i-a1', 'team-key', true)])).rejects.toThrow(TypeError);
        const reboot = await run(store, { action: 'RebootInstance', instanceIds: ['i-a1'] }, [unknown('i-a1')], { status: 'unknown' });
        await expect(store.reconcile(reboot, [reading('i-a1', 'team-key', true)])).rejects.toThrow(TypeError);
        await expect(store.reconcile(attach, [{ InstanceId: 'not an id', at: 1, KeyPairName: '', attached: true }])).rejects.toThrow(
          TypeError,
        );
      });
    });

    describe('after a crash', () => {
      function crashed(store: AuditStore): AuditStore {
        const next = options.afterCrash(store);
        stores.push(next);
        return next;
      }

      it("reads what a dead process began as unknown for every instance, saying ECS's answer was never recorded", async () => {
        const first = open();
        const attach = await first.begin(intent({ instanceIds: ['i-a1', 'i-a2'] }));
        const reboot = await first.begin(intent({ action: 'RebootInstances', keyPairName: undefined, instanceIds: ['i-b1'] }));
        const store = crashed(first);
        const byId = new Map((await all(store)).map((r) => [r.id, r]));
        const unknownOf = (InstanceId: string) => ({
          InstanceId,
          ok: false,
          Code: 'Proxy.OutcomeUnknown',
          Message: UNKNOWN_OUTCOME_MESSAGE,
          unknown: true,
        });
        expect(byId.get(attach)).toMatchObject({
          status: 'unknown',
          errorCode: 'Proxy.OutcomeUnknown',
          errorMessage: UNKNOWN_OUTCOME_MESSAGE,
          instances: [unknownOf('i-a1'), unknownOf('i-a2')],
        });
        expect(UNKNOWN_OUTCOME_MESSAGE).toMatch(/stopped before it recorded ECS's answer/);
        expect(byId.get(reboot)).toMatchObject({ status: 'unknown', instances: [unknownOf('i-b1')] });
        // The one outcome rule reads each of them as unknown.
        expect(byId.get(attach)?.instances.map(instanceVerdict)).toEqual(['unknown', 'unknown']);
        // The attach may have happened; a reboot that may not have happened clears nothing.
        expect((await store.pending(hz)).map((p) => [p.InstanceId, p.operationId, p.mayBePending])).toEqual([
          ['i-a1', attach, true],
          ['i-a2', attach, true],
        ]);
      });

      it('lists crash-left attaches to read back; a reading settles each instance once, from the recovery stamp', async () => {
        const first = open();
        const attach = await first.begin(intent({ instanceIds: ['i-a1', 'i-a2', 'i-a3'] }));
        await first.begin(intent({ action: 'RebootInstances', keyPairName: undefined, instanceIds: ['i-b1'] }));
        await first.begin(intent({ instanceIds: ['i-c1'], options: { DryRun: true } }));
        const store = crashed(first);
        expect(await store.crashLeftAttaches()).toEqual([
          { operationId: attach, regionId: hz, keyPairName: 'team-key', instanceIds: ['i-a1', 'i-a2', 'i-a3'] },
        ]);

        await store.reconcile(attach, [reading('i-a1', 'team-key', true), reading('i-a2', 'old-key', false)]);
        expect((await store.pending(hz)).map((p) => [p.InstanceId, p.keyPairName, p.mayBePending])).toEqual([
          ['i-a1', 'team-key', undefined],
          ['i-a3', 'team-key', true],
        ]);
        expect((await all(store)).find((r) => r.id === attach)?.instances.map((i) => [i.InstanceId, i.reconciled?.attached])).toEqual([
          ['i-a1', true],
          ['i-a2', false],
          ['i-a3', undefined],
        ]);
        // Read back once: a second reading changes nothing; what is left is still listed.
        await store.reconcile(attach, [reading('i-a1', 'other-key', false)]);
        expect(await pendingIds(store)).toEqual(['i-a1', 'i-a3']);
        expect((await store.crashLeftAttaches()).map((c) => c.instanceIds)).toEqual([['i-a3']]);
        await store.reconcile(attach, [reading('i-a3', '', false)]);
        expect(await store.crashLeftAttaches()).toEqual([]);
        // A reboot requested after the recovery clears what the reading found.
        await run(store, { action: 'RebootInstances', keyPairName: undefined, instanceIds: ['i-a1'] }, [ok('i-a1')]);
        expect(await pendingIds(store)).toEqual([]);
      });

      it('still takes the real outcome from a process that outlived the restart, in place of the unknown', async () => {
        const first = open();
        const attach = await first.begin(intent({ instanceIds: ['i-a1', 'i-a2'] }));
        const store = crashed(first);
        await store.complete(attach, outcome([ok('i-a1'), failed('i-a2')]));
        const [record] = await all(store);
        expect(record).toMatchObject({ status: 'partial', instances: [ok('i-a1'), failed('i-a2')], completedAt: 1_100 });
        expect((await store.pending(hz)).map((p) => [p.InstanceId, p.mayBePending])).toEqual([['i-a1', undefined]]);
        expect(await store.crashLeftAttaches()).toEqual([]);
        await expect(store.complete(attach, outcome([ok('i-a1'), ok('i-a2')]))).rejects.toBeInstanceOf(AuditInputError);
      });
    });

    describe('bad input', () => {
      it('is refused with AuditInputError, which nothing else is', async () => {
        const store = open();
        const id = await run(store, {}, [ok('i-a1'), ok('i-a2')]);
        const refusals = [
          store.list({ cursor: 'not a cursor!' }),
          store.complete('no-such-id', outcome([ok('i-a1')])),
          store.complete(id, outcome([ok('i-a1')])),
          store.begin(intent({ regionId: 'evil.example.com' })),
          store.reconcile(id, [{ InstanceId: 'not an id', at: 1, KeyPairName: '', attached: true }]),
        ];
        for (const refusal of refusals) await expect(refusal).rejects.toBeInstanceOf(AuditInputError);
        store.close();
        // A store that cannot be used is unavailable, not handed bad input (SQLite's own TypeError for a closed
        // connection included).
        await expect(store.list({})).rejects.toBeInstanceOf(AuditUnavailableError);
        await expect(store.begin(intent())).rejects.toBeInstanceOf(AuditUnavailableError);
      });
    });

    describe('runs', () => {
      const newRun = (id: string, createdAt: number, state: StoredRun['state'] = 'running'): StoredRun => ({
        id,
        createdAt,
        createdBy: 'alice',
        regionId: hz,
        kind: 'attach',
        keyPairName: 'team-key',
        policy: { stopped: 'leave', running: { mode: 'leave' } },
        state,
        phase: 'recheck',
        counts: {},
        total: 2,
        waves: [],
        updatedAt: createdAt,
      });
      const row = (InstanceId: string, state: StoredRunInstance['state'] = 'queued'): StoredRunInstance => ({
        InstanceId,
        state,
        requestIds: [],
        updatedAt: 1,
      });

      it('writes a run with its rows and events, and reads them back in order', async () => {
        const store = open();
        const first = await store.createRun(newRun('r1', 1), [row('i-a1'), row('i-a2')], { at: 1, kind: 'created', user: 'alice' });
        const second = await store.saveRun({ ...newRun('r1', 1), phase: 'attach' }, [row('i-a2', 'attached')], {
          at: 2,
          kind: 'instances',
          detail: '1 attached',
        });
        expect(second).toBeGreaterThan(first);
        expect((await store.getRun('r1'))?.phase).toBe('attach');
        expect((await store.runInstances('r1', {})).items.map((r) => [r.InstanceId, r.state])).toEqual([
          ['i-a1', 'queued'],
          ['i-a2', 'attached'],
        ]);
        expect((await store.runInstances('r1', { state: 'attached' })).items.map((r) => r.InstanceId)).toEqual(['i-a2']);
        const page = await store.runInstances('r1', { limit: 1 });
        expect(page.items.map((r) => r.InstanceId)).toEqual(['i-a1']);
        expect((await store.runInstances('r1', { limit: 1, cursor: page.nextCursor ?? '' })).items.map((r) => r.InstanceId)).toEqual([
          'i-a2',
        ]);
        expect((await store.runEvents('r1', 0)).map((e) => e.kind)).toEqual(['created', 'instances']);
        expect((await store.runEvents('r1', first)).map((e) => e.seq)).toEqual([second]);
        expect(await store.getRun('nope')).toBeUndefined();
        await expect(store.saveRun(newRun('nope', 1), [])).rejects.toBeInstanceOf(AuditInputError);
      });

      it('lists runs in progress first, filters them, and says which runs a restart resumes', async () => {
        const store = open();
        await store.createRun(newRun('old-done', 1, 'completed'), [], { at: 1, kind: 'created' });
        await store.createRun(newRun('running', 2), [], { at: 2, kind: 'created' });
        await store.createRun(newRun('new-done', 3, 'cancelled'), [], { at: 3, kind: 'created' });
        await store.createRun({ ...newRun('paused', 4, 'paused'), createdBy: 'bob' }, [], { at: 4, kind: 'created' });
        expect((await store.listRuns({})).items.map((r) => r.id)).toEqual(['paused', 'running', 'new-done', 'old-done']);
        expect((await store.listRuns({ creator: 'bob' })).items.map((r) => r.id)).toEqual(['paused']);
        expect((await store.listRuns({ state: 'completed' })).items.map((r) => r.id)).toEqual(['old-done']);
        const page = await store.listRuns({ limit: 3 });
        expect((await store.listRuns({ limit: 3, cursor: page.nextCursor ?? '' })).items.map((r) => r.id)).toEqual(['old-done']);
        expect(await store.unfinishedRuns()).toEqual(['running', 'paused']);
      });

      it("writes a run's rows in the same transaction as its call's intent, naming the operation", async () => {
        const store = open();
        await store.createRun(newRun('r1', 1), [row('i-a1'), row('i-a2')], { at: 1, kind: 'created' });
        const id = await store.begin(intent({ runId: 'r1' }), (operationId) => ({
          run: { ...newRun('r1', 1), phase: 'attach' },
          rows: [
            { ...row('i-a1', 'sending'), operationId },
            { ...row('i-a2', 'sending'), operationId },
          ],
        }));
        expect((await store.runInstances('r1', {})).items.map((r) => [r.state, r.operationId])).toEqual([
          ['sending', id],
          ['sending', id],
        ]);
        expect((await store.getRun('r1'))?.phase).toBe('attach');
        expect((await all(store)).map((r) => [r.id, r.status])).toEqual([[id, 'pending']]);

        // A run write that cannot be made takes the intent with it: nothing may be sent.
        await expect(
          store.begin(intent({ runId: 'nope' }), (operationId) => ({ run: newRun('nope', 1), rows: [{ ...row('i-a1'), operationId }] })),
        ).rejects.toBeInstanceOf(AuditInputError);
        expect(await all(store)).toHaveLength(1);
      });

      it("writes a run's rows and event in the same transaction as its call's outcome, with the event's seq", async () => {
        const store = open();
        const created = await store.createRun(newRun('r1', 1), [row('i-a1'), row('i-a2')], { at: 1, kind: 'created' });
        const id = await store.begin(intent({ runId: 'r1' }));
        const seq = await store.complete(id, outcome([ok('i-a1'), failed('i-a2')]), {
          run: { ...newRun('r1', 1), counts: { attached: 1, failed: 1 } },
          rows: [row('i-a1', 'attached'), row('i-a2', 'failed')],
          event: { at: 2, kind: 'instances', detail: 'attach: 1 of 2 attached' },
        });
        expect(seq).toBeGreaterThan(created);
        expect((await store.runEvents('r1', created)).map((e) => [e.seq, e.detail])).toEqual([[seq, 'attach: 1 of 2 attached']]);
        expect((await store.runInstances('r1', {})).items.map((r) => r.state)).toEqual(['attached', 'failed']);
        expect((await store.getRun('r1'))?.counts).toEqual({ attached: 1, failed: 1 });
        expect(await pendingIds(store)).toEqual(['i-a1']);
        // Without a run write there is no event: 0.
        expect(await store.complete(await store.begin(intent()), outcome([ok('i-a1'), ok('i-a2')]))).toBe(0);

        // A run write that cannot be made takes the outcome with it, so it can be recorded again.
        const other = await store.begin(intent({ instanceIds: ['i-b1'] }));
        await expect(store.complete(other, outcome([ok('i-b1')]), { run: newRun('nope', 1), rows: [] })).rejects.toBeInstanceOf(
          AuditInputError,
        );
        expect((await all(store)).find((r) => r.id === other)?.status).toBe('pending');
        await store.complete(other, outcome([ok('i-b1')]));
        expect((await all(store)).find((r) => r.id === other)?.status).toBe('succeeded');
      });

      it('names the run on the operations it sent', async () => {
        const store = open();
        await run(store, { runId: 'r1' }, [ok('i-a1'), ok('i-a2')]);
        expect((await all(store))[0]?.runId).toBe('r1');
      });
    });
  });
}
