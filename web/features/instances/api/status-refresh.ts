import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import type { Instance } from '#ecs/contract';
import { isTransitionalStatus } from '#ecs/wire';
import { instanceStatusQueries, type StatusById } from '@web/lib/instance-status';
import { instancesQueries, type InstancePages, type InstanceRow } from './describe-instances';

/**
 * While any listed instance is between states, poll just those instances (lib/instance-status.ts) and write the
 * fresh statuses into the cached instance list, instead of re-listing the region.
 */

/** The list with fresh statuses applied; pages without a change keep their identity (and their cached rows). */
export function patchStatuses(data: InstancePages, fresh: StatusById): InstancePages {
  let isChanged = false;
  const pages = data.pages.map((page) => {
    if (page === undefined || !page.some((i) => fresh[i.InstanceId] !== undefined && fresh[i.InstanceId] !== i.Status)) return page;
    isChanged = true;
    return page.map((i): Instance => {
      const status = fresh[i.InstanceId];
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
    const fresh = poll.data;
    if (Object.keys(fresh).length === 0) return;
    queryClient.setQueryData<InstancePages>(instancesQueries.list(regionId).queryKey, (old) =>
      old === undefined ? old : patchStatuses(old, fresh),
    );
  }, [poll.data, queryClient, regionId]);
}
