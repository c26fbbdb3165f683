import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The built web app (WEB_DIST), when there is one: hashed assets cached for good, index.html always
 * revalidated so a deploy takes effect, and index.html for any other page the single-page app routes itself.
 */

/** A built web app is there to serve. */
export function hasWebApp(webDist: string | undefined): webDist is string {
  return webDist !== undefined && existsSync(path.join(webDist, 'index.html'));
}

/** Registered on the root scope: `reply.sendFile` is also what the not-found handler answers with (`spaFallback`). */
export const staticWeb = fp<{ webDist: string }>(
  async (app, { webDist }) => {
    const root = path.resolve(webDist);
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      index: false,
      wildcard: true,
      cacheControl: false,
      dotfiles: 'deny',
      // Hashed assets never change; index.html must always be revalidated so a deploy takes effect.
      setHeaders(res, filePath) {
        const relative = path.relative(root, filePath);
        res.setHeader('cache-control', relative.startsWith(`assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    app.get('/', async (_request, reply) => {
      void reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    });
  },
  { name: 'static-web' },
);

/** Single-page app: any other GET outside /api/ that wants HTML gets index.html, never cached. */
export function spaFallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const wantsHtml = (request.headers.accept ?? '').includes('text/html');
  if (request.method !== 'GET' || request.url.startsWith('/api/') || !wantsHtml) return undefined;
  void reply.header('cache-control', 'no-cache');
  return reply.sendFile('index.html');
}
