import { screenshotPath } from './servers';
import { expect, test } from './fixtures';
import { isSelectable, listInstances, type FleetInstance } from './fleet';
import { InstancesPage } from './pages/instances-page';
import { RunPage } from './pages/run-page';

const REGION = 'cn-shenzhen';
const KEY = 'ops-team';

function pick(fleet: FleetInstance[], what: string, match: (i: FleetInstance) => boolean): FleetInstance {
  const found = fleet.find((i) => isSelectable(i) && match(i));
  if (!found) throw new Error(`${REGION} has no ${what}`);
  return found;
}

/**
 * Journey 1: a mixed selection of Linux instances — running and stopped, with and without another key pair — from
 * review to a run that leaves them pending, the pending-activation badges in the list (also after a reload), and
 * the activation center making the key pair active on every one.
 */
test('a mixed selection is reviewed, attached, left pending, then activated from the list until the key pair is active on every instance', async ({
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
    [runningWithKey, 'Running', `Will replace key pair ${runningWithKey.KeyPairName}`, 'Attach; then pending until its next reboot'],
    [runningBare, 'Running', 'No key pair yet', 'Attach; then pending until its next reboot'],
    [stoppedBare, 'Stopped', 'No key pair yet', 'Attach; then pending until its next start'],
    [stoppedWithKey, 'Stopped', `Will replace key pair ${stoppedWithKey.KeyPairName}`, 'Attach; then pending until its next start'],
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

  // Attach, leaving every instance pending (the default): the run's page says so per instance.
  const run = await review.confirm();
  await run.waitForState('Completed');
  await expect(run.filters.getByRole('button', { name: 'Left pending (4)' })).toBeVisible();
  const requestIds = new Set<string>();
  for (const target of targets) {
    await expect(run.row(target.InstanceId)).toContainText(target.InstanceName);
    await expect(run.rowState(target.InstanceId)).toContainText('Left pending');
    await expect(run.rowState(target.InstanceId)).toContainText(
      target.Status === 'Running' ? 'the key takes effect at the next reboot' : 'the key takes effect at the next start',
    );
    const requestId = (await run.row(target.InstanceId).getByRole('cell').nth(5).innerText()).trim();
    expect(requestId).toMatch(/^[0-9A-F-]{36}$/);
    await expect(run.row(target.InstanceId).getByRole('button', { name: `Copy request ID ${requestId}` })).toBeVisible();
    requestIds.add(requestId);
  }
  // Four instances go out in one AttachKeyPair call, so they share its request ID.
  expect(requestIds.size).toBe(1);
  for (const target of targets) expect((await sim.instance(target.InstanceId))['KeyPairName']).toBe(KEY);
  await page.screenshot({ path: screenshotPath('attach-results') });

  // Back in the list: the new key pair (no instance of the region held it before), and every instance marked as
  // waiting for a reboot or start, also after a reload (the server remembers it, not the tab).
  expect(fleet.some((i) => i.KeyPairName === KEY)).toBe(false);
  await instances.goto(REGION, { key: KEY });
  await page.reload();
  await instances.waitForLoaded();
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

  // The activation center: "Activate 4 pending…" for the selection, starting the stopped ones and rebooting the
  // running ones in waves of one.
  await instances.selectAllMatching();
  await instances.selection.getByRole('button', { name: 'Activate 4 pending…' }).click();
  const activate = page.getByRole('dialog', { name: 'Activate 4 pending instances' });
  const policy = activate.getByRole('group', { name: 'Activation' });
  await policy.getByRole('radio', { name: 'Start the stopped instances' }).check();
  await policy.getByRole('spinbutton', { name: 'Wave size' }).fill('1');
  await expect(policy.getByRole('region', { name: 'Activation preview' })).toContainText(
    '2 waves: 1, 1; at most 1 instance rebooting at once',
  );
  await expect(policy.getByRole('region', { name: 'Activation preview' })).toContainText('2 stopped instances will be started');
  await activate.getByRole('button', { name: 'Activate 4 instances' }).click();
  await page.waitForURL(/\/runs\/[^/]+$/);
  const activation = new RunPage(page);
  await activation.waitForState('Completed', 60_000);
  for (const target of running)
    await expect(activation.rowState(target.InstanceId)).toContainText('Key active (inferred from the reboot).');
  for (const target of stopped) await expect(activation.rowState(target.InstanceId)).toContainText('Key active (inferred from the start).');
  for (const target of targets) {
    const record = await sim.instance(target.InstanceId);
    expect(record['Status']).toBe('Running');
    expect(record['KeyPairName']).toBe(KEY);
  }
  await page.screenshot({ path: screenshotPath('key-active') });

  // The list agrees: Running, the new key pair, no pending badge any more.
  await instances.goto(REGION, { key: KEY });
  for (const target of targets) {
    await expect(instances.cell(target.InstanceId, 'status')).toHaveText('Running');
    await expect(instances.cell(target.InstanceId, 'keyPair')).toHaveText(KEY);
    await expect(instances.pendingBadge(target.InstanceId)).toHaveCount(0);
  }
});
