/**
 * The consoles the specs run against, each a real proxy process in sim mode (see playwright.config.ts):
 * - main: no SSO (the local operator may do everything), a 400-instance region;
 * - sso: AUTH_MODE=header, trusting identity headers from loopback — the test itself plays the SSO proxy;
 * - large: a 10,000-instance region for the scale journey.
 * Each simulator listens on a fixed loopback control port so a spec can reset it or inject faults.
 */
export interface E2eServer {
  url: string;
  simControl: string;
  auditDb: string;
  env: Record<string, string>;
}

/** Lets two Playwright runs share a machine (e.g. developers working in parallel): E2E_PORT_OFFSET=100. */
const OFFSET = Number(process.env['E2E_PORT_OFFSET'] ?? 0);

/** Each run's own artifact folder, so parallel runs do not empty each other's (playwright.config.ts). */
export const OUTPUT_DIR = OFFSET === 0 ? 'test-results' : `test-results-${OFFSET}`;

/** Where a spec saves a screenshot of a main screen (the README's screenshot comes from these). */
export function screenshotPath(name: string): string {
  return `${OUTPUT_DIR}/screens/${name}.png`;
}

function server(basePort: number, baseSimPort: number, env: Record<string, string>): E2eServer {
  const port = basePort + OFFSET;
  const simPort = baseSimPort + OFFSET;
  return {
    url: `http://127.0.0.1:${port}`,
    simControl: `http://127.0.0.1:${simPort}/__sim`,
    auditDb: `data/e2e/audit-${port}.sqlite`,
    // Runs poll instance status every second (default 5 s), so the wave journeys take seconds, not minutes.
    env: { PORT: String(port), SIM_PORT: String(simPort), SIM_CONTROL: 'on', RUN_HEALTH_POLL_MS: '1000', ...env },
  };
}

export const E2E_SERVERS = {
  main: server(8181, 9181, { SIM_INSTANCES: '400' }),
  sso: server(8182, 9182, {
    SIM_INSTANCES: '200',
    AUTH_MODE: 'header',
    TRUSTED_PROXY_CIDRS: '127.0.0.1/32,::1/128',
    // The origin the browser opens it at: required behind SSO, where Host may be rewritten.
    PUBLIC_ORIGIN: `http://127.0.0.1:${8182 + OFFSET}`,
    ROLE_ATTACH_GROUPS: 'sre',
    ROLE_POWER_GROUPS: 'sre',
  }),
  large: server(8183, 9183, { SIM_INSTANCES: '10000' }),
} as const;
