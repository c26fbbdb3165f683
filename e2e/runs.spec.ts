import type { Page } from '@playwright/test';
import { expect, requestInstanceIds, test, type SimControl } from './fixtures';
import { isSelectable, listInstances, type FleetInstance } from './fleet';
import { InstancesPage } from './pages/instances-page';
import { RunPage } from './pages/run-page';
import { screenshotPath } from './servers';

/**
 * Runs executed by the proxy (docs/product.md#step-7-activation): the browser only creates, follows and controls
 * them. Side effects are read at the simulator (its request record and its instances), not from the screen.
 */
const REGION = 'cn-hangzhou';
const KEY = 'ops-team';

async function runningTargets(request: Parameters<typeof listInstances>[0], count: number): Promise<FleetInstance[]> {
  const fleet = await listInstances(request, REGION);
  const found = fleet.filter((i) => isSelectable(i) && i.Status === 'Running' && i.KeyPairName !== KEY).slice(0, count);
  if (found.length < count) throw new Error(`${REGION} has fewer than ${count} running Linux instances without ${KEY}`);
  return found;
}

/** Selects exactly `targets` (the list filtered to their IDs), picks the key pair and opens the review. */
async function review(page: Page, targets: readonly FleetInstance[]) {
  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids: targets.map((t) => t.InstanceId) });
  await expect(instances.rows()).toHaveCount(targets.length);
  await instances.selectAllMatching();
  await instances.chooseKeyPair(KEY);
  return instances.reviewAndAttach();
}

/** Chooses "reboot in waves of `size`" in the review's activation policy. */
async function chooseWaves(page: Page, size: number): Promise<void> {
  const activation = page.getByRole('dialog').getByRole('group', { name: 'Activation' });
  await activation.getByRole('radio', { name: 'Reboot the running instances in waves' }).check();
  await activation.getByRole('spinbutton', { name: 'Wave size' }).fill(String(size));
}

/** RebootInstances calls per instance, as the simulator received them. */
async function rebootsPerInstance(sim: SimControl): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const r of await sim.requests()) {
    if (r.action !== 'RebootInstances' || r.status !== 200) continue;
    for (const id of requestInstanceIds(r)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

test('a run goes on when its page is closed, and a new page follows it to the end', async ({ page, context, sim, request }) => {
  const targets = await runningTargets(request, 8);
  const dialog = await review(page, targets);
  await chooseWaves(page, 4);
  await expect(dialog.dialog.getByRole('region', { name: 'Activation preview' })).toContainText(
    '2 waves: 4, 4; at most 4 instances rebooting at once',
  );
  await dialog.confirmButton.click();
  const run = new RunPage(page);
  await page.waitForURL(/\/runs\/[^/]+$/);
  const id = run.id();
  await run.waitForState('Running');
  await page.close();

  // A new page, reached the way a colleague would: the header's Runs link, then the run in the list.
  const other = await context.newPage();
  await other.goto('/');
  await other
    .getByRole('link', { name: 'Runs' })
    .or(other.getByRole('button', { name: 'Runs' }))
    .first()
    .click();
  const list = other.getByRole('table', { name: 'Runs, in progress first' });
  await expect(list).toBeVisible();
  await list
    .getByRole('link', { name: new RegExp(`Attach key pair ${KEY}`) })
    .first()
    .click();
  await other.waitForURL(new RegExp(`/runs/${id}$`));
  const followed = new RunPage(other);
  await followed.waitForState('Completed', 90_000);
  await expect(followed.wave(1)).toContainText('Done');
  await expect(followed.wave(2)).toContainText('Done');
  await expect(followed.filters.getByRole('button', { name: `Active (${targets.length})` })).toBeVisible();
  await other.screenshot({ path: screenshotPath('run-page') });

  // The truth at the simulator: every instance has the key, is Running, and was rebooted exactly once.
  const reboots = await rebootsPerInstance(sim);
  for (const target of targets) {
    const record = await sim.instance(target.InstanceId);
    expect(record['KeyPairName']).toBe(KEY);
    expect(record['Status']).toBe('Running');
    expect(reboots.get(target.InstanceId), target.InstanceId).toBe(1);
  }
});

test('reboot waves pause and resume, and never take more than a wave out of Running', async ({ page, sim, request }) => {
  // Slow boots, so there is time to pause while wave 1 reboots.
  await sim.control({ transitionMs: { stopping: 2000, starting: 4000 } });
  const targets = await runningTargets(request, 6);
  const dialog = await review(page, targets);
  await chooseWaves(page, 2);
  await dialog.confirmButton.click();
  await page.waitForURL(/\/runs\/[^/]+$/);
  const run = new RunPage(page);

  // Sample the simulator while the run goes on: at most one wave (2 instances) out of Running at once.
  let sampling = true;
  let maxDown = 0;
  const sampler = (async () => {
    while (sampling) {
      const statuses = await Promise.all(targets.map(async (t) => (await sim.instance(t.InstanceId))['Status']));
      maxDown = Math.max(maxDown, statuses.filter((s) => s !== 'Running').length);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  await expect(run.wave(1)).toContainText('Rebooting');
  await run.pauseButton.click();
  await run.waitForState('Paused');
  await expect(run.resumeButton).toBeVisible();
  // Wave 1 finishes (its reboots were sent), but wave 2 is not sent while the run is paused.
  await expect(run.wave(1)).toContainText('Done', { timeout: 30_000 });
  await page.waitForTimeout(3000);
  await expect(run.wave(2)).toContainText('Waiting');
  const whilePaused = await rebootsPerInstance(sim);
  expect([...whilePaused.values()].reduce((a, b) => a + b, 0)).toBe(2);
  await page.screenshot({ path: screenshotPath('run-paused') });

  await run.resumeButton.click();
  await run.waitForState('Completed', 90_000);
  sampling = false;
  await sampler;
  expect(maxDown).toBeLessThanOrEqual(2);
  const reboots = await rebootsPerInstance(sim);
  for (const target of targets) expect(reboots.get(target.InstanceId), target.InstanceId).toBe(1);
});

test('a pending instance is activated from its row in the list, after a reload', async ({ page, sim, request }) => {
  const [target] = await runningTargets(request, 1);
  if (target === undefined) throw new Error('no target');
  const dialog = await review(page, [target]);
  const run = await dialog.confirm();
  await run.waitForState('Completed');
  await expect(run.rowState(target.InstanceId)).toContainText('Left pending');

  // The pending mark lives on the server: a reload (or another operator) sees it and can act on it.
  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids: [target.InstanceId] });
  await page.reload();
  await instances.waitForLoaded();
  await expect(instances.pendingBadge(target.InstanceId)).toBeVisible();
  await instances.row(target.InstanceId).getByRole('button', { name: 'Reboot', exact: true }).click();
  const confirm = page.getByRole('dialog', { name: `Reboot ${target.InstanceName}?` });
  await expect(confirm).toContainText('gracefully');
  await confirm.getByRole('button', { name: 'Reboot now' }).click();
  await page.waitForURL(/\/runs\/[^/]+$/);
  const activation = new RunPage(page);
  await activation.waitForState('Completed', 60_000);
  await expect(activation.facts).toContainText('Activate pending key pairs');
  await expect(activation.rowState(target.InstanceId)).toContainText('Key active (inferred from the reboot).');

  // Exactly one reboot reached ECS, and the list no longer marks the instance pending.
  const reboots = await rebootsPerInstance(sim);
  expect(reboots.get(target.InstanceId)).toBe(1);
  await instances.goto(REGION, { ids: [target.InstanceId] });
  await expect(instances.cell(target.InstanceId, 'keyPair')).toHaveText(KEY);
  await expect(instances.pendingBadge(target.InstanceId)).toHaveCount(0);
});
