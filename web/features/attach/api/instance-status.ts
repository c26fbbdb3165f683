import { queryOptions } from '@tanstack/react-query';
import type { ResponseOf } from '../../../../ecs/contract';
import { LIMITS } from '../../../../ecs/wire';
import { ecsCall } from '../../../lib/api-client';
import { keyRoots } from '../../../lib/query-keys';
import { chunk } from './batch-runner';

/**
 * Status of the instances the results screen is watching (after a reboot or start, or caught mid-transition),
 * through DescribeInstanceStatus, the cheap poller (ecs-api.md §6.4, §13). InstanceId.N takes up to 100 IDs but a
 * page holds at most 50, so each call asks for 50 IDs and gets them in one page.
 */
const IDS_PER_CALL = Math.min(LIMITS.statusInstanceIds, LIMITS.describeInstanceStatusPageSize);

type StatusBody = ResponseOf<'DescribeInstanceStatus'>;

/** Module-level, so the selected object keeps its identity between renders (TanStack re-runs a new select). */
function statusById(bodies: StatusBody[]): Record<string, string> {
  const byId: Record<string, string> = {};
  for (const body of bodies) for (const s of body.InstanceStatuses?.InstanceStatus ?? []) byId[s.InstanceId] = s.Status;
  return byId;
}

export const attachQueries = {
  /** Under the shared root, so whoever refreshes instance statuses of the region refreshes these too. */
  statusAll: (regionId: string) => [...keyRoots.instanceStatus(regionId), 'attach-watch'] as const,
  status: (regionId: string, instanceIds: readonly string[]) => {
    const ids = [...instanceIds].sort();
    return queryOptions({
      queryKey: [...attachQueries.statusAll(regionId), ids] as const,
      queryFn: ({ signal }) =>
        Promise.all(
          chunk(ids, IDS_PER_CALL).map((InstanceId) =>
            ecsCall('DescribeInstanceStatus', { RegionId: regionId, InstanceId, PageSize: LIMITS.describeInstanceStatusPageSize }, signal),
          ),
        ),
      select: statusById,
      staleTime: 0,
    });
  },
};
