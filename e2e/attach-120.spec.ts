import { screenshotPath } from './servers';
import { readFile } from 'node:fs/promises';
import { expect, requestInstanceIds, test } from './fixtures';
import { countPending, isSelectable, listInstances } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'cn-hangzhou';
const KEY = 'sre-oncall';
const COUNT = 120;

/**
 * Journey 2: 120 instances chosen by filters (a link naming them, narrowed to running Linux) and "Select all
 * matching"; a typed confirmation; a run on the server that attaches in three AttachKeyPair calls of at most 50
 * and reboots in two waves of 60 (RebootInstances, at most 100 per call); all 120 rows shown and exported.
 * Calls are counted where they land: at the simulated ECS.
 */
test('120 instances selected by filter are attached in three batches and rebooted in two waves', async ({ page, sim, request }) => {
  const fleet = await listInstances(request, REGION);
  const chosen = fleet.filter((i) => isSelectable(i) && i.Status === 'Running' && i.KeyPairName !== KEY).slice(0, COUNT);
  expect(chosen).toHaveLength(COUNT);
  const chosenIds = chosen.map((i) => i.InstanceId);
  // Quick boots: the waves are about order and batching here, not about waiting.
  await sim.control({ transitionMs: { stopping: 300, starting: 500 } });

  const instances = new InstancesPage(page);
  await instances.goto(REGION, { status: 'Running', os: 'linux', ids: chosenIds });
  await expect(instances.filters.getByText(`Only the ${COUNT} instances from a link`)).toBeVisible();
  await expect(instances.statusFilter).toHaveText('Running');
  await expect(instances.osFilter).toHaveText('Linux');
  await expect(instances.selectAllButton).toHaveText(`Select all ${COUNT} matching`);
  expect(await instances.selectAllMatching()).toBe(COUNT);
  expect(await instances.selectedCount()).toBe(COUNT);
  await instances.chooseKeyPair(KEY);

  // More than 20 instances: the key pair name must be typed, exactly.
  const review = await instances.reviewAndAttach();
  await expect(review.dialog).toHaveAccessibleName(`Review: attach ${KEY} to ${COUNT} instances`);
  await expect(review.summary).toContainText(`Running, takes effect after a reboot: ${COUNT}`);
  await expect(review.planTable).toHaveAttribute('aria-rowcount', String(COUNT + 1));
  await review.chooseWaves(60);
  await expect(review.preview).toContainText('2 waves: 60, 60; at most 60 instances rebooting at once');
  await expect(review.confirmButton).toBeDisabled();
  await expect(review.confirmButton).toHaveAccessibleDescription('Type the key pair name exactly to confirm a change this large.');
  await review.typeConfirmation(KEY.toUpperCase());
  await expect(review.confirmButton).toBeDisabled();
  await review.typeConfirmation(KEY);
  await expect(review.confirmButton).toBeEnabled();
  await page.screenshot({ path: screenshotPath('review-typed-confirmation') });
  const run = await review.confirm();
  await run.waitForState('Completed', 90_000);

  // At the simulator: three AttachKeyPair calls of at most 50 covering the 120 exactly, then RebootInstances of
  // the two waves, graceful, each instance once.
  const received = (await sim.requests()).filter((r) => r.status === 200);
  const attaches = received.filter((r) => r.action === 'AttachKeyPair').map(requestInstanceIds);
  expect(attaches.map((b) => b.length).sort((a, b) => a - b)).toEqual([20, 50, 50]);
  expect(attaches.flat().sort()).toEqual([...chosenIds].sort());
  const reboots = received.filter((r) => r.action === 'RebootInstances');
  expect(reboots.map((r) => requestInstanceIds(r).length)).toEqual([60, 60]);
  expect(reboots.flatMap(requestInstanceIds).sort()).toEqual([...chosenIds].sort());
  for (const r of reboots) {
    expect(r.params['ForceReboot']).toBeUndefined();
    expect(r.params['BatchOptimization']).toBe('SuccessFirst');
  }

  // All 120 rows, each active, in the (virtualized) table and in its CSV export.
  await expect(run.filters.getByRole('button', { name: `Active (${COUNT})` })).toBeVisible();
  await expect(run.instances).toHaveAttribute('aria-rowcount', String(COUNT + 1));

  // The CSV export carries the same 120 outcomes.
  const [download] = await Promise.all([page.waitForEvent('download'), run.exportCsvButton.click()]);
  const csv = (await readFile(await download.path(), 'utf8'))
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r\n/);
  const header = csv[0]?.split(',') ?? [];
  expect(header.slice(0, 3)).toEqual(['InstanceId', 'InstanceName', 'ZoneId']);
  expect(csv).toHaveLength(COUNT + 1);
  const state = header.indexOf('State');
  const evidence = header.indexOf('Evidence');
  expect(
    csv
      .slice(1)
      .map((line) => line.split(',')[0])
      .sort(),
  ).toEqual([...chosenIds].sort());
  for (const line of csv.slice(1)) {
    expect(line.split(',')[state]).toBe('active');
    expect(line.split(',')[evidence]).toBe('inferred-reboot');
  }

  // And ECS agrees; none of them is pending any more (later specs see no stale badges).
  const after = await listInstances(request, REGION);
  const withKey = new Set(after.filter((i) => i.KeyPairName === KEY).map((i) => i.InstanceId));
  for (const id of chosenIds) expect(withKey.has(id), id).toBe(true);
  expect(await countPending(request, REGION, chosenIds)).toBe(0);
});
