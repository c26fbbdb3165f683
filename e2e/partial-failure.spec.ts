import { screenshotPath } from './servers';
import { expect, requestInstanceIds, test } from './fixtures';
import { countPending, isSelectable, listInstances } from './fleet';
import { InstancesPage } from './pages/instances-page';
import { RunPage } from './pages/run-page';

const REGION = 'cn-beijing';
const KEY = 'bastion-access';

function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

/**
 * Journey 3: ECS refuses two of five instances (faults injected in the simulator, once each). The failed rows come
 * say why in words on the run page; "Retry failed…" starts a run of exactly those two, linked to the first, and
 * they succeed.
 */
test('failed instances explain why, and "Retry failed…" re-sends only them and fixes them', async ({ page, sim, request }) => {
  const fleet = await listInstances(request, REGION);
  const targets = fleet.filter((i) => isSelectable(i) && (i.Status === 'Running' || i.Status === 'Stopped')).slice(0, 5);
  expect(targets).toHaveLength(5);
  const ids = targets.map((i) => i.InstanceId);
  const statusFailed = nth(targets, 1);
  const conflictFailed = nth(targets, 3);
  const succeeded = targets.filter((t) => t !== statusFailed && t !== conflictFailed);

  await sim.control({
    instanceFaults: {
      [statusFailed.InstanceId]: {
        Code: 'IncorrectInstanceStatus',
        Message: 'The current status of the resource does not support this operation.',
        remaining: 1,
      },
      [conflictFailed.InstanceId]: {
        Code: 'OperationConflict',
        Message: 'Request was denied due to conflict with a previous request.',
        remaining: 1,
      },
    },
  });

  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids });
  await expect(instances.rows()).toHaveCount(5);
  expect(await instances.selectAllMatching()).toBe(5);
  await instances.chooseKeyPair(KEY);
  const review = await instances.reviewAndAttach();
  const run = await review.confirm();
  await run.waitForState('Completed with failures');
  await expect(run.filters.getByRole('button', { name: 'Failed (2)' })).toBeVisible();
  await expect(run.filters.getByRole('button', { name: 'Left pending (3)' })).toBeVisible();

  // Each failure in words, with the code and what ECS said.
  const statusCell = run.rowState(statusFailed.InstanceId);
  await expect(statusCell).toContainText('Failed');
  await expect(statusCell).toContainText('IncorrectInstanceStatus');
  await expect(statusCell).toContainText('ECS said: The current status of the resource does not support this operation.');
  const conflictCell = run.rowState(conflictFailed.InstanceId);
  await expect(conflictCell).toContainText('OperationConflict');
  await expect(conflictCell).toContainText('ECS said: Request was denied due to conflict with a previous request.');
  for (const t of succeeded) await expect(run.rowState(t.InstanceId)).toContainText('Left pending');
  for (const t of [statusFailed, conflictFailed]) expect((await sim.instance(t.InstanceId))['KeyPairName']).not.toBe(KEY);
  // "Failed (2)" shows just the two.
  await run.filters.getByRole('button', { name: 'Failed (2)' }).click();
  await expect(run.instances.getByRole('row')).toHaveCount(3);
  await page.screenshot({ path: screenshotPath('partial-failure') });

  // Retry: a new run of exactly the two failed instances, linked to the first; this time ECS accepts them.
  const firstId = run.id();
  await run.retryButton.click();
  const retryDialog = page.getByRole('dialog', { name: 'Retry the instances that did not make it?' });
  await expect(retryDialog).toContainText('A new run sends 2 instances again');
  await retryDialog.getByRole('button', { name: 'Start the retry run' }).click();
  await page.waitForURL((url) => /\/runs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(firstId));
  const retry = new RunPage(page);
  await retry.waitForState('Completed');
  await expect(retry.facts).toContainText('Retry of');
  await expect(retry.filters.getByRole('button', { name: 'Left pending (2)' })).toBeVisible();

  // At the simulator: one AttachKeyPair of the five, then one of exactly the two failed ones.
  const attaches = (await sim.requests()).filter((r) => r.action === 'AttachKeyPair').map(requestInstanceIds);
  expect(attaches.map((ids) => ids.length)).toEqual([5, 2]);
  expect(attaches[1]?.sort()).toEqual([statusFailed.InstanceId, conflictFailed.InstanceId].sort());
  for (const id of ids) expect((await sim.instance(id))['KeyPairName']).toBe(KEY);
  await page.screenshot({ path: screenshotPath('retry-fixed') });

  // Leave no pending activation behind for later specs on this server: one activation run, all at once.
  const activation = await request.post('/api/runs', {
    data: {
      RegionId: REGION,
      kind: 'activate',
      InstanceIds: ids,
      policy: { stopped: 'start', running: { mode: 'waves', size: { kind: 'percent', value: 100 } } },
    },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(activation.status()).toBe(201);
  await expect.poll(() => countPending(request, REGION, ids), { timeout: 60_000 }).toBe(0);
});
