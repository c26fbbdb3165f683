import net from 'node:net';
import { actions, isActionName } from '../ecs/contract';
import type { Simulator } from '../sim/model/simulator';

/**
 * Tools for probing the proxy's HTTP edge from outside, shared by the tests and `bench/fuzz.ts`: raw bytes
 * over a real socket (so the HTTP parser itself is exercised), a reader of the answer, the check that an
 * error answer is the proxy's envelope with its security headers, and a record of what reached the simulator.
 */

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `bytes` on a fresh connection to 127.0.0.1:`port` and reads the first answer. The write side is closed
 * after `halfCloseAfterMs` (so an incomplete request ends instead of waiting for more), and the socket is
 * dropped after `timeoutMs`. `undefined` when the server closed the connection without answering.
 */
export function rawRequest(
  port: number,
  bytes: string | Uint8Array,
  options: { halfCloseAfterMs?: number; timeoutMs?: number } = {},
): Promise<RawAnswer | undefined> {
  const { halfCloseAfterMs = 300, timeoutMs = 3000 } = options;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      socket.destroy();
      resolve(parseHttpAnswer(Buffer.concat(chunks)));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parseHttpAnswer(Buffer.concat(chunks), { complete: true });
      if (answer !== undefined) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => {
      socket.write(bytes);
      timers.push(setTimeout(() => socket.end(), halfCloseAfterMs));
    });
    timers.push(setTimeout(finish, timeoutMs));
  });
}

/**
 * The first HTTP/1.1 answer in `data`. With `complete`, only once its whole body is there (Content-Length or
 * chunked); otherwise whatever arrived before the connection closed.
 */
export function parseHttpAnswer(data: Buffer, { complete = false } = {}): RawAnswer | undefined {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match?.[1]) return undefined;
  // An interim answer (100 Continue) is followed by the real one.
  if (match[1].startsWith('1')) return parseHttpAnswer(data.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')), { complete });
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  let body: Buffer;
  const length = headers['content-length'];
  if (length !== undefined) {
    if (complete && rest.length < Number(length)) return undefined;
    body = rest.subarray(0, Number(length));
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const decoded = dechunk(rest);
    if (complete && decoded === undefined) return undefined;
    body = decoded ?? rest;
  } else {
    // No framing: the body runs to the end of the connection.
    if (complete) return undefined;
    body = rest;
  }
  return { status: Number(match[1]), headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd === -1) return undefined;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    parts.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
}

/** The headers every answer of the proxy carries (SECURITY_HEADERS in http/security.ts), checked on error answers. */
const REQUIRED_HEADERS: Record<string, RegExp> = {
  'content-security-policy': /frame-ancestors 'none'/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/,
  'referrer-policy': /^no-referrer$/,
  'x-request-id': /^[0-9a-f-]{36}$/,
};

/**
 * What is wrong with an answer, if anything: a 5xx other than 503/504, or an error answer (4xx/5xx) that is
 * not `{Code, Message, RequestId}` with the security headers and the same request ID in the header. An empty
 * list means the answer is fine. `bodyExpected: false` for HEAD, whose answers have no body.
 */
export function answerProblems(answer: { status: number; headers: Record<string, string>; body: string }, bodyExpected = true): string[] {
  const problems: string[] = [];
  if (answer.status >= 500 && answer.status !== 503 && answer.status !== 504) problems.push(`status ${answer.status}`);
  if (answer.status < 400) return problems;
  for (const [name, pattern] of Object.entries(REQUIRED_HEADERS)) {
    if (!pattern.test(answer.headers[name] ?? '')) problems.push(`header ${name}: ${JSON.stringify(answer.headers[name] ?? null)}`);
  }
  if (!bodyExpected) return problems;
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    problems.push(`body is not JSON: ${JSON.stringify(answer.body.slice(0, 120))}`);
    return problems;
  }
  const envelope = body as Record<string, unknown>;
  const keys = typeof body === 'object' && body !== null ? Object.keys(envelope).sort().join(',') : typeof body;
  if (keys !== 'Code,Message,RequestId') problems.push(`body keys ${keys}`);
  else if (
    typeof envelope['Code'] !== 'string' ||
    typeof envelope['Message'] !== 'string' ||
    envelope['RequestId'] !== answer.headers['x-request-id']
  ) {
    problems.push(`envelope ${JSON.stringify(body).slice(0, 200)}`);
  }
  return problems;
}

/**
 * Every call the simulated ECS carries out, recorded where it happens (the simulator itself, after the HTTP
 * door verified the signature): each retry is a call of its own. Returns the list, which keeps growing.
 */
export function recordSimulatorCalls(simulator: Simulator): { action: string; mutating: boolean }[] {
  const calls: { action: string; mutating: boolean }[] = [];
  const real = simulator.call.bind(simulator);
  simulator.call = (action, wire, ctx) => {
    calls.push({ action, mutating: isActionName(action) ? actions[action].mutating : true });
    return real(action, wire, ctx);
  };
  return calls;
}
