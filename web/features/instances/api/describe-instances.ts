import { experimental_streamedQuery as streamedQuery, queryOptions, useQuery } from '@tanstack/react-query';
import type { Instance } from '#ecs/contract';
import { LIMITS, toCount } from '#ecs/wire';
import { ecsCall } from '@web/lib/api-client';
import { keyRoots } from '@web/lib/query-keys';
import { inParallel } from './in-parallel';

/**
 * Every instance of a region, streamed page by page (docs/product.md#step-2-instances: the first page shows at once, the rest
 * streams in with visible progress).
 *
 * Paging: DescribeInstances offers NextToken (recommended, docs/ecs-notes.md#instance-paging) and the deprecated
 * PageNumber/PageSize. NextToken paging is strictly sequential — each token comes from the previous answer —
 * so 100 pages of a 10,000-instance region would cost 100 round trips in a row. PageNumber paging lets us ask
 * for page 1, learn TotalCount, then fetch pages 2..N concurrently, which is what makes the ≤ 4 s target
 * reachable. The price: if instances are created or released while we page, rows can shift between pages;
 * rows are de-duplicated by InstanceId below, and the next refresh fills any gap.
 */

const PAGE_SIZE = LIMITS.describeInstancesPageSize;
/**
 * Pages in flight at once: six is what a browser opens to one host over HTTP/1.1, so more would only queue;
 * it loads 10,000 instances within the 4 s target and stays polite to ECS's per-minute budget (docs/ecs-notes.md#throttling).
 */
const CONCURRENCY = 6;

/** One page as it arrived. Pages arrive out of order, so each knows its place. */
interface InstancePage {
  PageNumber: number;
  TotalCount: number;
  Instances: readonly Instance[];
}

/** The cached value: the pages received so far, by PageNumber − 1 (holes while pages are in flight). */
export interface InstancePages {
  TotalCount: number;
  pages: readonly (readonly Instance[] | undefined)[];
}

const EMPTY: InstancePages = { TotalCount: 0, pages: [] };

async function describePage(regionId: string, PageNumber: number, signal: AbortSignal): Promise<InstancePage> {
  const body = await ecsCall('DescribeInstances', { RegionId: regionId, PageNumber, PageSize: PAGE_SIZE }, signal);
  return { PageNumber, TotalCount: toCount(body.TotalCount), Instances: body.Instances?.Instance ?? [] };
}

async function* describeAllInstances(regionId: string, signal: AbortSignal): AsyncGenerator<InstancePage> {
  const first = await describePage(regionId, 1, signal);
  yield first;
  const pageCount = Math.ceil(first.TotalCount / PAGE_SIZE);
  const rest = Array.from({ length: Math.max(0, pageCount - 1) }, (_, i) => i + 2);
  yield* inParallel(rest, CONCURRENCY, (page, pageSignal) => describePage(regionId, page, pageSignal), signal);
}

function addPage(acc: InstancePages, page: InstancePage): InstancePages {
  const pages = [...acc.pages];
  pages[page.PageNumber - 1] = page.Instances;
  // The first page's TotalCount sizes the progress bar; a later page may see a slightly different count.
  return { TotalCount: page.PageNumber === 1 ? page.TotalCount : Math.max(acc.TotalCount, page.TotalCount), pages };
}

// ---------------------------------------------------------------------------------------------------------
// Rows for the screen. ECS's wire names stay as ECS spells them; what is derived is camelCase.

export interface InstanceRow {
  InstanceId: string;
  InstanceName: string;
  Status: string;
  OSType: string;
  OSName: string;
  OSNameEn: string;
  KeyPairName: string | undefined;
  ZoneId: string | undefined;
  InstanceType: string | undefined;
  privateIps: readonly string[];
  publicIps: readonly string[];
  eip: string | undefined;
  tags: readonly { TagKey: string; TagValue: string }[];
  locks: readonly { LockReason: string; LockMsg: string | undefined }[];
  isWindows: boolean;
  isLocked: boolean;
  /** Windows and locked instances cannot take a key pair (docs/product.md#step-2-instances). */
  isSelectable: boolean;
  /** Lowercase name, ID and every IP, precomputed so a keystroke filters 10,000 rows in a few ms. */
  searchText: string;
}

export interface InstancesView {
  rows: readonly InstanceRow[];
  TotalCount: number;
  /** Instances received so far (before de-duplication, so it matches the page arithmetic). */
  loaded: number;
}

export function toRow(instance: Instance): InstanceRow {
  const privateIps = instance.VpcAttributes?.PrivateIpAddress?.IpAddress ?? [];
  const innerIps = instance.InnerIpAddress?.IpAddress ?? [];
  const publicIps = instance.PublicIpAddress?.IpAddress ?? [];
  const eip = instance.EipAddress?.IpAddress || undefined;
  const locks = (instance.OperationLocks?.LockReason ?? [])
    .filter((l) => l.LockReason !== '')
    .map((l) => ({ LockReason: l.LockReason, LockMsg: l.LockMsg }));
  const isWindows = (instance.OSType ?? '').toLowerCase() === 'windows';
  const isLocked = locks.length > 0;
  const allPrivate = [...privateIps, ...innerIps];
  const name = instance.InstanceName ?? '';
  return {
    InstanceId: instance.InstanceId,
    InstanceName: name,
    Status: instance.Status,
    OSType: (instance.OSType ?? '').toLowerCase(),
    OSName: instance.OSName ?? '',
    OSNameEn: instance.OSNameEn ?? instance.OSName ?? '',
    // ECS sends it empty or leaves it out when no pair is bound (docs/ecs-notes.md#instance-fields).
    KeyPairName: instance.KeyPairName || undefined,
    ZoneId: instance.ZoneId,
    InstanceType: instance.InstanceType,
    privateIps: allPrivate,
    publicIps,
    eip,
    tags: (instance.Tags?.Tag ?? []).map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue ?? '' })),
    locks,
    isWindows,
    isLocked,
    isSelectable: !isWindows && !isLocked,
    searchText: [name, instance.InstanceId, ...allPrivate, ...publicIps, eip ?? ''].join(' ').toLowerCase(),
  };
}

/**
 * Reshaping is cached per page array: while pages stream in, only the new page is converted, and a status
 * patch (describe-instance-status.ts) re-converts only the pages it replaced.
 */
const rowsByPage = new WeakMap<readonly Instance[], readonly InstanceRow[]>();

export function selectInstancesView(data: InstancePages): InstancesView {
  const rows: InstanceRow[] = [];
  const seen = new Set<string>();
  let loaded = 0;
  for (const page of data.pages) {
    if (page === undefined) continue;
    loaded += page.length;
    let pageRows = rowsByPage.get(page);
    if (pageRows === undefined) {
      pageRows = page.map(toRow);
      rowsByPage.set(page, pageRows);
    }
    for (const row of pageRows) {
      if (seen.has(row.InstanceId)) continue;
      seen.add(row.InstanceId);
      rows.push(row);
    }
  }
  return { rows, TotalCount: data.TotalCount, loaded };
}

export const instancesQueries = {
  all: (regionId: string) => keyRoots.instances(regionId),
  list: (regionId: string) =>
    queryOptions({
      queryKey: [...keyRoots.instances(regionId), 'list'] as const,
      queryFn: streamedQuery({
        streamFn: ({ signal }) => describeAllInstances(regionId, signal),
        reducer: addPage,
        initialValue: EMPTY,
        // A refresh (after an attach, a reboot…) keeps the current list on screen and swaps in the new one
        // when it is complete, instead of emptying a 10,000-row table.
        refetchMode: 'replace',
      }),
      select: selectInstancesView,
    }),
};

/** The region's instances reshaped for the screen; the region page also reads the selected rows from here. */
export function useInstances(regionId: string) {
  return useQuery(instancesQueries.list(regionId));
}
