import type { FastifyRequest } from 'fastify';
import type { AddressSet } from '../net';

/**
 * Where the browser sent a request: the host and origin it addressed. X-Forwarded-Host and X-Forwarded-Proto
 * are believed only from the trusted proxies (docs/conventions.md#oauth2-proxy), and only as a single value; a
 * list (several proxies, or a client's copy plus the proxy's) is not believed.
 */
export interface Forwarded {
  /** The TCP peer is a proxy whose X-Forwarded-* headers are believed. */
  fromTrustedProxy(request: FastifyRequest): boolean;
  /** The host the browser addressed: X-Forwarded-Host from a trusted proxy, else Host. */
  host(request: FastifyRequest): string | undefined;
  /**
   * The origin the request was made to: the scheme of this connection (TLS or not), or X-Forwarded-Proto from
   * a trusted proxy that terminated TLS, with the host the browser addressed.
   */
  origin(request: FastifyRequest): string | undefined;
  /** The trusted proxies themselves, for reading X-Forwarded-For (net.ts). */
  readonly trusted: AddressSet;
}

export function forwardedFrom(trusted: AddressSet): Forwarded {
  const fromTrustedProxy = (request: FastifyRequest): boolean => trusted.has(request.socket.remoteAddress ?? '');
  const host = (request: FastifyRequest): string | undefined => {
    const forwarded = fromTrustedProxy(request) ? singleForwarded(request.headers['x-forwarded-host']) : undefined;
    if (forwarded !== undefined) return forwarded;
    return typeof request.headers.host === 'string' && request.headers.host !== '' ? request.headers.host : undefined;
  };
  return {
    trusted,
    fromTrustedProxy,
    host,
    origin(request) {
      const addressed = host(request);
      if (addressed === undefined) return undefined;
      const forwarded = fromTrustedProxy(request) ? singleForwarded(request.headers['x-forwarded-proto'])?.toLowerCase() : undefined;
      const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
      const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : encrypted ? 'https' : 'http';
      return originOf(`${scheme}://${addressed}`);
    },
  };
}

/** One value of a forwarded header; a list is not believed. */
function singleForwarded(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.includes(',') ? undefined : trimmed;
}

/**
 * `scheme://host[:port]` as a browser serializes it (default port dropped, host lowercased), or `undefined`
 * for anything else: `null`, other schemes, paths, credentials.
 */
export function originOf(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.host === '')
    return undefined;
  return url.origin;
}

/** The host name of a Host header value (`[::1]:8080` → `[::1]`), or `undefined` if it is none. */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}
