import { screenshotPath } from './servers';
import { expect, requestInstanceIds, test } from './fixtures';
import { countPending, isSelectable, listInstances } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'cn-hangzhou';
const KEY = 'break-glass-2026';
const COUNT = 60;

/**
 * Journey 4: ECS throttles AttachKeyPair (one call per 4 s window) while a run sends 60 instances as two
 * batches. The proxy owns retries (docs/decisions/retries.md): the refused batch is sent again after ECS's wait,
 * and the run finishes with every instance attached, without the operator doing anything. Counted at the
 * simulator: the throttled answer, and exactly one successful AttachKeyPair per batch.
 */
test('a throttled batch is waited out and resent by the proxy, and the run finishes on its own', async ({ page, sim, request }) => {
  const fleet = await listInstances(request, REGION);
  const chosenIds = fleet
    .filter((i) => isSelectable(i) && i.Status === 'Running' && i.KeyPairName !== KEY)
    .slice(-COUNT)
    .map((i) => i.InstanceId);
  expect(chosenIds).toHaveLength(COUNT);

  const instances = new InstancesPage(page);
  await instances.goto(REGION, { ids: chosenIds });
  await expect(instances.selectAllButton).toHaveText(`Select all ${COUNT} matching`);
  expect(await instances.selectAllMatching()).toBe(COUNT);
  await instances.chooseKeyPair(KEY);
  const review = await instances.reviewAndAttach();
  await review.typeConfirmation(KEY);
  await sim.control({ throttle: { limit: 1, windowMs: 4_000 }, throttleActions: ['AttachKeyPair'] });
  const run = await review.confirm();
  await page.screenshot({ path: screenshotPath('throttled') });
  await run.waitForState('Completed', 60_000);
  await expect(run.filters.getByRole('button', { name: `Left pending (${COUNT})` })).toBeVisible();

  // At the simulator: at least one throttled answer, and one accepted call per batch of 50 (50 and 10).
  const attaches = (await sim.requests()).filter((r) => r.action === 'AttachKeyPair');
  expect(attaches.some((r) => r.code === 'Throttling.User')).toBe(true);
  const accepted = attaches.filter((r) => r.status === 200).map(requestInstanceIds);
  expect(accepted.map((ids) => ids.length).sort((a, b) => a - b)).toEqual([10, 50]);
  expect(accepted.flat().sort()).toEqual([...chosenIds].sort());
  await sim.control({ throttle: null, throttleActions: [] });

  // Leave no pending activation behind for later specs on this server.
  const activation = await request.post('/api/runs', {
    data: {
      RegionId: REGION,
      kind: 'activate',
      InstanceIds: chosenIds,
      policy: { stopped: 'start', running: { mode: 'waves', size: { kind: 'percent', value: 100 } } },
    },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(activation.status()).toBe(201);
  await expect.poll(() => countPending(request, REGION, chosenIds), { timeout: 60_000 }).toBe(0);
});
