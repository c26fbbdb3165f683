import { RegionId } from '../../ecs/contract';

/**
 * The only source of upstream hosts (docs/product.md#upstream-host-built-by-the-proxy: "builds the upstream host itself from a known
 * region list, never from client input"; docs/conventions.md#deny-by-default). A region ID turns into a URL only when it has the
 * contract's RegionId shape (which admits no dots, slashes, `@`, colons or unicode) *and* is in the list that
 * ECS itself returned from DescribeRegions. Everything else is refused, so the proxy cannot be made into an
 * open signing relay the way aws-sigv4-proxy can (docs/conventions.md#aws-sigv4-proxy).
 */

export interface RegionDirectory {
  /**
   * Whether the region is in the cached DescribeRegions list. Refreshes the list when it is missing or older
   * than the TTL, and on a miss, at most once per `MISS_REFRESH_INTERVAL_MS`, so a stream of made-up region
   * IDs cannot turn into a stream of DescribeRegions calls. IDs that do not look like a region never trigger
   * a refresh. Rejects only when there is no list at all and it cannot be fetched.
   */
  has(regionId: string): Promise<boolean>;
  /** The known region IDs, in the order ECS listed them (refreshed like `has`). */
  list(): Promise<string[]>;
  /** Base URL for a region already known to be in the list; throws for anything else. */
  endpointFor(regionId: string): URL;
}

export type RegionEndpointMode =
  /** ECS_ENDPOINT and the simulator: one base URL serves every known region. */
  | { kind: 'fixed'; base: URL }
  /** Alibaba Cloud: `ecs.<RegionId>.aliyuncs.com` or `ecs-vpc.<RegionId>.aliyuncs.com` (docs/ecs-notes.md#endpoints). */
  | { kind: 'aliyun'; network: 'public' | 'vpc' };

export interface RegionDirectoryOptions {
  /** RegionIds from DescribeRegions (docs/ecs-notes.md#regions). IDs that fail the contract's RegionId schema are dropped. */
  fetchRegions: () => Promise<string[]>;
  mode: RegionEndpointMode;
  /** How long a fetched list is fresh; default one hour (regions change rarely). */
  ttlMs?: number;
  now?: () => number;
  /** A refresh failed while an older list was still there and is being served instead. For logs. */
  onRefreshError?: (error: unknown) => void;
}

export const DEFAULT_REGION_TTL_MS = 60 * 60_000;
/** Misses refresh the list at most this often (one refresh per 60 s on misses, so made-up region IDs cannot flood DescribeRegions). */
export const MISS_REFRESH_INTERVAL_MS = 60_000;

/** The contract's RegionId shape (ecs/contract.ts): the first gate before a string can reach a host name. */
export function isRegionIdShape(value: unknown): value is string {
  return typeof value === 'string' && RegionId.safeParse(value).success;
}

/** A region ID fit for an error message: bounded and quoted, so a hostile value cannot forge log lines. */
function shown(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function checkFixedBase(base: URL): URL {
  const problems: string[] = [];
  if (base.protocol !== 'https:' && base.protocol !== 'http:') problems.push(`protocol must be http: or https:, not ${base.protocol}`);
  if (base.username !== '' || base.password !== '') problems.push('must not carry a user name or password');
  if (base.pathname !== '/') problems.push('must have no path (ECS RPC calls go to "/")');
  if (base.search !== '' || base.hash !== '') problems.push('must have no query or fragment');
  if (problems.length > 0) throw new TypeError(`fixed ECS endpoint ${base.origin}: ${problems.join('; ')}`);
  return new URL(base.origin);
}

export function createRegionDirectory(options: RegionDirectoryOptions): RegionDirectory {
  const now = options.now ?? (() => Date.now());
  const ttlMs = options.ttlMs ?? DEFAULT_REGION_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  const mode = options.mode;
  const fixedBase = mode.kind === 'fixed' ? checkFixedBase(mode.base) : undefined;

  let regions: readonly string[] | undefined;
  let known = new Set<string>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  /** One DescribeRegions at a time: concurrent callers share the call in flight. */
  function refresh(): Promise<void> {
    inflight ??= (async () => {
      lastAttemptAt = now();
      try {
        const fetched = await options.fetchRegions();
        // Defence in depth: even ECS's own answer cannot put a host-steering string into the list.
        const valid = [...new Set(fetched.filter(isRegionIdShape))];
        regions = valid;
        known = new Set(valid);
        fetchedAt = now();
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  async function ensureFresh(): Promise<void> {
    if (regions === undefined) return refresh();
    if (now() - fetchedAt < ttlMs) return;
    // Stale: try again, but not more often than misses may, so a failing DescribeRegions is not hammered.
    if (inflight === undefined && now() - lastAttemptAt < MISS_REFRESH_INTERVAL_MS) return;
    try {
      await refresh();
    } catch (caught) {
      options.onRefreshError?.(caught);
    }
  }

  return {
    async has(regionId) {
      if (!isRegionIdShape(regionId)) return false;
      await ensureFresh();
      if (known.has(regionId)) return true;
      // A region opened since the last refresh (or a typo): look again, at a bounded rate.
      if (inflight !== undefined || now() - lastAttemptAt >= MISS_REFRESH_INTERVAL_MS) {
        try {
          await refresh();
        } catch (caught) {
          options.onRefreshError?.(caught);
        }
      }
      return known.has(regionId);
    },

    async list() {
      await ensureFresh();
      return [...(regions ?? [])];
    },

    endpointFor(regionId) {
      if (!isRegionIdShape(regionId) || !known.has(regionId)) {
        throw new Error(`no ECS endpoint for region ${shown(String(regionId))}: not in the DescribeRegions list`);
      }
      if (fixedBase !== undefined) return new URL(fixedBase.href);
      const host = `${mode.kind === 'aliyun' && mode.network === 'vpc' ? 'ecs-vpc' : 'ecs'}.${regionId}.aliyuncs.com`;
      const url = new URL(`https://${host}/`);
      // Belt and braces: the schema already rules it out, but the URL parser must not have read a different host.
      if (url.hostname !== host || url.port !== '' || url.username !== '') {
        throw new Error(`no ECS endpoint for region ${shown(regionId)}: the host does not parse back to itself`);
      }
      return url;
    },
  };
}
