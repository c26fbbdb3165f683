import fastifyRateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { ProxyError } from './errors';

/**
 * Calls to /api/ecs are limited per user (the identity, not the address: behind an SSO proxy everyone arrives
 * from its address), RATE_LIMIT_PER_MINUTE. Past it the proxy answers 429 `Proxy.RateLimited` with Retry-After
 * and sends nothing to ECS; the refusal is audited like any other. Only routes that ask for it are limited
 * (`config: { rateLimit: {} }`): the console's own reads spend no ECS quota.
 */
export const rateLimit = fp<{ perMinute: number }>(
  async (app, { perMinute }) => {
    await app.register(fastifyRateLimit, {
      global: false,
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => (request.identityResult?.ok === true ? `user:${request.identityResult.identity.user}` : 'anonymous'),
      // A caller without an identity is refused (401) before anything is sent; there is no one to count.
      allowList: (request) => request.identityResult?.ok !== true,
      // Thrown by the plugin and answered by the error handler; @fastify/rate-limit has set Retry-After (seconds).
      errorResponseBuilder: (_request, context) => {
        const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
        return new ProxyError(
          429,
          'Proxy.RateLimited',
          `Too many calls: at most ${perMinute} a minute per user. Nothing was sent to ECS. Try again in ${retryAfterSeconds} s.`,
          { reason: `rate limited (more than ${perMinute} calls a minute)` },
        );
      },
    });
  },
  { name: 'rate-limit' },
);
