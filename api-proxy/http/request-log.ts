import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** /api/ecs only: the action asked for, once it is one of the contract's. */
    ecsAction?: string;
  }
}

/**
 * One structured line per request, in place of Fastify's own (which would include headers): headers are never
 * logged, so tokens and identity assertions stay out.
 */
export const requestLog = fp(
  (app, _options, done) => {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        {
          method: request.method,
          url: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          user: request.identity?.user,
          action: request.ecsAction,
        },
        'request',
      );
    });
    done();
  },
  { name: 'request-log' },
);
