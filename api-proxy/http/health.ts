import type { FastifyPluginCallback } from 'fastify';
import type { AuditStore } from '../audit';
import type { CredentialSource } from '../upstream/credentials';
import type { EcsClient, UpstreamOutcome } from '../upstream/ecs-client';
import { untilAborted } from './until-aborted';

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (a call could succeed now: credentials resolve, ECS
 * answers, the audit trail takes a write that needs space).
 */

/**
 * `/readyz` asks ECS with one cheap live call (DescribeRegions) rather than reading the region list, which is
 * cached for an hour and would say "ready" all through an outage. The answer is reused for this long, so a
 * probe every second (or a flood of them: the route needs no identity) adds at most one call per window.
 */
const READY_UPSTREAM_CACHE_MS = 10_000;
/** Every readiness check is bounded by this: a probe that hangs is as bad as one that fails. */
const READY_TIMEOUT_MS = 2_000;

export interface ReadinessTuning {
  upstreamCacheMs?: number;
  timeoutMs?: number;
}

/** Whether ECS answers, judged by a live probe or by any successful answer a real call got since. */
export interface UpstreamReadiness {
  /** Every ECS answer the API passes on: a success proves a call can succeed now. */
  note: (outcome: UpstreamOutcome) => void;
  /** The problem with ECS right now, in words fit for the readiness answer, or `undefined`. */
  problem: (signal: AbortSignal) => Promise<string | undefined>;
  readonly timeoutMs: number;
}

export function createUpstreamReadiness(options: {
  ecs: EcsClient;
  bootstrapRegion: string;
  clock: () => number;
  tuning?: ReadinessTuning;
}): UpstreamReadiness {
  const { ecs, bootstrapRegion, clock } = options;
  const upstreamCacheMs = options.tuning?.upstreamCacheMs ?? READY_UPSTREAM_CACHE_MS;
  const timeoutMs = options.tuning?.timeoutMs ?? READY_TIMEOUT_MS;
  // The verdict of the last live probe, or of any 2xx answer since, reused for a short while; one probe in
  // flight at a time.
  let verdict: { at: number; problem: string | undefined } | undefined;
  let probe: Promise<string | undefined> | undefined;

  return {
    timeoutMs,
    note(outcome) {
      // Only a success proves a call can succeed now; an error answer might be ECS or a gateway in front of it.
      if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) verdict = { at: clock(), problem: undefined };
    },
    problem(signal) {
      if (verdict !== undefined && clock() - verdict.at < upstreamCacheMs) return Promise.resolve(verdict.problem);
      probe ??= (async () => {
        let problem: string | undefined;
        try {
          const outcome = await untilAborted(
            ecs.call('DescribeRegions', {}, { regionId: bootstrapRegion, mutating: false, signal }),
            signal,
          );
          const code = outcome.kind === 'response' ? outcome.body['Code'] : undefined;
          if (outcome.kind !== 'response') problem = 'ECS did not answer DescribeRegions';
          // Throttling is ECS answering: the account's quota is shared, and calling ourselves unready would only
          // move the load to the other replicas.
          else if (outcome.status !== 200 && !(typeof code === 'string' && /(^|\.)Throttling(\.|$)/.test(code))) {
            problem = `ECS answered DescribeRegions with HTTP ${outcome.status}${typeof code === 'string' ? ` ${code.slice(0, 64)}` : ''}`;
          }
        } catch {
          problem = `ECS did not answer DescribeRegions within ${timeoutMs} ms`;
        }
        verdict = { at: clock(), problem };
        return problem;
      })().finally(() => {
        probe = undefined;
      });
      return probe;
    },
  };
}

export interface HealthOptions {
  credentials: CredentialSource;
  audit: AuditStore;
  upstream: UpstreamReadiness;
}

export const health: FastifyPluginCallback<HealthOptions> = (app, { credentials, audit, upstream }, done) => {
  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    // The three checks run in parallel, each bounded by the same short timeout.
    const { timeoutMs } = upstream;
    const signal = AbortSignal.timeout(timeoutMs);
    const [credentialsCheck, upstreamCheck, auditCheck] = await Promise.all([
      untilAborted(credentials.get(), signal).then(
        () => 'ok',
        () => 'credentials could not be resolved',
      ),
      upstream.problem(signal).then((problem) => problem ?? 'ok'),
      untilAborted(audit.check(), signal).then(
        (result) => (result.ok ? 'ok' : result.problem),
        () => `the audit store did not answer within ${timeoutMs} ms`,
      ),
    ]);
    const checks: Record<string, string> = { credentials: credentialsCheck, upstream: upstreamCheck, audit: auditCheck };
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  done();
};
