import { waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { mockModel, server } from '@web/mocks/node';
import {
  confirmAttach,
  ecsCallsOf,
  holdSimulatorClock,
  renderAttachFlow,
  selectableTargets,
  settled,
  toTarget,
  waitForResults,
} from '@web/test/attach-flow';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('AttachFlow: the attach run and its results', () => {
  it('sends a 120-instance selection as three calls of at most 50, and attaches every one of them', async () => {
    // Every instance is settled, so ECS accepts all 120: a run that loses or fails any of them fails this test.
    holdSimulatorClock();
    const spy = vi.spyOn(mockModel, 'ecs');
    const targets = selectableTargets().slice(0, 120);
    expect(targets).toHaveLength(120);
    const { user, onSelectionDone } = await renderAttachFlow(targets);
    await confirmAttach(user, 120);
    const results = await waitForResults();

    const calls = ecsCallsOf(spy, 'AttachKeyPair');
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => (c['InstanceIds'] as string[]).length).sort()).toEqual([20, 50, 50]);
    expect(new Set(calls.flatMap((c) => c['InstanceIds'] as string[]))).toEqual(new Set(targets.map((t) => t.InstanceId)));
    expect(calls.every((c) => c['RegionId'] === 'cn-hangzhou' && c['KeyPairName'] === 'ops-team')).toBe(true);

    const progress = within(results).getByRole('progressbar', { name: 'Attach progress' });
    expect(progress).toHaveAttribute('aria-valuenow', '120');
    expect(progress).toHaveAttribute('aria-valuemax', '120');
    expect(progress).toHaveAttribute('aria-valuetext', '120 of 120 instances');
    expect(within(results).getByRole('region', { name: 'Outcome' })).toHaveTextContent(/^Attached: 120Failed: 0$/);
    // What the screen says is what happened at ECS.
    for (const t of targets) expect(mockModel.simulator.instance(t.InstanceId)?.KeyPairName).toBe('ops-team');
    expect(within(results).getByRole('table', { name: 'Attach results' })).toBeInTheDocument();
    expect(within(results).getByRole('button', { name: 'Retry failed instances (0)' })).toBeDisabled();
    expect(onSelectionDone).toHaveBeenCalledTimes(1);
  });

  it('shows per-instance failures in words, and "Retry failed instances" re-sends only those', async () => {
    const spy = vi.spyOn(mockModel, 'ecs');
    const linux = settled().slice(0, 4);
    const windows = mockModel.simulator.instancesIn('cn-hangzhou').find((i) => i.OSType === 'windows');
    const faulted = linux[1];
    if (!windows || !faulted) throw new Error('fleet lacks a Windows or Linux instance');
    mockModel.simulator.setControl({
      instanceFaults: {
        [faulted.InstanceId]: {
          Code: 'IncorrectInstanceStatus',
          Message: 'The current status of the resource does not support this operation.',
          remaining: 1,
        },
      },
    });
    const { user } = await renderAttachFlow([...linux, toTarget(windows)]);
    await confirmAttach(user, 5);
    const results = await waitForResults();
    const table = within(results).getByRole('table', { name: 'Attach results' });

    const windowsRow = within(table).getByText(windows.InstanceId).closest('tr');
    if (!windowsRow) throw new Error('no row for the Windows instance');
    expect(windowsRow).toHaveTextContent('Failed: DependencyViolation.WindowsInstance');
    expect(windowsRow).toHaveTextContent('Windows instances cannot use SSH key pairs.');
    const faultedRow = within(table).getByText(faulted.InstanceId).closest('tr');
    if (!faultedRow) throw new Error('no row for the faulted instance');
    expect(faultedRow).toHaveTextContent('Failed: IncorrectInstanceStatus');
    expect(faultedRow).toHaveTextContent('Wait until it is Running or Stopped, then retry.');
    // The RequestId of the call is one click away.
    const answer = spy.mock.results[spy.mock.calls.findIndex(([action]) => action === 'AttachKeyPair')];
    const requestId = answer?.type === 'return' ? (answer.value.body as { RequestId: string }).RequestId : 'none';
    await user.click(within(faultedRow).getByRole('button', { name: `Copy request ID ${requestId}` }));
    expect(await within(faultedRow).findByText(`Request ID ${requestId} copied`, {}, { timeout: 5_000 })).toBeInTheDocument();
    // Read inside waitFor: user-event's clipboard reads through a FileReader, a macrotask in which the copy
    // button's tooltip goes on updating; outside Testing Library's wrapper that update is outside act(...).
    await waitFor(async () => expect(await navigator.clipboard.readText()).toBe(requestId));
    expect(within(results).getByRole('region', { name: 'Outcome' })).toHaveTextContent('Attached: 3');

    await user.click(within(results).getByRole('button', { name: 'Retry failed instances (2)' }));
    await waitFor(() => expect(ecsCallsOf(spy, 'AttachKeyPair')).toHaveLength(2));
    const retry = ecsCallsOf(spy, 'AttachKeyPair')[1];
    expect(new Set(retry?.['InstanceIds'] as string[])).toEqual(new Set([windows.InstanceId, faulted.InstanceId]));
    await waitFor(() => expect(within(results).getByRole('region', { name: 'Outcome' })).toHaveTextContent('Attached: 4'));
    expect(within(results).getByRole('region', { name: 'Outcome' })).toHaveTextContent('Failed: 1');
    expect(within(results).getByRole('button', { name: 'Retry failed instances (1)' })).toBeEnabled();
  });

  it('waits out throttling with the wait shown, then succeeds', async () => {
    server.use(
      http.post(
        '/api/ecs/AttachKeyPair',
        () =>
          HttpResponse.json(
            { RequestId: 'R-THROTTLE', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
            { status: 400, headers: { 'x-acs-retry-after': '1000', 'retry-after': '1' } },
          ),
        { once: true },
      ),
    );
    const { user } = await renderAttachFlow(settled().slice(0, 3));
    const run = await confirmAttach(user, 3);
    expect(await within(run).findByText(/^ECS is rate-limiting; retrying in 1 s$/)).toBeInTheDocument();
    const results = await waitForResults();
    expect(within(results).getByRole('region', { name: 'Outcome' })).toHaveTextContent('Attached: 3');
    expect(within(results).queryByText(/rate-limiting/)).not.toBeInTheDocument();
  });

  it('cancel stops further batches; what was not sent says so', async () => {
    // One AttachKeyPair call per window: the first batch goes through, the other two wait out throttling.
    mockModel.simulator.setControl({ throttle: { limit: 1, windowMs: 600_000 }, throttleActions: ['AttachKeyPair'] });
    const spy = vi.spyOn(mockModel, 'ecs');
    const targets = settled().slice(0, 110);
    const { user } = await renderAttachFlow(targets);
    const run = await confirmAttach(user, 110);
    await within(run).findByText(/ECS is rate-limiting; retrying in \d+ s/);
    await user.click(within(run).getByRole('button', { name: 'Cancel remaining batches' }));
    const results = await waitForResults();
    // Three batches (50, 50, 10) went out at once; whichever reached ECS first was attached, the other two waited.
    expect(ecsCallsOf(spy, 'AttachKeyPair')).toHaveLength(3);
    const passed = spy.mock.calls.findIndex(
      ([action], i) => action === 'AttachKeyPair' && spy.mock.results[i]?.type === 'return' && spy.mock.results[i]?.value.status === 200,
    );
    const attached = (spy.mock.calls[passed]?.[1] as { InstanceIds: string[] }).InstanceIds.length;
    const outcome = within(results).getByRole('region', { name: 'Outcome' });
    expect(outcome).toHaveTextContent(`Attached: ${attached}`);
    expect(outcome).toHaveTextContent(`Not sent: ${110 - attached}`);
    expect(within(results).getAllByText('Not sent (cancelled)').length).toBeGreaterThan(0);
    expect(within(results).getByRole('button', { name: `Send the ${110 - attached} not sent` })).toBeEnabled();
  });

  it('marks instances of a call whose outcome is unknown, and retries them only when ticked', async () => {
    server.use(
      http.post(
        '/api/ecs/AttachKeyPair',
        () =>
          HttpResponse.json({ RequestId: 'R-504', Code: 'Proxy.OutcomeUnknown', Message: 'ECS did not answer in time.' }, { status: 504 }),
        {
          once: true,
        },
      ),
    );
    const targets = settled().slice(0, 2);
    const { user } = await renderAttachFlow(targets);
    await confirmAttach(user, 2);
    const results = await waitForResults();
    expect(within(results).getAllByText('Unknown: Proxy.OutcomeUnknown')).toHaveLength(2);
    expect(within(results).getByRole('button', { name: 'Retry failed instances (0)' })).toBeDisabled();
    const first = targets[0];
    if (!first) throw new Error('no target');
    await user.click(within(results).getByRole('checkbox', { name: `Include ${first.InstanceId} in the retry` }));
    expect(within(results).getByRole('button', { name: 'Retry failed instances (1)' })).toBeEnabled();
  });

  it('calls the instances of a call whose reply never came unknown, and retries them once ticked', async () => {
    // The request may have reached the server (and ECS) before the connection broke.
    server.use(http.post('/api/ecs/AttachKeyPair', () => HttpResponse.error(), { once: true }));
    const targets = settled().slice(0, 2);
    expect(targets).toHaveLength(2);
    const { user } = await renderAttachFlow(targets);
    await confirmAttach(user, 2);
    const results = await waitForResults();
    expect(
      within(results).getAllByText(
        'The console’s server did not answer, so whether the key pair was attached is not known. Check the instance’s key pair before retrying.',
      ),
    ).toHaveLength(2);
    expect(within(results).getByRole('region', { name: 'Outcome' })).toHaveTextContent('Outcome unknown: 2');
    for (const t of targets) await user.click(within(results).getByRole('checkbox', { name: `Include ${t.InstanceId} in the retry` }));
    await user.click(within(results).getByRole('button', { name: 'Retry failed instances (2)' }));
    await waitFor(() => expect(within(results).getByRole('region', { name: 'Outcome' })).toHaveTextContent('Attached: 2'));
  });

  it.each([
    [
      'a 500 InternalError',
      () =>
        HttpResponse.json(
          { RequestId: 'GW-500-REQ', Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' },
          { status: 500 },
        ),
      'InternalError',
      'GW-500-REQ',
    ],
    [
      'a 502 page',
      () => new HttpResponse('<html><body>502 Bad Gateway</body></html>', { status: 502, headers: { 'content-type': 'text/html' } }),
      'HTTP.502',
      undefined,
    ],
    ['a bare 503', () => new HttpResponse(null, { status: 503 }), 'HTTP.503', undefined],
  ])('says Unknown, never Failed, when a gateway answers %s after ECS attached the key pair', async (_what, gateway, code, requestId) => {
    const spy = vi.spyOn(mockModel, 'ecs');
    server.use(
      http.post(
        '/api/ecs/AttachKeyPair',
        async ({ request }) => {
          // The attach really happens at the simulated ECS; only its answer is lost on the way back.
          mockModel.ecs('AttachKeyPair', await request.json());
          return gateway();
        },
        { once: true },
      ),
    );
    const targets = settled()
      .filter((t) => t.KeyPairName !== 'ops-team')
      .slice(0, 2);
    expect(targets).toHaveLength(2);
    const { user } = await renderAttachFlow(targets);
    await confirmAttach(user, 2);
    const results = await waitForResults();
    for (const t of targets) expect(mockModel.simulator.instance(t.InstanceId)?.KeyPairName).toBe('ops-team');
    expect(ecsCallsOf(spy, 'AttachKeyPair')).toHaveLength(1);

    const outcome = within(results).getByRole('region', { name: 'Outcome' });
    expect(outcome).toHaveTextContent('Attached: 0Failed: 0Outcome unknown: 2');
    const table = within(results).getByRole('table', { name: 'Attach results' });
    for (const t of targets) {
      const row = within(table).getByText(t.InstanceId).closest('tr');
      if (!row) throw new Error(`no row for ${t.InstanceId}`);
      expect(row).toHaveTextContent(`Unknown: ${code}`);
      expect(row).toHaveTextContent('ECS did not give a definite answer; check the instance.');
      expect(row).not.toHaveTextContent('Failed');
      if (requestId) expect(within(row).getByRole('button', { name: `Copy request ID ${requestId}` })).toBeInTheDocument();
    }
    // Not offered for a blind retry.
    expect(within(results).getByRole('button', { name: 'Retry failed instances (0)' })).toBeDisabled();
  });

  it('exports the results as CSV', async () => {
    const createObjectURL = vi.fn((_blob: Blob) => 'blob:results');
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const linux = settled().slice(0, 2);
    const windows = mockModel.simulator.instancesIn('cn-hangzhou').find((i) => i.OSType === 'windows');
    if (!windows) throw new Error('no Windows instance');
    const { user } = await renderAttachFlow([...linux, toTarget(windows)]);
    await confirmAttach(user, 3);
    const results = await waitForResults();
    await user.click(within(results).getByRole('button', { name: 'Export CSV' }));

    const blob = createObjectURL.mock.calls[0]?.[0];
    if (!blob) throw new Error('no CSV was downloaded');
    const text = (await blob.text()).replace(/^\uFEFF/, '');
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('InstanceId,InstanceName,Result,Code,Message,RequestId,StatusAtAttach,FollowUp');
    expect(lines).toHaveLength(4);
    const windowsLine = lines.find((l) => l.startsWith(windows.InstanceId));
    expect(windowsLine).toMatch(
      new RegExp(
        `^${windows.InstanceId},${windows.InstanceName},failed,DependencyViolation\\.WindowsInstance,Windows instances cannot use SSH key pairs\\.,[0-9A-F-]+,${windows.Status},$`,
      ),
    );
    for (const t of linux) expect(lines.find((l) => l.startsWith(t.InstanceId))).toContain(`,succeeded,200,successful,`);
  });
});
