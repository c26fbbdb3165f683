import { screenshotPath } from './servers';
import type { Response, Route } from '@playwright/test';
import { expect, test } from './fixtures';
import { countPending, isSelectable, listInstances } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'cn-hangzhou';
const KEY = 'break-glass-2026';
const COUNT = 60;

/**
 * The proxy retries a throttled call itself when ECS asks to wait at most 10 s (api-proxy/upstream/ecs-client.ts,
 * DEFAULT_MAX_DELAY_MS) and hands longer waits to the browser. The simulator's throttling windows are aligned to
 * multiples of `windowMs` on the clock, so the wait it asks for is the rest of the current window. To exercise the
 * browser's path every time, the window is sized so that one starts right now (and the calls are released right
 * then): the throttled call is told to wait nearly the whole window, longer than the proxy's 10 s.
 */
function windowStartingNow(now: number, min = 11_500): number {
  for (let windowMs = min; windowMs < min + 5_000; windowMs++) if (now % windowMs < 200) return windowMs;
  throw new Error('no window found');
}

/**
 * Journey 4: ECS throttles AttachKeyPair (one call per window) while 60 instances go out as two batches. The second
 * batch is refused; the console shows the wait, sends it again when the wait is over, and finishes with every
 * instance attached, without the operator doing anything.
 */
test('a throttled batch is waited out and retried automatically, with the wait shown', async ({ page, sim, request }) => {
  const fleet = await listInstances(request, REGION);
  const chosenIds = fleet
    .filter((i) => isSelectable(i) && i.Status === 'Running')
    .slice(-COUNT)
    .map((i) => i.InstanceId);
  expect(chosenIds).toHaveLength(COUNT);

  const attachAnswers: Response[] = [];
  page.on('response', (res) => {
    if (res.request().method() === 'POST' && new URL(res.url()).pathname === '/api/ecs/AttachKeyPair') attachAnswers.push(res);
  });

  // The two batches are held in the browser until the throttling window has been set, then released together.
  const held: Route[] = [];
  await page.route('**/api/ecs/AttachKeyPair', async (route) => {
    if (held.length < 2) held.push(route);
    else await route.continue();
  });

  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids: chosenIds });
  await expect(instances.selectAllButton).toHaveText(`Select all ${COUNT} matching`);
  expect(await instances.selectAllMatching()).toBe(COUNT);
  await instances.chooseKeyPair(KEY);
  const review = await instances.reviewAndAttach();
  await review.typeConfirmation(KEY);
  const results = await review.confirm();
  await expect.poll(() => held.length).toBe(2);
  const windowMs = windowStartingNow(Date.now());
  await sim.control({ throttle: { limit: 1, windowMs }, throttleActions: ['AttachKeyPair'] });
  await Promise.all(held.map((route) => route.continue()));

  // One batch gets through; the other is refused and the browser is told to wait (the proxy did not wait for it).
  await expect(results.throttleNotice).toBeVisible();
  await expect(results.throttleNotice).toContainText('ECS counts calls per minute; the batch is sent again when the wait is over.');
  const seconds = Number(/retrying in (\d+) s/.exec((await results.throttleNotice.textContent()) ?? '')?.[1]);
  expect(seconds).toBeGreaterThan(1);
  // The countdown is the server's own wait: the proxy's Retry-After (whole seconds, rounded up from ECS's
  // x-acs-retry-after in ms), which is at most one second over what is left of the simulator's window.
  const throttledAnswer = attachAnswers.find((res) => !res.ok());
  const serverWait = Number(throttledAnswer?.headers()['retry-after']);
  expect(serverWait).toBeLessThanOrEqual(Math.ceil(windowMs / 1000));
  expect(seconds).toBeLessThanOrEqual(serverWait + 1);
  expect(seconds).toBeGreaterThanOrEqual(serverWait - 2);
  await expect(results.dialog).toHaveAccessibleName(`Attaching ${KEY}`);
  await results.expectProgress(50, COUNT);
  await expect(results.outcomeChip('Attached', 50)).toBeVisible();
  await expect(results.outcomeChip('Waiting', COUNT - 50)).toBeVisible();
  const throttled = attachAnswers.find((res) => !res.ok());
  expect(throttled, 'a throttled answer reached the browser').toBeDefined();
  expect((await throttled?.json()) as unknown).toMatchObject({ Code: 'Throttling.User' });
  expect(Number(throttled?.headers()['x-acs-retry-after'])).toBeGreaterThan(10_000);
  await page.screenshot({ path: screenshotPath('throttled') });

  // The countdown runs down on its own…
  await expect(results.throttleNotice).not.toContainText(`retrying in ${seconds} s`);

  // …and the batch goes again in the next window: every instance attached, nobody clicked anything.
  await results.waitForDone(windowMs + 15_000);
  await expect(results.throttleNotice).toBeHidden();
  await results.expectProgress(COUNT, COUNT);
  await expect(results.outcomeChip('Attached', COUNT)).toBeVisible();
  await expect(results.outcomeChip('Failed', 0)).toBeVisible();
  const rows = await results.allRows();
  expect(rows.size).toBe(COUNT);
  for (const [id, cells] of rows) expect(cells[1], id).toBe('Attached');
  // Two batches plus one retry of the throttled one.
  expect(attachAnswers.map((res) => res.ok()).sort()).toEqual([false, true, true]);
  const after = await listInstances(request, REGION);
  const withKey = new Set(after.filter((i) => i.KeyPairName === KEY).map((i) => i.InstanceId));
  for (const id of chosenIds) expect(withKey.has(id), id).toBe(true);

  // Leave no pending activation behind for later specs on this server.
  await results.sendAllFollowUps();
  await expect.poll(() => countPending(request, REGION, chosenIds)).toBe(0);
});
