import { screenshotPath } from './servers';
import { readFile } from 'node:fs/promises';
import type { Request, Route } from '@playwright/test';
import { expect, test } from './fixtures';
import { countPending, isSelectable, listInstances } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'cn-hangzhou';
const KEY = 'sre-oncall';
const COUNT = 120;

/**
 * Journey 2: 120 instances chosen by filters (a link naming them, narrowed to running Linux) and "Select all
 * matching"; a typed confirmation; three AttachKeyPair calls of at most 50; a progress bar that moves as each
 * call answers; all 120 results shown and exported.
 */
test('120 instances selected by filter are attached in three batches with a progress bar', async ({ page, sim, request }) => {
  const fleet = await listInstances(request, REGION);
  const chosen = fleet.filter((i) => isSelectable(i) && i.Status === 'Running').slice(0, COUNT);
  expect(chosen).toHaveLength(COUNT);
  const chosenIds = chosen.map((i) => i.InstanceId);

  // Every AttachKeyPair call the browser makes, held until the test lets it through, so the progress bar can be
  // seen between answers. Each call still goes to the real proxy and the simulated ECS.
  const attachCalls: Request[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/ecs/AttachKeyPair') attachCalls.push(req);
  });
  const held: Route[] = [];
  await page.route('**/api/ecs/AttachKeyPair', (route) => {
    held.push(route);
  });

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
  await expect(review.confirmButton).toBeDisabled();
  await expect(review.confirmButton).toHaveAccessibleDescription('Type the key pair name exactly to confirm a change this large.');
  await review.typeConfirmation(KEY.toUpperCase());
  await expect(review.confirmButton).toBeDisabled();
  await review.typeConfirmation(KEY);
  await expect(review.confirmButton).toBeEnabled();
  await page.screenshot({ path: screenshotPath('review-typed-confirmation') });
  const results = await review.confirm();

  // Three calls go out at once (at most three in flight), none answered yet.
  await expect.poll(() => held.length).toBe(3);
  await expect(results.dialog).toHaveAccessibleName(`Attaching ${KEY}`);
  await results.expectProgress(0, COUNT);
  await expect(results.cancelButton).toBeVisible();
  await expect(results.outcomeChip('Waiting', COUNT)).toBeVisible();
  const batches = attachCalls.map((req) => (req.postDataJSON() as { InstanceIds: string[] }).InstanceIds);
  expect(batches.map((b) => b.length).sort((a, b) => a - b)).toEqual([20, 50, 50]);
  for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(50);
  expect(batches.flat().sort()).toEqual([...chosenIds].sort());
  for (const req of attachCalls) expect(req.postDataJSON()).toMatchObject({ RegionId: REGION, KeyPairName: KEY });

  // The bar moves as each call answers.
  let done = 0;
  for (const route of held) {
    await route.continue();
    done += (route.request().postDataJSON() as { InstanceIds: string[] }).InstanceIds.length;
    await results.expectProgress(done, COUNT);
    if (done < COUNT) {
      await expect(results.outcomeChip('Attached', done)).toBeVisible();
      await page.screenshot({ path: screenshotPath('attach-progress') });
    }
  }
  await results.waitForDone();
  expect(attachCalls).toHaveLength(3);

  // All 120 results, each a success, every row present in the (virtualized) table.
  await expect(results.outcomeChip('Attached', COUNT)).toBeVisible();
  await expect(results.outcomeChip('Failed', 0)).toBeVisible();
  await expect(results.table).toHaveAttribute('aria-rowcount', String(COUNT + 1));
  await expect(results.rebootAllButton).toHaveText(`Reboot all ${COUNT} running`);
  const rows = await results.allRows();
  expect([...rows.keys()].sort()).toEqual([...chosenIds].sort());
  for (const [id, cells] of rows) expect(cells[1], id).toBe('Attached');
  // Three calls, three request IDs, each shared by its batch.
  expect(new Set([...rows.values()].map((cells) => cells[2])).size).toBe(3);

  // The CSV export carries the same 120 outcomes.
  const [download] = await Promise.all([page.waitForEvent('download'), results.exportCsvButton.click()]);
  const csv = (await readFile(await download.path(), 'utf8'))
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r\n/);
  expect(csv[0]).toBe('InstanceId,InstanceName,Result,Code,Message,RequestId,StatusAtAttach,FollowUp');
  expect(csv).toHaveLength(COUNT + 1);
  for (const line of csv.slice(1)) expect(line.split(',')[2]).toBe('succeeded');

  // And ECS agrees.
  const after = await listInstances(request, REGION);
  const withKey = new Set(after.filter((i) => i.KeyPairName === KEY).map((i) => i.InstanceId));
  for (const id of chosenIds) expect(withKey.has(id), id).toBe(true);
  expect((await sim.instance(chosenIds[COUNT - 1] ?? ''))['KeyPairName']).toBe(KEY);

  // The server remembers all 120 as waiting for a reboot; "Reboot all 120 running" sends them in batch calls of at
  // most 100 (RebootInstances), after which none is pending any more (and later specs see no stale badges).
  expect(await countPending(request, REGION, chosenIds)).toBe(COUNT);
  const rebootCalls: Request[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/ecs/RebootInstances') rebootCalls.push(req);
  });
  await results.rebootAllButton.click();
  await expect.poll(() => countPending(request, REGION, chosenIds)).toBe(0);
  const rebootBatches = rebootCalls.map((req) => (req.postDataJSON() as { InstanceId: string[] }).InstanceId);
  expect(rebootBatches.map((b) => b.length).sort((a, b) => a - b)).toEqual([20, 100]);
  expect(rebootBatches.flat().sort()).toEqual([...chosenIds].sort());
  for (const req of rebootCalls) expect(req.postDataJSON()).not.toHaveProperty('ForceReboot');
});
