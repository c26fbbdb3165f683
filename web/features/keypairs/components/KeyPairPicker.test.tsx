import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { mockModel, server } from '@web/mocks/node';
import { renderApp } from '@web/test/render';

/** The key pair picker on the region page, over msw and the simulator (12 key pairs per region). */

beforeAll(() => import('@web/app/routes/RegionPage'));
/** Waits for a first load: generous, because a shared CI machine can be slow to render the whole app. */
const LOAD = { timeout: 8_000 };

describe('the key pair picker', () => {
  it('searches the region’s key pairs by name and shows fingerprint and creation date', async () => {
    const { user } = await renderApp('/regions/cn-hangzhou');
    const input = await screen.findByRole('combobox', { name: 'Key pair' }, LOAD);
    expect(await screen.findByText('12 key pairs in this region', {}, LOAD)).toBeInTheDocument();
    await user.click(input);
    await user.paste('alice');
    const listbox = screen.getByRole('listbox');
    const options = within(listbox).getAllByRole('option');
    expect(options).toHaveLength(1);
    const option = options[0];
    if (option === undefined) throw new Error('no option');
    expect(option).toHaveTextContent('alice-laptop');
    expect(option).toHaveTextContent(/Fingerprint [0-9a-f]{32}/);
    expect(option).toHaveTextContent(/Created \w{3} \d{1,2}, \d{4}/);

    await user.click(option);
    expect(input).toHaveValue('alice-laptop');
    expect(screen.getByText(/^Fingerprint [0-9a-f]{32} · created /)).toBeInTheDocument();

    // Operators often hold a fingerprint (`ssh-keygen -l`), not a name: it finds the pair too.
    const body = mockModel.ecs('DescribeKeyPairs', { RegionId: 'cn-hangzhou', KeyPairName: 'ci-deploy' }).body as {
      KeyPairs: { KeyPair: { KeyPairFingerPrint: string }[] };
    };
    const fingerprint = body.KeyPairs.KeyPair[0]?.KeyPairFingerPrint ?? '';
    await user.clear(input);
    await user.paste(fingerprint.slice(0, 14));
    const byFingerprint = within(screen.getByRole('listbox')).getAllByRole('option');
    expect(byFingerprint).toHaveLength(1);
    expect(byFingerprint[0]).toHaveTextContent('ci-deploy');
  });

  it('loads every page of a region with more than 50 key pairs', async () => {
    const total = 120;
    const requested: number[] = [];
    const pageSizes: number[] = [];
    server.use(
      http.post('/api/ecs/DescribeKeyPairs', async ({ request }) => {
        // Recorded and asserted after: an expect failing in here would only turn into a 500 the app sees.
        const req = (await request.json()) as { PageNumber: number; PageSize: number };
        requested.push(req.PageNumber);
        pageSizes.push(req.PageSize);
        const start = (req.PageNumber - 1) * req.PageSize;
        const names = Array.from(
          { length: Math.max(0, Math.min(req.PageSize, total - start)) },
          (_, i) => `team-key-${String(start + i).padStart(3, '0')}`,
        );
        return HttpResponse.json({
          RequestId: `kp-${req.PageNumber}`,
          TotalCount: total,
          PageNumber: req.PageNumber,
          PageSize: req.PageSize,
          KeyPairs: {
            KeyPair: names.map((KeyPairName) => ({ KeyPairName, KeyPairFingerPrint: 'aa:bb', CreationTime: '2025-06-01T08:00Z' })),
          },
        });
      }),
    );
    const { user } = await renderApp('/regions/cn-hangzhou');
    await screen.findByText('120 key pairs in this region', {}, LOAD);
    expect(requested.sort((a, b) => a - b)).toEqual([1, 2, 3]);
    expect(pageSizes).toEqual([50, 50, 50]);
    await user.click(screen.getByRole('combobox', { name: 'Key pair' }));
    await user.paste('team-key-119');
    expect(within(screen.getByRole('listbox')).getByRole('option')).toHaveTextContent('team-key-119');
  });

  it('shows a failure inline with the request ID and a retry', async () => {
    server.use(
      http.post(
        '/api/ecs/DescribeKeyPairs',
        () => HttpResponse.json({ RequestId: 'KP-FAIL-1', Code: 'Proxy.Forbidden', Message: 'no' }, { status: 403 }),
        { once: true },
      ),
    );
    const { user } = await renderApp('/regions/cn-hangzhou');
    const alert = await screen.findByText(/The key pairs could not be loaded/, {}, LOAD);
    const box = alert.closest('[role="alert"]');
    if (!(box instanceof HTMLElement)) throw new Error('no alert');
    expect(box).toHaveTextContent('Your SSO groups do not allow DescribeKeyPairs.');
    expect(box).toHaveTextContent('Request ID: KP-FAIL-1');
    await user.click(within(box).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('combobox', { name: 'Key pair' }, LOAD)).toBeInTheDocument();
  });
});
