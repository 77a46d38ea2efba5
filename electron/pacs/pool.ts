/** Runs work over items with at most `limit` at once; the first failure stops the others (they see an aborted signal) and is thrown. */
import { CancelledError, isCancelled } from '../../native-models/errors';

export async function eachLimited<T>(items: readonly T[], limit: number, signal: AbortSignal | undefined, work: (item: T, index: number, signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  let next = 0;
  let first: unknown = null;
  const runner = async () => {
    while (!stop.signal.aborted && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i, stop.signal);
      } catch (err) {
        // A sibling stopped by the first failure fails with a cancellation; the first real reason wins.
        if (first === null || (isCancelled(first) && !isCancelled(err))) first = err;
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw new CancelledError('cancelled');
  if (first !== null) throw first;
}
