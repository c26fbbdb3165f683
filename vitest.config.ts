import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Tests sit next to their code (docs/conventions.md#tests-act-like-a-user). Server-side suites run in Node; the web app's run in
// jsdom with msw answering /api over the simulator (web/test/setup.ts).
export default defineConfig({
  plugins: [react()],
  resolve: { tsconfigPaths: true },
  test: {
    globals: true,
    pool: 'forks',
    maxWorkers: 2,
    // A bound on a hung test, not a speed target (speed is measured by npm run bench): whole-app component tests take
    // seconds on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          include: ['ecs/**/*.test.ts', 'acs-signature/**/*.test.ts', 'sim/**/*.test.ts', 'api-proxy/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: { name: 'web', include: ['web/**/*.test.{ts,tsx}'], environment: 'jsdom', setupFiles: ['web/test/setup.ts'] },
      },
    ],
  },
});
