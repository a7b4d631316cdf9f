/**
 * Source reads that survive a transient failure: when a segment's read throws a retryable error (a dropped
 * connection, a timeout, a throttled scan), the read is re-opened after the cursor of the last batch it produced,
 * with backoff, up to `maxRetries` times in a row. The last batch produced is already in the engine's hands, so
 * re-opening after its cursor neither skips nor repeats a record. Terminal errors end the segment at once.
 */
import type { Batch, Cursor } from '../core/stream.js';
import { retryabilityOf, type Retryability } from '../errors.js';
import { backoffDelay, type BackoffOptions, type Sleep } from './backoff.js';

export interface ResilientReadOptions {
  maxRetries: number;
  backoff: BackoffOptions;
  sleep: Sleep;
  signal: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; retryability: Exclude<Retryability, 'terminal'> }) => void;
}

export async function* resilientRead<T>(
  open: (after: Cursor | undefined) => AsyncIterable<Batch<T>>,
  after: Cursor | undefined,
  opts: ResilientReadOptions,
): AsyncGenerator<Batch<T>, void, undefined> {
  let cursor = after;
  let strikes = 0;
  for (;;) {
    const it = open(cursor)[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        let r: IteratorResult<Batch<T>>;
        try {
          r = await it.next();
        } catch (e) {
          finished = true; // a throwing iterator is over; nothing to close
          const retry = retryabilityOf(e);
          if (opts.signal.aborted || retry === 'terminal' || strikes >= opts.maxRetries) throw e;
          const delayMs = backoffDelay(strikes, opts.backoff);
          strikes += 1;
          opts.onRetry?.({ attempt: strikes, delayMs, error: e, retryability: retry });
          await opts.sleep(delayMs, opts.signal);
          break; // re-open after `cursor`
        }
        if (r.done) {
          finished = true;
          return;
        }
        strikes = 0;
        cursor = r.value.cursor;
        yield r.value;
      }
    } finally {
      // The consumer stopped early (return()): close the source's iterator too.
      if (!finished) await Promise.resolve(it.return?.()).catch(() => {});
    }
  }
}
