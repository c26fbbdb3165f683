/**
 * Runs `work` over `items` with at most `limit` in flight and yields each result as soon as it is ready (not in
 * item order). The first failure ends the stream; when the consumer stops early or something fails, the calls
 * still in flight are aborted so no answer lands in a cache nobody reads.
 */
export async function* inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<R> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const running = new Map<number, Promise<readonly [number, R]>>();
  let next = 0;
  const launch = () => {
    const index = next++;
    const promise = work(items[index] as T, controller.signal).then((result) => [index, result] as const);
    // Marked handled: if the stream ends early, a later rejection of this call must not surface as unhandled.
    promise.catch(() => undefined);
    running.set(index, promise);
  };
  try {
    while (next < items.length && running.size < Math.max(1, limit)) launch();
    while (running.size > 0) {
      const [index, result] = await Promise.race(running.values());
      running.delete(index);
      if (next < items.length) launch();
      yield result;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (running.size > 0) controller.abort();
  }
}
