/**
 * Read one side of a comparison (a source, or the target through its own Source) in full: split the stream into
 * segments, read them in parallel, survive transient read failures (re-opening after the last cursor, as the engine
 * does), and hand every record to a callback. Nothing is kept: memory is the batches in flight.
 *
 * Every record is handed over synchronously, so a callback can fold it into per-bucket state without locks. A long
 * run of CPU-bound work (an in-memory or very fast source) yields to the event loop now and then, so a Ctrl-C's abort
 * is seen promptly.
 */
import type { FerryRecord } from '../core/record.js';
import type { KeyBucketFilter, Source } from '../core/source.js';
import type { Segment, StreamRef } from '../core/stream.js';
import { abortedError, DEFAULT_BACKOFF, sleep as defaultSleep, type BackoffOptions, type Sleep } from '../engine/backoff.js';
import { linkedAbort } from '../engine/linked-abort.js';
import { resilientRead } from '../engine/resilient-read.js';
import { runPool } from '../engine/segment-scheduler.js';

export interface ReadTuning {
  /** Segments asked of the source per stream. */
  segments: number;
  /** Segments read at once. */
  concurrency: number;
  batchSize: number;
  /** Re-opens of a segment's read after transient failures in a row. */
  maxRetries: number;
  backoff?: Partial<BackoffOptions>;
  sleep?: Sleep;
}

export interface ReadSideInput {
  source: Source<FerryRecord>;
  /** Undefined: the stream does not exist on this side; it reads as empty. */
  stream: StreamRef | undefined;
  tuning: ReadTuning;
  signal: AbortSignal;
  /** Called after each batch with the records read so far on this side. */
  onProgress?: (items: number) => void;
  /** Only the records of these key buckets, selected by the store (it said it can). */
  keyBuckets?: KeyBucketFilter;
}

const YIELD_EVERY_MS = 50;

function wholeStream(name: string): Segment {
  return { id: `${name}#0/1`, stream: name, index: 0, total: 1, spec: null };
}

/** Read every record of the side; resolves with the number read. Rejects INTERRUPTED when `signal` aborts. */
export async function readSide(input: ReadSideInput, each: (record: FerryRecord) => void): Promise<number> {
  const { source, stream, tuning, signal } = input;
  if (signal.aborted) throw abortedError(signal);
  if (!stream) return 0;
  let segments = source.segments ? await source.segments(stream, Math.max(1, tuning.segments), signal) : [];
  if (segments.length === 0) segments = [wholeStream(stream.name)];

  // One failing segment stops the others: a partial side is worth nothing.
  const inner = linkedAbort(signal);
  const backoff = { ...DEFAULT_BACKOFF, ...tuning.backoff };
  const sleep = tuning.sleep ?? defaultSleep;
  let items = 0;
  let firstError: { error: unknown } | undefined;
  let lastYield = Date.now();
  try {
    const results = await runPool(
      segments,
      tuning.concurrency,
      async (segment) => {
        try {
          const batches = resilientRead(
            (after) => source.read({ segment, ...(after === undefined ? {} : { after }), batchSize: tuning.batchSize, signal: inner.signal, purpose: 'verify', ...(input.keyBuckets ? { keyBuckets: input.keyBuckets } : {}) }),
            undefined,
            { maxRetries: tuning.maxRetries, backoff, sleep, signal: inner.signal },
          );
          for await (const batch of batches) {
            if (inner.signal.aborted) throw abortedError(inner.signal);
            for (const record of batch.items) each(record);
            items += batch.items.length;
            input.onProgress?.(items);
            if (Date.now() - lastYield > YIELD_EVERY_MS) {
              await new Promise<void>((resolve) => setImmediate(resolve));
              lastYield = Date.now();
            }
          }
        } catch (e) {
          // The first failure is the cause; the others are segments it stopped.
          if (!firstError && !inner.signal.aborted) firstError = { error: e };
          inner.abort(e);
          throw e;
        }
      },
      () => !inner.signal.aborted,
    );
    if (signal.aborted) throw abortedError(signal);
    if (firstError) throw firstError.error;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return items;
  } finally {
    inner.dispose();
  }
}
