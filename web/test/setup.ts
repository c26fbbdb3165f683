import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { mockModel, server } from '../mocks/node';
import { installConsoleErrorGuard } from './console-errors';

// First, so its check runs after the cleanup below (hooks run last-registered first): errors logged while a
// test's tree unmounts count too.
installConsoleErrorGuard();

// Failures are added per test with server.use(...); anything unhandled is a test bug (docs/conventions.md#msw-examples).
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  mockModel.reset();
  localStorage.clear();
});
afterAll(() => server.close());
