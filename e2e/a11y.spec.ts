import { screenshotPath } from './servers';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { isSelectable, listInstances } from './fleet';
import { ActivityPage } from './pages/activity-page';
import { AppHeader } from './pages/app-header';
import { InstancesPage } from './pages/instances-page';

/**
 * Journey 10: axe (WCAG 2.0/2.1 A and AA rules) finds no serious or critical violation on the instances page, the
 * review dialog with its activation policy, the run page in progress and done, the runs list and the activity page, in the light and the dark theme.
 */
const REGION = 'cn-hangzhou';
const KEY_PAIR = 'ci-deploy';
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe on the page as it is now. Each serious or critical violation is reported as "rule (impact): help" with
 * its targets and axe's summary; a soft assertion, so one run lists the findings of every screen.
 */
async function expectNoSeriousViolations(page: Page, screen: string): Promise<void> {
  // Measure colours as they end up, not halfway through a dialog's fade-in (which blends them).
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running'));
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const findings = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map(
        (n) => `${v.id} (${v.impact}): ${v.help} — ${n.target.join(' ')} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ').trim()}`,
      ),
    );
  expect.soft(findings, `axe on the ${screen}`).toEqual([]);
}

/** The page background as the browser paints it, to check the theme really changed. */
function background(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

for (const theme of ['Light', 'Dark'] as const) {
  test(`no serious or critical axe violations, ${theme.toLowerCase()} theme`, async ({ page, request, sim }) => {
    const fleet = (await listInstances(request, REGION)).filter((i) => isSelectable(i) && i.KeyPairName !== KEY_PAIR);
    const running = fleet.find((i) => i.Status === 'Running');
    const stopped = fleet.find((i) => i.Status === 'Stopped');
    if (running === undefined || stopped === undefined) throw new Error('the seeded fleet changed; pick other instances');
    expect(sim).toBeTruthy();
    const slug = theme.toLowerCase();

    const instances = new InstancesPage(page);
    await instances.goto(REGION);
    const header = new AppHeader(page);
    await header.chooseTheme(theme);
    await expect(header.theme).toHaveText(theme);
    await expect.poll(() => background(page)).toBe(theme === 'Dark' ? 'rgb(18, 18, 18)' : 'rgb(255, 255, 255)');

    // The instances page, with a selection and a key pair (the selection bar and the enabled primary action).
    await instances.search(running.InstanceId);
    await instances.select(running.InstanceId);
    await instances.search(stopped.InstanceId);
    await instances.select(stopped.InstanceId);
    await instances.clearFiltersButton.click();
    await instances.chooseKeyPair(KEY_PAIR);
    await expect(instances.selectionStatus()).toHaveText(/^2 instances selected/);
    await expectNoSeriousViolations(page, `instances page (${slug})`);
    await page.screenshot({ path: screenshotPath(`a11y-${slug}-instances`) });

    const review = await instances.reviewAndAttach();
    await expect(review.planTable.getByRole('row')).toHaveCount(3);
    await expectNoSeriousViolations(page, `review dialog (${slug})`);

    await review.chooseStartStopped();
    await review.chooseWaves(1);
    await expectNoSeriousViolations(page, `review dialog with waves (${slug})`);

    // The run's page while it moves (controls shown), and once it is done.
    const run = await review.confirm();
    await expect(run.pauseButton).toBeVisible();
    await expectNoSeriousViolations(page, `run page in progress (${slug})`);
    await run.waitForState('Completed', 60_000);
    await expect(run.rowState(stopped.InstanceId)).toContainText('Key active (inferred from the start).');
    await expectNoSeriousViolations(page, `run page, completed (${slug})`);
    await page.screenshot({ path: screenshotPath(`a11y-${slug}-results`) });

    // The runs list.
    await header.navLink('Runs').click();
    await expect(page.getByRole('table', { name: 'Runs, in progress first' })).toBeVisible();
    await expectNoSeriousViolations(page, `runs list (${slug})`);

    // The activity page, with one operation's outcomes opened.
    await header.navLink('Activity').click();
    const activity = new ActivityPage(page);
    await expect(activity.heading).toBeVisible();
    const operation = activity.operations().filter({ hasText: 'Attach key pair' }).filter({ hasText: KEY_PAIR }).first();
    await activity.outcomes(operation);
    await expectNoSeriousViolations(page, `activity page (${slug})`);
    await page.screenshot({ path: screenshotPath(`a11y-${slug}-activity`) });
  });
}
