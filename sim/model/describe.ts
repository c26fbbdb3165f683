import type { RequestOf } from '../../ecs/contract';
import { REGIONS } from './fleet';
import { normaliseMd5 } from '../../ecs/ssh-keys';
import { keyPairsOf, requireRegion, settle, settleRegion } from './model';
import type { RegionState, SimInstance, Slot, World } from './model';
import { DEFAULT_PAGE_SIZE, decodeNextToken, encodeNextToken, pageOf, wildcardMatcher } from './paging';

/** The read-only actions. Each returns the response body without RequestId; the simulator adds it. */

type Body = Record<string, unknown>;

/** DescribeRegions (docs/ecs-notes.md#regions): LocalName follows AcceptLanguage, zh-CN by default. */
export function describeRegions(_world: World, req: RequestOf<'DescribeRegions'>): Body {
  // Only zh-CN and en-US names are modelled; the other accepted languages fall back to English.
  const isChinese = (req.AcceptLanguage ?? 'zh-CN') === 'zh-CN';
  return {
    Regions: {
      Region: REGIONS.map((r) => ({
        RegionId: r.RegionId,
        LocalName: isChinese ? r.zh : r.en,
        RegionEndpoint: `ecs.${r.RegionId}.aliyuncs.com`,
        Status: 'available',
      })),
    },
  };
}

/** Instances named in an ID filter that live in this region, in listing order; others are simply absent. */
function slotsById(world: World, region: RegionState, ids: readonly string[]): Slot[] {
  const found = new Set<Slot>();
  for (const id of ids) {
    const slot = world.fleet.byId.get(id);
    if (slot !== undefined && slot.region === region) found.add(slot);
  }
  return [...found].sort((a, b) => a.order - b.order);
}

function instanceFilters(req: RequestOf<'DescribeInstances'>): ((data: SimInstance) => boolean)[] {
  const filters: ((data: SimInstance) => boolean)[] = [];
  const { Status, KeyPairName, InstanceName, ZoneId, VpcId, Tag } = req;
  if (Status !== undefined) filters.push((d) => d.Status === Status);
  if (KeyPairName !== undefined) filters.push((d) => d.KeyPairName === KeyPairName);
  if (InstanceName !== undefined) {
    const matches = wildcardMatcher(InstanceName);
    filters.push((d) => matches(d.InstanceName));
  }
  if (ZoneId !== undefined) filters.push((d) => d.ZoneId === ZoneId);
  if (VpcId !== undefined) filters.push((d) => d.VpcAttributes.VpcId === VpcId);
  // Tag.N filters AND together; a key without a value matches any value (docs/ecs-notes.md#instance-filters).
  for (const tag of Tag ?? []) {
    filters.push((d) => (d.Tags.Tag ?? []).some((t) => t.TagKey === tag.Key && (tag.Value === undefined || t.TagValue === tag.Value)));
  }
  return filters;
}

/**
 * DescribeInstances (docs/ecs-notes.md#describe-instances). The unfiltered case slices the region's precomputed,
 * sorted array, so a 100-row page of a 10,000-instance region costs 100 shallow copies. Token paging wins over
 * page numbers whenever NextToken or MaxResults is present (docs/ecs-notes.md#instance-paging).
 */
export function describeInstances(world: World, req: RequestOf<'DescribeInstances'>): Body {
  const region = requireRegion(world, req.RegionId);
  settleRegion(region, world.now);
  let rows: readonly Slot[] = req.InstanceIds === undefined ? region.slots : slotsById(world, region, req.InstanceIds);
  const filters = instanceFilters(req);
  if (filters.length > 0) rows = rows.filter((slot) => filters.every((f) => f(slot.data)));

  const isTokenPaging = req.NextToken !== undefined || req.MaxResults !== undefined;
  if (isTokenPaging) {
    const size = req.MaxResults ?? DEFAULT_PAGE_SIZE;
    const offset = req.NextToken ? decodeNextToken(region.info.RegionId, req.NextToken) : 0;
    const page = rows.slice(offset, offset + size);
    const next = offset + size < rows.length ? encodeNextToken(region.info.RegionId, offset + size) : '';
    return {
      TotalCount: rows.length,
      PageNumber: Math.floor(offset / size) + 1,
      PageSize: size,
      // Empty on the last page: ECS's own end-of-list signal (docs/ecs-notes.md#instance-paging).
      NextToken: next,
      Instances: { Instance: page.map((slot) => ({ ...slot.data })) },
    };
  }
  const pageNumber = req.PageNumber ?? 1;
  const pageSize = req.PageSize ?? DEFAULT_PAGE_SIZE;
  return {
    TotalCount: rows.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    Instances: { Instance: pageOf(rows, pageNumber, pageSize).map((slot) => ({ ...slot.data })) },
  };
}

/**
 * DescribeKeyPairs (docs/ecs-notes.md#describe-key-pairs): wildcard name, fingerprint, PageSize ≤ 50; PublicKey
 * only with IncludePublicKey=true. Fingerprints are 32 lowercase hex digits (docs/ecs-notes.md#fingerprints); the
 * filter also takes the colon form, compared after normalising (whether ECS does is unconfirmed).
 */
export function describeKeyPairs(world: World, req: RequestOf<'DescribeKeyPairs'>): Body {
  const region = requireRegion(world, req.RegionId);
  let pairs = keyPairsOf(region);
  if (req.KeyPairName !== undefined) {
    const matches = wildcardMatcher(req.KeyPairName);
    pairs = pairs.filter((p) => matches(p.KeyPairName));
  }
  const { KeyPairFingerPrint } = req;
  if (KeyPairFingerPrint !== undefined) {
    const wanted = normaliseMd5(KeyPairFingerPrint);
    pairs = pairs.filter((p) => normaliseMd5(p.KeyPairFingerPrint) === wanted);
  }
  const pageNumber = req.PageNumber ?? 1;
  const pageSize = req.PageSize ?? DEFAULT_PAGE_SIZE;
  const withKey = req.IncludePublicKey === true;
  return {
    TotalCount: pairs.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    KeyPairs: {
      KeyPair: pageOf(pairs, pageNumber, pageSize).map(({ PublicKey, ...pair }) => (withKey ? { ...pair, PublicKey } : pair)),
    },
  };
}

/** DescribeInstanceStatus (docs/ecs-notes.md#instance-status-polling): the cheap poller, PageSize 1–50. */
export function describeInstanceStatus(world: World, req: RequestOf<'DescribeInstanceStatus'>): Body {
  const region = requireRegion(world, req.RegionId);
  let rows: readonly Slot[] = req.InstanceId === undefined ? region.slots : slotsById(world, region, req.InstanceId);
  const { ZoneId } = req;
  if (ZoneId !== undefined) rows = rows.filter((slot) => slot.data.ZoneId === ZoneId);
  const pageNumber = req.PageNumber ?? 1;
  const pageSize = req.PageSize ?? DEFAULT_PAGE_SIZE;
  return {
    TotalCount: rows.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    InstanceStatuses: {
      InstanceStatus: pageOf(rows, pageNumber, pageSize).map((slot) => {
        settle(slot, world.now);
        return { InstanceId: slot.data.InstanceId, Status: slot.data.Status };
      }),
    },
  };
}
