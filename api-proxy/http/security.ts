import fp from 'fastify-plugin';
import { clip, ProxyError } from './errors';
import { hostnameOf, type Forwarded } from './forwarded';

/**
 * The headers every answer carries, and the host names the console answers to.
 */

/**
 * Hand-written rather than @fastify/helmet: seven fixed headers are easier to audit than a plugin's defaults
 * (docs/decisions/hand-written-security-headers.md). MUI (emotion) injects <style> elements, so styles allow
 * 'unsafe-inline'; scripts never do.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), clipboard-write=(self)',
};

/** The request ID and the security headers, on every answer; the first hook of all. */
export const securityHeaders = fp(
  (app, _options, done) => {
    app.addHook('onRequest', async (request, reply) => {
      void reply.header('x-request-id', request.id);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    });
    done();
  },
  { name: 'security-headers' },
);

/**
 * Host names a browser may use to reach the console. Without SSO (AUTH_MODE=none) only loopback names are
 * accepted: otherwise a web page could rebind its own domain to 127.0.0.1 and drive the console, since its
 * Origin and Host would then agree (DNS rebinding). With PUBLIC_ORIGIN set, only its hosts are accepted.
 */
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function allowedHostnames(authMode: 'none' | 'header' | 'jwt', publicOrigins: readonly string[]): ReadonlySet<string> | undefined {
  if (authMode === 'none') return LOOPBACK_HOSTNAMES;
  if (publicOrigins.length > 0) return new Set(publicOrigins.map((origin) => new URL(origin).hostname));
  return undefined;
}

export interface HostAllowlistOptions {
  /** `undefined`: every host name is answered. */
  hostnames: ReadonlySet<string> | undefined;
  forwarded: Forwarded;
}

/**
 * Refuses (421) a request addressed to a host name the console does not answer to. Registered after the
 * identity hook, so a refused mutating call is audited under its caller's name.
 */
export const hostAllowlist = fp<HostAllowlistOptions>(
  (app, { hostnames, forwarded }, done) => {
    if (hostnames !== undefined) {
      app.addHook('onRequest', (request, _reply, next) => {
        const host = forwarded.host(request);
        const hostname = hostnameOf(host);
        if (hostname !== undefined && hostnames.has(hostname)) return next();
        next(
          new ProxyError(421, 'Proxy.HostNotAllowed', 'This console does not answer to that host name.', {
            reason: `host name not allowed (${clip(host ?? 'no Host header', 100)})`,
          }),
        );
      });
    }
    done();
  },
  { name: 'host-allowlist' },
);
