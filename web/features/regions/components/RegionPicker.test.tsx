import { act, screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { server } from '@web/mocks/node';
import { renderApp } from '@web/test/render';

/** The region picker when DescribeRegions fails: plain words, the RequestId, a retry, and recovery. */

const LOAD = { timeout: 8_000 };
beforeAll(() => import('@web/app/routes/RegionPage'));

function failRegionsOnce() {
  server.use(
    http.post(
      '/api/ecs/DescribeRegions',
      () =>
        HttpResponse.json(
          {
            RequestId: 'REQ-REGIONS-1',
            Code: 'ServiceUnavailable',
            Message: 'The request has failed due to a temporary failure of the server.',
          },
          { status: 503 },
        ),
      {
        once: true,
      },
    ),
  );
}

describe('the region picker', () => {
  it('explains a failed load in plain words with the request ID, and "Try again" brings the picker back', async () => {
    failRegionsOnce();
    const { user } = await renderApp('/regions/cn-hangzhou');
    const alert = await screen.findByRole('alert', {}, LOAD);
    expect(alert).toHaveTextContent(/^The region list could not be loaded: ECS is temporarily unavailable\./);
    expect(alert).not.toHaveTextContent('temporary failure of the server');
    expect(alert).toHaveTextContent('Request ID: REQ-REGIONS-1');
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('combobox', { name: 'Region' }, LOAD)).toBeInTheDocument();
    expect(screen.queryByText(/region list could not be loaded/)).not.toBeInTheDocument();
  });

  it('recovers by itself on the next successful fetch, without a reload', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      failRegionsOnce();
      await renderApp('/regions/cn-hangzhou');
      expect(await screen.findByText(/region list could not be loaded/, {}, LOAD)).toBeInTheDocument();
      // Inside act: the refetch it fires updates the picker, and React must see that update as the test's own.
      await act(() => vi.advanceTimersByTimeAsync(11_000));
      expect(await screen.findByRole('combobox', { name: 'Region' }, LOAD)).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });
});
