import { screenshotPath } from './servers';
import { ActivityPage } from './pages/activity-page';
import { AppHeader } from './pages/app-header';
import { InstancesPage } from './pages/instances-page';
import { isSelectable, listInstances } from './fleet';
import { expect, SSO_URL, test, VIEWER, type SsoIdentity } from './sso';

/**
 * Journey 5: an operator whose SSO groups only allow looking (header mode, the test playing the SSO proxy) can
 * browse instances and the activity, but cannot attach, reboot or start — the console says why, and the proxy
 * refuses a direct call too. A member of `sre` on the same server can attach (the positive control).
 */
const REGION = 'cn-hangzhou';
const KEY_PAIR = 'ops-team';
const NOT_ALLOWED = 'Your groups do not allow AttachKeyPair.';
const SRE_OPERATOR: SsoIdentity = { user: 'sam.sre', email: 'sam@example.com', groups: ['sre'] };

test.use({ ssoUser: VIEWER });

test('a viewer browses but cannot attach, reboot or start, and sees why', async ({ page, request, ssoSim }) => {
  const fleet = await listInstances(request, REGION, SSO_URL);
  const target = fleet.find((i) => isSelectable(i) && i.Status === 'Running');
  if (target === undefined) throw new Error('the seeded fleet has no running Linux instance');

  const header = new AppHeader(page);
  const instances = new InstancesPage(page);
  await instances.goto(REGION);
  await expect(header.signedInAs(VIEWER.user)).toBeVisible();
  await expect(header.groups('viewers')).toBeVisible();
  await expect(instances.table(REGION)).toBeVisible();

  // Browsing works: the filters narrow the list, and an instance can be picked along with a key pair…
  await instances.search(target.InstanceId);
  await expect(instances.rows()).toHaveCount(1);
  await instances.select(target.InstanceId);
  await expect(instances.selectionStatus()).toHaveText(/^1 instance selected/);
  await instances.chooseKeyPair(KEY_PAIR);

  // …but the attach button stays disabled and says why, in view and as its accessible description.
  await expect(instances.reviewButton).toBeDisabled();
  await expect(instances.reviewButton).toHaveAccessibleDescription(NOT_ALLOWED);
  await expect(instances.selection.getByText(NOT_ALLOWED, { exact: true })).toBeVisible();
  // Nothing on the screen can reboot or start an instance either.
  await expect(page.getByRole('button', { name: /\b(reboot|start)\b/i })).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('read-only-instances') });

  // The proxy is the real gate: a direct call with the viewer's identity is refused and nothing reaches ECS.
  const before = await ssoSim.instance(target.InstanceId);
  for (const action of ['RebootInstance', 'StartInstance']) {
    const res = await request.post(`${SSO_URL}/api/ecs/${action}`, {
      data: { RegionId: REGION, InstanceId: target.InstanceId },
      headers: { origin: SSO_URL },
    });
    expect(res.status(), action).toBe(403);
    expect(await res.json()).toMatchObject({ Code: 'Proxy.Forbidden', Message: expect.stringContaining(action) });
  }
  const attach = await request.post(`${SSO_URL}/api/ecs/AttachKeyPair`, {
    data: { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [target.InstanceId] },
    headers: { origin: SSO_URL },
  });
  expect(attach.status()).toBe(403);
  expect(await attach.json()).toMatchObject({ Code: 'Proxy.Forbidden' });
  expect(await ssoSim.instance(target.InstanceId)).toEqual(before);

  // The activity is open to viewers, and shows the refused call as denied.
  await header.navLink('Activity').click();
  const activity = new ActivityPage(page);
  await expect(activity.heading).toBeVisible();
  await activity.filterBy({ user: VIEWER.user, instanceId: target.InstanceId });
  await expect(page).toHaveURL(/[?&]user=vera\.viewer\b/);
  await expect(activity.operations().filter({ hasText: 'Start instance' }).first()).toContainText('Denied');
  const denied = activity.operations().filter({ hasText: 'Reboot instance' }).first();
  await expect(denied).toContainText('Denied');
  await expect(denied).toContainText('Refused by the console: the operator’s groups do not allow this action.');
  await expect(page.getByRole('button', { name: /\b(reboot|start)\b/i })).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('read-only-activity') });
});

test('a member of sre on the same server can attach (positive control)', async ({ request, signInAs, ssoSim }) => {
  const fleet = await listInstances(request, REGION, SSO_URL);
  const target = fleet.find((i) => isSelectable(i) && i.Status === 'Running' && i.KeyPairName !== KEY_PAIR);
  if (target === undefined) throw new Error('the seeded fleet has no running Linux instance');

  const page = await signInAs(SRE_OPERATOR);
  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids: [target.InstanceId] });
  await expect(new AppHeader(page).groups('sre')).toBeVisible();
  await instances.select(target.InstanceId);
  await instances.chooseKeyPair(KEY_PAIR);
  await expect(instances.reviewButton).toBeEnabled();

  const review = await instances.reviewAndAttach();
  const results = await review.confirm();
  await results.waitForDone();
  await expect(results.outcomeChip('Attached', 1)).toBeVisible();
  await expect(results.rebootAllButton).toBeEnabled();
  await expect(results.rebootButton(target.InstanceName, target.InstanceId)).toBeEnabled();
  expect(await ssoSim.instance(target.InstanceId)).toMatchObject({ KeyPairName: KEY_PAIR });
});
