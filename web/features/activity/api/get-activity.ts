import { infiniteQueryOptions, type InfiniteData } from '@tanstack/react-query';
import type { ActivityPage, ActivityRecord } from '#ecs/console-api';
import { instanceVerdict } from '#ecs/outcomes';
import { getActivity } from '@web/lib/api-client';
import { keyRoots } from '@web/lib/query-keys';
import { toApiQuery, type ActivityFilters } from '../filters';

/** One page of the audit trail per request; "Load more" follows the proxy's opaque cursor. */
export const ACTIVITY_PAGE_SIZE = 50;
/** While an operation is still in flight its outcome will change; look again this often. */
const PENDING_REFRESH_MS = 5_000;

/** An audit record as the table shows it: the wire record untouched plus what the row derives from it. */
export interface OperationRow extends ActivityRecord {
  /** Instances by the one outcome rule (ecs/outcomes.ts): an unknown one is not counted as failed. */
  failedCount: number;
  unknownCount: number;
  /** Unknown instances that were read back afterwards, and how many of them carried the key pair. */
  reconciledCount: number;
  reconciledAttachedCount: number;
}

function toRow(record: ActivityRecord): OperationRow {
  const verdicts = record.instances.map(instanceVerdict);
  const reconciled = record.instances.filter((i) => i.reconciled !== undefined);
  return {
    ...record,
    failedCount: verdicts.filter((v) => v === 'failed').length,
    unknownCount: verdicts.filter((v) => v === 'unknown').length,
    reconciledCount: reconciled.length,
    reconciledAttachedCount: reconciled.filter((i) => i.reconciled?.attached === true).length,
  };
}

export interface ActivityView {
  operations: OperationRow[];
}

/** Module-level, so TanStack Query keeps the selected view between renders instead of re-running it. */
function toView(data: InfiniteData<ActivityPage, string | undefined>): ActivityView {
  return { operations: data.pages.flatMap((page) => page.items).map(toRow) };
}

/**
 * GET /api/activity (docs/product.md#step-10-activity). The root is shared (lib/query-keys.ts) so that attach, reboot and start in
 * other features refresh this list by invalidating `keyRoots.activity()`.
 */
export const activityQueries = {
  all: () => keyRoots.activity(),
  lists: () => [...activityQueries.all(), 'list'] as const,
  list: (filters: ActivityFilters) =>
    infiniteQueryOptions({
      queryKey: [...activityQueries.lists(), { ...filters, limit: ACTIVITY_PAGE_SIZE }] as const,
      queryFn: ({ pageParam, signal }) => getActivity({ ...toApiQuery(filters), limit: ACTIVITY_PAGE_SIZE, cursor: pageParam }, signal),
      initialPageParam: undefined as string | undefined,
      getNextPageParam: (page) => page.nextCursor ?? undefined,
      // The trail is the record of what just happened; opening the page must show it, not a 30 s old copy.
      staleTime: 0,
      refetchInterval: (query) =>
        query.state.data?.pages.some((page) => page.items.some((r) => r.status === 'pending')) ? PENDING_REFRESH_MS : false,
      select: toView,
    }),
};
