import type { APIRequestContext } from '@playwright/test';
import { expect, test } from './fixtures';
import { InstancesPage } from './pages/instances-page';
import { E2E_SERVERS, screenshotPath } from './servers';

/**
 * Journey 11: a region of 10,000 instances loads completely in the browser and the filters narrow it. A
 * functional check only: how fast it loads and filters is measured by `npm run bench -- web`, not here.
 */
const REGION = 'cn-hangzhou';
const LARGE = E2E_SERVERS.large.url;

test.use({ baseURL: LARGE });

interface Page100 {
  TotalCount: number;
  Instances: { Instance: { InstanceId: string; InstanceName: string }[] };
}

/** One page of DescribeInstances through the proxy, optionally filtered by status (ECS counts the matches). */
async function describe(request: APIRequestContext, params: Record<string, unknown>): Promise<Page100> {
  const res = await request.post(`${LARGE}/api/ecs/DescribeInstances`, {
    data: { RegionId: REGION, ...params },
    headers: { origin: LARGE },
  });
  expect(res.ok(), await res.text()).toBe(true);
  return (await res.json()) as Page100;
}

test('a region of 10,000 instances loads completely and filters narrow it', async ({ page, request, largeSim }) => {
  const state = await largeSim.state();
  expect(state.regions.find((r) => r.RegionId === REGION)?.instances).toBe(10_000);
  // The last instance ECS lists, to check that the browser got every page.
  const last = (await describe(request, { PageSize: 100, PageNumber: 100 })).Instances.Instance.at(-1);
  if (last === undefined) throw new Error('DescribeInstances gave no 100th page');

  const instances = new InstancesPage(page);
  await instances.goto(REGION);
  await expect(instances.loadedStatus).toHaveText('10,000 instances in this region');
  // The table knows every row (it is virtualized: only the rows in view are in the DOM).
  await expect(instances.table(REGION)).toHaveAttribute('aria-rowcount', String(10_000 + 1));
  await page.screenshot({ path: screenshotPath('scale-10000') });

  // Text search finds the very last instance ECS listed, so every page arrived.
  await instances.search(last.InstanceId);
  await expect(instances.rows()).toHaveCount(1);
  await expect(instances.rowCheckbox(last.InstanceId)).toBeVisible();
  await expect(instances.loadedStatus).toHaveText('10,000 instances in this region · 1 of 10,000 match');
  await expect(instances.table(REGION)).toHaveAttribute('aria-rowcount', '2');

  // A status filter narrows to exactly what ECS counts; the filter lives in the link.
  await instances.clearFiltersButton.click();
  await expect(instances.searchBox).toHaveValue('');
  await expect(instances.table(REGION)).toHaveAttribute('aria-rowcount', String(10_000 + 1));
  // The seeded fleet has a few instances starting or stopping; they settle within seconds of the reset, and the
  // console follows them (DescribeInstanceStatus polls). Compare the filter with ECS once they have settled.
  const settling = async () => {
    const region = (await largeSim.state()).regions.find((r) => r.RegionId === REGION) as { byStatus?: Record<string, number> } | undefined;
    return (region?.byStatus?.['Starting'] ?? 0) + (region?.byStatus?.['Stopping'] ?? 0);
  };
  await expect.poll(settling, { timeout: 15_000 }).toBe(0);
  const stoppedCount = (await describe(request, { PageSize: 1, Status: 'Stopped' })).TotalCount;
  expect(stoppedCount).toBeGreaterThan(0);
  await instances.filterStatus('Stopped');
  await expect(page).toHaveURL(/[?&]status=Stopped(&|$)/);
  const matching = `${stoppedCount.toLocaleString('en-US')} of 10,000 match`;
  await expect(instances.loadedStatus).toHaveText(`10,000 instances in this region · ${matching}`, { timeout: 20_000 });
  await expect(instances.table(REGION)).toHaveAttribute('aria-rowcount', String(stoppedCount + 1));
  // Of the rows rendered, every one is stopped.
  await expect(
    instances
      .rows()
      .filter({ has: page.getByRole('cell', { name: 'Stopped', exact: true }) })
      .first(),
  ).toBeVisible();
  await expect(instances.rows().filter({ hasNot: page.getByRole('cell', { name: 'Stopped', exact: true }) })).toHaveCount(0);

  // Narrower still: stopped Linux instances, all selectable at once.
  await instances.filterOs('Linux');
  const selected = await instances.selectAllMatching();
  expect(selected).toBeGreaterThan(0);
  expect(selected).toBeLessThan(stoppedCount);
  await page.screenshot({ path: screenshotPath('scale-filtered') });
});
