import { expect, test } from './fixtures';

// The production build served by the proxy loads, shows who is signed in, and says it is the simulated ECS.
test('the console loads on the simulated ECS', async ({ page, sim }) => {
  expect(sim).toBeTruthy();
  await page.goto('/activity');
  await expect(page.getByRole('banner').getByText('Signed in as local operator')).toBeVisible();
  await expect(page.getByRole('banner').getByText('Simulated ECS')).toBeVisible();
});
