import { screen, waitFor, within } from '@testing-library/react';
import { mockModel } from '@web/mocks/node';
import { renderApp } from '@web/test/render';
import { createRun, finished, linux, quickBoots, windows } from '@web/test/runs';

const LOAD = { timeout: 10_000 };

beforeEach(() => quickBoots());

async function runRows(): Promise<HTMLElement[]> {
  const table = await screen.findByRole('table', { name: 'Runs, in progress first' }, LOAD);
  return within(table).getAllByRole('row').slice(1);
}

/** Three runs: alice's, still in progress (paused) though the oldest; then bob's and alice's, both finished. */
async function threeRuns() {
  const [a, b, c, d, e] = linux('Running');
  if (!a || !b || !c || !d || !e) throw new Error('the seeded fleet changed');
  mockModel.setSession({ user: 'alice' });
  const paused = createRun({ InstanceIds: [a.InstanceId, b.InstanceId] });
  mockModel.runs.control(paused.id, 'pause');
  mockModel.setSession({ user: 'bob' });
  const bobs = createRun({ InstanceIds: [c.InstanceId, d.InstanceId] });
  await finished(bobs.id);
  mockModel.setSession({ user: 'alice' });
  const alices = createRun({ KeyPairName: 'ci-deploy', InstanceIds: [e.InstanceId, windows().InstanceId] });
  await finished(alices.id);
  return { paused, bobs, alices };
}

describe('the runs list', () => {
  it('lists runs in progress first, each with its state, kind, creator and counts, linked to its page', async () => {
    const { paused, bobs, alices } = await threeRuns();
    const { user, location } = await renderApp('/runs');
    expect(await screen.findByRole('heading', { level: 1, name: 'Runs' }, LOAD)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Runs' })).toHaveAttribute('aria-current', 'page');
    const [first, second, third, ...rest] = await runRows();
    expect(rest).toHaveLength(0);
    if (!first || !second || !third) throw new Error('expected three runs');

    expect(first).toHaveTextContent('Paused');
    expect(first).toHaveTextContent('alice');
    expect(first).toHaveTextContent(paused.id);
    expect(first).toHaveTextContent('2 queued');
    expect(second).toHaveTextContent('Completed');
    expect(second).toHaveTextContent('Attach key pair ci-deploy');
    expect(second).toHaveTextContent(alices.id);
    expect(second).toHaveTextContent('1 left pending · 1 skipped');
    expect(third).toHaveTextContent('bob');
    expect(third).toHaveTextContent('2 left pending');
    expect(third).toHaveTextContent('of 2 instances');

    const link = within(third).getByRole('link', { name: 'Attach key pair ops-team' });
    expect(link).toHaveAttribute('href', `/runs/${bobs.id}`);
    await user.click(link);
    await waitFor(() => expect(location.history?.at(-1)).toBe(`/runs/${bobs.id}`));
    expect(await screen.findByRole('heading', { level: 1, name: 'Run' }, LOAD)).toBeInTheDocument();
  });

  it('filters by creator and state in the URL, and clears them', async () => {
    const { bobs } = await threeRuns();
    const { user, location } = await renderApp('/runs');
    expect(await runRows()).toHaveLength(3);

    await user.type(screen.getByRole('textbox', { name: 'Started by' }), 'bob{Enter}');
    await waitFor(() => expect(location.history?.at(-1)).toBe('/runs?creator=bob'));
    await waitFor(async () => expect(await runRows()).toHaveLength(1));
    expect((await runRows())[0]).toHaveTextContent(bobs.id);

    await user.click(screen.getByRole('combobox', { name: 'State' }));
    await user.click(await screen.findByRole('option', { name: 'Paused' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe('/runs?state=paused&creator=bob'));
    expect(await screen.findByText('No runs match these filters.', {}, LOAD)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(async () => expect(await runRows()).toHaveLength(3));
  });

  it('reads a filter link and says which parts it could not use', async () => {
    const { alices } = await threeRuns();
    await renderApp('/runs?keyPairName=ci-deploy&regionId=cn.hangzhou');
    const rows = await runRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent(alices.id);
    expect(screen.getByRole('textbox', { name: 'Key pair' })).toHaveValue('ci-deploy');
    expect(screen.getByText('Some filters in this link were not understood and are ignored: Region ID')).toBeInTheDocument();
  });
});
