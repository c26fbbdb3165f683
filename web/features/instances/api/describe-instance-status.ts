import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import type { Instance } from '../../../../ecs/contract';
import { isTransitionalStatus, LIMITS } from '../../../../ecs/wire';
import { ecsCall } from '../../../lib/api-client';
import { keyRoots } from '../../../lib/query-keys';
import { instancesQueries, type InstancePages, type InstanceRow } from './describe-instances';

/**
 * While any listed instance is between states, poll the cheap DescribeInstanceStatus (ecs-api.md §6.4, §13) for
 * just those instances and write the fresh statuses into the instance list, instead of re-listing the region.
 */

export const STATUS_POLL_MS = 2_000;
const STATUS_POLL_BACKOFF_MS = 15_000;

/**
 * InstanceId.N takes up to 100 IDs, but PageSize stops at 50 (§6.4): 50 IDs per call is what one page answers.
 */
const IDS_PER_CALL = Math.min(LIMITS.statusInstanceIds, LIMITS.describeInstanceStatusPageSize);

export interface StatusUpdate {
  InstanceId: string;
  Status: string;
}

async function describeStatuses(regionId: string, instanceIds: readonly string[], signal: AbortSignal): Promise<StatusUpdate[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < instanceIds.length; i += IDS_PER_CALL) chunks.push(instanceIds.slice(i, i + IDS_PER_CALL));
  const answers = await Promise.all(
    chunks.map((InstanceId) => ecsCall('DescribeInstanceStatus', { RegionId: regionId, InstanceId, PageSize: IDS_PER_CALL }, signal)),
  );
  return answers.flatMap((body) => (body.InstanceStatuses?.InstanceStatus ?? []).map((s) => ({ InstanceId: s.InstanceId, Status: s.Status })));
}

export const instanceStatusQueries = {
  all: (regionId: string) => keyRoots.instanceStatus(regionId),
  poll: (regionId: string, instanceIds: readonly string[]) =>
    queryOptions({
      queryKey: [...keyRoots.instanceStatus(regionId), instanceIds] as const,
      queryFn: ({ signal }) => describeStatuses(regionId, instanceIds, signal),
      enabled: instanceIds.length > 0,
      // The set of IDs shrinks as instances settle, which makes a new key. Treating a new key as just fetched
      // keeps the rhythm at one poll per interval instead of an immediate call after every change.
      initialData: (): StatusUpdate[] => [],
      initialDataUpdatedAt: () => Date.now(),
      // After a failure (throttling, a blip) ask less often; the list itself still shows the last known status.
      refetchInterval: (query) => (query.state.status === 'error' ? STATUS_POLL_BACKOFF_MS : STATUS_POLL_MS),
      staleTime: STATUS_POLL_MS,
      // A failed poll is not worth a toast every two seconds: the next poll tries again (query-client.ts).
      meta: { silent: true },
    }),
};

/** The list with fresh statuses applied; pages without a change keep their identity (and their cached rows). */
export function patchStatuses(data: InstancePages, updates: readonly StatusUpdate[]): InstancePages {
  const fresh = new Map(updates.map((u) => [u.InstanceId, u.Status]));
  let isChanged = false;
  const pages = data.pages.map((page) => {
    if (page === undefined || !page.some((i) => fresh.has(i.InstanceId) && fresh.get(i.InstanceId) !== i.Status)) return page;
    isChanged = true;
    return page.map((i): Instance => {
      const status = fresh.get(i.InstanceId);
      return status === undefined || status === i.Status ? i : { ...i, Status: status };
    });
  });
  return isChanged ? { ...data, pages } : data;
}

/**
 * Polls while `rows` has transitional instances and overlays the answers on the cached list. `isActive` is false
 * while the list itself is (re)loading: its answer is fresher than a poll, and polling a list that grows page by
 * page would start a new poll with every page.
 */
export function useInstanceStatusRefresh(regionId: string, rows: readonly InstanceRow[], isActive: boolean): void {
  const queryClient = useQueryClient();
  const ids = useMemo(
    () =>
      isActive
        ? rows
            .filter((r) => isTransitionalStatus(r.Status))
            .map((r) => r.InstanceId)
            .sort()
        : [],
    [rows, isActive],
  );
  // A string key keeps the query stable across renders that produce the same set of IDs.
  const idsKey = ids.join(',');
  const stableIds = useMemo(() => (idsKey === '' ? [] : idsKey.split(',')), [idsKey]);
  const poll = useQuery(instanceStatusQueries.poll(regionId, stableIds));
  useEffect(() => {
    if (poll.data === undefined || poll.data.length === 0) return;
    const updates = poll.data;
    queryClient.setQueryData<InstancePages>(instancesQueries.list(regionId).queryKey, (old) => (old === undefined ? old : patchStatuses(old, updates)));
  }, [poll.data, queryClient, regionId]);
}
