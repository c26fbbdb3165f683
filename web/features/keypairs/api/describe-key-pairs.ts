import { queryOptions } from '@tanstack/react-query';
import type { KeyPair } from '#ecs/contract';
import { LIMITS, toCount } from '#ecs/wire';
import { ecsCall } from '@web/lib/api-client';
import { keyRoots } from '@web/lib/query-keys';

/**
 * Every key pair of the region (docs/product.md#step-3-key-pair). DescribeKeyPairs pages hold at most 50 (docs/ecs-notes.md#describe-key-pairs) and a
 * region holds at most 500 pairs, so: page 1 for TotalCount, then the other ≤ 9 pages at once.
 */

const PAGE_SIZE = LIMITS.describeKeyPairsPageSize;

async function describeAllKeyPairs(regionId: string, signal: AbortSignal): Promise<KeyPair[]> {
  const page = (PageNumber: number) => ecsCall('DescribeKeyPairs', { RegionId: regionId, PageNumber, PageSize: PAGE_SIZE }, signal);
  const first = await page(1);
  const pageCount = Math.ceil(toCount(first.TotalCount) / PAGE_SIZE);
  const rest = await Promise.all(Array.from({ length: Math.max(0, pageCount - 1) }, (_, i) => page(i + 2)));
  const seen = new Set<string>();
  // Pages can shift if a pair is created meanwhile; one entry per name.
  return [first, ...rest]
    .flatMap((body) => body.KeyPairs?.KeyPair ?? [])
    .filter((pair) => !seen.has(pair.KeyPairName) && seen.add(pair.KeyPairName));
}

export interface KeyPairOption {
  KeyPairName: string;
  KeyPairFingerPrint: string;
  CreationTime: string | undefined;
}

/** Module-level, so TanStack Query keeps the selected options between renders instead of re-running it. */
function toOptions(pairs: KeyPair[]): KeyPairOption[] {
  return pairs
    .map((p) => ({ KeyPairName: p.KeyPairName, KeyPairFingerPrint: p.KeyPairFingerPrint ?? '', CreationTime: p.CreationTime }))
    .sort((a, b) => a.KeyPairName.localeCompare(b.KeyPairName));
}

export const keyPairQueries = {
  all: (regionId: string) => keyRoots.keyPairs(regionId),
  list: (regionId: string) =>
    queryOptions({
      queryKey: [...keyRoots.keyPairs(regionId), 'list'] as const,
      queryFn: ({ signal }) => describeAllKeyPairs(regionId, signal),
      select: toOptions,
    }),
};
