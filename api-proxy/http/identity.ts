import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config';
import type { Identity, IdentityResolver, IdentityResult } from '../identity';
import { rolesOf } from '../policy';
import { ProxyError } from './errors';

/**
 * Who is calling: every /api route needs an identity (docs/product.md#identity-from-sso). On /api/ecs it is
 * settled before any check, so every refusal can be audited under the caller's name; what is refused, and in
 * which order, does not depend on it. The routes ask with `app.authenticate` / `app.authenticateViewer`.
 */

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
    /** /api/ecs only: who is calling, resolved before anything is refused (so a refusal can name them). */
    identityResult?: IdentityResult;
  }
  interface FastifyInstance {
    /** The caller, or a 401 ProxyError. */
    authenticate(request: FastifyRequest): Promise<Identity>;
    /** The caller if they hold the view role (the console's own reads need it, like Describe*), or a 401/403 ProxyError. */
    authenticateViewer(request: FastifyRequest): Promise<Identity>;
  }
}

export const ECS_ROUTE = '/api/ecs/:action';

export function isEcsRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url === ECS_ROUTE;
}

export interface IdentityHookOptions {
  resolver: IdentityResolver;
  roles: Config['roles'];
  authMode: Config['auth']['mode'];
}

export const identityHook = fp<IdentityHookOptions>(
  (app, { resolver, roles, authMode }, done) => {
    function resolveIdentity(request: FastifyRequest): Promise<IdentityResult> {
      // Repeated headers are kept apart (Node would join them with ", "), so a duplicated identity header is
      // seen as ambiguous rather than silently merged.
      return resolver.resolve(distinctHeaders(request.raw.rawHeaders), request.socket.remoteAddress ?? '');
    }

    app.addHook('onRequest', async (request) => {
      if (isEcsRoute(request)) request.identityResult = await resolveIdentity(request);
    });

    app.decorate('authenticate', async (request: FastifyRequest): Promise<Identity> => {
      const result = request.identityResult ?? (await resolveIdentity(request));
      if (!result.ok) throw new ProxyError(401, result.code, result.message);
      request.identity = result.identity;
      return result.identity;
    });

    app.decorate('authenticateViewer', async (request: FastifyRequest): Promise<Identity> => {
      const who = await app.authenticate(request);
      if (!rolesOf(who, roles, authMode).has('view')) {
        throw new ProxyError(403, 'Proxy.Forbidden', 'Your groups do not allow viewing this console. Ask for the role that grants it.');
      }
      return who;
    });
    done();
  },
  { name: 'identity' },
);

function distinctHeaders(raw: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    (headers[name] ??= []).push(raw[i + 1] ?? '');
  }
  return headers;
}
