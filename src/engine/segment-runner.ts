/**
 * One segment, start to end: read batches after the committed cursor, map, write, flush, commit.
 *
 * Checkpoint after flush: a batch's cursor is committed only after every item of it (and, since a segment handles
 * its batches in order, every item before it) was accepted or dead-lettered and `sink.flush()` has returned.
 *
 * Bounded memory: the segment holds the batch being written plus one batch of read-ahead (so the source's latency
 * hides behind the write), and pulls the source again only when that batch is committed: at most
 * 2 × batch_size items per segment, whatever the stream's length.
 */
import type { CheckpointStore, DeadLetter, SegmentLease, SegmentState } from '../core/checkpoint.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import type { Batch, Cursor } from '../core/stream.js';
import { retryabilityOf } from '../errors.js';
import { abortedError, backoffDelay, type BackoffOptions, type Sleep } from './backoff.js';
import type { BatchWriter, WriteOutcome } from './batch-writer.js';
import { toDeadLetter } from './dead-letter.js';
import type { EventInput, Totals } from './events.js';
import { resilientRead } from './resilient-read.js';
import type { StreamWork } from './stream-plan.js';

export interface SegmentContext {
  jobId: string;
  store: CheckpointStore;
  source: Source<FerryRecord>;
  sink: Sink<FerryRecord>;
  writer: BatchWriter;
  batchSize: number;
  maxRetries: number;
  backoff: BackoffOptions;
  sleep: Sleep;
  /** Graceful stop requested (Ctrl-C, max_rejected reached, another segment failed): pull no new batch. */
  stopping(): boolean;
  /** Hard abort: passed to every source and sink call. */
  hard: AbortSignal;
  emit(e: EventInput): void;
  /** Called after each commit, with the batch's deltas and dead letters. */
  committed(work: StreamWork, segment: SegmentState, delta: Totals, deadLetters: readonly DeadLetter[]): void;
}

export type SegmentOutcome = 'done' | 'stopped';

/** Runs `seg`, claimed as `lease` (the claim marked it running); every commit carries the lease's fence. */
export async function runSegment(ctx: SegmentContext, work: StreamWork, seg: SegmentState, lease: SegmentLease): Promise<SegmentOutcome> {
  const ref = { segmentId: seg.id, stream: work.source.name, target: work.target };
  const totals: Totals = { items: seg.items, bytes: seg.bytes, rejected: seg.rejected };
  ctx.emit({ type: 'segment.start', ...ref, index: seg.index, total: seg.total, resumed: seg.cursor !== undefined, totals: { ...totals } });

  let cursor: Cursor | undefined = seg.cursor;
  const segment = { id: seg.id, stream: seg.stream, index: seg.index, total: seg.total, spec: seg.spec };
  const iterable = resilientRead(
    (after) => ctx.source.read({ segment, ...(after === undefined ? {} : { after }), batchSize: ctx.batchSize, signal: ctx.hard }),
    cursor,
    {
      maxRetries: ctx.maxRetries,
      backoff: ctx.backoff,
      sleep: ctx.sleep,
      signal: ctx.hard,
      onRetry: ({ attempt, delayMs, error, retryability }) =>
        ctx.emit({
          type: 'retry',
          ...ref,
          attempt,
          delayMs,
          items: 0,
          reason: `read failed, re-opening after the last batch: ${error instanceof Error ? error.message : String(error)}`,
          retryability,
        }),
    },
  );
  const it = iterable[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Batch<FerryRecord>>> | undefined = it.next();
  let exhausted = false;
  try {
    for (;;) {
      const r: IteratorResult<Batch<FerryRecord>> = await pending!;
      pending = undefined;
      if (r.done) {
        exhausted = true;
        break;
      }
      if (ctx.hard.aborted) throw abortedError(ctx.hard);
      if (ctx.stopping()) return 'stopped';
      // Read-ahead of one batch while this one is written.
      pending = it.next();
      pending.catch(() => {}); // surfaced when awaited; not an unhandled rejection if we stop first

      const batch = r.value;
      const { outcome, mapDeadLetters } = await writeBatch(ctx, work, ref, batch.items);
      if (ctx.hard.aborted) throw abortedError(ctx.hard);
      const deadLetters = [...mapDeadLetters, ...outcome.deadLetters];
      const delta: Totals = { items: outcome.accepted, bytes: outcome.bytes, rejected: deadLetters.length };
      await ctx.store.commit(lease, {
        cursor: batch.cursor,
        items: delta.items,
        bytes: delta.bytes,
        deadLetters,
        done: false,
        ...(outcome.outputs ? { outputs: outcome.outputs } : {}),
      });
      cursor = batch.cursor;
      totals.items += delta.items;
      totals.bytes += delta.bytes;
      totals.rejected += delta.rejected;
      ctx.committed(work, seg, delta, deadLetters);
    }
  } finally {
    if (!exhausted) {
      // An async generator queues return() behind a pending next(); let the read-ahead settle, then close it.
      if (pending) await pending.catch(() => {});
      await Promise.resolve(it.return?.()).catch(() => {});
    }
  }

  if (ctx.hard.aborted) throw abortedError(ctx.hard);
  await ctx.store.commit(lease, { cursor, items: 0, bytes: 0, deadLetters: [], done: true });
  await ctx.store.appendEvent(ctx.jobId, 'segment.done', { segmentId: seg.id, stream: ref.stream, target: ref.target, ...totals });
  ctx.emit({ type: 'segment.done', ...ref, totals: { ...totals } });
  return 'done';
}

/**
 * Map and write one batch, then flush. A retryable flush failure means the sink cannot promise durability of what
 * it accepted, so the whole batch is written again (writes are idempotent upserts) and flushed again.
 */
async function writeBatch(
  ctx: SegmentContext,
  work: StreamWork,
  ref: { segmentId: string; stream: string; target: string },
  items: readonly FerryRecord[],
): Promise<{ outcome: WriteOutcome; mapDeadLetters: DeadLetter[] }> {
  const mapped: FerryRecord[] = [];
  const mapDeadLetters: DeadLetter[] = [];
  for (const item of items) {
    try {
      mapped.push(work.mapper(item));
    } catch (e) {
      mapDeadLetters.push(toDeadLetter(ref.stream, item, e instanceof Error ? e.message : String(e)));
    }
  }
  if (mapped.length === 0) return { outcome: { accepted: 0, bytes: 0, deadLetters: [] }, mapDeadLetters };

  for (let attempt = 0; ; attempt += 1) {
    const outcome = await ctx.writer.write(work.targetRef, mapped, ref, ctx.hard);
    if (outcome.accepted === 0) return { outcome, mapDeadLetters };
    try {
      await ctx.sink.flush(ctx.hard);
      return { outcome, mapDeadLetters };
    } catch (e) {
      if (ctx.hard.aborted) throw e;
      const r = retryabilityOf(e);
      if (r === 'terminal' || attempt >= ctx.maxRetries) throw e;
      const delayMs = backoffDelay(attempt, ctx.backoff);
      ctx.emit({
        type: 'retry',
        ...ref,
        attempt: attempt + 1,
        delayMs,
        items: mapped.length,
        reason: `flush failed, re-writing the batch: ${e instanceof Error ? e.message : String(e)}`,
        retryability: r,
      });
      await ctx.sleep(delayMs, ctx.hard);
    }
  }
}
