import { screen, waitFor, within } from '@testing-library/react';
import { mockModel } from '@web/mocks/node';
import { openReview, READ_ONLY, renderAttachFlow, settled } from '@web/test/attach-flow';

describe('AttachFlow: the review dialog', () => {
  it('shows the plan with replace / no change / none-yet counts and the password warning', async () => {
    const all = settled();
    const same = all.filter((t) => t.KeyPairName === 'ops-team').slice(0, 2);
    const replace = all.filter((t) => t.KeyPairName && t.KeyPairName !== 'ops-team').slice(0, 3);
    const none = all.filter((t) => !t.KeyPairName).slice(0, 4);
    const { user } = await renderAttachFlow([...same, ...replace, ...none]);
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
    const running = [...same, ...replace, ...none].filter((t) => t.Status === 'Running').length;
    expect(summary).toHaveTextContent(`Running, takes effect after a reboot: ${running}`);
    expect(summary).toHaveTextContent(`Stopped, takes effect after a start: ${9 - running}`);

    // Every instance has its own line in the plan.
    const table = within(review).getByRole('table', { name: 'Plan for each instance' });
    const firstReplaced = replace[0];
    if (!firstReplaced) throw new Error('fleet has no instance with another key pair');
    const row = within(table).getByText(firstReplaced.InstanceId).closest('tr');
    expect(row).toHaveTextContent(`Will replace key pair ${firstReplaced.KeyPairName}`);
    expect(within(table).getAllByText('Already has this key pair (no change)')).toHaveLength(2);
    expect(within(table).getAllByText('No key pair yet')).toHaveLength(4);
    expect(within(table).getAllByText('Running: takes effect after a reboot')).toHaveLength(running);

    // Up to 20 instances there is nothing to type.
    expect(within(review).queryByRole('textbox')).not.toBeInTheDocument();
    expect(within(review).getByRole('button', { name: 'Attach to 9 instances' })).toBeEnabled();
  });

  it('over 20 instances, keeps the confirm button disabled until the key pair name is typed exactly', async () => {
    const { user } = await renderAttachFlow(settled().slice(0, 21));
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

  it('renders the review in 简体中文', async () => {
    const { user } = await renderAttachFlow(settled().slice(0, 3), { language: 'zh-CN' });
    const button = await screen.findByRole('button', { name: '检查并挂载…' });
    await waitFor(() => expect(button).toBeEnabled());
    await user.click(button);
    const review = await screen.findByRole('dialog', { name: '检查：将 ops-team 挂载到 3 个实例' });
    expect(within(review).getByText('将禁用密码登录')).toBeInTheDocument();
    expect(review).toHaveTextContent('这 3 个实例将全部禁用密码登录');
    expect(within(review).getByRole('table', { name: '每个实例的计划' })).toBeInTheDocument();
    expect(within(review).getByRole('button', { name: '挂载到 3 个实例' })).toBeEnabled();
    expect(within(review).getByRole('button', { name: '取消' })).toBeInTheDocument();
  });

  it('says why the button is disabled when there is no key pair or no selection', async () => {
    const first = await renderAttachFlow(settled().slice(0, 1), { keyPairName: undefined });
    const button = await screen.findByRole('button', { name: 'Review and attach…' });
    await waitFor(() => expect(button).toHaveAccessibleDescription('Choose a key pair first.'));
    expect(button).toBeDisabled();
    first.unmount();
    await renderAttachFlow([]);
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Review and attach…' })).toHaveAccessibleDescription('Select at least one instance.'),
    );
  });

  it('a read-only user sees the attach button disabled, with the reason', async () => {
    mockModel.setSession({ allowedActions: READ_ONLY });
    await renderAttachFlow(settled().slice(0, 2));
    const button = await screen.findByRole('button', { name: 'Review and attach…' });
    await waitFor(() => expect(button).toHaveAccessibleDescription('Your groups do not allow AttachKeyPair.'));
    expect(button).toBeDisabled();
    expect(screen.getByText('Your groups do not allow AttachKeyPair.')).toBeVisible();
  });
});
