import type { APIRequestContext } from '@playwright/test';
import { expect } from './fixtures';
import { E2E_SERVERS } from './servers';

/** One instance as a spec needs it to choose targets. */
export interface FleetInstance {
  InstanceId: string;
  InstanceName: string;
  Status: string;
  OSType: string;
  KeyPairName: string | undefined;
  isLocked: boolean;
  /** The first OperationLocks reason (`security`, `financial`, …), if locked. */
  lockReason: string | undefined;
}

interface WireInstance {
  InstanceId: string;
  InstanceName?: string;
  Status: string;
  OSType?: string;
  KeyPairName?: string;
  OperationLocks?: { LockReason?: { LockReason?: string }[] };
}

/**
 * Every instance of a region, read through the console's own proxy API (read-only DescribeInstances, as the
 * browser calls it), so a spec can choose its targets from the simulator's current, freshly reset fleet.
 */
export async function listInstances(
  request: APIRequestContext,
  regionId: string,
  baseUrl: string = E2E_SERVERS.main.url,
): Promise<FleetInstance[]> {
  const out: FleetInstance[] = [];
  for (let page = 1; ; page++) {
    const res = await request.post(`${baseUrl}/api/ecs/DescribeInstances`, {
      data: { RegionId: regionId, PageSize: 100, PageNumber: page },
      headers: { origin: baseUrl },
    });
    expect(res.ok(), await res.text()).toBe(true);
    const body = (await res.json()) as { TotalCount?: number | string; Instances?: { Instance?: WireInstance[] } };
    const batch = body.Instances?.Instance ?? [];
    for (const i of batch) {
      out.push({
        InstanceId: i.InstanceId,
        InstanceName: i.InstanceName ?? '',
        Status: i.Status,
        OSType: i.OSType ?? '',
        KeyPairName: i.KeyPairName ? i.KeyPairName : undefined,
        isLocked: (i.OperationLocks?.LockReason?.length ?? 0) > 0,
        lockReason: i.OperationLocks?.LockReason?.[0]?.LockReason,
      });
    }
    if (batch.length === 0 || out.length >= Number(body.TotalCount ?? 0)) return out;
  }
}

/** Linux, unlocked: the instances the console lets an operator select. */
export function isSelectable(i: FleetInstance): boolean {
  return i.OSType === 'linux' && !i.isLocked;
}

/** InstanceIds the server remembers as "key pair attached, not yet rebooted or started" (GET /api/pending). */
export async function pendingIds(
  request: APIRequestContext,
  regionId: string,
  baseUrl: string = E2E_SERVERS.main.url,
): Promise<Set<string>> {
  const res = await request.get(`${baseUrl}/api/pending?RegionId=${encodeURIComponent(regionId)}`);
  expect(res.ok(), await res.text()).toBe(true);
  const body = (await res.json()) as { Pending: { InstanceId: string }[] };
  return new Set(body.Pending.map((p) => p.InstanceId));
}

/** How many of `ids` are still pending activation. */
export async function countPending(
  request: APIRequestContext,
  regionId: string,
  ids: readonly string[],
  baseUrl?: string,
): Promise<number> {
  const pending = await pendingIds(request, regionId, baseUrl);
  return ids.filter((id) => pending.has(id)).length;
}
