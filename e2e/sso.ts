import type { Browser, Page } from '@playwright/test';
import { expect, test as base } from './fixtures';
import { E2E_SERVERS } from './servers';

/**
 * The `sso` console (AUTH_MODE=header, trusting identity headers from loopback): the test itself plays the
 * trusted SSO proxy, so every request its browser context makes carries the operator's identity headers.
 *
 * `test.use({ ssoUser })` picks who the spec's `page` (and `request`) is; `signInAs(other)` opens a second
 * browser page as someone else. Using `page` resets the sso server's simulator first (the `ssoSim` fixture).
 */
export interface SsoIdentity {
  user: string;
  email?: string;
  groups: readonly string[];
}

/** The server's roles (e2e/servers.ts): `sre` may attach, reboot and start; every other group may only look. */
export const VIEWER: SsoIdentity = { user: 'vera.viewer', email: 'vera@example.com', groups: ['viewers'] };
export const SRE: SsoIdentity = { user: 'alice@example.com', email: 'alice@example.com', groups: ['sre'] };

export const SSO_URL = E2E_SERVERS.sso.url;

/** What an oauth2-proxy style SSO proxy in front of the console would add to each request. */
export function identityHeaders(who: SsoIdentity): Record<string, string> {
  return {
    'X-Forwarded-User': who.user,
    ...(who.email === undefined ? {} : { 'X-Forwarded-Email': who.email }),
    'X-Forwarded-Groups': who.groups.join(','),
  };
}

async function pageAs(browser: Browser, who: SsoIdentity, viewport: { width: number; height: number } | null): Promise<Page> {
  const context = await browser.newContext({ baseURL: SSO_URL, extraHTTPHeaders: identityHeaders(who), viewport });
  return context.newPage();
}

export const test = base.extend<{ ssoUser: SsoIdentity; signInAs: (who: SsoIdentity) => Promise<Page> }>({
  ssoUser: [VIEWER, { option: true }],
  baseURL: SSO_URL,
  extraHTTPHeaders: async ({ ssoUser }, use) => {
    await use(identityHeaders(ssoUser));
  },
  page: async ({ page, ssoSim }, use) => {
    expect(ssoSim).toBeTruthy();
    await use(page);
  },
  signInAs: async ({ browser, viewport, ssoSim }, use) => {
    expect(ssoSim).toBeTruthy();
    const pages: Page[] = [];
    await use(async (who) => {
      const page = await pageAs(browser, who, viewport);
      pages.push(page);
      return page;
    });
    for (const page of pages) await page.context().close();
  },
});

export { expect };
