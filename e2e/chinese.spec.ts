import { screenshotPath } from './servers';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { isSelectable, listInstances } from './fleet';
import { AppHeader } from './pages/app-header';

/**
 * Journey 7: the whole console in 简体中文 — header, instances screen, review, results with follow-ups, and the
 * activity page — chosen in the header's Language menu and remembered across a reload. The English page objects
 * do not apply here, so the spec names elements by their Chinese roles and labels (web/features/*\/locales.ts).
 */
const REGION = 'cn-hangzhou';
const KEY_PAIR = 'release-bot';

function htmlLang(page: Page): Promise<string> {
  return page.evaluate(() => document.documentElement.lang);
}

test('the whole console speaks 简体中文', async ({ page, request, sim }) => {
  const fleet = (await listInstances(request, REGION)).filter((i) => isSelectable(i) && i.KeyPairName !== KEY_PAIR);
  const running = fleet.find((i) => i.Status === 'Running');
  const stopped = fleet.find((i) => i.Status === 'Stopped');
  if (running === undefined || stopped === undefined) throw new Error('the seeded fleet changed; pick other instances');
  expect(sim).toBeTruthy();

  // Switch in the header; the choice is remembered.
  await page.goto(`/regions/${REGION}`);
  const header = new AppHeader(page);
  await expect(header.language).toHaveText('English');
  await header.chooseLanguage('简体中文');
  await expect.poll(() => htmlLang(page)).toBe('zh-CN');
  await page.reload();
  await expect.poll(() => htmlLang(page)).toBe('zh-CN');

  // Header.
  await expect(header.banner.getByText('ECS 密钥对控制台', { exact: true })).toBeVisible();
  await expect(header.banner.getByText('当前用户：local operator', { exact: true })).toBeVisible();
  await expect(header.banner.getByText('无用户组', { exact: true })).toBeVisible();
  await expect(header.banner.getByText('模拟 ECS', { exact: true })).toBeVisible();
  await expect(header.navigation).toHaveAccessibleName('主导航');
  await expect(header.navLink('实例')).toBeVisible();
  await expect(header.navLink('操作记录')).toBeVisible();
  await expect(header.language).toHaveAccessibleName('语言');
  await expect(header.language).toHaveText('简体中文');
  await expect(header.theme).toHaveText('跟随系统');

  // Instances screen: region names, filters, counts, table and the disabled primary action with its reason.
  await expect(page.getByRole('combobox', { name: '地域', exact: true })).toHaveText('华东1（杭州） (cn-hangzhou)');
  const filters = page.getByRole('search', { name: '筛选' });
  const search = filters.getByRole('searchbox', { name: '搜索' });
  for (const name of ['状态', '操作系统', '当前密钥对']) await expect(filters.getByRole('combobox', { name, exact: true })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: '此地域共 400 个实例' })).toBeVisible();
  const table = page.getByRole('table', { name: `${REGION} 的实例` });
  for (const name of ['名称和 ID', '状态', '操作系统', '当前密钥对', '私网 IP', '公网 IP / EIP', '可用区', '规格', '标签']) {
    await expect(table.getByRole('columnheader', { name, exact: true })).toBeVisible();
  }
  const selection = page.getByRole('region', { name: '已选实例' });
  const review = selection.getByRole('button', { name: '检查并挂载…' });
  await expect(review).toBeDisabled();
  await expect(review).toHaveAccessibleDescription('请先选择密钥对。');
  const windowsRow = table.getByRole('checkbox', { disabled: true }).first();
  await expect(windowsRow).toHaveAccessibleName(/^选择 .+（i-[a-z0-9]+）$/);

  // Select a running and a stopped instance, then a key pair.
  for (const target of [running, stopped]) {
    await search.fill(target.InstanceId);
    await table.getByRole('checkbox', { name: `选择 ${target.InstanceName}（${target.InstanceId}）`, exact: true }).check();
  }
  await search.fill('');
  await expect(selection.getByRole('status')).toHaveText('已选择 2 个实例');
  const keyPair = page.getByRole('combobox', { name: '密钥对', exact: true });
  await keyPair.fill(KEY_PAIR);
  await page.getByRole('listbox').getByRole('option').filter({ hasText: KEY_PAIR }).first().click();
  await expect(keyPair).toHaveValue(KEY_PAIR);
  await expect(page.getByText(/^指纹 .+ · 创建于 /)).toBeVisible();
  await page.screenshot({ path: screenshotPath('zh-CN-instances') });

  // Review dialog.
  await review.click();
  const reviewDialog = page.getByRole('dialog', { name: `检查：将 ${KEY_PAIR} 挂载到 2 个实例` });
  await expect(reviewDialog).toBeVisible();
  await expect(reviewDialog.getByText('将禁用密码登录', { exact: true })).toBeVisible();
  await expect(reviewDialog.getByText(`地域：${REGION}`, { exact: true })).toBeVisible();
  const summary = reviewDialog.getByRole('region', { name: '计划概要' });
  await expect(summary).toContainText('运行中，重启后生效：1');
  await expect(summary).toContainText('已停止，启动后生效：1');
  // The activation policy, in Chinese: start the stopped one, reboot the running one in waves of one.
  const activation = reviewDialog.getByRole('group', { name: '生效方式' });
  await activation.getByRole('radio', { name: '启动已停止的实例' }).check();
  await activation.getByRole('radio', { name: '分批重启运行中的实例' }).check();
  await activation.getByRole('spinbutton', { name: '每批数量' }).fill('1');
  await page.screenshot({ path: screenshotPath('zh-CN-review') });
  await reviewDialog.getByRole('button', { name: '挂载到 2 个实例' }).click();

  // The run's page, until the key pair is active on both.
  await page.waitForURL(/\/runs\/[^/]+$/);
  const state = page.getByRole('status', { name: '任务状态' });
  await expect(state).toContainText('已完成', { timeout: 60_000 });
  const runTable = page.getByRole('table', { name: '本任务的实例' });
  const runningRow = runTable.getByRole('row').filter({ hasText: running.InstanceId });
  const stoppedRow = runTable.getByRole('row').filter({ hasText: stopped.InstanceId });
  await expect(runningRow).toContainText('密钥已生效（根据重启推断）。');
  await expect(stoppedRow).toContainText('密钥已生效（根据启动推断）。');
  const requestId = (
    await runningRow
      .getByRole('button', { name: /^复制请求 ID / })
      .first()
      .getAttribute('aria-label')
  )?.replace(/^复制请求 ID /, '');
  expect(requestId).toBeTruthy();
  await expect(page.getByRole('button', { name: '导出 CSV' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('zh-CN-results') });

  // Activity page.
  await header.navLink('操作记录').click();
  await expect(page.getByRole('heading', { level: 1, name: '操作记录' })).toBeVisible();
  const activityFilters = page.getByRole('search', { name: '筛选操作记录' });
  for (const name of ['用户', '地域 ID', '实例 ID'])
    await expect(activityFilters.getByRole('textbox', { name, exact: true })).toBeVisible();
  await expect(activityFilters.getByRole('button', { name: '应用筛选' })).toBeVisible();
  const trail = page.getByRole('table', { name: '通过控制台进行的操作，最新的在前' });
  for (const name of ['操作人', '时间', '操作', '地域', '密钥对', '实例', '结果', 'ECS 请求 ID', '耗时']) {
    await expect(trail.getByRole('columnheader', { name, exact: true })).toBeVisible();
  }
  const operation = trail.getByRole('row').filter({ hasText: requestId ?? '' });
  await expect(operation).toContainText('绑定密钥对');
  await expect(operation).toContainText('成功');
  await expect(operation.getByRole('link', { name: '查看这些实例' })).toBeVisible();
  await operation.getByRole('button', { name: '2 个实例' }).click();
  const outcomes = trail.getByRole('table', { name: '各实例的结果' });
  await expect(outcomes.getByRole('row').filter({ hasText: running.InstanceId })).toContainText('成功');
  await expect(trail.getByRole('row').filter({ hasText: '批量重启实例' }).first()).toBeVisible();
  await expect(trail.getByRole('row').filter({ hasText: '批量启动实例' }).first()).toBeVisible();
  expect(await htmlLang(page)).toBe('zh-CN');
  await page.screenshot({ path: screenshotPath('zh-CN-activity') });
});
