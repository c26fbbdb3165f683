import { ActivityQuery, proxyRequestSchema, toUpstream } from '../../ecs/console-api';
import type { ActivityPage, ActivityRecord, InstanceOutcome, PendingActivation, Session } from '../../ecs/console-api';
import { actions, InstanceId, isActionName, KeyPairName, RegionId, toWire, type ActionName } from '../../ecs/contract';
import { instanceVerdict, readEcsAnswer, readKeyPairReadings } from '../../ecs/outcomes';
import { createSimulator, type Simulator } from '../../sim/model/simulator';
import type { ConsoleAnswer } from './answer';
import { createRunsModel, type RunsModel } from './runs-model';

export type { ConsoleAnswer } from './answer';

/**
 * The proxy's API as a plain in-memory module over the simulator (docs/conventions.md#msw-examples: handlers stay a thin adapter over
 * a plain module). It follows the proxy's rules that the UI depends on (allowlist, strict parameters, RegionId
 * routing for Reboot/StartInstance, per-action permission, audit and pending activation) without signing,
 * since nothing leaves the browser. The same module serves `npm run dev:mock` and the component tests.
 */

export interface ConsoleModel {
  simulator: Simulator;
  session: Session;
  setSession(patch: Partial<Session>): void;
  /** `from.runId`: the call is sent by that run, and its activity record says so (as the proxy's do). */
  ecs(action: string, body: unknown, from?: { runId?: string }): ConsoleAnswer;
  activity(query: URLSearchParams): ConsoleAnswer;
  pending(regionId: string | null): ConsoleAnswer;
  /** Runs executed in the browser, over this model (runs-model.ts). */
  runs: RunsModel;
  reset(): void;
}

const ALL_ACTIONS = Object.keys(actions) as ActionName[];
const LOCAL_SESSION: Session = { user: 'local operator', groups: [], allowedActions: ALL_ACTIONS, mode: 'sim', authMode: 'none' };

let counter = 0;
const proxyError = (status: number, Code: string, Message: string): ConsoleAnswer => ({
  status,
  body: { RequestId: `mock-${(++counter).toString(16).padStart(8, '0')}`, Code, Message },
});

export function createConsoleModel(options: { instances?: number; seed?: string } = {}): ConsoleModel {
  const simulator = createSimulator({ instances: options.instances ?? 300, ...(options.seed ? { seed: options.seed } : {}) });
  let records: ActivityRecord[] = [];
  let session: Session = { ...LOCAL_SESSION };

  /** Like the proxy: instances of an attach of unknown outcome are read back, and what was found is kept. */
  function reconcile(regionId: string, keyPairName: string, instances: InstanceOutcome[]): void {
    const ids = instances.filter((i) => instanceVerdict(i) === 'unknown').map((i) => i.InstanceId);
    if (ids.length === 0) return;
    const read = simulator.call(
      'DescribeInstances',
      toWire('DescribeInstances', { RegionId: regionId, InstanceIds: ids, PageSize: ids.length }),
    );
    const at = Date.now();
    const found = new Map(readKeyPairReadings(keyPairName, ids, read.status, read.body).map((r) => [r.InstanceId, r]));
    for (const instance of instances) {
      const reading = found.get(instance.InstanceId);
      if (reading) instance.reconciled = { at, KeyPairName: reading.KeyPairName, attached: reading.attached };
    }
  }

  let regionIds: Set<string> | undefined;
  function knownRegions(): Set<string> {
    if (regionIds === undefined) {
      const answer = simulator.call('DescribeRegions', {});
      const list = (answer.body['Regions'] as { Region?: { RegionId: string }[] } | undefined)?.Region ?? [];
      regionIds = new Set(list.map((r) => r.RegionId));
    }
    return regionIds;
  }

  function deniedRecord(action: ActionName, body: unknown): ActivityRecord {
    const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const ids = ([] as unknown[])
      .concat(raw['InstanceIds'] ?? raw['InstanceId'] ?? [])
      .filter((id): id is string => InstanceId.safeParse(id).success);
    const region = RegionId.safeParse(raw['RegionId']);
    const key = KeyPairName.safeParse(raw['KeyPairName']);
    return {
      id: `op-${++counter}`,
      at: Date.now(),
      user: session.user,
      groups: session.groups,
      clientAddress: '127.0.0.1',
      action,
      regionId: region.success ? region.data : 'cn-hangzhou',
      ...(key.success ? { keyPairName: key.data } : {}),
      instanceIds: ids,
      status: 'denied',
      instances: [],
    };
  }

  const model: ConsoleModel = {
    simulator,
    get session() {
      return session;
    },
    setSession(patch) {
      session = { ...session, ...patch };
    },
    ecs(action, body, from) {
      if (!isActionName(action))
        return proxyError(403, 'Proxy.ActionNotAllowed', `The action "${action}" is not allowed through this console.`);
      const parsed = proxyRequestSchema(action).safeParse(body ?? {});
      if (!parsed.success) {
        // Like the proxy: a refused mutating call is audited as denied, keeping only the values that are valid.
        if (actions[action].mutating) records.unshift(deniedRecord(action, body));
        return proxyError(400, 'Proxy.InvalidParameter', `Invalid parameters for ${action}: ${parsed.error.issues[0]?.message ?? ''}`);
      }
      const params: Record<string, unknown> = parsed.data;
      const ids = ([] as unknown[]).concat(params['InstanceIds'] ?? params['InstanceId'] ?? []).map(String);
      const regionId = typeof params['RegionId'] === 'string' ? params['RegionId'] : 'cn-hangzhou';
      // Like the proxy: a region must be on the account's DescribeRegions list before anything is sent.
      if (action !== 'DescribeRegions' && !knownRegions().has(regionId)) {
        if (actions[action].mutating) records.unshift(deniedRecord(action, body));
        return proxyError(400, 'Proxy.UnknownRegion', `The region "${regionId}" is not one of this account's ECS regions.`);
      }
      const base = {
        id: `op-${++counter}`,
        at: Date.now(),
        user: session.user,
        ...(session.email ? { email: session.email } : {}),
        groups: session.groups,
        clientAddress: '127.0.0.1',
        action,
        regionId,
        ...(typeof params['KeyPairName'] === 'string' ? { keyPairName: params['KeyPairName'] } : {}),
        ...(from?.runId === undefined ? {} : { runId: from.runId }),
        instanceIds: ids,
      };
      if (!session.allowedActions.includes(action)) {
        if (actions[action].mutating) records.unshift({ ...base, status: 'denied', instances: [] });
        return proxyError(403, 'Proxy.Forbidden', `Your groups do not allow ${action}. Ask for the role that grants it.`);
      }
      const answer = simulator.call(action, toUpstream(action, params));
      if (actions[action].mutating) {
        const read = readEcsAnswer(action, ids, answer.status, answer.body);
        if (action === 'AttachKeyPair' && typeof params['KeyPairName'] === 'string')
          reconcile(regionId, params['KeyPairName'], read.instances);
        records.unshift({
          ...base,
          completedAt: Date.now(),
          status: read.status,
          httpStatus: answer.status,
          ...(read.requestId === undefined ? {} : { requestId: read.requestId }),
          ...(read.errorCode === undefined ? {} : { errorCode: read.errorCode }),
          ...(read.errorMessage === undefined ? {} : { errorMessage: read.errorMessage }),
          durationMs: 0,
          instances: read.instances,
        });
      }
      // Like the proxy, which hands a throttled answer back with the wait in the standard header once it has
      // done its own retrying (docs/decisions/retries.md); the mock does no retrying of its own.
      const ecsWait = Number(answer.headers['x-acs-retry-after']);
      const headers =
        answer.status >= 400 && Number.isFinite(ecsWait) && answer.headers['x-acs-retry-after'] !== undefined
          ? { ...answer.headers, 'retry-after': String(Math.max(1, Math.ceil(ecsWait / 1000))) }
          : answer.headers;
      return { status: answer.status, body: answer.body, headers };
    },
    activity(query) {
      // The proxy's own query schema: a filter the proxy refuses is refused here too.
      const parsed = ActivityQuery.safeParse(Object.fromEntries(query));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return proxyError(
          400,
          'Proxy.InvalidParameter',
          `Invalid activity filter: ${issue?.path.join('.') || 'query'} ${issue?.message ?? ''}`.trim(),
        );
      }
      const filter = parsed.data;
      const limit = filter.limit ?? 50;
      const offset = Number(filter.cursor ?? 0) || 0;
      const matches = records.filter(
        (r) =>
          (!filter.user || r.user === filter.user) &&
          (!filter.action || r.action === filter.action) &&
          (!filter.regionId || r.regionId === filter.regionId) &&
          (!filter.status || r.status === filter.status) &&
          (!filter.instanceId || r.instanceIds.includes(filter.instanceId)) &&
          (filter.from === undefined || r.at >= filter.from) &&
          (filter.to === undefined || r.at <= filter.to),
      );
      const items = matches.slice(offset, offset + limit);
      const page: ActivityPage = { items, nextCursor: offset + limit < matches.length ? String(offset + limit) : null };
      return { status: 200, body: page };
    },
    pending(regionId) {
      if (!regionId) return proxyError(400, 'Proxy.InvalidParameter', 'RegionId is required and must be a region ID.');
      // Same rule as the proxy's audit store: the newest attach that succeeded, or whose outcome is unknown and
      // was not read back as "not attached", not followed by a successful reboot or start of that instance
      // (records are newest first). Verdicts come from the one outcome rule (ecs/outcomes.ts).
      const settled = new Set<string>();
      const pending: PendingActivation[] = [];
      for (const r of records) {
        if (r.regionId !== regionId || r.options?.['DryRun'] === true) continue;
        for (const i of r.instances) {
          if (settled.has(i.InstanceId)) continue;
          const verdict = instanceVerdict(i);
          const isAttach = r.action === 'AttachKeyPair';
          const isMaybe = isAttach && verdict === 'unknown' && i.reconciled === undefined;
          const isAttached = isAttach && (verdict === 'succeeded' || i.reconciled?.attached === true);
          if (!isMaybe && !isAttached && (isAttach || verdict !== 'succeeded')) continue;
          settled.add(i.InstanceId);
          if (isAttach && r.keyPairName) {
            pending.push({
              InstanceId: i.InstanceId,
              regionId,
              keyPairName: r.keyPairName,
              user: r.user,
              at: r.completedAt ?? r.at,
              operationId: r.id,
              ...(isMaybe ? { mayBePending: true } : {}),
            });
          }
        }
      }
      return { status: 200, body: { RegionId: regionId, Pending: pending } };
    },
    get runs() {
      return runs;
    },
    reset() {
      runs.reset();
      simulator.reset();
      records = [];
      session = { ...LOCAL_SESSION };
    },
  };
  const runs = createRunsModel(model);
  return model;
}
