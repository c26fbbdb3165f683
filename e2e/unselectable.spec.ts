import { screenshotPath } from './servers';
import { expect, test } from './fixtures';
import { isSelectable, listInstances, type FleetInstance } from './fleet';
import { InstancesPage } from './pages/instances-page';

const REGION = 'ap-southeast-1';
/** The words the console uses for ECS lock reasons (web/features/instances/locales.ts). */
const LOCK_WORDS: Record<string, string> = { security: 'security risk', financial: 'overdue payment' };

/**
 * Journey 6: Windows instances and instances locked by ECS cannot be selected — not one by one, not by "Select all
 * matching" — and each says why, both as the checkbox's accessible description and as a tooltip.
 */
test('Windows and locked instances cannot be selected, and say why', async ({ page, sim, request }) => {
  const fleet = await listInstances(request, REGION);
  expect((await sim.state()).regions.find((r) => r.RegionId === REGION)?.instances).toBe(fleet.length);
  const windows = fleet.find((i) => i.OSType === 'windows');
  const locked = ['security', 'financial'].map((reason) => fleet.find((i) => i.OSType === 'linux' && i.lockReason === reason));
  const selectable = fleet.find((i) => isSelectable(i) && i.Status === 'Running');
  if (!windows || !selectable || locked.some((i) => i === undefined))
    throw new Error(`${REGION} lacks a Windows, a locked or a selectable instance`);
  const cases: [FleetInstance, string][] = [
    [windows, 'Windows instances cannot use SSH key pairs.'],
    ...locked.flatMap((i): [FleetInstance, string][] => (i ? [[i, `Locked by ECS: ${LOCK_WORDS[i.lockReason ?? '']}`]] : [])),
  ];

  const instances = new InstancesPage(page);
  await instances.goto(REGION);

  for (const [instance, why] of cases) {
    await instances.search(instance.InstanceId);
    await expect(instances.rows()).toHaveCount(1);
    const box = instances.rowCheckbox(instance.InstanceId);
    await expect(box).toBeDisabled();
    await expect(box).not.toBeChecked();
    // Screen readers hear the reason with the checkbox…
    await expect(box).toHaveAccessibleDescription(why);
    // …and a pointer over it shows the same words.
    await instances.cell(instance.InstanceId, 'select').hover();
    await expect(page.getByRole('tooltip')).toHaveText(why);
    if (instance === windows) await page.screenshot({ path: screenshotPath('unselectable-windows') });
    // A click does nothing.
    await box.click({ force: true });
    await expect(box).not.toBeChecked();
    await expect(instances.selectionStatus()).toHaveText('0 instances selected');
    await instances.searchBox.hover();
    await expect(page.getByRole('tooltip')).toHaveCount(0);
  }
  for (const instance of locked) {
    if (instance) await instances.search(instance.InstanceId);
    if (instance)
      await expect(instances.cell(instance.InstanceId, 'status')).toContainText(`Locked (${LOCK_WORDS[instance.lockReason ?? '']})`);
  }

  // A selectable Linux instance, for contrast: enabled, no reason attached.
  await instances.search(selectable.InstanceId);
  await expect(instances.rowCheckbox(selectable.InstanceId)).toBeEnabled();
  await expect(instances.rowCheckbox(selectable.InstanceId)).toHaveAccessibleDescription('');

  // Only Windows shown: "Select all" has nothing to take, and says so.
  await instances.clearFiltersButton.click();
  await instances.filterOs('Windows');
  await expect(instances.rows().first()).toBeVisible();
  await expect(instances.selectAllButton).toHaveText('Select all 0 matching');
  await expect(instances.selectAllButton).toBeDisabled();
  await expect(instances.selectAllButton).toHaveAccessibleDescription('No selectable instance matches the filters.');

  // Everything shown: "Select all" takes exactly the selectable ones and leaves the others out.
  await instances.filterOs('Any');
  const selectableCount = fleet.filter(isSelectable).length;
  await expect(instances.selectAllButton).toHaveText(`Select all ${selectableCount} matching`);
  expect(await instances.selectAllMatching()).toBe(selectableCount);
  expect(selectableCount).toBeLessThan(fleet.length);
  for (const [instance] of cases) {
    await instances.search(instance.InstanceId);
    await expect(instances.rowCheckbox(instance.InstanceId)).not.toBeChecked();
  }
  await expect(instances.selectionStatus()).toContainText(`${selectableCount} instances selected`);
});
