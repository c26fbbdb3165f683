import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EcsError, ecsErrors } from '../../ecs/errors';
import type { Simulator } from '../model/simulator';
import { handleControl, isControlPath } from './control';
import { MAX_BODY_BYTES, readBody, send } from './io';
import { NonceCache } from './nonce-cache';
import { createRequestRecord, type SimRequestRecord } from './request-record';
import { verifyEcsRequest, type ResponseFormat } from './verify';
import { renderXml } from './xml';

export type { SimRequestRecord } from './request-record';

/**
 * The simulated ECS as a real HTTP endpoint (docs/conventions.md#one-simulator-several-doors). It speaks ECS's
 * RPC protocol the way the real service does, so the proxy's real signer and the official SDK can be pointed
 * at it: path `/`, GET or POST, parameters in the query and/or a form body, V3 or V1 signatures checked against
 * a table of access keys (verify.ts), JSON or XML answers (docs/ecs-notes.md#transport,
 * docs/ecs-notes.md#error-shape).
 *
 * The test-only control door `/__sim/` shares the port (control.ts). Latency, drops and malformed bodies
 * (simulator.transportPlan) apply to the ECS door only.
 *
 * No side effects at import: `createSimServer` builds the server, `listen` opens the port.
 */

export interface SimServerOptions {
  simulator: Simulator;
  /** AccessKeyId → AccessKeySecret accepted by the simulated ECS. */
  accessKeys: Readonly<Record<string, string>>;
  /** Optional STS tokens per AccessKeyId; a key listed here must send its token. */
  securityTokens?: Readonly<Record<string, string>>;
  /** Server clock for the timestamp windows (ms). Defaults to Date.now. */
  now?: () => number;
  /** HostId in error bodies made by the door itself; the simulator names regional hosts for its own. */
  hostId?: string;
  /** One line per notable event (never secrets). */
  log?: (line: string) => void;
  /** Serve /__sim/ (default true). */
  controlEndpoint?: boolean;
  /** How many request records to keep (default DEFAULT_REQUEST_RECORD_LIMIT, request-record.ts). */
  requestRecordLimit?: number;
}

export interface SimServer {
  server: http.Server;
  /** The ECS door's requests so far, oldest first (a copy). */
  requests(): SimRequestRecord[];
  /** Empties the request record (also done by `POST /__sim/reset`). */
  clearRequests(): void;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
}

/** Request line and headers together; room for the largest RunCommand ECS accepts, percent-encoded. */
const MAX_HEADER_BYTES = 96 * 1024;

function render(format: ResponseFormat, root: string, body: Record<string, unknown>): { contentType: string; text: string } {
  return format === 'xml'
    ? { contentType: 'text/xml;charset=utf-8', text: renderXml(root, body) }
    : { contentType: 'application/json;charset=utf-8', text: JSON.stringify(body) };
}

export function createSimServer(options: SimServerOptions): SimServer {
  const { simulator } = options;
  const now = options.now ?? (() => Date.now());
  const log = options.log ?? (() => undefined);
  const controlEndpoint = options.controlEndpoint ?? true;
  const nonces = new NonceCache();
  const timers = new Set<NodeJS.Timeout>();
  const requests = createRequestRecord(options.requestRecordLimit);
  const record = (entry: SimRequestRecord): void => requests.add(entry);

  function sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function sendError(res: http.ServerResponse, error: EcsError, format: ResponseFormat, requestId: string, hostId: string): void {
    const { contentType, text } = render(format, 'Error', error.toBody(requestId, hostId));
    send(res, error.status, contentType, text, { ...error.headers, 'x-acs-request-id': requestId });
  }

  async function handleEcs(req: http.IncomingMessage, res: http.ServerResponse, path: string, rawQuery: string): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const doorHostId = options.hostId ?? 'ecs.aliyuncs.com';
    const read = await readBody(req);
    const entry: SimRequestRecord = {
      at: now(),
      method: req.method ?? '',
      params: {},
      ...(req.headers.host === undefined ? {} : { host: req.headers.host }),
      status: null,
      requestId,
    };
    if (read === null) {
      record(entry);
      return;
    }

    let format: ResponseFormat = 'json';
    let outcome: { status: number; root: string; body: Record<string, unknown>; headers: Record<string, string> };
    if (read.tooLarge) {
      const error = new EcsError(413, 'InvalidParameter.BodyTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
      outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
    } else if (path !== '/') {
      const error = new EcsError(
        404,
        'InvalidAction.NotFound',
        'Specified api is not found, please check your url and method. RPC calls go to "/".',
      );
      outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
    } else if (req.method !== 'GET' && req.method !== 'POST') {
      const error = new EcsError(405, 'UnsupportedHTTPMethod', 'RPC calls use GET or POST.');
      outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
    } else {
      const verified = verifyEcsRequest(
        { method: req.method, path, rawQuery, headers: req.headers, body: read.body },
        {
          accessKeys: options.accessKeys,
          ...(options.securityTokens ? { securityTokens: options.securityTokens } : {}),
          now: now(),
          nonces,
        },
      );
      format = verified.format;
      if (verified.action !== undefined) entry.action = verified.action;
      if (verified.ok) {
        entry.params = { ...verified.params };
        const regionId = verified.params['RegionId'];
        if (regionId !== undefined) entry.regionId = regionId;
      }
      if (!verified.ok) {
        const error = verified.error;
        outcome = { status: error.status, root: 'Error', body: error.toBody(requestId, doorHostId), headers: error.headers };
      } else {
        const result = simulator.call(verified.action, verified.params, {
          requestId,
          ...(options.hostId ? { hostId: options.hostId } : {}),
        });
        const body = 'RequestId' in result.body ? result.body : { RequestId: requestId, ...result.body };
        outcome = {
          status: result.status,
          root: result.status >= 400 ? 'Error' : `${verified.action}Response`,
          body,
          headers: result.headers,
        };
      }
    }

    // Transport knobs come last, so a dropped or garbled answer may follow a call that did take effect —
    // the ambiguity a real client faces on a lost response (docs/ecs-notes.md#retry-policy).
    const plan = simulator.transportPlan();
    await sleep(plan.delayMs);
    const code = outcome.body['Code'];
    if (outcome.status >= 400 && typeof code === 'string') entry.code = code;
    if (plan.fault === 'drop') {
      log(`sim: dropping the answer to ${requestId}`);
      record(entry);
      req.socket.destroy();
      return;
    }
    const { contentType, text } = render(format, outcome.root, outcome.body);
    const headers = { ...outcome.headers, 'x-acs-request-id': requestId };
    // Recorded before the answer goes out, so a client that has its answer always finds its request here.
    const answered = (status: number): void => record({ ...entry, status: res.destroyed ? null : status });
    if (plan.fault === 'malformed') {
      // The garbled answer carries no readable code, whatever the call's outcome was.
      delete entry.code;
      answered(200);
      send(res, 200, contentType, text.slice(0, Math.max(1, Math.floor(text.length / 2))), headers);
      return;
    }
    answered(outcome.status);
    send(res, outcome.status, contentType, text, headers);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    if (controlEndpoint && isControlPath(path)) return handleControl({ simulator, nonces, requests }, req, res, path);
    return handleEcs(req, res, path, rawQuery);
  }

  // RPC parameters travel in the query, and RunCommand's CommandContent alone may be 24 KB of Base64
  // (docs/ecs-notes.md#cloud-assistant-preconditions): well past Node's default 16 KiB header limit.
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    handle(req, res).catch((caught: unknown) => {
      // A bug in the door itself: answer like ECS's InternalError and log, without leaking internals.
      log(`sim: internal error: ${caught instanceof Error ? (caught.stack ?? caught.message) : String(caught)}`);
      const requestId = randomUUID().toUpperCase();
      sendError(res, ecsErrors.internalError(), 'json', requestId, options.hostId ?? 'ecs.aliyuncs.com');
    });
  });
  // Header-level garbage (bad request lines, oversize headers) never reaches the handler; answer 400 and close.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    requests: () => requests.list(),
    clearRequests: () => requests.clear(),
    listen(port: number, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          // A TCP listen always reports an AddressInfo (the string form is for pipes).
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ port: address.port, url: `http://${shownHost}:${address.port}` });
        });
      });
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
