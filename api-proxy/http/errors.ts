import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { EcsErrorBody } from '../../ecs/errors';

/**
 * Every error answer of the proxy, from wherever it comes (a route, a hook, the body parser, the router, the
 * HTTP parser, Node itself), is ECS's envelope `{Code, Message, RequestId}` with `Proxy.*` codes and the
 * security headers (docs/conventions.md#errors-are-data); where no answer is possible the connection is closed.
 * 5xx answers never leak internals (docs/conventions.md#fastify-demo).
 *
 * Where an answer is written before any hook could set headers (the router's, the parser's, Node's own), the
 * security headers are handed in (security.ts).
 */

export type FixedHeaders = Readonly<Record<string, string>>;

/** Sends the envelope. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: EcsErrorBody = { RequestId: reply.request.id, Code: code, Message: message };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * A refusal made by the proxy, thrown by a route step or a hook and answered by the error handler below. With
 * `audited`, a refused mutating call whose caller is known is written to the audit trail as denied first
 * (refusals.ts): `reason` in the record's words, `params` whatever the caller sent (or the parsed parameters).
 */
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly audited?: { reason: string; params?: unknown },
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

/** Answers a ProxyError, auditing it first where it says so (refusals.ts). */
export type Refuse = (request: FastifyRequest, reply: FastifyReply, refusal: ProxyError) => Promise<FastifyReply>;

/** Text from a request, made fit for an audit reason: no control characters, bounded. */
export function clip(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export interface ErrorHandlingOptions {
  refuse: Refuse;
  /** Answers a request no route took before it becomes a 404 (the web app's index.html, static.ts); `undefined` to decline. */
  notFound?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;
}

/**
 * The one error handler and the not-found handler, on the root scope (so every route and hook registered after
 * it answers through them).
 */
export const errorHandling = fp<ErrorHandlingOptions>(
  (app, { refuse, notFound }, done) => {
    app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
      if (error instanceof ProxyError) return refuse(request, reply, error);
      const status = error.statusCode ?? 500;
      if (status >= 500) {
        request.log.error({ reqId: request.id, err: { message: error.message, code: error.code } }, 'unhandled error');
        return sendError(
          reply,
          500,
          'Proxy.InternalError',
          'The proxy failed to handle the request. Quote the RequestId when reporting it.',
        );
      }
      // The body could not be read: the route's handler never ran, so refusals of mutating calls are audited here.
      return refuse(request, reply, bodyRefusal(error, status));
    });

    app.setNotFoundHandler(
      async (request, reply) => notFound?.(request, reply) ?? sendError(reply, 404, 'Proxy.NotFound', 'No such resource.'),
    );
    done();
  },
  { name: 'error-handling' },
);

/** What Fastify's body parsing refused, as our refusal. */
function bodyRefusal(error: Error & { code?: string }, status: number): ProxyError {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new ProxyError(413, 'Proxy.BodyTooLarge', 'The request body is too large.', { reason: 'the request body is too large' });
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ProxyError(415, 'Proxy.UnsupportedMediaType', 'Send the parameters as Content-Type: application/json.', {
      reason: 'not sent as Content-Type: application/json',
    });
  }
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new ProxyError(400, 'Proxy.MalformedBody', 'The request body is not valid JSON.', {
      reason: 'the request body is not valid JSON',
    });
  }
  return new ProxyError(status, 'Proxy.BadRequest', error.message.slice(0, 200), {
    reason: `bad request (${clip(error.code ?? String(status), 64)})`,
  });
}

/** Malformed URLs and the like fail before any hook runs: answer them in our envelope with our headers. */
export function frameworkErrors(headers: FixedHeaders): NonNullable<FastifyServerOptions['frameworkErrors']> {
  return (error, _request, reply) => {
    const plain = reply as unknown as FastifyReply;
    void plain.header('x-request-id', plain.request.id);
    for (const [name, value] of Object.entries(headers)) void plain.header(name, value);
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      void sendError(plain, 414, 'Proxy.UriTooLong', 'The URL is too long.');
      return;
    }
    void sendError(
      plain,
      400,
      'Proxy.BadRequest',
      error.code === 'FST_ERR_BAD_URL' ? 'The URL is not valid.' : 'The request is not valid.',
    );
  };
}

/**
 * Requests the HTTP parser refuses (oversized headers, bad request lines, bare LF, NUL, CL+TE, unknown methods)
 * never become requests: answer them on the socket, in our envelope, with our headers.
 */
export function clientErrorHandler(
  headers: FixedHeaders,
  log: () => FastifyBaseLogger,
): NonNullable<FastifyServerOptions['clientErrorHandler']> {
  return (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code, message] = parserRefusal(error.code);
    log().debug({ err: { code: error.code } }, 'client error');
    answerOnSocket(socket, headers, status, code, message);
  };
}

/** What Node answers by itself, without any hook running, answered in our envelope instead. */
export function answerServerLevelErrors(server: Server, headers: FixedHeaders): void {
  // `Expect: <anything but 100-continue>`: Node would answer 417 with an empty body and none of our headers.
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const requestId = randomUUID();
    const body = JSON.stringify({
      RequestId: requestId,
      Code: 'Proxy.ExpectationFailed',
      Message: 'Only "Expect: 100-continue" is supported.',
    } satisfies EcsErrorBody);
    response.writeHead(417, {
      ...headers,
      'x-request-id': requestId,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    response.end(body);
  });
  // CONNECT is a tunnel request, not a request for a resource; without a listener Node drops the connection.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, headers, 405, 'Proxy.MethodNotAllowed', 'CONNECT is not supported.');
  });
}

/** What the parser refused, as our envelope (status, code, message). */
function parserRefusal(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Proxy.HeadersTooLarge', 'The request line and headers are too large.'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Proxy.RequestTimeout', 'The request did not arrive in time.'];
    case 'HPE_INVALID_METHOD':
      return [400, 'Proxy.BadRequest', 'The HTTP method is not supported.'];
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_CHUNK_SIZE':
      return [400, 'Proxy.BadRequest', 'The request body is not framed correctly (Content-Length, Transfer-Encoding).'];
    default:
      return [400, 'Proxy.BadRequest', 'The request is not valid HTTP/1.1.'];
  }
}

/** A complete HTTP/1.1 answer in our envelope, for places that only have the socket. */
function rawEnvelope(extraHeaders: FixedHeaders, status: number, code: string, message: string): string {
  const requestId = randomUUID();
  const body = JSON.stringify({ RequestId: requestId, Code: code, Message: message } satisfies EcsErrorBody);
  const headers = {
    ...extraHeaders,
    'x-request-id': requestId,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('')}\r\n${body}`;
}

/**
 * Answers on a socket the parser gave up on, then closes it. Node's own rule: only when no answer to an
 * earlier request on this connection has started, since bytes in the middle of one would corrupt it.
 */
function answerOnSocket(socket: Duplex, headers: FixedHeaders, status: number, code: string, message: string): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    socket.end(rawEnvelope(headers, status, code, message));
    // The client may keep sending (an oversized header, a body): do not wait for it to finish.
    setTimeout(() => socket.destroy(), 1000).unref();
  } else {
    socket.destroy();
  }
}
