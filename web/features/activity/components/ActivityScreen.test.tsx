import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { mockModel, server } from '@web/mocks/node';
import { renderApp } from '@web/test/render';

const REGION = 'cn-hangzhou';
const KEY_PAIR = 'break-glass-2026';
const TABLE = 'Operations through the console, newest first';

/** Seeded fleet: Linux instances that accept a key pair, and a Windows one that ECS refuses (docs/ecs-notes.md#effect-on-the-instance). */
function fleet() {
  const all = mockModel.simulator.instancesIn(REGION);
  const linux = all
    .filter((i) => i.OSType === 'linux' && i.Status === 'Running' && (i.OperationLocks?.LockReason ?? []).length === 0)
    .map((i) => i.InstanceId);
  const windows = all.find((i) => i.OSType === 'windows')?.InstanceId;
  if (linux.length < 4 || windows === undefined) throw new Error('the seeded fleet changed; pick other instances');
  return { linux, windows };
}

/** Operations made through the mock API, so they are in the audit trail exactly as the console would leave them. */
function ecs(action: string, params: Record<string, unknown>): string {
  const answer = mockModel.ecs(action, params);
  const requestId = (answer.body as { RequestId?: unknown }).RequestId;
  if (typeof requestId !== 'string') throw new Error(`${action} gave no RequestId`);
  return requestId;
}

/**
 * The first find waits for the lazily loaded route and the first page; on a busy machine (suites run side by
 * side on two cores) that can take longer than Testing Library's 1 s default.
 */
const FIRST_LOAD = { timeout: 10_000 };

async function operationRows() {
  const table = await screen.findByRole('table', { name: TABLE }, FIRST_LOAD);
  // The first row is the header.
  return within(table).getAllByRole('row').slice(1);
}

describe('the activity page', () => {
  it('lists operations newest first: who, action, key pair, outcome in words, copyable ECS request IDs', async () => {
    const { linux, windows } = fleet();
    mockModel.setSession({ user: 'alice', email: 'alice@example.com', groups: ['sre', 'oncall'] });
    const attachId = ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [linux[0], linux[1], windows] });
    mockModel.setSession({ user: 'bob', email: undefined, groups: [] });
    const rebootId = ecs('RebootInstances', { RegionId: REGION, InstanceId: [linux[0]] });

    const { user } = await renderApp('/activity');
    expect(await screen.findByRole('heading', { level: 1, name: 'Activity' }, FIRST_LOAD)).toBeInTheDocument();
    const [newest, older, ...rest] = await operationRows();
    expect(rest).toHaveLength(0);
    if (!newest || !older) throw new Error('expected two operations');

    expect(within(newest).getByText('bob')).toBeInTheDocument();
    expect(newest).toHaveTextContent('Reboot instances');
    expect(newest).toHaveTextContent('Succeeded');
    expect(within(newest).getByText(rebootId)).toBeInTheDocument();

    const alice = within(older).getByText('alice');
    expect(alice).toHaveAccessibleDescription(/alice@example\.com.*Groups: sre, oncall/);
    expect(older).toHaveTextContent('Attach key pair');
    expect(older).toHaveTextContent(REGION);
    expect(older).toHaveTextContent(KEY_PAIR);
    expect(older).toHaveTextContent('Partly failed');
    expect(older).toHaveTextContent('1 of 3 instances failed');
    expect(within(older).getByText(attachId)).toBeInTheDocument();

    await user.click(within(older).getByRole('button', { name: `Copy request ID ${attachId}` }));
    expect(await within(older).findByText(`Request ID ${attachId} copied`, {}, FIRST_LOAD)).toBeInTheDocument();
    // Read inside waitFor: user-event's clipboard reads through a FileReader, a macrotask in which the copy
    // button's tooltip goes on updating; outside Testing Library's wrapper that update is outside act(...).
    await waitFor(async () => expect(await navigator.clipboard.readText()).toBe(attachId));
  });

  it('expands an operation to the outcome of each instance, with the ECS code explained', async () => {
    const { linux, windows } = fleet();
    ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [linux[0], windows] });
    const { user } = await renderApp('/activity');
    const [row] = await operationRows();
    if (!row) throw new Error('expected an operation');

    const toggle = within(row).getByRole('button', { name: '2 instances' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('table', { name: 'Outcome per instance' })).not.toBeInTheDocument();
    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');

    const outcomes = screen.getByRole('table', { name: 'Outcome per instance' });
    const failed = within(outcomes).getByRole('row', { name: new RegExp(windows) });
    expect(failed).toHaveTextContent('Failed');
    expect(failed).toHaveTextContent('DependencyViolation.WindowsInstance');
    expect(failed).toHaveTextContent('Windows instances cannot use SSH key pairs.');
    expect(within(outcomes).getByRole('row', { name: new RegExp(linux[0] ?? '-') })).toHaveTextContent('Succeeded');

    await user.click(toggle);
    expect(screen.queryByRole('table', { name: 'Outcome per instance' })).not.toBeInTheDocument();
  });

  it('links each operation to exactly its instances on the instances screen', async () => {
    const { linux } = fleet();
    const ids = [linux[0], linux[1], linux[2]] as string[];
    ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: ids });
    const { user, location } = await renderApp('/activity');
    const [row] = await operationRows();
    if (!row) throw new Error('expected an operation');
    const link = within(row).getByRole('link', { name: 'View instances' });
    const target = `/regions/${REGION}?ids=${ids.join(',')}`;
    expect(link).toHaveAttribute('href', target);
    await user.click(link);
    await waitFor(() => expect(location.history?.at(-1)).toBe(target));
  });

  it('links a call that a run sent to that run, and only such calls', async () => {
    const { linux } = fleet();
    const [a, b] = linux as [string, string];
    mockModel.ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [a] }, { runId: 'run-42' });
    ecs('RebootInstances', { RegionId: REGION, InstanceId: [b] });
    const { user, location } = await renderApp('/activity');
    const [byHand, byRun] = await operationRows();
    if (!byHand || !byRun) throw new Error('expected two operations');
    expect(within(byHand).queryByRole('link', { name: 'View run' })).not.toBeInTheDocument();
    const link = within(byRun).getByRole('link', { name: 'View run' });
    expect(link).toHaveAttribute('href', '/runs/run-42');
    await user.click(link);
    await waitFor(() => expect(location.history?.at(-1)).toBe('/runs/run-42'));
  });

  it('filters by action, status, instance and time range from the URL', async () => {
    const { linux, windows } = fleet();
    const [a, b, c] = linux as [string, string, string];
    ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [a, windows] });
    ecs('RebootInstances', { RegionId: REGION, InstanceId: [b] });
    ecs('StartInstances', { RegionId: REGION, InstanceId: [c] });

    let view = await renderApp('/activity?action=RebootInstances');
    let rows = await operationRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('Reboot instances');
    expect(screen.getByRole('combobox', { name: 'Action' })).toHaveTextContent('Reboot instances');
    view.unmount();

    view = await renderApp('/activity?status=partial');
    rows = await operationRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('Attach key pair');
    view.unmount();

    view = await renderApp(`/activity?instanceId=${b}`);
    rows = await operationRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('Reboot instances');
    expect(screen.getByRole('textbox', { name: 'Instance ID' })).toHaveValue(b);
    view.unmount();

    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    view = await renderApp(`/activity?from=${inAnHour}`);
    expect(await screen.findByText('No operations match these filters.', {}, FIRST_LOAD)).toBeInTheDocument();
    view.unmount();

    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    await renderApp(`/activity?from=${anHourAgo}&to=${inAnHour}`);
    expect(await operationRows()).toHaveLength(3);
  });

  it('writes the filters an operator applies into the URL, and clears them', async () => {
    const { linux } = fleet();
    ecs('RebootInstances', { RegionId: REGION, InstanceId: [linux[0]] });
    const { user, location } = await renderApp('/activity');
    expect(await operationRows()).toHaveLength(1);

    await user.click(screen.getByRole('combobox', { name: 'Outcome' }));
    await user.click(screen.getByRole('option', { name: 'Failed' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe('/activity?status=failed'));
    expect(await screen.findByText('No operations match these filters.', {}, FIRST_LOAD)).toBeInTheDocument();

    await user.type(screen.getByRole('textbox', { name: 'Instance ID' }), `${linux[0]}{Enter}`);
    await waitFor(() => expect(location.history?.at(-1)).toBe(`/activity?instanceId=${linux[0]}&status=failed`));

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe('/activity'));
    expect(await operationRows()).toHaveLength(1);
  });

  it('refuses a malformed region ID before asking, and says which link filters it ignored', async () => {
    const { user, location } = await renderApp('/activity?status=bogus');
    expect(
      await screen.findByText('Some filters in this link were not understood and are ignored: Outcome', {}, FIRST_LOAD),
    ).toBeInTheDocument();
    expect(await screen.findByText('No operations yet. Changes made through the console appear here.', {}, FIRST_LOAD)).toBeInTheDocument();

    await user.type(screen.getByRole('textbox', { name: 'Region ID' }), 'ecs.evil.example{Enter}');
    expect(screen.getByText('A region ID looks like cn-hangzhou')).toBeInTheDocument();
    expect(location.history?.at(-1)).toBe('/activity?status=bogus');
  });

  it('says in words why an operation was refused or failed as a whole', async () => {
    const { linux } = fleet();
    ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: 'no-such-key', InstanceIds: [linux[0]] });
    mockModel.setSession({ user: 'carol', allowedActions: ['DescribeInstances'] });
    ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [linux[1]] });
    await renderApp('/activity');
    const [denied, failed] = await operationRows();
    expect(denied).toHaveTextContent('carol');
    expect(denied).toHaveTextContent('Denied');
    expect(denied).toHaveTextContent('Nothing was sent to ECS.');
    expect(failed).toHaveTextContent('Failed');
    expect(failed).toHaveTextContent('The key pair does not exist in this region.');
  });

  it('shows an attach that got no definite answer as unknown, and what reading the instances back found', async () => {
    const { linux } = fleet();
    const [a, b] = linux.filter((id) => mockModel.simulator.instance(id)?.KeyPairName !== KEY_PAIR) as [string, string];
    const simulator = mockModel.simulator;
    const call = simulator.call.bind(simulator);
    // ECS attaches to the first instance only; the answer is lost to a gateway's 500 either way.
    const spy = vi.spyOn(simulator, 'call').mockImplementation((action, wire, ctx) => {
      if (action !== 'AttachKeyPair') return call(action, wire, ctx);
      call(action, { ...wire, InstanceIds: JSON.stringify([a]) }, ctx);
      return {
        status: 500,
        body: { RequestId: 'GW-500', Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' },
        headers: {},
      };
    });
    ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [a, b] });
    spy.mockRestore();

    const { user } = await renderApp('/activity');
    const [row] = await operationRows();
    if (!row) throw new Error('expected an operation');
    expect(row).toHaveTextContent('Outcome unknown');
    expect(row).toHaveTextContent('ECS did not give a definite answer; the change may or may not have happened. Check the instances.');
    expect(row).toHaveTextContent('Read back from ECS afterwards: 1 of 2 now carry the key pair.');
    expect(row).not.toHaveTextContent('Retry');

    await user.click(within(row).getByRole('button', { name: '2 instances' }));
    const outcomes = screen.getByRole('table', { name: 'Outcome per instance' });
    const attached = within(outcomes).getByRole('row', { name: new RegExp(a) });
    expect(attached).toHaveTextContent('Unknown');
    expect(attached).toHaveTextContent(`Reconciled: KeyPairName is ${KEY_PAIR} — attached`);
    const notAttached = within(outcomes).getByRole('row', { name: new RegExp(b) });
    expect(notAttached).toHaveTextContent(/Reconciled: (no key pair|KeyPairName is .+) — not attached/);
    expect(notAttached).not.toHaveTextContent('Failed');
  });

  it('loads older operations with "Load more"', async () => {
    const { linux } = fleet();
    for (let i = 0; i < 52; i++) ecs('RebootInstances', { RegionId: REGION, InstanceId: [linux[i % 4]] });
    const { user } = await renderApp('/activity');
    // Rows are counted straight from the DOM: role queries over a hundred MUI rows are slow in jsdom.
    const table = await screen.findByRole('table', { name: TABLE }, FIRST_LOAD);
    expect(screen.getByText('Showing 50 operations')).toBeInTheDocument();
    expect(table.querySelectorAll('tbody > tr')).toHaveLength(50);
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('Showing 52 operations', {}, FIRST_LOAD)).toBeInTheDocument();
    expect(table.querySelectorAll('tbody > tr')).toHaveLength(52);
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('says inline why the first load failed, with the RequestId and a retry', async () => {
    const { linux } = fleet();
    ecs('RebootInstances', { RegionId: REGION, InstanceId: [linux[0]] });
    server.use(
      http.get(
        '/api/activity',
        () => HttpResponse.json({ RequestId: 'REQ-ACTIVITY-1', Code: 'InternalError', Message: 'boom' }, { status: 500 }),
        { once: true },
      ),
    );
    const { user } = await renderApp('/activity');
    const alert = await screen.findByRole('alert', {}, FIRST_LOAD);
    expect(alert).toHaveTextContent('The activity could not be loaded: ECS had an internal error.');
    expect(alert).toHaveTextContent('REQ-ACTIVITY-1');
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await operationRows()).toHaveLength(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('renders in 简体中文', async () => {
    const { linux, windows } = fleet();
    const requestId = ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: KEY_PAIR, InstanceIds: [linux[0], windows] });
    await renderApp('/activity', { language: 'zh-CN' });
    expect(await screen.findByRole('heading', { level: 1, name: '操作记录' }, FIRST_LOAD)).toBeInTheDocument();
    const table = await screen.findByRole('table', { name: '通过控制台进行的操作，最新的在前' }, FIRST_LOAD);
    expect(within(table).getByRole('columnheader', { name: '操作人' })).toBeInTheDocument();
    const [row] = within(table).getAllByRole('row').slice(1);
    expect(row).toHaveTextContent('绑定密钥对');
    expect(row).toHaveTextContent('部分失败');
    expect(row).toHaveTextContent('2 个实例中有 1 个失败');
    expect(within(table).getByRole('link', { name: '查看这些实例' })).toBeInTheDocument();
    expect(within(table).getByRole('button', { name: `复制请求 ID ${requestId}` })).toBeInTheDocument();
  });
});
