import { render, type RenderResult } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';
import { createI18n, type Language } from '../app/i18n';
import { Providers } from '../app/Providers';
import { AppRoutes } from '../app/AppRoutes';
import { createQueryClient } from '../lib/query-client';
import { publishToast } from '../lib/notifications';
import { explainError } from '../lib/error-text';

/**
 * Renders the whole app at a URL, as an operator would open it: real routes, providers, i18n and query
 * client, with msw answering /api over the simulator.
 */
export async function renderApp(
  url: string,
  options: { language?: Language } = {},
): Promise<
  RenderResult & {
    user: ReturnType<typeof userEvent.setup>;
    location: ReturnType<typeof memoryLocation>;
    /** Every URL the app navigated to, in order, redirects included (`location.history` forgets a replaced entry). */
    navigations: string[];
  }
> {
  const i18n = await createI18n(options.language ?? 'en');
  const queryClient = createQueryClient(({ error, context }) => {
    const message = explainError(i18n.t.bind(i18n), error);
    publishToast({
      severity: 'error',
      message: i18n.t(context === 'refresh' ? 'toast.refreshFailed' : 'toast.actionFailed', { message }),
      requestId: error.requestId,
    });
  });
  const location = memoryLocation({ path: url, record: true });
  const navigations: string[] = [];
  const navigate = (to: string, options?: { replace?: boolean }) => {
    navigations.push(to);
    location.navigate(to, options);
  };
  // The memory location's hook with its navigate recorded; one function for every render, like the original.
  const hook = () => [location.hook()[0], navigate] as [string, typeof navigate];
  const user = userEvent.setup();
  const result = render(
    <Providers queryClient={queryClient} i18n={i18n} initialTheme="light">
      <Router hook={hook} searchHook={location.searchHook}>
        <AppRoutes />
      </Router>
    </Providers>,
  );
  return { ...result, user, location, navigations };
}
