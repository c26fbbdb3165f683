import { screenshotPath } from './servers';
import { expect, test } from './fixtures';
import { isSelectable, listInstances, type FleetInstance } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'cn-shenzhen';
const KEY = 'ops-team';

function pick(fleet: FleetInstance[], what: string, match: (i: FleetInstance) => boolean): FleetInstance {
  const found = fleet.find((i) => isSelectable(i) && match(i));
  if (!found) throw new Error(`${REGION} has no ${what}`);
  return found;
}

/**
 * Journey 1: a mixed selection of Linux instances — running and stopped, with and without another key pair — from
 * review to "Key pair active" on every one, and the pending-activation badges in the list coming and going.
 */
test('a mixed selection is reviewed, attached, rebooted and started until the key pair is active on every instance', async ({
  page,
  sim,
  request,
}) => {
  const fleet = await listInstances(request, REGION);
  const runningWithKey = pick(
    fleet,
    'running instance with another key pair',
    (i) => i.Status === 'Running' && i.KeyPairName !== undefined && i.KeyPairName !== KEY,
  );
  const runningBare = pick(fleet, 'running instance without a key pair', (i) => i.Status === 'Running' && i.KeyPairName === undefined);
  const stoppedBare = pick(fleet, 'stopped instance without a key pair', (i) => i.Status === 'Stopped' && i.KeyPairName === undefined);
  const stoppedWithKey = pick(
    fleet,
    'stopped instance with another key pair',
    (i) => i.Status === 'Stopped' && i.KeyPairName !== undefined && i.KeyPairName !== KEY,
  );
  const targets = [runningWithKey, runningBare, stoppedBare, stoppedWithKey];
  const running = [runningWithKey, runningBare];
  const stopped = [stoppedBare, stoppedWithKey];

  // Choose the instances one by one (search, tick), then the key pair.
  const instances = new InstancesPage(page);
  await instances.goto(REGION);
  for (const target of targets) {
    await instances.search(target.InstanceId);
    await expect(instances.rows()).toHaveCount(1);
    await instances.rowCheckbox(target.InstanceId).check();
  }
  await instances.clearFiltersButton.click();
  await expect(instances.selectionStatus()).toHaveText('4 instances selected');
  await instances.chooseKeyPair(KEY);
  await page.screenshot({ path: screenshotPath('instances-selected') });

  // The review: one plan row per instance, counts per group, and the password-login warning.
  const review = await instances.reviewAndAttach();
  await expect(review.dialog).toHaveAccessibleName(`Review: attach ${KEY} to 4 instances`);
  await expect(review.dialog.getByText(`Region: ${REGION}`)).toBeVisible();
  await expect(review.warning).toContainText('Password login will be disabled');
  await expect(review.warning).toContainText(`password login is disabled on every one of these 4 instances`);
  await expect(review.warning).toContainText(`only ${KEY} will let anyone log in over SSH`);
  for (const line of [
    'Will replace an existing key pair: 2',
    `Already have ${KEY} (no change): 0`,
    'No key pair yet: 2',
    'Running, takes effect after a reboot: 2',
    'Stopped, takes effect after a start: 2',
  ]) {
    await expect(review.summary.getByRole('listitem').filter({ hasText: line })).toHaveText(line);
  }
  const replaced = [runningWithKey.KeyPairName, stoppedWithKey.KeyPairName];
  for (const name of replaced) await expect(review.summary).toContainText(`${name} (${replaced.filter((n) => n === name).length})`);
  await expect(review.planTable.getByRole('row')).toHaveCount(1 + targets.length);
  const expectedPlan: [FleetInstance, string, string, string][] = [
    [runningWithKey, 'Running', `Will replace key pair ${runningWithKey.KeyPairName}`, 'Running: takes effect after a reboot'],
    [runningBare, 'Running', 'No key pair yet', 'Running: takes effect after a reboot'],
    [stoppedBare, 'Stopped', 'No key pair yet', 'Stopped: takes effect after a start'],
    [stoppedWithKey, 'Stopped', `Will replace key pair ${stoppedWithKey.KeyPairName}`, 'Stopped: takes effect after a start'],
  ];
  for (const [target, status, keyPair, effect] of expectedPlan) {
    await expect(review.planCell(target.InstanceId, 'instance')).toContainText(target.InstanceName);
    await expect(review.planCell(target.InstanceId, 'status')).toHaveText(status);
    await expect(review.planCell(target.InstanceId, 'keyPair')).toHaveText(keyPair);
    await expect(review.planCell(target.InstanceId, 'effect')).toHaveText(effect);
  }
  // Four instances: no typed confirmation.
  await expect(review.confirmInput).toHaveCount(0);
  await expect(review.confirmButton).toHaveText('Attach to 4 instances');
  await page.screenshot({ path: screenshotPath('review') });

  // Attach: every instance succeeds, with its request ID and the right next step.
  const results = await review.confirm();
  await results.waitForDone();
  await results.expectProgress(4, 4);
  await expect(results.outcomeChip('Attached', 4)).toBeVisible();
  await expect(results.outcomeChip('Failed', 0)).toBeVisible();
  await expect(results.table.getByRole('row')).toHaveCount(1 + targets.length);
  const requestIds = new Set<string>();
  for (const target of targets) {
    await expect(results.cell(target.InstanceId, 'result')).toHaveText('Attached');
    const requestId = (await results.cell(target.InstanceId, 'requestId').textContent())?.trim() ?? '';
    expect(requestId).toMatch(/^[0-9A-F-]{36}$/);
    await expect(results.copyRequestIdButton(requestId, target.InstanceId)).toBeVisible();
    requestIds.add(requestId);
  }
  // Four instances go out in one AttachKeyPair call, so they share its request ID.
  expect(requestIds.size).toBe(1);
  for (const target of running) {
    await expect(results.cell(target.InstanceId, 'status')).toHaveText('Running');
    await expect(results.rebootButton(target.InstanceName, target.InstanceId)).toBeEnabled();
  }
  for (const target of stopped) {
    await expect(results.cell(target.InstanceId, 'status')).toHaveText('Stopped');
    await expect(results.startButton(target.InstanceName, target.InstanceId)).toBeEnabled();
  }
  await expect(results.rebootAllButton).toHaveText('Reboot all 2 running');
  await expect(results.startAllButton).toHaveText('Start all 2 stopped');
  await expect(results.forceCheckbox).not.toBeChecked();
  for (const target of targets) expect((await sim.instance(target.InstanceId))['KeyPairName']).toBe(KEY);
  await page.screenshot({ path: screenshotPath('attach-results') });

  // Back in the list: the new key pair (no instance of the region held it before), and every instance marked as
  // waiting for a reboot or start.
  await results.close();
  expect(fleet.some((i) => i.KeyPairName === KEY)).toBe(false);
  await instances.filterKeyPair(KEY);
  await expect(instances.rows()).toHaveCount(targets.length);
  for (const target of targets) {
    await expect(instances.cell(target.InstanceId, 'keyPair')).toContainText(KEY);
    await expect(instances.pendingBadge(target.InstanceId)).toBeVisible();
  }
  await page.screenshot({ path: screenshotPath('pending-badges') });
  for (const target of targets) {
    // Its tooltip says what waits and since when.
    await instances.pendingBadge(target.InstanceId).hover();
    await expect(page.getByRole('tooltip')).toHaveText(
      new RegExp(
        `^${KEY} was attached by local operator on .+\\. It takes effect only after a reboot \\(if running\\) or a start \\(if stopped\\)\\.$`,
      ),
    );
    await instances.searchBox.hover();
    await expect(page.getByRole('tooltip')).toHaveCount(0);
  }

  // Follow-ups from the reopened results: reboot the running ones, start the stopped ones (graceful).
  await instances.showResultsButton.click();
  await expect(results.dialog).toHaveAccessibleName(`Attach results: ${KEY}`);
  await results.rebootAllButton.click();
  await results.startAllButton.click();
  // Each passes through its transitions on the way back to Running.
  for (const target of running) {
    await expect(results.cell(target.InstanceId, 'status')).toContainText(/^(Stopping|Starting)At attach: Running$/);
  }
  for (const target of stopped) {
    await expect(results.cell(target.InstanceId, 'status')).toContainText(/^StartingAt attach: Stopped$/);
  }
  for (const target of targets) {
    await expect(results.keyActive(target.InstanceId)).toBeVisible({ timeout: 30_000 });
    await expect(results.cell(target.InstanceId, 'status')).toContainText(/^Running/);
  }
  for (const target of stopped) await expect(results.cell(target.InstanceId, 'status')).toHaveText('RunningAt attach: Stopped');
  await expect(results.rebootAllButton).toBeDisabled();
  await expect(results.startAllButton).toBeDisabled();
  for (const target of targets) {
    const record = await sim.instance(target.InstanceId);
    expect(record['Status']).toBe('Running');
    expect(record['KeyPairName']).toBe(KEY);
  }
  await page.screenshot({ path: screenshotPath('key-active') });

  // The list agrees: Running, the new key pair, no pending badge any more.
  await results.close();
  for (const target of targets) {
    await expect(instances.cell(target.InstanceId, 'status')).toHaveText('Running');
    await expect(instances.cell(target.InstanceId, 'keyPair')).toHaveText(KEY);
    await expect(instances.pendingBadge(target.InstanceId)).toHaveCount(0);
  }
});
