import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CreateRun, Run, RunInstancesPage, RunInstancesQuery, RunPage, RunsQuery, type RunEvent } from '#ecs/runs-api';
import { AuditInputError, AuditUnavailableError, type StoredRun } from '../../audit';
import type { Config } from '../../config';
import type { Identity } from '../../identity';
import { clientAddress } from '../../net';
import { rolesOf, type Role } from '../../policy';
import type { RunControl, RunEngine } from '../../runs/engine';
import type { RegionDirectory } from '../../upstream/regions';
import { ProxyError } from '../errors';
import type { Forwarded } from '../forwarded';
import { isSameOrigin, requireJson } from './ecs';

/**
 * Runs (shapes in ecs/runs-api.ts; the engine is api-proxy/runs/):
 *   POST /api/runs                              create a run from a reviewed plan
 *   GET  /api/runs                              runs, in progress first (filters: state, creator, region, key pair)
 *   GET  /api/runs/:id                          one run
 *   GET  /api/runs/:id/instances                its per-instance rows, paginated, filtered by state
 *   POST /api/runs/:id/pause|resume|cancel|retry
 *   GET  /api/runs/:id/events                   Server-Sent Events (`id:` = seq; Last-Event-ID replays)
 * Creating and controlling need the roles of the actions the run sends (docs/product.md#roles-per-action) and
 * come from the console's own origin as JSON, like a mutating `POST /api/ecs`; the reads need the view role.
 */

export interface RunsRoutesOptions {
  engine: RunEngine;
  regions: RegionDirectory;
  roles: Config['roles'];
  authMode: Config['auth']['mode'];
  publicOrigins: readonly string[];
  forwarded: Forwarded;
  /** How often an idle event stream sends a comment, so proxies and browsers keep it open. */
  heartbeatMs?: number;
}

const FINAL = new Set(['completed', 'completed_with_failures', 'cancelled']);

/** The roles a run needs: attach for an attach, power for any reboot or start it may send. */
export function rolesForRun(run: Pick<CreateRun, 'kind' | 'policy'>): Role[] {
  const activates = run.kind === 'activate' || run.policy.stopped === 'start' || run.policy.running.mode === 'waves';
  return [...(run.kind === 'attach' ? (['attach'] as const) : []), ...(activates ? (['power'] as const) : [])];
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where =
    issue === undefined
      ? ''
      : issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.join(', ')}`
        : `${issue.path.join('.') || what}: ${issue.message}`;
  throw new ProxyError(400, 'Proxy.InvalidParameter', `Invalid ${what}: ${where}.`);
}

async function store<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof AuditUnavailableError)
      throw new ProxyError(503, 'Proxy.AuditUnavailable', 'The run store cannot be used right now. Try again later.');
    if (error instanceof AuditInputError) throw new ProxyError(400, 'Proxy.InvalidParameter', error.message);
    throw error;
  }
}

const notFound = (): ProxyError => new ProxyError(404, 'Proxy.RunNotFound', 'There is no run with this id.');

export const runsRoutes: FastifyPluginCallback<RunsRoutesOptions> = (app, options, done) => {
  const { engine, roles, authMode } = options;
  const streams = new Set<FastifyReply>();
  app.addHook('preClose', (next) => {
    // Open event streams would hold the server open; a client reconnects with Last-Event-ID.
    for (const reply of streams) reply.raw.end();
    streams.clear();
    next();
  });

  const requireRoles = (who: Identity, needed: readonly Role[]): void => {
    const held = rolesOf(who, roles, authMode);
    const missing = needed.filter((role) => !held.has(role));
    if (missing.length > 0) {
      throw new ProxyError(
        403,
        'Proxy.Forbidden',
        `Your groups do not allow this run (it needs the ${missing.join(' and ')} role). Ask for the role that grants it.`,
      );
    }
  };
  /** Origin and media type first (CSRF), then who; like a mutating `POST /api/ecs`. */
  const mutatingCaller = async (request: FastifyRequest): Promise<Identity> => {
    requireJson(request);
    if (!isSameOrigin(request, options.publicOrigins, options.forwarded)) {
      throw new ProxyError(403, 'Proxy.CrossOrigin', 'Changes must come from the console itself (same-origin Origin header).');
    }
    return app.authenticate(request);
  };
  const creatorOf = (request: FastifyRequest, who: Identity) => ({
    user: who.user,
    ...(who.email === undefined ? {} : { email: who.email }),
    groups: who.groups,
    clientAddress: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], options.forwarded.trusted),
  });
  const createRun = async (request: FastifyRequest, who: Identity, input: CreateRun): Promise<StoredRun> => {
    requireRoles(who, rolesForRun(input));
    if (input.kind === 'attach' && input.KeyPairName === undefined)
      throw new ProxyError(400, 'Proxy.InvalidParameter', 'An attach run needs its KeyPairName.');
    if (!(await options.regions.has(input.RegionId))) {
      throw new ProxyError(
        400,
        'Proxy.UnknownRegion',
        `The region "${input.RegionId.slice(0, 64)}" is not one of this account's ECS regions.`,
      );
    }
    return store(() => engine.create(input, creatorOf(request, who)));
  };
  const runOr404 = async (id: string): Promise<StoredRun> => (await store(() => engine.get(id))) ?? Promise.reject(notFound());

  // Up to 10,000 instance IDs of ≤ 64 characters: more than the app's 64 KiB body limit for ECS parameters.
  app.post('/api/runs', { bodyLimit: 1024 * 1024 }, async (request, reply) => {
    const who = await mutatingCaller(request);
    // Every run sends attaches or boots: without either role there is no run to create, whatever the body.
    const held = rolesOf(who, roles, authMode);
    if (!held.has('attach') && !held.has('power')) {
      throw new ProxyError(403, 'Proxy.Forbidden', 'Your groups do not allow creating runs. Ask for the attach or power role.');
    }
    const input = parseWith(CreateRun, request.body, 'run');
    const run = await createRun(request, who, input);
    return reply.code(201).send(Run.parse(run));
  });

  app.get('/api/runs', async (request) => {
    await app.authenticateViewer(request);
    const query = parseWith(RunsQuery, request.query, 'query');
    const page = await store(() => engine.list(query));
    return RunPage.parse(page);
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (request) => {
    await app.authenticateViewer(request);
    return Run.parse(await runOr404(request.params.id));
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id/instances', async (request) => {
    await app.authenticateViewer(request);
    const query = parseWith(RunInstancesQuery, request.query, 'query');
    await runOr404(request.params.id);
    const page = await store(() => engine.instances(request.params.id, query));
    return RunInstancesPage.parse(page);
  });

  app.post<{ Params: { id: string; action: string } }>('/api/runs/:id/:action', async (request, reply) => {
    const { action } = request.params;
    if (action !== 'pause' && action !== 'resume' && action !== 'cancel' && action !== 'retry')
      throw new ProxyError(404, 'Proxy.NotFound', 'No such run control.');
    const who = await mutatingCaller(request);
    const run = await runOr404(request.params.id);
    requireRoles(who, rolesForRun(run));
    if (action === 'retry') {
      const failed = await store(() => engine.retryTargets(run.id));
      if (failed.length === 0) throw new ProxyError(409, 'Proxy.NothingToRetry', 'This run has no failed, unknown or unsent instances.');
      const input: CreateRun = {
        RegionId: run.regionId,
        kind: run.kind,
        ...(run.keyPairName === undefined ? {} : { KeyPairName: run.keyPairName }),
        InstanceIds: failed,
        policy: run.policy,
        retryOf: run.id,
      };
      return reply.code(201).send(Run.parse(await createRun(request, who, input)));
    }
    const result = await store(() => engine.control(run.id, action satisfies RunControl, who.user));
    if (result === undefined) throw notFound();
    if (!result.changed)
      throw new ProxyError(
        409,
        'Proxy.RunStateConflict',
        `A ${result.run.state} run cannot be ${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'cancelled'}.`,
      );
    return Run.parse(result.run);
  });

  app.get<{ Params: { id: string }; Querystring: { lastEventId?: string } }>('/api/runs/:id/events', async (request, reply) => {
    await app.authenticateViewer(request);
    const run = await runOr404(request.params.id);
    const header = request.headers['last-event-id'];
    const raw = typeof header === 'string' ? header : request.query.lastEventId;
    let last = raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : 0;
    const buffered: RunEvent[] = [];
    let replaying = true;
    const write = (event: RunEvent): void => {
      if (event.seq <= last) return;
      last = event.seq;
      reply.raw.write(`id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    // Subscribed before the replay, so nothing falls between what is read and what arrives.
    const unsubscribe = engine.subscribe(run.id, (event) => (replaying ? buffered.push(event) : write(event)));
    reply.hijack();
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    streams.add(reply);
    const heartbeat = setInterval(() => reply.raw.write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
    const stop = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(reply);
    };
    reply.raw.once('close', stop);
    try {
      for (;;) {
        const page = await engine.events(run.id, last);
        for (const event of page) write(event);
        if (page.length < 1000) break;
      }
    } catch {
      // The replay could not be read: the client reconnects with what it got.
      reply.raw.end();
      return reply;
    }
    replaying = false;
    for (const event of buffered) write(event);
    // A finished run says nothing more: the stream ends after the replay.
    if (FINAL.has((await engine.get(run.id))?.state ?? 'completed') && !engine.isLive(run.id)) reply.raw.end();
    return reply;
  });
  done();
};
