import { queryOptions } from '@tanstack/react-query';
import type { PendingActivation, PendingList } from '../../../../ecs/console-api';
import { getPending } from '../../../lib/api-client';
import { keyRoots } from '../../../lib/query-keys';

/**
 * Instances whose key pair was attached through the console but not yet activated by a reboot or start
 * (PRODUCT.md step 8). The proxy remembers them; the attach feature invalidates this key root after an attach,
 * a reboot or a start.
 */
export const pendingQueries = {
  byRegion: (regionId: string) =>
    queryOptions({
      queryKey: keyRoots.pending(regionId),
      queryFn: ({ signal }) => getPending(regionId, signal),
      select: (list: PendingList): ReadonlyMap<string, PendingActivation> => new Map(list.Pending.map((p) => [p.InstanceId, p])),
    }),
};
