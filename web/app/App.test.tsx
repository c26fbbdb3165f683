import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { server } from '../mocks/node';
import { renderApp } from '../test/render';

describe('the app shell', () => {
  it('shows who is signed in and that this is the simulated ECS', async () => {
    await renderApp('/activity');
    const header = screen.getByRole('banner');
    expect(await within(header).findByText('Signed in as local operator')).toBeInTheDocument();
    expect(within(header).getByText('Simulated ECS')).toBeInTheDocument();
    expect(within(header).getByRole('navigation', { name: 'Main navigation' })).toBeInTheDocument();
  });

  it('opens the last region used, or the first region ECS lists', async () => {
    const first = await renderApp('/');
    await waitFor(() => expect(first.location.history?.at(-1)).toBe('/regions/cn-hangzhou'));
    first.unmount();
    localStorage.setItem('ecs-console.region', 'eu-central-1');
    const second = await renderApp('/');
    await waitFor(() => expect(second.location.history?.at(-1)).toBe('/regions/eu-central-1'));
  });

  it('switches to 简体中文 from the header', async () => {
    const { user } = await renderApp('/activity');
    await screen.findByText('Signed in as local operator');
    await user.click(screen.getByRole('combobox', { name: 'Language' }));
    await user.click(screen.getByRole('option', { name: '简体中文' }));
    expect(await screen.findByText('当前用户：local operator')).toBeInTheDocument();
    expect(screen.getByText('模拟 ECS')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('zh-CN');
  });

  it('says plainly when the server cannot be reached, with a retry', async () => {
    server.use(
      http.get('/api/session', () =>
        HttpResponse.json({ RequestId: 'R-1', Code: 'Proxy.Unauthenticated', Message: 'no' }, { status: 401 }),
      ),
    );
    await renderApp('/activity');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('You are not signed in');
    expect(alert).toHaveTextContent('R-1');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
