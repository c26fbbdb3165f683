import { queryOptions } from '@tanstack/react-query';
import type { PendingActivation, PendingList } from '#ecs/console-api';
import { getPending } from '@web/lib/api-client';
import { keyRoots } from '@web/lib/query-keys';

/**
 * Instances whose key pair was attached through the console but not yet activated by a reboot or start
 * (docs/product.md#step-9-pending-activation). The proxy remembers them; the attach feature invalidates this key root after an attach,
 * a reboot or a start.
 */
/**
 * Module-level, so TanStack Query keeps the same Map between renders: the instance table is memoized on it, and
 * a new Map per render would re-render every visible row.
 */
function byInstanceId(list: PendingList): ReadonlyMap<string, PendingActivation> {
  return new Map(list.Pending.map((p) => [p.InstanceId, p]));
}

export const pendingQueries = {
  byRegion: (regionId: string) =>
    queryOptions({
      queryKey: keyRoots.pending(regionId),
      queryFn: ({ signal }) => getPending(regionId, signal),
      // Runs on the server (or a colleague) change it at any time: read it again whenever the list is opened,
      // rather than trusting a copy from before a run finished (it is one cheap read of the proxy's own store).
      staleTime: 0,
      select: byInstanceId,
    }),
};
