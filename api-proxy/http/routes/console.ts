import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ActivityQuery, PendingQuery, type ActivityPage, type PendingList, type Session } from '#ecs/console-api';
import { AuditInputError, AuditUnavailableError, type AuditStore } from '../../audit';
import type { Config } from '../../config';
import { allowedActions } from '../../policy';
import { ProxyError } from '../errors';

/**
 * The console's own API beside the ECS door (shapes in ecs/console-api.ts):
 *   GET /api/session    who is signed in and what they may do
 *   GET /api/activity   the audit trail, newest first, filtered, paginated
 *   GET /api/pending    instances whose key pair awaits a reboot or start
 * The reads need the view role, like the Describe* actions (docs/product.md#roles-per-action).
 */

export interface ConsoleRoutesOptions {
  mode: Config['ecs']['mode'];
  authMode: Config['auth']['mode'];
  roles: Config['roles'];
  audit: AuditStore;
}

/**
 * The route's query, read by its console-api schema (the adapter a zod type provider would be): a query the
 * schema refuses is a 400 in our envelope, in the words `describe` gives the first problem.
 */
function queryOf<S extends z.ZodType>(
  schema: S,
  request: FastifyRequest,
  describe: (issue: z.core.$ZodIssue | undefined) => string,
): z.output<S> {
  const parsed = schema.safeParse(request.query);
  if (!parsed.success) throw new ProxyError(400, 'Proxy.InvalidParameter', describe(parsed.error.issues[0]));
  return parsed.data;
}

/** A read of the audit store, with its refusals in our envelope. */
async function readAudit<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof AuditUnavailableError)
      throw new ProxyError(503, 'Proxy.AuditUnavailable', 'The audit trail cannot be read right now. Try again later.');
    throw error;
  }
}

export const consoleRoutes: FastifyPluginCallback<ConsoleRoutesOptions> = (app, { mode, authMode, roles, audit }, done) => {
  app.get('/api/session', async (request): Promise<Session> => {
    const who = await app.authenticate(request);
    return {
      user: who.user,
      ...(who.email === undefined ? {} : { email: who.email }),
      groups: who.groups,
      allowedActions: allowedActions(who, roles, authMode),
      mode,
      authMode,
    };
  });

  app.get('/api/activity', async (request): Promise<ActivityPage> => {
    await app.authenticateViewer(request);
    const query = queryOf(ActivityQuery, request, (issue) =>
      `Invalid activity filter: ${issue?.path.join('.') || 'query'} ${issue?.message ?? ''}`.trim(),
    );
    try {
      return await readAudit(() => audit.list(query));
    } catch (error) {
      // The store refuses a forged cursor or an impossible range: that is bad input, not a 5xx.
      if (error instanceof AuditInputError)
        throw new ProxyError(400, 'Proxy.InvalidParameter', `Invalid activity filter: ${error.message.slice(0, 200)}`);
      throw error;
    }
  });

  app.get('/api/pending', async (request): Promise<PendingList> => {
    await app.authenticateViewer(request);
    const { RegionId } = queryOf(PendingQuery, request, () => 'RegionId is required and must be a region ID.');
    return { RegionId, Pending: await readAudit(() => audit.pending(RegionId)) };
  });
  done();
};
