import { MAX_RESPONSE_BYTES } from './retry-policy';

/** The HTTP plumbing of one ECS attempt over undici: waiting, reading a bounded body, headers in one shape. */

export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * undici does not settle an aborted request while its connection is still being set up: it waits for the
 * connect (or its connect timeout) first. The per-attempt deadline and the caller's abort must hold anyway, so
 * the call stops waiting at once. undici still honours the abort itself: it checks it when the connection is
 * ready, before writing the request, so a request given up here is never sent later.
 */
export function settleOnAbort<T extends { body: { destroy(): unknown } }>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    let isSettled = false;
    const onAbort = (): void => {
      if (isSettled) return;
      isSettled = true;
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (isSettled) value.body.destroy();
        isSettled = true;
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        isSettled = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The body as a JSON object in UTF-8 (with its text), or `undefined` for anything else (too large, not UTF-8, not JSON, not an object). */
export function parseJsonObject(raw: Buffer | 'too-large'): { body: Record<string, unknown>; text: string } | undefined {
  if (raw === 'too-large') return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? { body: parsed, text } : undefined;
  } catch {
    return undefined;
  }
}

/** The whole body, or 'too-large' as soon as it is declared or turns out to be bigger than MAX_RESPONSE_BYTES. */
export async function readCapped(
  body: AsyncIterable<unknown> & { destroy(): unknown },
  declaredLength: string | undefined,
): Promise<Buffer | 'too-large'> {
  if (declaredLength !== undefined && Number(declaredLength) > MAX_RESPONSE_BYTES) {
    body.destroy();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      return 'too-large';
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
