import { setupWorker } from 'msw/browser';
import { createConsoleModel } from './console-model';
import { createHandlers } from './handlers';

/** `npm run dev:mock`: the whole console in the browser with no server, over the same simulator. */
export async function startMockWorker(): Promise<void> {
  const model = createConsoleModel();
  model.simulator.setControl({ latencyMs: 120, jitterMs: 60 });
  const worker = setupWorker(...createHandlers(model, { latency: true }));
  await worker.start({ onUnhandledRequest: 'bypass', quiet: true });
}
