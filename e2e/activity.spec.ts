import { screenshotPath } from './servers';
import { ActivityPage } from './pages/activity-page';
import { AppHeader } from './pages/app-header';
import { InstancesPage } from './pages/instances-page';
import { isSelectable, listInstances } from './fleet';
import { expect, SRE, SSO_URL, test } from './sso';

/**
 * Journey 9: after an attach through the console, the activity page shows the operation with the operator's
 * SSO identity, the region, the key pair, the outcome per instance and the ECS request ID; filters by user and by
 * instance work; "View instances" opens the region page with exactly those instances.
 */
const REGION = 'cn-hangzhou';
const KEY_PAIR = 'bastion-access';

test.use({ ssoUser: SRE });

test('the activity shows who attached what, where, the outcome per instance and the request ID', async ({ page, request, ssoSim }) => {
  const fleet = (await listInstances(request, REGION, SSO_URL)).filter((i) => isSelectable(i) && i.KeyPairName !== KEY_PAIR);
  const running = fleet.filter((i) => i.Status === 'Running');
  const stopped = fleet.find((i) => i.Status === 'Stopped');
  const [ok, refused] = running;
  if (ok === undefined || refused === undefined || stopped === undefined) throw new Error('the seeded fleet changed; pick other instances');
  const targets = [ok, stopped, refused];
  // One of them is refused by ECS, so the trail has a per-instance failure to show.
  await ssoSim.control({
    instanceFaults: {
      [refused.InstanceId]: { Code: 'InstanceExpiredOrInArrears', Message: 'The specified instance has expired.', remaining: 1 },
    },
  });

  // Attach through the console as alice (group sre).
  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids: targets.map((i) => i.InstanceId) });
  await expect(new AppHeader(page).signedInAs(SRE.user)).toBeVisible();
  await instances.select(...targets.map((i) => i.InstanceId));
  await instances.chooseKeyPair(KEY_PAIR);
  const run = await (await instances.reviewAndAttach()).confirm();
  await run.waitForState('Completed with failures');
  await expect(run.filters.getByRole('button', { name: 'Left pending (2)' })).toBeVisible();
  await expect(run.filters.getByRole('button', { name: 'Failed (1)' })).toBeVisible();
  const requestId = (await run.row(ok.InstanceId).getByRole('cell').nth(5).innerText()).trim().split(/\s+/)[0] ?? '';
  expect(requestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i);
  const runId = run.id();

  // The trail, newest first: the operation with alice's identity, region, key pair, outcome and request ID.
  await new AppHeader(page).navLink('Activity').click();
  const activity = new ActivityPage(page);
  await expect(activity.heading).toBeVisible();
  const operation = activity.operation(requestId);
  await expect(operation).toHaveCount(1);
  await expect(operation).toContainText('Attach key pair');
  await expect(operation).toContainText(REGION);
  await expect(operation).toContainText(KEY_PAIR);
  await expect(operation).toContainText('Partly failed');
  await expect(operation).toContainText('1 of 3 instances failed');
  await expect(activity.who(operation, SRE.user)).toHaveAccessibleDescription(/Email: alice@example\.com\. Groups: sre\. From address /);
  await expect(operation.getByRole('button', { name: `Copy request ID ${requestId}`, exact: true })).toBeVisible();
  // The call was sent by a run, and links to it.
  await expect(operation.getByRole('link', { name: 'View run' })).toHaveAttribute('href', `/runs/${runId}`);

  // Outcome per instance: two attached, one refused with ECS's code explained in words.
  const outcomes = await activity.outcomes(operation);
  await expect(outcomes.getByRole('row')).toHaveCount(1 + targets.length);
  for (const attached of [ok, stopped]) await expect(activity.outcome(outcomes, attached.InstanceId)).toContainText('Succeeded');
  const failed = activity.outcome(outcomes, refused.InstanceId);
  await expect(failed).toContainText('Failed');
  await expect(failed).toContainText('InstanceExpiredOrInArrears');
  await expect(failed).toContainText('The instance has expired or the account is in arrears.');
  await page.screenshot({ path: screenshotPath('activity') });

  // Filter by user: every operation listed is alice's, ours among them; the filter is in the link.
  await activity.filterBy({ user: SRE.user });
  await expect(page).toHaveURL(/[?&]user=alice%40example\.com(&|$)/);
  await expect(activity.operation(requestId)).toHaveCount(1);
  await expect(activity.operations().filter({ hasNotText: SRE.user })).toHaveCount(0);
  // Filter by instance: the stopped target finds it; an instance outside the operation does not.
  await activity.filterBy({ instanceId: stopped.InstanceId });
  await expect(page).toHaveURL(new RegExp(`[?&]instanceId=${stopped.InstanceId}(&|$)`));
  await expect(activity.operation(requestId)).toHaveCount(1);
  const outsider = fleet.find((i) => !targets.includes(i));
  if (outsider === undefined) throw new Error('the seeded fleet changed');
  await activity.filterBy({ instanceId: outsider.InstanceId });
  await expect(page).toHaveURL(new RegExp(`[?&]instanceId=${outsider.InstanceId}(&|$)`));
  await expect(activity.operation(requestId)).toHaveCount(0);

  // "View instances" opens the region page with exactly the operation's instances.
  await activity.filterBy({ instanceId: stopped.InstanceId });
  await activity.viewInstances(activity.operation(requestId)).click();
  await expect(page).toHaveURL(new RegExp(`/regions/${REGION}\\?ids=`));
  await instances.waitForLoaded();
  await expect(instances.filters.getByText('Only the 3 instances from a link')).toBeVisible();
  await expect(instances.rows()).toHaveCount(targets.length);
  for (const target of targets) await expect(instances.row(target.InstanceId)).toBeVisible();
  // The two attached instances wait for a reboot or start; the refused one does not.
  await expect(instances.pendingBadge(ok.InstanceId)).toBeVisible();
  await expect(instances.pendingBadge(stopped.InstanceId)).toBeVisible();
  await expect(instances.pendingBadge(refused.InstanceId)).toHaveCount(0);
});
