import type http from 'node:http';

/** Reading request bodies and writing answers, shared by the ECS door and the control door. */

/** Request bodies above this get 413 (a real ECS RPC call has at most a few KiB of form parameters). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Beyond this the connection is cut instead of drained, so a flood cannot keep the server busy. */
const HARD_BODY_CAP = 8 * MAX_BODY_BYTES;

interface BodyRead {
  body: Buffer;
  tooLarge: boolean;
}

/**
 * Reads at most MAX_BODY_BYTES; drains (and discards) up to HARD_BODY_CAP so the client can read our 413.
 * `null` when the connection was cut or aborted: there is no one left to answer.
 */
export function readBody(req: http.IncomingMessage): Promise<BodyRead | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > HARD_BODY_CAP) {
        req.destroy();
        resolve(null);
        return;
      }
      if (received > MAX_BODY_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on('error', () => resolve(null));
    // 'close' also follows a normal 'end'; the promise is settled by then, so this only catches aborts.
    req.on('close', () => resolve(null));
  });
}

/** Writes a whole answer, unless one was already sent or the socket is gone. */
export function send(
  res: http.ServerResponse,
  status: number,
  contentType: string,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json;charset=utf-8', JSON.stringify(body));
}
