import { queryOptions } from '@tanstack/react-query';
import type { ResponseOf } from '#ecs/contract';
import { ecsCall } from '@web/lib/api-client';

const REGION_RETRY_MS = 10_000;

export interface RegionOption {
  RegionId: string;
  LocalName: string;
}

/** Module-level, so TanStack Query keeps the selected list between renders instead of re-running it. */
function toOptions(body: ResponseOf<'DescribeRegions'>): RegionOption[] {
  return (body.Regions?.Region ?? []).map((r) => ({ RegionId: r.RegionId, LocalName: r.LocalName }));
}

/** DescribeRegions with names in the UI language (docs/ecs-notes.md#regions: LocalName follows AcceptLanguage). */
export const regionQueries = {
  all: () => ['ecs', 'regions'] as const,
  list: (language: 'en' | 'zh-CN') =>
    queryOptions({
      queryKey: [...regionQueries.all(), language] as const,
      queryFn: ({ signal }) => ecsCall('DescribeRegions', { AcceptLanguage: language === 'zh-CN' ? 'zh-CN' : 'en-US' }, signal),
      select: toOptions,
      staleTime: 60 * 60_000,
      // Nothing else works without the region list, so a failed load keeps trying in the background and the
      // picker recovers on the first answer.
      refetchInterval: (query) => (query.state.status === 'error' ? REGION_RETRY_MS : false),
    }),
};
