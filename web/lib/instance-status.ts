import { queryOptions } from '@tanstack/react-query';
import { LIMITS } from '../../ecs/wire';
import { ecsCall } from './api-client';
import { keyRoots } from './query-keys';

/**
 * The one status poller: DescribeInstanceStatus for just the instances someone is watching, instead of listing
 * the region again (docs/ecs-notes.md#instance-status-polling; it is the cheap call, and ECS's budget is per
 * minute, docs/ecs-notes.md#throttling). The instance list watches its instances that are between states, the
 * attach results the instances it rebooted or started; both features read it through this module.
 */

export const STATUS_POLL_MS = 2_000;
const STATUS_POLL_BACKOFF_MS = 15_000;

/** InstanceId.N takes up to 100 IDs, but PageSize stops at 50: 50 IDs per call is what one page answers. */
const IDS_PER_CALL = Math.min(LIMITS.statusInstanceIds, LIMITS.describeInstanceStatusPageSize);

/** Latest status per instance ID, as ECS spells it. */
export type StatusById = Readonly<Record<string, string>>;

const NOTHING_YET: StatusById = {};

async function describeStatuses(regionId: string, instanceIds: readonly string[], signal: AbortSignal): Promise<StatusById> {
  const chunks: string[][] = [];
  for (let i = 0; i < instanceIds.length; i += IDS_PER_CALL) chunks.push(instanceIds.slice(i, i + IDS_PER_CALL));
  const answers = await Promise.all(
    chunks.map((InstanceId) => ecsCall('DescribeInstanceStatus', { RegionId: regionId, InstanceId, PageSize: IDS_PER_CALL }, signal)),
  );
  const byId: Record<string, string> = {};
  for (const body of answers) for (const s of body.InstanceStatuses?.InstanceStatus ?? []) byId[s.InstanceId] = s.Status;
  return byId;
}

export const instanceStatusQueries = {
  /** Under the shared root, so whoever refreshes instance statuses of the region refreshes every poll. */
  all: (regionId: string) => keyRoots.instanceStatus(regionId),
  /** Polls `instanceIds` (in any order; the key sorts them) every `intervalMs`, while there are any. */
  poll: (regionId: string, instanceIds: readonly string[], intervalMs: number = STATUS_POLL_MS) => {
    const ids = [...instanceIds].sort();
    return queryOptions({
      queryKey: [...keyRoots.instanceStatus(regionId), ids] as const,
      queryFn: ({ signal }) => describeStatuses(regionId, ids, signal),
      enabled: ids.length > 0,
      // The set of IDs shrinks as instances settle, which makes a new key. Treating a new key as just fetched
      // keeps the rhythm at one poll per interval instead of an immediate call after every change.
      initialData: NOTHING_YET,
      initialDataUpdatedAt: () => Date.now(),
      // After a failure (throttling, a blip) ask less often; the screens still show the last known status.
      refetchInterval: (query) => (query.state.status === 'error' ? Math.max(intervalMs, STATUS_POLL_BACKOFF_MS) : intervalMs),
      staleTime: intervalMs,
      // A failed poll is not worth a toast every interval: the next poll tries again, and the results screen
      // says inline that its statuses are stale (query-client.ts).
      meta: { silent: true },
    });
  },
};
