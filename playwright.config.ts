import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';
import { E2E_SERVERS, OUTPUT_DIR } from './e2e/servers';

// Playwright cannot download its own browsers on our build machines, so use Debian's Chromium when it is
// installed; on a developer's laptop without it, fall back to Playwright's bundled browser.
const systemChromium = process.env['PLAYWRIGHT_CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const launchOptions = existsSync(systemChromium)
  ? {
      executablePath: systemChromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    }
  : {};

/**
 * The specs run against the console as `npm start` runs it: the proxy in sim mode, really signing every call
 * to its in-process simulated ECS over HTTP, serving the production build (`npm run test:e2e` builds it
 * first). Each server's simulator has a fixed loopback control port so a test can reset it (e2e/fixtures.ts).
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: OUTPUT_DIR,
  fullyParallel: false,
  workers: 1,
  retries: process.env['CI'] ? 1 : 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: process.env['CI'] ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    ...devices['Desktop Chrome'],
    viewport: { width: 1440, height: 900 },
    headless: true,
    baseURL: E2E_SERVERS.main.url,
    trace: 'on-first-retry',
    screenshot: 'only-on-failure',
    launchOptions,
  },
  webServer: Object.values(E2E_SERVERS).map((server) => ({
    command: `rm -f ${server.auditDb} && node --import tsx api-proxy/server.ts`,
    url: `${server.url}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: { ...server.env, AUDIT_DB: server.auditDb, WEB_DIST: 'dist/web', LOG_LEVEL: 'warn' },
  })),
});
