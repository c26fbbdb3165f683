import { screenshotPath } from './servers';
import { ActivityPage } from './pages/activity-page';
import { AppHeader } from './pages/app-header';
import { InstancesPage } from './pages/instances-page';
import { RunPage } from './pages/run-page';
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
  // Nothing on the screen can reboot or start an instance either (a pending row's Reboot/Start is disabled).
  await expect(page.getByRole('button', { name: /\b(reboot|start)\b/i }).and(page.locator(':enabled'))).toHaveCount(0);
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
  await expect(page.getByRole('button', { name: /\b(reboot|start)\b/i }).and(page.locator(':enabled'))).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('read-only-activity') });
});

test('a member of sre runs an attach with reboots; the viewer follows the run but has no controls', async ({
  page,
  request,
  signInAs,
  ssoSim,
}) => {
  const fleet = await listInstances(request, REGION, SSO_URL);
  const targets = fleet.filter((i) => isSelectable(i) && i.Status === 'Running' && i.KeyPairName !== KEY_PAIR).slice(0, 2);
  if (targets.length < 2) throw new Error('the seeded fleet has too few running Linux instances');
  // Slow boots: the run is still rebooting while the viewer looks at it.
  await ssoSim.control({ transitionMs: { stopping: 3000, starting: 6000 } });

  // The positive control: sre may attach and reboot, and has the run's controls.
  const sre = await signInAs(SRE_OPERATOR);
  const instances = new InstancesPage(sre);
  await instances.goto(REGION, { ids: targets.map((t) => t.InstanceId) });
  await expect(new AppHeader(sre).groups('sre')).toBeVisible();
  await instances.selectAllMatching();
  await instances.chooseKeyPair(KEY_PAIR);
  await expect(instances.reviewButton).toBeEnabled();
  const review = await instances.reviewAndAttach();
  await review.chooseWaves(1);
  const run = await review.confirm();
  await expect(run.pauseButton).toBeVisible();
  const id = run.id();

  // The viewer finds it in the runs list and follows it: same state, no controls, and a line saying why.
  await page.goto('/runs');
  const list = page.getByRole('table', { name: 'Runs, in progress first' });
  await expect(list.getByRole('row').filter({ hasText: SRE_OPERATOR.user })).toHaveCount(1);
  await list.getByRole('link', { name: new RegExp(`Attach key pair ${KEY_PAIR}`) }).click();
  await page.waitForURL(new RegExp(`/runs/${id}$`));
  const viewed = new RunPage(page);
  await viewed.waitForState('Running');
  await expect(viewed.facts).toContainText(`by ${SRE_OPERATOR.user}`);
  await expect(viewed.controls).toHaveCount(0);
  await expect(viewed.readOnlyNote).toBeVisible();
  await expect(page.getByRole('button', { name: /^(Pause|Resume|Cancel run…|Retry failed…)$/ })).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('read-only-run') });

  // The proxy is the gate here too: the viewer's pause is refused, and the run goes on to the end.
  const pause = await request.post(`${SSO_URL}/api/runs/${id}/pause`, { data: {}, headers: { origin: SSO_URL } });
  expect(pause.status()).toBe(403);
  expect(await pause.json()).toMatchObject({ Code: 'Proxy.Forbidden' });
  await viewed.waitForState('Completed', 60_000);
  for (const target of targets)
    expect(await ssoSim.instance(target.InstanceId)).toMatchObject({ KeyPairName: KEY_PAIR, Status: 'Running' });
});
