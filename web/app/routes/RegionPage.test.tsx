import { screen, waitFor, within } from '@testing-library/react';
import { mockModel } from '../../mocks/node';
import { renderApp } from '../../test/render';

/** The region page composes the region picker, the key pair picker, the instances screen and the attach flow. */

beforeAll(() => import('./RegionPage'));
const LOAD = { timeout: 8_000 };

describe('the region page', () => {
  it('hands the selection and the key pair to the attach flow, and starts afresh in another region', async () => {
    const { user, location } = await renderApp('/regions/cn-hangzhou?q=prod&key=ops-team');
    const selection = within(await screen.findByRole('region', { name: 'Selection' }, LOAD));
    const review = selection.getByRole('button', { name: 'Review and attach…' });
    expect(review).toBeDisabled();
    expect(review).toHaveAccessibleDescription('Choose a key pair first.');

    await user.click(screen.getByRole('combobox', { name: 'Key pair' }));
    await user.click(await screen.findByRole('option', { name: /^ci-deploy/ }, LOAD));
    expect(review).toHaveAccessibleDescription('Select at least one instance.');

    const target = mockModel.simulator
      .instancesIn('cn-hangzhou')
      .find((i) => i.KeyPairName === 'ops-team' && i.InstanceName.includes('prod') && (i.OperationLocks.LockReason ?? []).length === 0);
    if (!target) throw new Error('no matching instance');
    await user.click(screen.getByRole('checkbox', { name: `Select ${target.InstanceName} (${target.InstanceId})` }));
    expect(selection.getByText('1 instance selected')).toBeInTheDocument();
    expect(selection.getByRole('button', { name: 'Review and attach…' })).toBeEnabled();

    // Another region: the route changes, the region is remembered, region-specific filters and the selection go.
    await user.click(screen.getByRole('combobox', { name: 'Region' }));
    await user.click(screen.getByRole('option', { name: 'China (Shanghai) (cn-shanghai)' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe('/regions/cn-shanghai?q=prod'), LOAD);
    expect(localStorage.getItem('ecs-console.region')).toBe('cn-shanghai');
    expect(await screen.findByRole('table', { name: 'Instances in cn-shanghai' }, LOAD)).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search' })).toHaveValue('prod');
    expect(within(screen.getByRole('region', { name: 'Selection' })).getByText('0 instances selected')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Key pair' })).toHaveValue('');
  });
});
