import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { mockModel, server } from '@web/mocks/node';
import { ATTACH_ONLY, mockRuns, REGION, renderRegionWith, settled, WAIT, waitForRunPage } from '@web/test/attach-flow';
import { renderApp } from '@web/test/render';

/**
 * The activation center in the instance list (docs/product.md#step-9-pending-activation): instances the proxy
 * says await a reboot or start get "Reboot" / "Start" per row and "Activate N pending…" for the selection; each
 * creates an activation run in the mock console (web/mocks/runs-model.ts) and goes to its page.
 */

/** The whole app per test, driven click by click: more than the 20 s default on a shared, loaded machine. */
const JOURNEY_TIMEOUT = 60_000;

beforeAll(() => import('@web/app/routes/RegionPage'));
beforeEach(() => {
  mockModel.simulator.setControl({ transitionMs: { stopping: 20, starting: 40 } });
});

const TABLE = `Instances in ${REGION}`;
const rowOf = (t: { InstanceId: string; InstanceName: string }) => {
  const row = within(screen.getByRole('table', { name: TABLE }))
    .getByRole('checkbox', { name: `Select ${t.InstanceName} (${t.InstanceId})` })
    .closest('tr');
  if (row === null) throw new Error(`no row for ${t.InstanceId}`);
  return within(row);
};

/** Attaches a key pair outside the app, as another operator would: the proxy now lists them as pending. */
function makePending(ids: string[]): void {
  const answer = mockModel.ecs('AttachKeyPair', { RegionId: REGION, KeyPairName: 'break-glass-2026', InstanceIds: ids });
  expect(answer.status).toBe(200);
}

const plain = (status: 'Running' | 'Stopped') => settled(status).filter((t) => t.KeyPairName !== 'break-glass-2026');
const runInstanceIds = (id: string) =>
  (mockModel.runs.instances(id, new URLSearchParams()).body as { items: { InstanceId: string }[] }).items.map((r) => r.InstanceId).sort();

describe('the activation center', { timeout: JOURNEY_TIMEOUT }, () => {
  it('"Reboot" on a pending running instance confirms what it does, then creates an activation run for it alone', async () => {
    const [target, other] = plain('Running');
    if (!target || !other) throw new Error('no running instances');
    makePending([target.InstanceId]);
    const { user, navigations } = await renderApp(`/regions/${REGION}?ids=${target.InstanceId},${other.InstanceId}`);
    await screen.findByRole('table', { name: TABLE }, WAIT);
    const reboot = await rowOf(target).findByRole('button', { name: 'Reboot' }, WAIT);
    // Only pending instances get the action.
    expect(rowOf(other).queryByRole('button', { name: 'Reboot' })).not.toBeInTheDocument();
    await waitFor(() => expect(reboot).toBeEnabled());
    await user.click(reboot);

    const dialog = await screen.findByRole('dialog', { name: `Reboot ${target.InstanceName}?` }, WAIT);
    expect(dialog).toHaveTextContent(`reboots ${target.InstanceId} gracefully`);
    expect(dialog).toHaveTextContent('so that key pair break-glass-2026 takes effect');
    expect(dialog).toHaveTextContent('waits up to 10 minutes');
    expect(mockRuns()).toEqual([]);
    await user.click(within(dialog).getByRole('button', { name: 'Reboot now' }));

    const id = await waitForRunPage(navigations);
    const run = mockRuns()[0];
    expect(run).toMatchObject({ id, kind: 'activate', regionId: REGION, total: 1 });
    expect(run?.keyPairName).toBeUndefined();
    expect(run?.policy).toEqual({
      stopped: 'leave',
      running: {
        mode: 'waves',
        size: { kind: 'count', value: 1 },
        oneZoneAtATime: false,
        healthTimeoutMs: 600_000,
        failureBudget: 0,
        pauseBetweenWavesMs: 0,
        forceReboot: false,
      },
    });
    expect(runInstanceIds(id)).toEqual([target.InstanceId]);
  });

  it('"Start" on a pending stopped instance creates a run that starts it', async () => {
    const [target] = plain('Stopped');
    if (!target) throw new Error('no stopped instance');
    makePending([target.InstanceId]);
    const { user, navigations } = await renderApp(`/regions/${REGION}?ids=${target.InstanceId}`);
    await screen.findByRole('table', { name: TABLE }, WAIT);
    const start = await rowOf(target).findByRole('button', { name: 'Start' }, WAIT);
    await waitFor(() => expect(start).toBeEnabled());
    await user.click(start);
    const dialog = await screen.findByRole('dialog', { name: `Start ${target.InstanceName}?` }, WAIT);
    expect(dialog).toHaveTextContent(`starts ${target.InstanceId}, so that key pair break-glass-2026 takes effect`);
    // Cancel sends nothing.
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(mockRuns()).toEqual([]);

    await user.click(start);
    await user.click(within(await screen.findByRole('dialog', {}, WAIT)).getByRole('button', { name: 'Start now' }));
    const id = await waitForRunPage(navigations);
    expect(mockRuns()[0]?.policy).toEqual({ stopped: 'start', running: { mode: 'leave' } });
    expect(runInstanceIds(id)).toEqual([target.InstanceId]);
  });

  it('"Activate N pending…" counts only the pending instances of the selection, and activates those alone', async () => {
    const running = plain('Running').slice(0, 4);
    const stopped = plain('Stopped').slice(0, 2);
    const pendingOnes = [running[0], running[1], running[2], stopped[0]].flatMap((t) => (t ? [t] : []));
    expect(pendingOnes).toHaveLength(4);
    makePending(pendingOnes.map((t) => t.InstanceId));
    const { user, navigations } = await renderRegionWith([...running, ...stopped], { keyPairName: undefined });
    const bar = within(screen.getByRole('region', { name: 'Selection' }));
    expect(bar.getByText('6 instances selected')).toBeInTheDocument();
    const activate = await bar.findByRole('button', { name: 'Activate 4 pending…' }, WAIT);
    await waitFor(() => expect(activate).toBeEnabled());
    await user.click(activate);

    const dialog = await screen.findByRole('dialog', { name: 'Activate 4 pending instances' }, WAIT);
    const group = within(within(dialog).getByRole('group', { name: 'Activation' }));
    // Running instances are rebooted in waves here: leaving them pending is what they already are.
    expect(group.queryByRole('radio', { name: 'Leave the running instances pending' })).not.toBeInTheDocument();
    expect(group.getByRole('radio', { name: 'Start the stopped instances' })).toBeChecked();
    const preview = within(dialog).getByRole('region', { name: 'Activation preview' });
    expect(preview).toHaveTextContent('1 stopped instance will be started');
    expect(preview).toHaveTextContent('1 wave: 3; at most 3 instances rebooting at once');
    const size = within(dialog).getByRole('spinbutton', { name: 'Wave size' });
    await user.clear(size);
    await user.paste('2');
    expect(preview).toHaveTextContent('2 waves: 2, 1; at most 2 instances rebooting at once');

    // Left pending, the stopped one is not started; with nothing running there would be nothing to do.
    await user.click(group.getByRole('radio', { name: 'Leave the stopped instances pending' }));
    expect(preview).toHaveTextContent('1 stopped instance left pending');
    await user.click(group.getByRole('radio', { name: 'Start the stopped instances' }));

    await user.click(within(dialog).getByRole('button', { name: 'Activate 4 instances' }));
    const id = await waitForRunPage(navigations);
    const run = mockRuns()[0];
    expect(run).toMatchObject({ id, kind: 'activate', total: 4 });
    expect(run?.policy).toEqual({
      stopped: 'start',
      running: {
        mode: 'waves',
        size: { kind: 'count', value: 2 },
        oneZoneAtATime: false,
        healthTimeoutMs: 600_000,
        failureBudget: 0,
        pauseBetweenWavesMs: 0,
        forceReboot: false,
      },
    });
    expect(runInstanceIds(id)).toEqual(pendingOnes.map((t) => t.InstanceId).sort());
  });

  it('shows no "Activate" button when the selection has no pending instance', async () => {
    await renderRegionWith(plain('Running').slice(0, 2), { keyPairName: undefined });
    const bar = within(screen.getByRole('region', { name: 'Selection' }));
    expect(bar.getByText('2 instances selected')).toBeInTheDocument();
    expect(bar.queryByRole('button', { name: /^Activate/ })).not.toBeInTheDocument();
  });

  it('a failed create keeps the activation dialog open with its choices and says why', async () => {
    server.use(
      http.post('/api/runs', () =>
        HttpResponse.json({ RequestId: 'R-9', Code: 'Proxy.AuditUnavailable', Message: 'The run store cannot be used.' }, { status: 503 }),
      ),
    );
    const running = plain('Running').slice(0, 2);
    makePending(running.map((t) => t.InstanceId));
    const { user, navigations } = await renderRegionWith(running, { keyPairName: undefined });
    const activate = await screen.findByRole('button', { name: 'Activate 2 pending…' }, WAIT);
    await waitFor(() => expect(activate).toBeEnabled());
    await user.click(activate);
    const dialog = await screen.findByRole('dialog', { name: 'Activate 2 pending instances' }, WAIT);
    await user.click(within(dialog).getByRole('checkbox', { name: 'One zone at a time' }));
    await user.click(within(dialog).getByRole('button', { name: 'Activate 2 instances' }));
    const alert = await within(dialog).findByRole('alert', {}, WAIT);
    expect(alert).toHaveTextContent('The run was not created: The audit trail cannot be written, so nothing was sent.');
    expect(alert).toHaveTextContent('Request ID: R-9');
    expect(within(dialog).getByRole('checkbox', { name: 'One zone at a time' })).toBeChecked();
    expect(navigations.some((url) => url.startsWith('/runs/'))).toBe(false);
    expect(mockRuns()).toEqual([]);
  });

  it('without the power role, "Reboot", "Start" and "Activate N pending…" are disabled and say why', async () => {
    mockModel.setSession({ allowedActions: ATTACH_ONLY });
    const [up] = plain('Running');
    const [down] = plain('Stopped');
    if (!up || !down) throw new Error('no instances');
    makePending([up.InstanceId, down.InstanceId]);
    await renderRegionWith([up, down], { keyPairName: undefined });
    const reboot = await rowOf(up).findByRole('button', { name: 'Reboot' }, WAIT);
    await waitFor(() => expect(reboot).toHaveAccessibleDescription('Your groups do not allow RebootInstances.'));
    expect(reboot).toBeDisabled();
    const start = rowOf(down).getByRole('button', { name: 'Start' });
    expect(start).toBeDisabled();
    expect(start).toHaveAccessibleDescription('Your groups do not allow StartInstances.');
    const activate = within(screen.getByRole('region', { name: 'Selection' })).getByRole('button', { name: 'Activate 2 pending…' });
    expect(activate).toBeDisabled();
    expect(activate).toHaveAccessibleDescription('Your groups do not allow RebootInstances.');
    expect(within(screen.getByRole('region', { name: 'Selection' })).getByText('Your groups do not allow RebootInstances.')).toBeVisible();
  });
});
