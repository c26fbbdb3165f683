import { screenshotPath } from './servers';
import { expect, test } from './fixtures';
import { InstancesPage } from './pages/instances-page';

// The production build served by the proxy loads, shows who is signed in, and says it is the simulated ECS.
test('the console loads on the simulated ECS', async ({ page, sim }) => {
  expect(sim).toBeTruthy();
  // A page load logs no error: no missing favicon, no failed request, no uncaught exception.
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  await page.goto('/activity');
  await expect(page.getByRole('banner').getByText('Signed in as local operator')).toBeVisible();
  await expect(page.getByRole('banner').getByText('Simulated ECS')).toBeVisible();

  // The instances screen of cn-hangzhou, fully loaded: the README's screenshot (docs/screenshot.png) comes from here.
  const instances = new InstancesPage(page);
  await instances.goto('cn-hangzhou');
  await expect(instances.loadedStatus).toHaveText('400 instances in this region');
  await expect(instances.rows().first()).toBeVisible();
  await page.screenshot({ path: screenshotPath('instances') });
  expect(problems).toEqual([]);
});
