import { screenshotPath } from './servers';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { listInstances, type FleetInstance } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'cn-shanghai';

function matches(i: FleetInstance, { status, os, q }: { status?: string; os?: string; q?: string }): boolean {
  // Transitional instances settle within seconds of the reset (Stopping → Stopped, Starting → Running).
  const settled = i.Status === 'Stopping' ? 'Stopped' : i.Status === 'Starting' ? 'Running' : i.Status;
  return (
    (status === undefined || settled === status) &&
    (os === undefined || i.OSType === os) &&
    (q === undefined || `${i.InstanceName} ${i.InstanceId}`.toLowerCase().includes(q))
  );
}

/** The query string of the page, as a plain object (order-independent). */
function query(page: Page): Record<string, string> {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

/**
 * Journey 8: a link carrying the region and filters opens exactly that view — region picker, filter controls and
 * table — and every filter change is written back to the URL, so the link in the address bar is always shareable.
 */
test('a deep link with region and filters reproduces the view, and filter changes update the link', async ({ page, sim, request }) => {
  const fleet = await listInstances(request, REGION);
  expect((await sim.state()).regions.find((r) => r.RegionId === REGION)?.instances).toBe(fleet.length);
  const stoppedWeb = fleet.filter((i) => matches(i, { status: 'Stopped', os: 'linux', q: 'web' }));
  const runningWeb = fleet.filter((i) => matches(i, { status: 'Running', os: 'linux', q: 'web' }));
  expect(stoppedWeb.length).toBeGreaterThan(0);
  expect(runningWeb.length).toBeGreaterThan(0);

  const instances = new InstancesPage(page);
  await instances.goto(REGION, 'status=Stopped&os=linux&q=web');

  // The controls show what the link says.
  await expect(instances.regionPicker).toHaveText(`China (Shanghai) (${REGION})`);
  await expect(instances.table(REGION)).toBeVisible();
  await expect(instances.searchBox).toHaveValue('web');
  await expect(instances.statusFilter).toHaveText('Stopped');
  await expect(instances.osFilter).toHaveText('Linux');
  await expect(instances.tagFilter).toHaveValue('');
  await expect(instances.clearFiltersButton).toBeEnabled();
  // The table shows only the matching instances.
  await expect(instances.loadedStatus).toHaveText(
    `${fleet.length} instances in this region · ${stoppedWeb.length} of ${fleet.length} match`,
  );
  await expect(instances.rows()).toHaveCount(stoppedWeb.length);
  for (const i of stoppedWeb) {
    await expect(instances.cell(i.InstanceId, 'name')).toContainText(i.InstanceName);
    await expect(instances.cell(i.InstanceId, 'status')).toHaveText('Stopped');
    await expect(instances.cell(i.InstanceId, 'os')).toContainText('Linux');
  }
  await page.screenshot({ path: screenshotPath('deep-link') });

  // Each change is written to the URL (and the other filters stay).
  await instances.filterStatus('Running');
  await expect.poll(() => query(page)).toEqual({ status: 'Running', os: 'linux', q: 'web' });
  await expect(instances.rows()).toHaveCount(runningWeb.length);
  for (const i of runningWeb) await expect(instances.cell(i.InstanceId, 'status')).toHaveText('Running');

  await instances.search('web-prod');
  await expect.poll(() => query(page)).toEqual({ status: 'Running', os: 'linux', q: 'web-prod' });
  await instances.filterOs('Any');
  await expect.poll(() => query(page)).toEqual({ status: 'Running', q: 'web-prod' });
  await instances.filterTag('env=prod');
  await expect.poll(() => query(page)).toEqual({ status: 'Running', q: 'web-prod', tag: 'env=prod' });
  const runningWebProd = fleet.filter((i) => matches(i, { status: 'Running', q: 'web-prod' }));
  await expect(instances.rows()).toHaveCount(runningWebProd.length);

  // The URL in the address bar reopens the same view.
  await page.reload();
  await instances.waitForLoaded();
  await expect(instances.searchBox).toHaveValue('web-prod');
  await expect(instances.statusFilter).toHaveText('Running');
  await expect(instances.tagFilter).toHaveValue('env=prod');
  await expect(instances.rows()).toHaveCount(runningWebProd.length);

  // Another region keeps the filters that make sense everywhere.
  await instances.regionPicker.click();
  await page.getByRole('option', { name: 'China (Beijing) (cn-beijing)' }).click();
  await expect(page).toHaveURL(/\/regions\/cn-beijing\?/);
  await expect.poll(() => query(page)).toEqual({ status: 'Running', q: 'web-prod', tag: 'env=prod' });
  await expect(instances.table('cn-beijing')).toBeVisible();
  await expect(instances.regionPicker).toHaveText('China (Beijing) (cn-beijing)');

  // Clearing the filters clears the URL.
  await instances.clearFiltersButton.click();
  await expect.poll(() => query(page)).toEqual({});
  await expect(instances.searchBox).toHaveValue('');
  await expect(instances.clearFiltersButton).toBeDisabled();
});
