import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { createI18n } from './app/i18n';
import { explainError } from './lib/error-text';
import { publishToast } from './lib/notifications';
import { createQueryClient } from './lib/query-client';

async function start(): Promise<void> {
  // msw answers /api in the browser only for `npm run dev:mock`; the production build drops this branch and
  // never contains msw (docs/product.md#console-qualities).
  if (import.meta.env.VITE_API_MOCKING === 'true') {
    const { startMockWorker } = await import('./mocks/browser');
    await startMockWorker();
  }
  const i18n = await createI18n();
  const queryClient = createQueryClient(({ error, context }) => {
    const message = explainError(i18n.t.bind(i18n), error);
    publishToast({
      severity: 'error',
      message: i18n.t(context === 'refresh' ? 'toast.refreshFailed' : 'toast.actionFailed', { message }),
      requestId: error.requestId,
    });
  });
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  createRoot(root).render(
    <StrictMode>
      <App queryClient={queryClient} i18n={i18n} />
    </StrictMode>,
  );
}

void start();
