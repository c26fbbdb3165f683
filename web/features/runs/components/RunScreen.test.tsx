import { screen, waitFor, within } from '@testing-library/react';
import { mockModel } from '@web/mocks/node';
import { renderApp } from '@web/test/render';
import { createRun, finished, holdSimulatorClock, linux, quickBoots, READ_ONLY, windows } from '@web/test/runs';

/**
 * The run page over the mock console's runs (web/mocks/runs-model.ts): the page follows a run the proxy (here
 * the mock) executes, by polling, so the waits below are the page catching up, up to a poll or two.
 */

const LOAD = { timeout: 10_000 };

beforeEach(() => quickBoots());
afterEach(() => {
  vi.restoreAllMocks();
});

const stateOf = () => screen.findByRole('status', { name: 'Run state' }, LOAD);

function dataRows(): HTMLElement[] {
  return within(screen.getByRole('table', { name: 'Instances in this run' }))
    .getAllByRole('row')
    .slice(1);
}

/** A finished attach with one instance of each fate: failed (an injected ECS refusal), skipped (Windows), left pending. */
async function mixedRun() {
  const [a, b, faulted] = linux('Running');
  const win = windows();
  if (!a || !b || !faulted) throw new Error('the seeded fleet changed');
  mockModel.simulator.setControl({
    instanceFaults: {
      [faulted.InstanceId]: {
        Code: 'IncorrectInstanceStatus',
        Message: 'The current status of the resource does not support this operation.',
        remaining: 1,
      },
    },
  });
  const run = createRun({ InstanceIds: [a.InstanceId, b.InstanceId, faulted.InstanceId, win.InstanceId] });
  await finished(run.id);
  return { run, pending: [a, b], faulted, win };
}

describe('the run page', () => {
  it('follows a run through its waves to completed', async () => {
    const clock = holdSimulatorClock();
    const targets = linux('Running').slice(0, 4);
    const run = createRun({
      InstanceIds: targets.map((i) => i.InstanceId),
      policy: { stopped: 'leave', running: { mode: 'waves', size: { kind: 'count', value: 2 } } },
    });
    await renderApp(`/runs/${run.id}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Run' }, LOAD)).toBeInTheDocument();
    expect(await stateOf()).toHaveTextContent('Running');
    expect(screen.getByRole('region', { name: 'About this run' })).toHaveTextContent('Attach key pair ops-team');
    expect(screen.getByRole('region', { name: 'About this run' })).toHaveTextContent('Reboot in waves of 2 instances');

    // The clock is held: the first wave's reboots cannot finish, so the page must show it rebooting.
    const waves = await screen.findByRole('list', { name: 'Waves' }, LOAD);
    await waitFor(() => expect(within(waves).getAllByRole('listitem')[0]).toHaveTextContent(/Wave 1.*2 instances.*Rebooting/), LOAD);
    expect(within(waves).getAllByRole('listitem')[1]).toHaveTextContent(/Wave 2.*2 instances.*Waiting/);
    expect(screen.getByRole('progressbar', { name: 'Attach progress' })).toHaveAttribute('aria-valuetext', '4 of 4 done');

    clock.release();
    await waitFor(() => expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent('Completed'), LOAD);
    expect(screen.getByRole('region', { name: 'Progress' })).toHaveTextContent('2 of 2 waves done');
    const items = within(screen.getByRole('list', { name: 'Waves' })).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    for (const item of items) expect(item).toHaveTextContent(/2 instances.*Done.*no failures/);
    // The rows are read once more after the end: every instance active, and the evidence said.
    await waitFor(
      () => expect(dataRows().filter((row) => row.textContent?.includes('Key active (inferred from the reboot).'))).toHaveLength(4),
      LOAD,
    );
    expect(screen.getByRole('button', { name: 'All (4)' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Active (4)' })).toBeInTheDocument();
    // Final: nothing to control, and no failed instance to retry.
    expect(screen.queryByRole('group', { name: 'Run controls' })).not.toBeInTheDocument();
  });

  it('filters the instances by what happened, showing only chips that have instances', async () => {
    const { run, faulted, win } = await mixedRun();
    const { user, location } = await renderApp(`/runs/${run.id}`);
    expect(await stateOf()).toHaveTextContent('Completed with failures');
    const chips = within(await screen.findByRole('group', { name: 'Show instances' }, LOAD));
    expect(chips.getAllByRole('button').map((chip) => chip.textContent)).toEqual([
      'All (4)',
      'Failed (1)',
      'Left pending (2)',
      'Skipped (1)',
    ]);
    expect(dataRows()).toHaveLength(4);
    // One scrollable region by that name (keyboard users scroll the table through it).
    expect(screen.getByRole('region', { name: 'Instances in this run' })).toHaveAttribute('tabindex', '0');

    await user.click(chips.getByRole('button', { name: 'Failed (1)' }));
    expect(chips.getByRole('button', { name: 'Failed (1)' })).toHaveAttribute('aria-pressed', 'true');
    expect(location.history?.at(-1)).toBe(`/runs/${run.id}?state=failed`);
    const [failed, ...rest] = dataRows();
    expect(rest).toHaveLength(0);
    expect(failed).toHaveTextContent(faulted.InstanceId);
    expect(failed).toHaveTextContent('IncorrectInstanceStatus: The instance is in a state that does not allow this right now');

    await user.click(chips.getByRole('button', { name: 'Skipped (1)' }));
    expect(dataRows()).toHaveLength(1);
    expect(dataRows()[0]).toHaveTextContent(win.InstanceId);
    expect(dataRows()[0]).toHaveTextContent('Windows: SSH key pairs are for Linux instances.');

    await user.click(chips.getByRole('button', { name: 'Left pending (2)' }));
    for (const row of dataRows())
      expect(row).toHaveTextContent('The policy chose not to activate: the key takes effect at the next reboot.');

    await user.click(chips.getByRole('button', { name: 'All (4)' }));
    expect(dataRows()).toHaveLength(4);
  });

  it('pauses itself past the failure budget, and says which instance did not come back and why', async () => {
    const [bad, good] = linux('Running');
    if (!bad || !good) throw new Error('the seeded fleet changed');
    mockModel.simulator.setControl({ bootFaults: { [bad.InstanceId]: { mode: 'stops', remaining: 1 } } });
    const run = createRun({
      InstanceIds: [bad.InstanceId, good.InstanceId],
      policy: { stopped: 'leave', running: { mode: 'waves', size: { kind: 'count', value: 1 }, oneZoneAtATime: false } },
    });
    await renderApp(`/runs/${run.id}`);
    await waitFor(() => expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent(/^Paused/), LOAD);
    expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent(
      'Why: 1 activation failure(s), past the failure budget of 0 (wave 1)',
    );
    const [first, second] = within(screen.getByRole('list', { name: 'Waves' })).getAllByRole('listitem');
    expect(first).toHaveTextContent(/Wave 1.*Failed.*1 failure/);
    expect(second).toHaveTextContent(/Wave 2.*Waiting/);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Activation failed (1)' })).toBeInTheDocument(), LOAD);
    const row = dataRows().find((r) => r.textContent?.includes(bad.InstanceId));
    expect(row).toHaveTextContent('Activation failed');
    expect(row).toHaveTextContent('Console.DidNotBoot: It stopped instead of coming back to Running.');
    const controls = within(screen.getByRole('group', { name: 'Run controls' }));
    expect(controls.getAllByRole('button').map((b) => b.textContent)).toEqual(['Resume', 'Cancel run…']);
  });

  it('pauses and resumes, offering only the controls the state allows', async () => {
    holdSimulatorClock();
    const run = createRun({
      InstanceIds: linux('Running')
        .slice(0, 2)
        .map((i) => i.InstanceId),
      policy: { stopped: 'leave', running: { mode: 'waves', size: { kind: 'count', value: 1 } } },
    });
    const { user } = await renderApp(`/runs/${run.id}`);
    const controls = within(await screen.findByRole('group', { name: 'Run controls' }, LOAD));
    expect(controls.getAllByRole('button').map((b) => b.textContent)).toEqual(['Pause', 'Cancel run…']);

    await user.click(controls.getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent('Paused'));
    expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent('Why: paused by local operator');
    expect(controls.getAllByRole('button').map((b) => b.textContent)).toEqual(['Resume', 'Cancel run…']);
    expect(mockModel.runs.get(run.id).body).toMatchObject({ state: 'paused' });

    await user.click(controls.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent(/^Running$/));
    expect(controls.getAllByRole('button').map((b) => b.textContent)).toEqual(['Pause', 'Cancel run…']);
    expect(mockModel.runs.get(run.id).body).toMatchObject({ state: 'running' });
  });

  it('cancels after a confirm: the wave under way finishes, the rest is not sent and can be retried', async () => {
    const clock = holdSimulatorClock();
    const targets = linux('Running').slice(0, 3);
    const run = createRun({
      InstanceIds: targets.map((i) => i.InstanceId),
      policy: { stopped: 'leave', running: { mode: 'waves', size: { kind: 'count', value: 1 } } },
    });
    const { user } = await renderApp(`/runs/${run.id}`);
    const waves = await screen.findByRole('list', { name: 'Waves' }, LOAD);
    await waitFor(() => expect(within(waves).getAllByRole('listitem')[0]).toHaveTextContent('Rebooting'), LOAD);

    await user.click(screen.getByRole('button', { name: 'Cancel run…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Cancel this run?' });
    expect(dialog).toHaveTextContent('Calls already sent to ECS finish and are recorded; nothing new is sent.');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel run' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent('Cancelling'));
    expect(screen.queryByRole('group', { name: 'Run controls' })).not.toBeInTheDocument();

    clock.release();
    await waitFor(() => expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent(/^Cancelled$/), LOAD);
    const chips = within(await screen.findByRole('group', { name: 'Show instances' }));
    await waitFor(() => expect(chips.getByRole('button', { name: 'Not sent (2)' })).toBeInTheDocument(), LOAD);
    expect(chips.getByRole('button', { name: 'Active (1)' })).toBeInTheDocument();
    const controls = within(screen.getByRole('group', { name: 'Run controls' }));
    expect(controls.getAllByRole('button').map((b) => b.textContent)).toEqual(['Retry failed…']);
    // Only the first wave was ever rebooted.
    expect(mockModel.activity(new URLSearchParams({ action: 'RebootInstances' })).body).toMatchObject({
      items: [{ instanceIds: [targets[0]?.InstanceId], runId: run.id }],
    });
  });

  it('retries the failed instances as a new run linked to this one, and opens it', async () => {
    const { run, faulted } = await mixedRun();
    const { user, location } = await renderApp(`/runs/${run.id}`);
    await user.click(await screen.findByRole('button', { name: 'Retry failed…' }, LOAD));
    const dialog = await screen.findByRole('dialog', { name: 'Retry the instances that did not make it?' });
    expect(dialog).toHaveTextContent('A new run sends 1 instance again');
    await user.click(within(dialog).getByRole('button', { name: 'Start the retry run' }));

    await waitFor(() => expect(location.history?.at(-1)).not.toBe(`/runs/${run.id}`));
    const retryPath = location.history?.at(-1) ?? '';
    expect(retryPath).toMatch(/^\/runs\/[^/?]+$/);
    const facts = await screen.findByRole('region', { name: 'About this run' }, LOAD);
    await waitFor(() => expect(within(facts).getByRole('link', { name: run.id })).toHaveAttribute('href', `/runs/${run.id}`), LOAD);
    await waitFor(() => expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent(/^Completed$/), LOAD);
    await waitFor(() => expect(dataRows()).toHaveLength(1), LOAD);
    expect(dataRows()[0]).toHaveTextContent(faulted.InstanceId);

    // Back on the first run, the retry is listed.
    await user.click(within(facts).getByRole('link', { name: run.id }));
    const first = await screen.findByRole('region', { name: 'About this run' }, LOAD);
    const retryId = retryPath.replace('/runs/', '');
    expect(await within(first).findByRole('link', { name: retryId }, LOAD)).toHaveAttribute('href', retryPath);
  });

  it('shows a read-only operator the run and its rows, and says why there are no controls', async () => {
    const { run } = await mixedRun();
    mockModel.setSession({ allowedActions: READ_ONLY });
    await renderApp(`/runs/${run.id}`);
    expect(await stateOf()).toHaveTextContent('Completed with failures');
    expect(
      await screen.findByText('You can follow this run; controlling it needs permission for AttachKeyPair.', {}, LOAD),
    ).toBeInTheDocument();
    await waitFor(() => expect(dataRows()).toHaveLength(4), LOAD);
    for (const name of ['Pause', 'Resume', 'Cancel run…', 'Retry failed…'])
      expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
  });

  it('exports the per-instance rows as CSV', async () => {
    const createObjectURL = vi.fn((_blob: Blob) => 'blob:run');
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const { run, faulted, win } = await mixedRun();
    const { user } = await renderApp(`/runs/${run.id}`);
    await user.click(await screen.findByRole('button', { name: 'Export CSV' }, LOAD));

    const blob = createObjectURL.mock.calls[0]?.[0];
    if (!blob) throw new Error('no CSV was downloaded');
    const lines = (await blob.text())
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'InstanceId,InstanceName,ZoneId,StatusBefore,KeyPairBefore,Wave,State,SkipReason,Evidence,Code,Message,Explanation,RequestIds',
    );
    expect(lines).toHaveLength(5);
    const failed = lines.find((line) => line.startsWith(faulted.InstanceId));
    expect(failed).toMatch(
      new RegExp(
        `^${faulted.InstanceId},${faulted.InstanceName},[a-z0-9-]+,Running,[^,]*,,failed,,,IncorrectInstanceStatus,The current status of the resource does not support this operation\\.,"IncorrectInstanceStatus: The instance is in a state`,
      ),
    );
    expect(failed).toMatch(/,[0-9A-F-]{10,}$/);
    expect(lines.find((line) => line.startsWith(win.InstanceId))).toMatch(
      /,skipped,windows,,,,Windows: SSH key pairs are for Linux instances\.,$/,
    );
  });

  it('speaks 简体中文', async () => {
    const { run } = await mixedRun();
    await renderApp(`/runs/${run.id}`, { language: 'zh-CN' });
    expect(await screen.findByRole('heading', { level: 1, name: '任务' }, LOAD)).toBeInTheDocument();
    expect(await screen.findByRole('status', { name: '任务状态' }, LOAD)).toHaveTextContent('已完成（有失败）');
    const chips = within(await screen.findByRole('group', { name: '显示实例' }, LOAD));
    expect(chips.getAllByRole('button').map((chip) => chip.textContent)).toEqual([
      '全部（4）',
      '失败（1）',
      '保持待生效（2）',
      '已跳过（1）',
    ]);
    expect(screen.getByRole('table', { name: '本任务的实例' })).toBeInTheDocument();
  });
});
