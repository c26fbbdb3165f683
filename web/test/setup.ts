import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { mockModel, server } from '../mocks/node';

// Failures are added per test with server.use(...); anything unhandled is a test bug (STYLE.md, msw).
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  mockModel.reset();
  localStorage.clear();
});
afterAll(() => server.close());
