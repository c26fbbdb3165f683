import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { mockModel, server } from '@web/mocks/node';
import {
  ATTACH_ONLY,
  confirmReview,
  mockRuns,
  openReview,
  READ_ONLY,
  renderRegionWith,
  settled,
  WAIT,
  waitForRunPage,
} from '@web/test/attach-flow';
import { renderApp } from '@web/test/render';

/**
 * The review as an operator meets it: the region page with the chosen instances selected, the key pair picked,
 * "Review and attach…"; confirming creates a run in the mock console (web/mocks/runs-model.ts) and goes to its page.
 */

/** The whole app per test, driven click by click: more than the 20 s default on a shared, loaded machine. */
const JOURNEY_TIMEOUT = 60_000;

beforeAll(() => import('@web/app/routes/RegionPage'));
beforeEach(() => {
  // Quick boots, so the runs created here finish instead of waiting on the simulator's default durations.
  mockModel.simulator.setControl({ transitionMs: { stopping: 20, starting: 40 } });
});

const policyGroup = (review: HTMLElement) => within(within(review).getByRole('group', { name: 'Activation' }));
/** The create's error (the password warning is an alert too). */
const createError = async (review: HTMLElement) =>
  (await within(review).findByText(/^The (run was not created|console’s server gave no definite answer)/, {}, WAIT)).closest(
    '[role="alert"]',
  );
const preview = (review: HTMLElement) => within(review).getByRole('region', { name: 'Activation preview' });
const spin = (review: HTMLElement, name: string) => within(review).getByRole('spinbutton', { name });

async function setNumber(user: Awaited<ReturnType<typeof renderApp>>['user'], field: HTMLElement, value: string) {
  await user.clear(field);
  if (value !== '') await user.paste(value);
}

/** Instances that get the key pair (none yet or another one), so each is attached. */
const attachable = (status: 'Running' | 'Stopped') => settled(status).filter((t) => t.KeyPairName !== 'ops-team');

describe('the review dialog: plan', { timeout: JOURNEY_TIMEOUT }, () => {
  it('shows the plan with replace / no change / none-yet counts, the password warning, and what happens to each instance', async () => {
    const all = settled();
    const same = all.filter((t) => t.KeyPairName === 'ops-team').slice(0, 2);
    const replace = all.filter((t) => t.KeyPairName && t.KeyPairName !== 'ops-team').slice(0, 3);
    const none = all.filter((t) => !t.KeyPairName).slice(0, 4);
    const chosen = [...same, ...replace, ...none];
    const { user } = await renderRegionWith(chosen);
    const review = await openReview(user);

    expect(review).toHaveAccessibleName('Review: attach ops-team to 9 instances');
    expect(within(review).getByText('Password login will be disabled')).toBeInTheDocument();
    expect(review).toHaveTextContent(
      'password login is disabled on every one of these 9 instances, and any key pair they already have is replaced',
    );
    const summary = within(review).getByRole('region', { name: 'Plan summary' });
    expect(summary).toHaveTextContent('Will replace an existing key pair: 3');
    expect(summary).toHaveTextContent('Already have ops-team (no change): 2');
    expect(summary).toHaveTextContent('No key pair yet: 4');
    const running = chosen.filter((t) => t.Status === 'Running').length;
    expect(summary).toHaveTextContent(`Running, takes effect after a reboot: ${running}`);
    expect(summary).toHaveTextContent(`Stopped, takes effect after a start: ${9 - running}`);

    // Every instance has its own line in the plan, saying what the run does to it.
    const table = within(review).getByRole('table', { name: 'Plan for each instance' });
    const firstReplaced = replace[0];
    if (!firstReplaced) throw new Error('fleet has no instance with another key pair');
    const row = within(table).getByText(firstReplaced.InstanceId).closest('tr');
    expect(row).toHaveTextContent(`Will replace key pair ${firstReplaced.KeyPairName}`);
    expect(within(table).getAllByText('Already has this key pair (no change)')).toHaveLength(2);
    expect(within(table).getAllByText('No change: already has this key pair, nothing is sent')).toHaveLength(2);
    expect(within(table).getAllByText('No key pair yet')).toHaveLength(4);
    const sent = [...replace, ...none];
    const sentRunning = sent.filter((t) => t.Status === 'Running').length;
    expect(within(table).queryAllByText('Attach; then pending until its next reboot')).toHaveLength(sentRunning);
    expect(within(table).queryAllByText('Attach; then pending until its next start')).toHaveLength(7 - sentRunning);

    // By default nothing reboots or starts, and the screen says when the key takes effect instead.
    const group = policyGroup(review);
    if (sentRunning > 0) expect(group.getByRole('radio', { name: 'Leave the running instances pending' })).toBeChecked();
    if (sentRunning < 7) expect(group.getByRole('radio', { name: 'Leave the stopped instances pending' })).toBeChecked();
    expect(within(review).getByRole('group', { name: 'Activation' })).toHaveTextContent('can be activated later');
    expect(preview(review)).toHaveTextContent('Nothing will be rebooted or started.');

    // Up to 20 instances there is nothing to type.
    expect(within(review).queryByRole('textbox')).not.toBeInTheDocument();
    expect(within(review).getByRole('button', { name: 'Attach to 9 instances' })).toBeEnabled();
  });

  it('over 20 instances, keeps the confirm button disabled until the key pair name is typed exactly', async () => {
    const { user } = await renderRegionWith(settled().slice(0, 21));
    const review = await openReview(user);
    const confirm = within(review).getByRole('button', { name: 'Attach to 21 instances' });
    expect(confirm).toBeDisabled();
    expect(confirm).toHaveAccessibleDescription('Type the key pair name exactly to confirm a change this large.');
    const box = within(review).getByRole('textbox', { name: 'Type the key pair name to confirm' });
    await user.type(box, 'ops-tea');
    expect(confirm).toBeDisabled();
    await user.type(box, 'm');
    expect(confirm).toBeEnabled();
    await user.type(box, 'x');
    expect(confirm).toBeDisabled();
    // Key pair names are case-sensitive in ECS; so is the confirmation.
    await user.clear(box);
    await user.paste('OPS-TEAM');
    expect(confirm).toBeDisabled();
  });

  it('refuses a run that would change nothing: every instance already has the key pair and none awaits activation', async () => {
    const { user } = await renderRegionWith(
      settled()
        .filter((t) => t.KeyPairName === 'ops-team')
        .slice(0, 2),
    );
    const review = await openReview(user);
    const confirm = within(review).getByRole('button', { name: 'Attach to 2 instances' });
    expect(confirm).toBeDisabled();
    expect(confirm).toHaveAccessibleDescription(
      'Every instance already has this key pair and none awaits activation: the run would change nothing.',
    );
  });

  it('an instance that already has the key pair but still awaits its reboot is activated, not left as "no change"', async () => {
    const target = attachable('Running')[0];
    if (!target) throw new Error('no running instance');
    expect(
      mockModel.ecs('AttachKeyPair', { RegionId: 'cn-hangzhou', KeyPairName: 'ops-team', InstanceIds: [target.InstanceId] }).status,
    ).toBe(200);
    const { user } = await renderRegionWith([target]);
    const review = await openReview(user);
    await user.click(policyGroup(review).getByRole('radio', { name: 'Reboot the running instances in waves' }));
    const table = within(review).getByRole('table', { name: 'Plan for each instance' });
    expect(within(table).getByText(target.InstanceId).closest('tr')).toHaveTextContent(
      'Already has this key pair, awaiting a reboot: reboot in wave 1',
    );
    expect(within(review).getByRole('button', { name: 'Attach to 1 instance' })).toBeEnabled();
  });

  it('renders the review and its policy in 简体中文', async () => {
    const chosen = settled().slice(0, 3);
    const { user } = await renderApp(`/regions/cn-hangzhou?ids=${chosen.map((t) => t.InstanceId).join(',')}`, { language: 'zh-CN' });
    await user.click(await screen.findByRole('button', { name: '选择全部 3 个符合条件的实例' }, WAIT));
    await user.click(screen.getByRole('combobox', { name: '密钥对' }));
    await user.click(await screen.findByRole('option', { name: /^ops-team/ }, WAIT));
    const button = screen.getByRole('button', { name: '检查并挂载…' });
    await waitFor(() => expect(button).toBeEnabled());
    await user.click(button);
    const review = await screen.findByRole('dialog', { name: '检查：将 ops-team 挂载到 3 个实例' }, WAIT);
    expect(within(review).getByText('将禁用密码登录')).toBeInTheDocument();
    expect(review).toHaveTextContent('这 3 个实例将全部禁用密码登录');
    expect(within(review).getByRole('group', { name: '生效方式' })).toBeInTheDocument();
    expect(within(review).getByRole('region', { name: '生效计划预览' })).toBeInTheDocument();
    expect(within(review).getByRole('table', { name: '每个实例的计划' })).toBeInTheDocument();
    expect(within(review).getByRole('button', { name: '挂载到 3 个实例' })).toBeEnabled();
    expect(within(review).getByRole('button', { name: '取消' })).toBeInTheDocument();
  });

  it('says why the button is disabled when there is no key pair or no selection', async () => {
    const first = await renderRegionWith(settled().slice(0, 1), { keyPairName: undefined });
    const button = await screen.findByRole('button', { name: 'Review and attach…' });
    await waitFor(() => expect(button).toHaveAccessibleDescription('Choose a key pair first.'));
    expect(button).toBeDisabled();
    first.unmount();
    await renderRegionWith([]);
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Review and attach…' })).toHaveAccessibleDescription('Select at least one instance.'),
    );
  });

  it('a read-only user sees the attach button disabled, with the reason', async () => {
    mockModel.setSession({ allowedActions: READ_ONLY });
    await renderRegionWith(settled().slice(0, 2), { keyPairName: undefined });
    const button = await screen.findByRole('button', { name: 'Review and attach…' });
    await waitFor(() => expect(button).toHaveAccessibleDescription('Your groups do not allow AttachKeyPair.'));
    expect(button).toBeDisabled();
    expect(screen.getByText('Your groups do not allow AttachKeyPair.')).toBeVisible();
  });
});

describe('the review dialog: activation policy', { timeout: JOURNEY_TIMEOUT }, () => {
  it('previews the waves for the selection: by count, by percent, and one zone at a time', async () => {
    const running = attachable('Running').slice(0, 25);
    const stopped = attachable('Stopped').slice(0, 4);
    expect([running.length, stopped.length]).toEqual([25, 4]);
    const { user } = await renderRegionWith([...running, ...stopped]);
    const review = await openReview(user);
    const group = policyGroup(review);

    await user.click(group.getByRole('radio', { name: 'Start the stopped instances' }));
    expect(preview(review)).toHaveTextContent('4 stopped instances will be started');
    expect(preview(review)).toHaveTextContent('25 running instances left pending: the key takes effect at their next reboot');

    await user.click(group.getByRole('radio', { name: 'Reboot the running instances in waves' }));
    await setNumber(user, spin(review, 'Wave size'), '10');
    expect(preview(review)).toHaveTextContent('3 waves: 10, 10, 5; at most 10 instances rebooting at once');
    expect(preview(review)).toHaveTextContent('Each wave waits until its instances are Running again (up to 10 min)');
    expect(preview(review)).toHaveTextContent('The run pauses at the first failure.');
    // Each instance's line names its wave, in the list's order (the table renders the rows in view).
    const table = within(review).getByRole('table', { name: 'Plan for each instance' });
    const shown = within(table)
      .getAllByRole('row')
      .filter((row) => row.getAttribute('aria-rowindex') !== '1');
    expect(shown.length).toBeGreaterThan(3);
    for (const row of shown) {
      const index = running.findIndex((t) => row.textContent?.includes(t.InstanceId));
      expect(row).toHaveTextContent(index === -1 ? 'Attach, then start' : `Attach, then reboot in wave ${Math.floor(index / 10) + 1}`);
    }

    // 30 % of 25 rounds up to 8 a wave.
    await user.selectOptions(within(review).getByRole('combobox', { name: 'Wave size unit' }), 'percent');
    await setNumber(user, spin(review, 'Wave size'), '30');
    expect(preview(review)).toHaveTextContent('4 waves: 8, 8, 8, 1; at most 8 instances rebooting at once');

    // One zone at a time: each zone on its own, the largest first, never two zones in a wave.
    await user.selectOptions(within(review).getByRole('combobox', { name: 'Wave size unit' }), 'count');
    await setNumber(user, spin(review, 'Wave size'), '5');
    await user.click(group.getByRole('checkbox', { name: 'One zone at a time' }));
    const byZone = new Map<string, number>();
    for (const t of running) byZone.set(t.ZoneId ?? '', (byZone.get(t.ZoneId ?? '') ?? 0) + 1);
    const zones = [...byZone.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    let wave = 0;
    const parts = zones.map(([zone, n]) => {
      const from = wave + 1;
      wave += Math.ceil(n / 5);
      return from === wave ? `wave ${from} in ${zone}` : `waves ${from}–${wave} in ${zone}`;
    });
    const sizes = zones.flatMap(([, n]) => Array.from({ length: Math.ceil(n / 5) }, (_, i) => Math.min(5, n - i * 5)));
    expect(preview(review)).toHaveTextContent(
      `${wave} waves: ${sizes.join(', ')}; at most ${Math.max(...sizes)} instances rebooting at once`,
    );
    expect(preview(review)).toHaveTextContent(`Zones: ${parts.join('; ')}`);
  });

  it.each([
    ['Wave size', '0', 'Wave size: a whole number of instances from 1 to 10,000.'],
    ['Wave size', '', 'Wave size: a whole number of instances from 1 to 10,000.'],
    ['Health gate timeout', '61', 'Health gate timeout: from 10 seconds to 60 minutes.'],
    ['Failure budget', '-1', 'Failure budget: a whole number, 0 or more.'],
  ])('disables confirm while %s is %j, and says why', async (field, value, reason) => {
    const { user } = await renderRegionWith(attachable('Running').slice(0, 3));
    const review = await openReview(user);
    await user.click(policyGroup(review).getByRole('radio', { name: 'Reboot the running instances in waves' }));
    const confirm = within(review).getByRole('button', { name: 'Attach to 3 instances' });
    expect(confirm).toBeEnabled();
    await setNumber(user, spin(review, field), value);
    expect(confirm).toBeDisabled();
    expect(confirm).toHaveAccessibleDescription(reason);
    expect(within(review).getAllByText(reason).length).toBeGreaterThan(0);
    expect(preview(review)).toHaveTextContent('Correct the values above to see the plan.');
  });

  it('refuses a percentage over 100 and a health gate under 10 seconds', async () => {
    const { user } = await renderRegionWith(attachable('Running').slice(0, 3));
    const review = await openReview(user);
    await user.click(policyGroup(review).getByRole('radio', { name: 'Reboot the running instances in waves' }));
    const confirm = within(review).getByRole('button', { name: 'Attach to 3 instances' });
    await user.selectOptions(within(review).getByRole('combobox', { name: 'Wave size unit' }), 'percent');
    await setNumber(user, spin(review, 'Wave size'), '101');
    expect(confirm).toHaveAccessibleDescription('Wave size: a percentage from 1 to 100.');
    await setNumber(user, spin(review, 'Wave size'), '100');
    expect(confirm).toBeEnabled();
    await user.selectOptions(within(review).getByRole('combobox', { name: 'Health gate timeout unit' }), 's');
    await setNumber(user, spin(review, 'Health gate timeout'), '9');
    expect(confirm).toHaveAccessibleDescription('Health gate timeout: from 10 seconds to 60 minutes.');
  });

  it('confirm creates a run with exactly the chosen policy, and goes to its page', async () => {
    const running = attachable('Running').slice(0, 6);
    const stopped = attachable('Stopped').slice(0, 2);
    const chosen = [...running, ...stopped];
    const { user, navigations } = await renderRegionWith(chosen);
    const review = await openReview(user);
    const group = policyGroup(review);
    await user.click(group.getByRole('radio', { name: 'Start the stopped instances' }));
    await user.click(group.getByRole('radio', { name: 'Reboot the running instances in waves' }));
    await user.selectOptions(within(review).getByRole('combobox', { name: 'Wave size unit' }), 'percent');
    await setNumber(user, spin(review, 'Wave size'), '50');
    await user.click(group.getByRole('checkbox', { name: 'One zone at a time' }));
    await user.selectOptions(within(review).getByRole('combobox', { name: 'Health gate timeout unit' }), 's');
    await setNumber(user, spin(review, 'Health gate timeout'), '90');
    await setNumber(user, spin(review, 'Failure budget'), '2');
    await setNumber(user, spin(review, 'Pause between waves'), '1');
    await user.selectOptions(within(review).getByRole('combobox', { name: 'Pause between waves unit' }), 'min');
    await user.click(group.getByRole('checkbox', { name: /^Force reboot/ }));
    expect(within(review).getByText('Force reboot is on: reboots cut the power')).toBeInTheDocument();
    expect(review).toHaveTextContent('unsaved data and writes in progress are lost');
    expect(mockRuns()).toEqual([]);

    await confirmReview(user, review, chosen.length);
    const id = await waitForRunPage(navigations);
    const runs = mockRuns();
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run?.id).toBe(id);
    expect(run).toMatchObject({ kind: 'attach', regionId: 'cn-hangzhou', keyPairName: 'ops-team', total: chosen.length });
    expect(run?.policy).toEqual({
      stopped: 'start',
      running: {
        mode: 'waves',
        size: { kind: 'percent', value: 50 },
        oneZoneAtATime: true,
        healthTimeoutMs: 90_000,
        failureBudget: 2,
        pauseBetweenWavesMs: 60_000,
        forceReboot: true,
      },
    });
    // The instances sent are the selection, in the list's order.
    const rows = (mockModel.runs.instances(id, new URLSearchParams()).body as { items: { InstanceId: string }[] }).items;
    expect(rows.map((r) => r.InstanceId).sort()).toEqual(chosen.map((t) => t.InstanceId).sort());
  });

  it('the defaults create a run that leaves every instance pending', async () => {
    const chosen = [...attachable('Running').slice(0, 2), ...attachable('Stopped').slice(0, 1)];
    const { user, navigations } = await renderRegionWith(chosen);
    const review = await openReview(user);
    await confirmReview(user, review, 3);
    await waitForRunPage(navigations);
    expect(mockRuns()[0]?.policy).toEqual({ stopped: 'leave', running: { mode: 'leave' } });
  });

  it('a failed create keeps the dialog and its choices, says why in words with the request ID, and can be sent again', async () => {
    server.use(
      http.post('/api/runs', () =>
        HttpResponse.json(
          { RequestId: 'R-503', Code: 'Proxy.AuditUnavailable', Message: 'The run store cannot be used right now. Try again later.' },
          { status: 503 },
        ),
      ),
    );
    const { user, navigations } = await renderRegionWith(attachable('Running').slice(0, 4));
    const review = await openReview(user);
    await user.click(policyGroup(review).getByRole('radio', { name: 'Reboot the running instances in waves' }));
    await setNumber(user, spin(review, 'Wave size'), '3');
    await confirmReview(user, review, 4);

    const alert = await createError(review);
    expect(alert).toHaveTextContent('The run was not created: The audit trail cannot be written, so nothing was sent. Try again later.');
    expect(alert).toHaveTextContent('Request ID: R-503');
    expect(screen.getByRole('dialog', { name: 'Review: attach ops-team to 4 instances' })).toBe(review);
    expect(policyGroup(review).getByRole('radio', { name: 'Reboot the running instances in waves' })).toBeChecked();
    expect(spin(review, 'Wave size')).toHaveValue(3);
    expect(preview(review)).toHaveTextContent('2 waves: 3, 1');
    expect(mockRuns()).toEqual([]);
    expect(navigations.some((url) => url.startsWith('/runs/'))).toBe(false);

    // The proxy is back: the same choices go out.
    server.resetHandlers();
    await user.click(within(review).getByRole('button', { name: 'Attach to 4 instances' }));
    await waitForRunPage(navigations);
    expect(mockRuns()[0]?.policy.running).toMatchObject({ mode: 'waves', size: { kind: 'count', value: 3 } });
  });

  it('an answer that is not the proxy’s own says the run may or may not have been created', async () => {
    server.use(http.post('/api/runs', () => new HttpResponse('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })));
    const { user } = await renderRegionWith(attachable('Running').slice(0, 1));
    const review = await openReview(user);
    await confirmReview(user, review, 1);
    const alert = await createError(review);
    expect(alert).toHaveTextContent('the run may or may not have been created. Check the list of runs before trying again.');
  });

  it('while the run is being created: the button shows it, the dialog cannot be closed, and leaving the tab asks first', async () => {
    let answer: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    server.use(
      http.post('/api/runs', async ({ request }) => {
        const body: unknown = await request.json();
        await held;
        const created = mockModel.runs.create(body);
        return HttpResponse.json(created.body as Record<string, unknown>, { status: created.status });
      }),
    );
    const { user, navigations } = await renderRegionWith(attachable('Running').slice(0, 2));
    const review = await openReview(user);
    await confirmReview(user, review, 2);

    const busy = await within(review).findByRole('button', { name: 'Creating the run…' }, WAIT);
    expect(busy).toHaveAttribute('aria-busy', 'true');
    expect(busy).toBeDisabled();
    const cancel = within(review).getByRole('button', { name: 'Cancel' });
    expect(cancel).toBeDisabled();
    expect(cancel).toHaveAccessibleDescription('The run is being created; wait for the answer.');
    await user.keyboard('{Escape}');
    expect(screen.getByRole('dialog', { name: /^Review: attach/ })).toBe(review);
    const leaving = new Event('beforeunload', { cancelable: true });
    fireEvent(window, leaving);
    expect(leaving.defaultPrevented).toBe(true);

    answer();
    await waitForRunPage(navigations);
    const after = new Event('beforeunload', { cancelable: true });
    fireEvent(window, after);
    expect(after.defaultPrevented).toBe(false);
  });

  it('without the power role, starting and rebooting cannot be chosen, and say why; leaving pending still can', async () => {
    mockModel.setSession({ allowedActions: ATTACH_ONLY });
    const chosen = [...attachable('Running').slice(0, 2), ...attachable('Stopped').slice(0, 1)];
    const { user, navigations } = await renderRegionWith(chosen);
    const review = await openReview(user);
    const group = policyGroup(review);
    const waves = group.getByRole('radio', { name: 'Reboot the running instances in waves' });
    await waitFor(() => expect(waves).toBeDisabled());
    expect(waves).toHaveAccessibleDescription('Your groups do not allow RebootInstances.');
    const start = group.getByRole('radio', { name: 'Start the stopped instances' });
    expect(start).toBeDisabled();
    expect(start).toHaveAccessibleDescription('Your groups do not allow StartInstances.');
    expect(group.getByText('Your groups do not allow RebootInstances.')).toBeVisible();
    await confirmReview(user, review, 3);
    await waitForRunPage(navigations);
    expect(mockRuns()[0]?.policy).toEqual({ stopped: 'leave', running: { mode: 'leave' } });
  });
});
