import { act, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { createConsoleModel } from '@web/mocks/console-model';
import { createHandlers } from '@web/mocks/handlers';
import { mockModel, server } from '@web/mocks/node';
import { renderApp } from '@web/test/render';

/**
 * The instances screen as an operator meets it: the real app at a URL, msw over the simulator's 150-instance
 * cn-hangzhou (web/mocks/node.ts).
 */

const REGION = 'cn-hangzhou';
const TABLE = `Instances in ${REGION}`;
/** Waits for a first load: generous, because a shared CI machine can be slow to render the whole app. */
const LOAD = { timeout: 8_000 };

/**
 * The simulator settles the few instances it creates mid-transition within 4 s of a reset. Running the clock
 * 10 s ahead makes every listing start settled, so counts do not move under a test; the polling test moves the
 * clock on purpose.
 */
let clockOffset = 0;
/** When set, the clock stands still apart from clockOffset, so simulated transitions wait for the test. */
let frozenAt: number | undefined;
// The route is lazy; load it once up front so the first test does not spend its wait on the import.
beforeAll(() => import('@web/app/routes/RegionPage'));
beforeEach(() => {
  clockOffset = 10_000;
  frozenAt = undefined;
  const realNow = Date.now.bind(Date);
  vi.spyOn(Date, 'now').mockImplementation(() => (frozenAt ?? realNow()) + clockOffset);
});
afterEach(() => vi.restoreAllMocks());

const fleet = () => mockModel.simulator.instancesIn(REGION);
const isSelectable = (i: ReturnType<typeof fleet>[number]) => i.OSType !== 'windows' && (i.OperationLocks.LockReason ?? []).length === 0;
const checkbox = (i: { InstanceName: string; InstanceId: string }) =>
  within(screen.getByRole('table', { name: TABLE })).getByRole('checkbox', { name: `Select ${i.InstanceName} (${i.InstanceId})` });
const filters = () => within(screen.getByRole('search', { name: 'Filters' }));
const selectionBar = () => within(screen.getByRole('region', { name: 'Selection' }));
const lastUrl = (location: { history?: string[] | undefined }) => decodeURIComponent(location.history?.at(-1) ?? '');

async function openRegion(query = '', options: { language?: 'en' | 'zh-CN' } = {}) {
  const rendered = await renderApp(`/regions/${REGION}${query}`, options);
  return rendered;
}

/** Rendered data rows (the virtualizer renders those in view); header row excluded. */
function bodyRows() {
  const table = screen.getByRole('table', { name: TABLE });
  return within(table)
    .getAllByRole('row')
    .filter((row) => row.getAttribute('aria-rowindex') !== '1' && within(row).queryAllByRole('checkbox').length > 0);
}

describe('the instances screen', () => {
  it('lists the region’s instances with name, ID, status, OS and key pair', async () => {
    await openRegion();
    expect(await screen.findByText('150 instances in this region', {}, LOAD)).toBeInTheDocument();
    const table = screen.getByRole('table', { name: TABLE });
    for (const name of ['Name and ID', 'Status', 'OS', 'Current key pair', 'Private IP', 'Public IP / EIP', 'Zone', 'Type', 'Tags']) {
      expect(within(table).getByRole('columnheader', { name })).toBeInTheDocument();
    }
    expect(table).toHaveAttribute('aria-rowcount', '151');
    const first = fleet()[0];
    const ip = first?.VpcAttributes.PrivateIpAddress?.IpAddress?.[0];
    // An empty expected text would match any row: every value checked below must be there to check.
    if (first === undefined || first.KeyPairName === undefined || ip === undefined)
      throw new Error('fleet shape changed; pick an instance with a key pair and a private IP');
    const row = checkbox(first).closest('tr');
    if (row === null) throw new Error('no row');
    expect(row).toHaveTextContent(first.InstanceId);
    expect(row).toHaveTextContent(first.Status);
    expect(row).toHaveTextContent(first.KeyPairName);
    expect(row).toHaveTextContent(ip);
    // Virtualized: far fewer rows in the DOM than instances, but some.
    expect(bodyRows().length).toBeGreaterThan(5);
    expect(bodyRows().length).toBeLessThan(60);
  });

  it('filters by free text over name, ID and IP, and keeps it in the URL', async () => {
    const { user, location } = await openRegion();
    await screen.findByText('150 instances in this region', {}, LOAD);
    const target = fleet()[42];
    if (target === undefined) throw new Error('no instance');
    const ip = target.VpcAttributes.PrivateIpAddress?.IpAddress?.[0] ?? '';
    // Typed, as an operator would; the rest of the file pastes, which is the same input event and faster in jsdom.
    await user.type(filters().getByRole('searchbox', { name: 'Search' }), ip);
    await waitFor(() => expect(bodyRows()).toHaveLength(1), LOAD);
    expect(checkbox(target)).toBeInTheDocument();
    expect(lastUrl(location)).toBe(`/regions/${REGION}?q=${ip}`);

    await user.clear(filters().getByRole('searchbox', { name: 'Search' }));
    await user.click(filters().getByRole('searchbox', { name: 'Search' }));
    await user.paste(target.InstanceId.toUpperCase());
    await waitFor(() => expect(bodyRows()).toHaveLength(1), LOAD);
    expect(checkbox(target)).toBeInTheDocument();
  });

  it('filters by status, OS and key pair from the controls, and keeps them in the URL', async () => {
    const { user, location } = await openRegion();
    await screen.findByText('150 instances in this region', {}, LOAD);
    await user.click(filters().getByRole('combobox', { name: 'Status' }));
    await user.click(screen.getByRole('option', { name: 'Stopped' }));
    await user.click(filters().getByRole('combobox', { name: 'OS' }));
    await user.click(screen.getByRole('option', { name: 'Linux' }));
    const stopped = fleet().filter((i) => i.Status === 'Stopped' && i.OSType === 'linux');
    expect(stopped.length).toBeGreaterThan(0);
    expect(await screen.findByText(`150 instances in this region · ${stopped.length} of 150 match`, {}, LOAD)).toBeInTheDocument();
    // Non-empty first: a loop over no rows would pass whatever the filter did.
    expect(bodyRows().length).toBeGreaterThan(0);
    for (const row of bodyRows()) expect(row).toHaveTextContent('Stopped');

    await user.click(filters().getByRole('combobox', { name: 'Current key pair' }));
    await user.click(screen.getByRole('option', { name: 'ops-team' }));
    const withOps = stopped.filter((i) => i.KeyPairName === 'ops-team');
    expect(withOps.length).toBeGreaterThan(0);
    expect(await screen.findByText(`150 instances in this region · ${withOps.length} of 150 match`, {}, LOAD)).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(withOps.length);
    for (const row of bodyRows()) expect(row).toHaveTextContent('ops-team');
    expect(lastUrl(location)).toBe(`/regions/${REGION}?status=Stopped&os=linux&key=ops-team`);
  });

  it('opens a link with filters as the same filtered view (key pair none, tag, status, OS)', async () => {
    const expected = fleet().filter(
      (i) =>
        i.Status === 'Running' &&
        i.OSType === 'linux' &&
        i.KeyPairName === undefined &&
        i.Tags.Tag?.some((t) => t.TagKey === 'env' && t.TagValue === 'prod'),
    );
    await openRegion('?status=Running&os=linux&key=none&tag=env%3Dprod');
    expect(await screen.findByText(`150 instances in this region · ${expected.length} of 150 match`, {}, LOAD)).toBeInTheDocument();
    expect(filters().getByRole('combobox', { name: 'Status' })).toHaveTextContent('Running');
    expect(filters().getByRole('combobox', { name: 'OS' })).toHaveTextContent('Linux');
    expect(filters().getByRole('combobox', { name: 'Current key pair' })).toHaveTextContent('None (no key pair)');
    expect(filters().getByRole('textbox', { name: 'Tag' })).toHaveValue('env=prod');
    expect(expected.length).toBeGreaterThan(0);
    expect(bodyRows().length).toBeGreaterThan(0);
    expect(bodyRows().length).toBeLessThanOrEqual(expected.length);
    for (const row of bodyRows()) {
      expect(row).toHaveTextContent('Running');
      expect(row).toHaveTextContent('none');
      expect(row).toHaveTextContent('env=prod');
    }
  });

  it('shows only the instances of a link’s ids, and can drop that filter', async () => {
    const picked = fleet().slice(10, 13);
    const { user, location } = await openRegion(`?ids=${picked.map((i) => i.InstanceId).join(',')}`);
    expect(await screen.findByText('Only the 3 instances from a link', {}, LOAD)).toBeInTheDocument();
    await waitFor(() => expect(bodyRows()).toHaveLength(3), LOAD);
    for (const i of picked) expect(checkbox(i)).toBeInTheDocument();
    await user.click(filters().getByRole('button', { name: 'Show all instances' }));
    expect(await screen.findByText('150 instances in this region', {}, LOAD)).toBeInTheDocument();
    expect(lastUrl(location)).toBe(`/regions/${REGION}`);
  });

  it('refuses Windows and locked instances, and says why', async () => {
    const windows = fleet().find((i) => i.OSType === 'windows');
    const locked = fleet().find((i) => i.OSType === 'linux' && (i.OperationLocks.LockReason ?? []).length > 0);
    const fine = fleet().find(isSelectable);
    if (!windows || !locked || !fine) throw new Error('fleet lacks a Windows, a locked or a plain instance');
    const { user } = await openRegion(`?ids=${[windows, locked, fine].map((i) => i.InstanceId).join(',')}`);
    await screen.findByText('Only the 3 instances from a link', {}, LOAD);
    await waitFor(() => expect(bodyRows()).toHaveLength(3), LOAD);

    expect(checkbox(windows)).toBeDisabled();
    expect(checkbox(windows)).toHaveAccessibleDescription('Windows instances cannot use SSH key pairs.');
    expect(checkbox(locked)).toBeDisabled();
    const reason = { financial: 'overdue payment', security: 'security risk' }[locked.OperationLocks.LockReason?.[0]?.LockReason ?? ''];
    expect(checkbox(locked)).toHaveAccessibleDescription(`Locked by ECS: ${reason}`);
    expect(checkbox(locked).closest('tr')).toHaveTextContent(`Locked (${reason})`);
    expect(checkbox(fine)).toBeEnabled();

    // "Select all matching" takes only the selectable one.
    await user.click(selectionBar().getByRole('button', { name: 'Select all 1 matching' }));
    expect(selectionBar().getByText('1 instance selected')).toBeInTheDocument();
    expect(checkbox(fine)).toBeChecked();
    expect(checkbox(windows)).not.toBeChecked();
  });

  it('selects one, a Shift range (selectable rows only), all matching, and clears', async () => {
    const { user } = await openRegion();
    await screen.findByText('150 instances in this region', {}, LOAD);
    const rows = fleet();
    const start = rows.findIndex(isSelectable);
    // A range that spans at least one unselectable row, to prove it is skipped.
    const unselectable = rows.findIndex((i, index) => index > start && !isSelectable(i));
    const end = unselectable + 1;
    const first = rows[start];
    const last = rows[end];
    if (!first || !last || unselectable === -1 || end > 15) throw new Error('fleet shape changed; pick other rows');
    expect(selectionBar().getByText('0 instances selected')).toBeInTheDocument();

    await user.click(checkbox(first));
    expect(selectionBar().getByText('1 instance selected')).toBeInTheDocument();

    await user.keyboard('{Shift>}');
    await user.click(checkbox(last));
    await user.keyboard('{/Shift}');
    const inRange = rows.slice(start, end + 1).filter(isSelectable);
    expect(selectionBar().getByText(`${inRange.length} instances selected`)).toBeInTheDocument();
    for (const i of rows.slice(start, end + 1)) {
      if (isSelectable(i)) expect(checkbox(i)).toBeChecked();
      else expect(checkbox(i)).not.toBeChecked();
    }

    const selectable = rows.filter(isSelectable);
    await user.click(selectionBar().getByRole('button', { name: `Select all ${selectable.length} matching` }));
    expect(selectionBar().getByText(`${selectable.length} instances selected`)).toBeInTheDocument();
    expect(selectionBar().getByRole('button', { name: `Select all ${selectable.length} matching` })).toBeDisabled();

    await user.click(selectionBar().getByRole('button', { name: 'Clear selection' }));
    expect(selectionBar().getByText('0 instances selected')).toBeInTheDocument();
    expect(selectionBar().getByRole('button', { name: 'Clear selection' })).toHaveAccessibleDescription('Nothing is selected.');

    // A selection the filters hide is still counted, and said to be hidden.
    await user.click(checkbox(first));
    await user.click(checkbox(last));
    await user.click(filters().getByRole('searchbox', { name: 'Search' }));
    await user.paste(first.InstanceId);
    expect(await selectionBar().findByText('(1 of them hidden by the filters)', {}, LOAD)).toBeInTheDocument();
    expect(selectionBar().getByText('2 instances selected')).toBeInTheDocument();
  });

  it('selects from the keyboard: Space toggles, Shift+Space extends the range', async () => {
    const { user } = await openRegion('?key=none&os=linux');
    await screen.findByText(/match$/, {}, LOAD);
    const rows = fleet().filter((i) => i.KeyPairName === undefined && i.OSType === 'linux' && isSelectable(i));
    const [a, , , d] = rows;
    if (!a || !d) throw new Error('too few instances');
    checkbox(a).focus();
    await user.keyboard(' ');
    expect(checkbox(a)).toBeChecked();
    await user.tab();
    await user.tab();
    await user.tab();
    expect(checkbox(d)).toHaveFocus();
    await user.keyboard('{Shift>} {/Shift}');
    expect(selectionBar().getByText('4 instances selected')).toBeInTheDocument();
  });

  it('streams a large region page by page, several pages in flight, with progress', async () => {
    const big = createConsoleModel({ instances: 1000 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pages: number[] = [];
    const pageSizes: (number | undefined)[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    server.use(
      http.post('/api/ecs/DescribeInstances', async ({ request }) => {
        // Recorded and asserted after: an expect failing in here would only turn into a 500 the app sees.
        const body = (await request.clone().json()) as { PageNumber?: number; PageSize?: number };
        pageSizes.push(body.PageSize);
        pages.push(body.PageNumber ?? 1);
        if ((body.PageNumber ?? 1) > 1) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await gate;
          inFlight--;
        }
        return undefined;
      }),
      ...createHandlers(big),
    );
    await openRegion();
    expect(await screen.findByText('Loaded 100 of 1,000 instances', {}, LOAD)).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Loading instances' })).toHaveAttribute('aria-valuenow', '10');
    // The first page is usable while the rest streams in.
    expect(bodyRows().length).toBeGreaterThan(5);
    await waitFor(() => expect(inFlight).toBe(6), LOAD);
    act(() => release());
    expect(await screen.findByText('1,000 instances in this region', {}, LOAD)).toBeInTheDocument();
    expect(screen.getByRole('table', { name: TABLE })).toHaveAttribute('aria-rowcount', '1001');
    expect(maxInFlight).toBe(6);
    expect([...pages].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(pageSizes)).toEqual(new Set([100]));
  });

  it('shows a failed first load inline with the request ID, and retries', async () => {
    server.use(
      http.post(
        '/api/ecs/DescribeInstances',
        () => HttpResponse.json({ RequestId: 'REQ-BROKEN-1', Code: 'InternalError', Message: 'boom' }, { status: 500 }),
        {
          once: true,
        },
      ),
    );
    const { user } = await openRegion();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('ECS had an internal error');
    expect(alert).toHaveTextContent('Request ID: REQ-BROKEN-1');
    // Nothing is on screen, so it must not claim to show "the last answer".
    expect(alert).toHaveTextContent(/^The instances could not be loaded:/);
    expect(alert).not.toHaveTextContent('last answer');
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('150 instances in this region', {}, LOAD)).toBeInTheDocument();
  });

  it('keeps the pages that arrived when a later page fails, and says so', async () => {
    let isFailing = true;
    server.use(
      http.post('/api/ecs/DescribeInstances', async ({ request }) => {
        const body = (await request.clone().json()) as { PageNumber?: number };
        if (body.PageNumber !== 2 || !isFailing) return undefined;
        isFailing = false;
        return HttpResponse.json({ RequestId: 'REQ-PAGE-2', Code: 'ServiceUnavailable', Message: 'try later' }, { status: 503 });
      }),
    );
    const { user } = await openRegion();
    // Inline (a toast says the same: there is data on screen, so it counts as a background failure).
    const text = await screen.findByText(/^Only 100 of 150 instances could be loaded: ECS is temporarily unavailable\./, {}, LOAD);
    const alert = text.closest<HTMLElement>('[role="alert"]');
    if (alert === null) throw new Error('not in an alert');
    expect(alert).toHaveTextContent('Request ID: REQ-PAGE-2');
    expect(bodyRows().length).toBeGreaterThan(5);
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('150 instances in this region', {}, LOAD)).toBeInTheDocument();
  });

  it('polls the status of transitional instances until they settle', async () => {
    const stopped = fleet().find((i) => i.Status === 'Stopped' && i.OSType === 'linux');
    if (!stopped) throw new Error('no stopped instance');
    // A loaded machine must not let the 2.5 s start finish before the screen first shows it.
    frozenAt = Date.now() - clockOffset;
    expect(mockModel.ecs('StartInstance', { RegionId: REGION, InstanceId: stopped.InstanceId }).status).toBe(200);
    const polled: string[][] = [];
    server.events.on('request:start', ({ request }) => {
      if (request.url.endsWith('/DescribeInstanceStatus')) {
        void request
          .clone()
          .json()
          .then((body: { InstanceId: string[] }) => polled.push(body.InstanceId));
      }
    });
    await openRegion(`?ids=${stopped.InstanceId}`);
    await waitFor(() => expect(checkbox(stopped).closest('tr')).toHaveTextContent('Starting'), LOAD);
    // The start completes (the simulator's transition is 2.5 s; jump past it).
    clockOffset += 5_000;
    await waitFor(() => expect(checkbox(stopped).closest('tr')).toHaveTextContent('Running'), { timeout: 5_000 });
    expect(polled.length).toBeGreaterThan(0);
    // Only the transitional instance is polled, not the region.
    for (const ids of polled) expect(ids).toEqual([stopped.InstanceId]);
    server.events.removeAllListeners();
  });

  it('marks instances whose key pair awaits a reboot or start', async () => {
    const target = fleet().find((i) => isSelectable(i) && i.Status === 'Running');
    if (!target) throw new Error('no running instance');
    const attach = mockModel.ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: 'break-glass-2026', InstanceIds: [target.InstanceId] });
    expect(attach.status).toBe(200);
    await openRegion(`?ids=${target.InstanceId}`);
    const badge = await screen.findByText('Key pending activation', {}, LOAD);
    const chip = badge.closest('[aria-description]');
    expect(chip?.getAttribute('aria-description')).toMatch(
      /^break-glass-2026 was attached by local operator on .+\. It takes effect only after a reboot/,
    );
    expect(checkbox(target).closest('tr')).toHaveTextContent('break-glass-2026');
  });

  it('marks an instance whose attach got no definite answer as "may be pending", apart from a confirmed one', async () => {
    const [unsure, sure] = fleet().filter((i) => isSelectable(i) && i.Status === 'Running' && i.KeyPairName !== 'break-glass-2026');
    if (!unsure || !sure) throw new Error('no running instances');
    const simulator = mockModel.simulator;
    const call = simulator.call.bind(simulator);
    // The attach's answer is lost to a gateway, and so is the console's attempt to read the instance back.
    const spy = vi.spyOn(simulator, 'call').mockImplementation((action, wire, ctx) => {
      const answer = call(action, wire, ctx);
      return action === 'AttachKeyPair' || action === 'DescribeInstances' ? { status: 502, body: {}, headers: {} } : answer;
    });
    expect(
      mockModel.ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: 'break-glass-2026', InstanceIds: [unsure.InstanceId] }).status,
    ).toBe(502);
    spy.mockRestore();
    expect(
      mockModel.ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: 'break-glass-2026', InstanceIds: [sure.InstanceId] }).status,
    ).toBe(200);

    await openRegion(`?ids=${unsure.InstanceId},${sure.InstanceId}`);
    const maybe = await screen.findByText('Key may be pending activation', {}, LOAD);
    expect(maybe.closest('tr')).toBe(checkbox(unsure).closest('tr'));
    expect(maybe.closest('[aria-description]')?.getAttribute('aria-description')).toMatch(
      /^ECS gave no definite answer when local operator attached break-glass-2026 on .+\. Check the instance’s key pair/,
    );
    expect(within(checkbox(sure).closest('tr') as HTMLElement).getByText('Key pending activation')).toBeInTheDocument();
    expect(screen.getAllByText('Key may be pending activation')).toHaveLength(1);
  });

  it('renders in 简体中文', async () => {
    await openRegion('', { language: 'zh-CN' });
    expect(await screen.findByText('此地域共 150 个实例', {}, LOAD)).toBeInTheDocument();
    const table = screen.getByRole('table', { name: `${REGION} 的实例` });
    expect(within(table).getByRole('columnheader', { name: '当前密钥对' })).toBeInTheDocument();
    expect(within(table).getAllByText(/运行中|已停止/).length).toBeGreaterThan(0);
    expect(screen.getByText('已选择 0 个实例')).toBeInTheDocument();
    expect(screen.getByRole('search', { name: '筛选' })).toBeInTheDocument();
    // The key pair picker on the same page.
    expect(screen.getByRole('combobox', { name: '密钥对' })).toBeInTheDocument();
    expect(await screen.findByText('此地域共 12 个密钥对', {}, LOAD)).toBeInTheDocument();
  });
});
