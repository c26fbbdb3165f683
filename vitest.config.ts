import { defineConfig } from 'vitest/config';

// Unit and integration tests sit next to their code (STYLE.md habit 8). Server-side suites run in Node;
// web suites opt into jsdom with a `// @vitest-environment jsdom` docblock or through the web project.
export default defineConfig({
  test: {
    globals: true,
    include: ['ecs/**/*.test.ts', 'api-proxy/**/*.test.ts', 'web/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
