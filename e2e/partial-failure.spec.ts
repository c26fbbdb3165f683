import { screenshotPath } from './servers';
import type { Request } from '@playwright/test';
import { expect, test } from './fixtures';
import { countPending, isSelectable, listInstances } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'cn-beijing';
const KEY = 'bastion-access';

function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

/**
 * Journey 3: ECS refuses two of five instances (faults injected in the simulator, once each). The failed rows come
 * first and say why in words; "Retry failed instances (2)" re-sends exactly those two, and they succeed.
 */
test('failed instances explain why, and "Retry failed instances" re-sends only them and fixes them', async ({ page, sim, request }) => {
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

  const attachCalls: Request[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/ecs/AttachKeyPair') attachCalls.push(req);
  });

  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids });
  await expect(instances.rows()).toHaveCount(5);
  expect(await instances.selectAllMatching()).toBe(5);
  await instances.chooseKeyPair(KEY);
  const review = await instances.reviewAndAttach();
  const results = await review.confirm();
  await results.waitForDone();

  await expect(results.outcomeChip('Attached', 3)).toBeVisible();
  await expect(results.outcomeChip('Failed', 2)).toBeVisible();
  await expect(results.dialog.getByText('Re-sends only failed instances, and the “outcome unknown” ones you tick.')).toBeVisible();
  // Problems first: the two failed rows head the table.
  const rows = results.table.getByRole('row');
  await expect(rows.nth(1)).toContainText(statusFailed.InstanceId);
  await expect(rows.nth(2)).toContainText(conflictFailed.InstanceId);

  // Each failure in words, with the code and what ECS said.
  const statusCell = results.cell(statusFailed.InstanceId, 'result');
  await expect(statusCell).toContainText('Failed: IncorrectInstanceStatus');
  await expect(statusCell).toContainText(
    'The instance is in a state that does not allow this right now (it may be starting or stopping). Wait until it is Running or Stopped, then retry.',
  );
  await expect(statusCell).toContainText('ECS: The current status of the resource does not support this operation.');
  const conflictCell = results.cell(conflictFailed.InstanceId, 'result');
  await expect(conflictCell).toContainText('Failed: OperationConflict');
  await expect(conflictCell).toContainText('Another operation on this instance is in progress. Retry shortly.');
  // A failed instance is offered no Reboot/Start: its key pair did not change.
  await expect(results.cell(statusFailed.InstanceId, 'followUp')).toHaveText('');
  for (const t of succeeded) await expect(results.cell(t.InstanceId, 'result')).toHaveText('Attached');
  for (const t of [statusFailed, conflictFailed]) expect((await sim.instance(t.InstanceId))['KeyPairName']).not.toBe(KEY);
  await page.screenshot({ path: screenshotPath('partial-failure') });

  // Retry re-sends exactly the two failed instances, and this time ECS accepts them.
  expect(attachCalls).toHaveLength(1);
  const retried = page.waitForRequest((req) => req.method() === 'POST' && new URL(req.url()).pathname === '/api/ecs/AttachKeyPair');
  await results.retryFailed(2);
  const retry = await retried;
  expect((retry.postDataJSON() as { InstanceIds: string[] }).InstanceIds.sort()).toEqual(
    [statusFailed.InstanceId, conflictFailed.InstanceId].sort(),
  );
  expect(retry.postDataJSON()).toMatchObject({ RegionId: REGION, KeyPairName: KEY });
  await results.waitForDone();
  await results.expectProgress(2, 2);
  await expect(results.outcomeChip('Attached', 5)).toBeVisible();
  await expect(results.outcomeChip('Failed', 0)).toBeVisible();
  for (const id of ids) await expect(results.cell(id, 'result')).toHaveText('Attached');
  await expect(results.retryFailedButton).toHaveText('Retry failed instances (0)');
  await expect(results.retryFailedButton).toBeDisabled();
  await expect(results.retryFailedButton).toHaveAccessibleDescription('No failed instances to retry.');
  expect(attachCalls).toHaveLength(2);
  for (const id of ids) expect((await sim.instance(id))['KeyPairName']).toBe(KEY);
  await page.screenshot({ path: screenshotPath('retry-fixed') });

  // Leave no pending activation behind for later specs on this server.
  await results.sendAllFollowUps();
  await expect.poll(() => countPending(request, REGION, ids)).toBe(0);
});
