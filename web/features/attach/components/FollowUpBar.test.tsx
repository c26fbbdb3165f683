import { screen, waitFor, within } from '@testing-library/react';
import { mockModel } from '@web/mocks/node';
import { confirmAttach, ecsCallsOf, holdSimulatorClock, READ_ONLY, renderAttachFlow, settled, waitForResults } from '@web/test/attach-flow';

/**
 * Every wait names its timeout: Testing Library's 1 s default is too short for a real clock on a shared, loaded
 * machine (the whole app renders, msw answers, the results dialog polls).
 */
const WAIT = { timeout: 10_000 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('AttachFlow: follow-ups after an attach', () => {
  it('reboots and starts, polls until Running, then says the key pair is active', async () => {
    const spy = vi.spyOn(mockModel, 'ecs');
    // A simulated reboot or start takes seconds: the clock stands still until the test moves it, so nothing can
    // finish before the test has seen it under way.
    const clock = holdSimulatorClock();
    const running = settled('Running').slice(0, 2);
    const stopped = settled('Stopped')[0];
    if (running.length < 2 || !stopped) throw new Error('fleet lacks Running or Stopped instances');
    const { user } = await renderAttachFlow([...running, stopped]);
    await confirmAttach(user, 3);
    const results = await waitForResults();

    await user.click(within(results).getByRole('button', { name: 'Reboot all 2 running' }));
    await waitFor(() => expect(ecsCallsOf(spy, 'RebootInstances')).toHaveLength(1), WAIT);
    expect(ecsCallsOf(spy, 'RebootInstances')[0]).toEqual({
      RegionId: 'cn-hangzhou',
      InstanceId: running.map((t) => t.InstanceId),
      BatchOptimization: 'SuccessFirst',
    });
    await user.click(within(results).getByRole('button', { name: `Start ${stopped.InstanceName} (${stopped.InstanceId})` }));
    await waitFor(
      () => expect(ecsCallsOf(spy, 'StartInstance')).toEqual([{ RegionId: 'cn-hangzhou', InstanceId: stopped.InstanceId }]),
      WAIT,
    );
    expect(await within(results).findAllByText(/^Rebooting… now/, {}, WAIT)).toHaveLength(2);
    expect(within(results).queryByText('Key pair active')).not.toBeInTheDocument();

    clock.advance(60_000);
    await waitFor(() => expect(within(results).getAllByText('Key pair active')).toHaveLength(3), WAIT);
    expect(ecsCallsOf(spy, 'DescribeInstanceStatus').length).toBeGreaterThan(0);
    expect(within(results).getByRole('button', { name: 'Reboot all 0 running' })).toBeDisabled();
  });

  it('force reboot is off by default, and on only after a confirmation', async () => {
    const spy = vi.spyOn(mockModel, 'ecs');
    const running = settled('Running')[0];
    if (!running) throw new Error('no Running instance');
    const { user } = await renderAttachFlow([running]);
    await confirmAttach(user, 1);
    const results = await waitForResults();
    const force = within(results).getByRole('checkbox', { name: 'Force reboot (like pulling the power; unsaved data is lost)' });
    expect(force).not.toBeChecked();

    await user.click(force);
    const confirm = await screen.findByRole('dialog', { name: 'Turn on force reboot?' }, WAIT);
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Turn on force reboot?' })).not.toBeInTheDocument(), WAIT);
    expect(force).not.toBeChecked();
    expect(within(results).getByRole('button', { name: `Reboot ${running.InstanceName} (${running.InstanceId})` })).toBeEnabled();

    await user.click(force);
    await user.click(
      within(await screen.findByRole('dialog', { name: 'Turn on force reboot?' }, WAIT)).getByRole('button', {
        name: 'Turn on force reboot',
      }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Turn on force reboot?' })).not.toBeInTheDocument(), WAIT);
    expect(force).toBeChecked();
    expect(within(results).getByRole('button', { name: 'Force reboot all 1 running' })).toBeEnabled();
    await user.click(within(results).getByRole('button', { name: `Force reboot ${running.InstanceName} (${running.InstanceId})` }));
    await waitFor(
      () =>
        expect(ecsCallsOf(spy, 'RebootInstance')).toEqual([{ RegionId: 'cn-hangzhou', InstanceId: running.InstanceId, ForceStop: true }]),
      WAIT,
    );
  });

  it('shows a per-instance follow-up failure with the sentence for its code', async () => {
    const running = settled('Running')[0];
    if (!running) throw new Error('no Running instance');
    const { user } = await renderAttachFlow([running]);
    await confirmAttach(user, 1);
    const results = await waitForResults();
    mockModel.simulator.setControl({
      instanceFaults: { [running.InstanceId]: { Code: 'InstanceLockedForSecurity', Message: 'locked', remaining: 1 } },
    });
    await user.click(within(results).getByRole('button', { name: 'Reboot all 1 running' }));
    expect(await within(results).findByText('Reboot failed: InstanceLockedForSecurity', {}, WAIT)).toBeInTheDocument();
    expect(
      within(results).getByText('ECS has locked this instance for security reasons; it cannot be changed until the lock is lifted.'),
    ).toBeInTheDocument();
    // Nothing happened to the instance, so the reboot can be sent again.
    expect(within(results).getByRole('button', { name: 'Reboot all 1 running' })).toBeEnabled();
  });

  it('a user who may attach but not reboot or start sees those buttons disabled, with the reason', async () => {
    mockModel.setSession({ allowedActions: [...READ_ONLY, 'AttachKeyPair'] });
    const running = settled('Running')[0];
    const stopped = settled('Stopped')[0];
    if (!running || !stopped) throw new Error('fleet lacks Running or Stopped instances');
    const { user } = await renderAttachFlow([running, stopped]);
    await confirmAttach(user, 2);
    const results = await waitForResults();
    const rebootAll = within(results).getByRole('button', { name: 'Reboot all 1 running' });
    expect(rebootAll).toBeDisabled();
    expect(rebootAll).toHaveAccessibleDescription('Your groups do not allow RebootInstances.');
    expect(within(results).getByRole('button', { name: 'Start all 1 stopped' })).toHaveAccessibleDescription(
      'Your groups do not allow StartInstances.',
    );
    const reboot = within(results).getByRole('button', { name: `Reboot ${running.InstanceName} (${running.InstanceId})` });
    expect(reboot).toBeDisabled();
    expect(reboot).toHaveAccessibleDescription('Your groups do not allow RebootInstance.');
    expect(
      within(results).getByRole('button', { name: `Start ${stopped.InstanceName} (${stopped.InstanceId})` }),
    ).toHaveAccessibleDescription('Your groups do not allow StartInstance.');
  });
});
