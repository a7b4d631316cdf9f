/**
 * The batch writer: turns one source batch into sink writes that respect the sink's limits, the rate limiter and
 * the retry rules, and reports what became durable-once-flushed and what became dead letters.
 *
 * - Items larger than the sink's per-item limit (`maxItemBytes`, or `maxBytesPerWrite` when that is the only byte
 *   limit) can never be written: they go to dead letters before any write, with their size and the limit.
 * - The rest is split into writes of at most `maxItemsPerWrite` items and `maxBytesPerWrite` bytes, sent with at
 *   most `maxConcurrentWrites` writes in flight across the whole job (the semaphore is shared by all segments).
 * - Items a write hands back in `retry` (throttling, UnprocessedItems) are re-sent after a backoff until they are
 *   accepted or rejected: never dropped. A write that makes no progress `maxRetries` times in a row fails the job
 *   (resumably) instead of spinning forever.
 * - A thrown error is classified: transient and throttled errors retry the whole write with backoff, up to
 *   `maxRetries`, then fail the job with the last error; a terminal error fails the job at once. Only the sink's
 *   `rejected` list is a per-item terminal outcome.
 * - `retryAfterMs` (on a result or an error) pauses every write of the job until it has passed.
 */
import type { DeadLetter } from '../core/checkpoint.js';
import { keyText, type FerryRecord } from '../core/record.js';
import type { RateUnit, Sink } from '../core/sink.js';
import type { StreamRef } from '../core/stream.js';
import { FerryError, retryabilityOf } from '../errors.js';
import { abortedError, backoffDelay, DEFAULT_BACKOFF, sleep as defaultSleep, type BackoffOptions, type Sleep } from './backoff.js';
import { toDeadLetter } from './dead-letter.js';
import type { EventInput } from './events.js';
import { linkedAbort } from './linked-abort.js';
import type { Cost, RateLimiter } from './rate-limiter.js';
import { Semaphore } from '../util/semaphore.js';
import { estimateSize } from './size.js';

export const DEFAULT_MAX_RETRIES = 8;

export interface WriteContext {
  segmentId: string;
  /** Source stream (dead letters are filed under it). */
  stream: string;
  target: string;
}

export interface WriteOutcome {
  /** Items the sink accepted (durable after the next flush). */
  accepted: number;
  /** Their bytes. */
  bytes: number;
  deadLetters: DeadLetter[];
  /** What the sink's writes left to remember (WriteResult.outputs), committed with the batch. */
  outputs?: unknown[];
}

export interface BatchWriterOptions {
  sink: Sink<FerryRecord>;
  limiter: RateLimiter;
  maxRetries?: number;
  backoff?: BackoffOptions;
  sleep?: Sleep;
  now?: () => number;
  emit?: (e: EventInput) => void;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class BatchWriter {
  private readonly sink: Sink<FerryRecord>;
  private readonly limiter: RateLimiter;
  private readonly semaphore: Semaphore;
  private readonly maxRetries: number;
  private readonly backoff: BackoffOptions;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly emit: (e: EventInput) => void;
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private readonly maxItemBytes: number;
  /** No write may start before this time (the target's `retryAfterMs`). */
  private pausedUntil = 0;

  constructor(opts: BatchWriterOptions) {
    this.sink = opts.sink;
    this.limiter = opts.limiter;
    const l = opts.sink.limits;
    this.maxItems = Math.max(1, Math.floor(l.maxItemsPerWrite || 1));
    this.maxBytes = l.maxBytesPerWrite && l.maxBytesPerWrite > 0 ? l.maxBytesPerWrite : Number.POSITIVE_INFINITY;
    this.maxItemBytes = l.maxItemBytes && l.maxItemBytes > 0 ? l.maxItemBytes : this.maxBytes;
    this.semaphore = new Semaphore(Math.max(1, Math.floor(l.maxConcurrentWrites || 1)));
    this.maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.sleep = opts.sleep ?? defaultSleep;
    this.now = opts.now ?? Date.now;
    this.emit = opts.emit ?? (() => {});
  }

  /** Size of an item as the target counts it: the sink's opinion, else the source's, else an estimate. */
  sizeOf(item: FerryRecord): number {
    return this.sink.sizeOf?.(item) ?? item.sizeBytes ?? estimateSize(item.value);
  }

  /** Write one batch. Resolves once every item is accepted or a dead letter; rejects if the job must stop. */
  async write(target: StreamRef, items: readonly FerryRecord[], ctx: WriteContext, signal: AbortSignal): Promise<WriteOutcome> {
    const sizes = new Map<FerryRecord, number>();
    const sizeOf = (item: FerryRecord): number => {
      let s = sizes.get(item);
      if (s === undefined) {
        s = this.sizeOf(item);
        sizes.set(item, s);
      }
      return s;
    };
    const out: WriteOutcome = { accepted: 0, bytes: 0, deadLetters: [] };

    // Split into writes; oversize items never reach the sink.
    const chunks: FerryRecord[][] = [];
    let chunk: FerryRecord[] = [];
    let chunkBytes = 0;
    for (const item of items) {
      const size = sizeOf(item);
      if (size > this.maxItemBytes) {
        out.deadLetters.push(
          toDeadLetter(
            ctx.stream,
            item,
            `item is ${size} bytes, over the target's limit of ${this.maxItemBytes} bytes per item (${ctx.target})`,
          ),
        );
        continue;
      }
      if (chunk.length > 0 && (chunk.length >= this.maxItems || chunkBytes + size > this.maxBytes)) {
        chunks.push(chunk);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(item);
      chunkBytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    if (chunks.length === 0) return out;

    // One failing write stops its siblings: the batch will not be committed anyway.
    const batch = linkedAbort(signal);
    let firstError: unknown;
    try {
      await Promise.all(
        chunks.map((c) =>
          this.send(target, c, ctx, batch.signal, sizeOf, out).catch((e: unknown) => {
            if (firstError === undefined) {
              firstError = e;
              batch.abort(e);
            }
          }),
        ),
      );
    } finally {
      batch.dispose();
    }
    if (firstError !== undefined) throw signal.aborted ? abortedError(signal) : firstError;
    return out;
  }

  private costOf(items: readonly FerryRecord[], sizeOf: (i: FerryRecord) => number): Cost {
    const units = this.limiter.units;
    if (units.length === 0) return {};
    const cost: Cost = { ...(this.sink.cost?.(items) ?? {}) };
    for (const unit of units) {
      if (cost[unit] !== undefined) continue;
      // Without the sink's own accounting, a byte costs a byte and anything else one unit per item.
      cost[unit as RateUnit] = unit === 'bytes' ? items.reduce((n, i) => n + sizeOf(i), 0) : items.length;
    }
    return cost;
  }

  private async send(
    target: StreamRef,
    chunk: readonly FerryRecord[],
    ctx: WriteContext,
    signal: AbortSignal,
    sizeOf: (i: FerryRecord) => number,
    out: WriteOutcome,
  ): Promise<void> {
    const release = await this.semaphore.acquire(signal);
    try {
      let pending = chunk;
      /** Consecutive attempts without progress. */
      let strikes = 0;
      while (pending.length > 0) {
        const wait = this.pausedUntil - this.now();
        if (wait > 0) await this.sleep(wait, signal);
        await this.limiter.acquire(this.costOf(pending, sizeOf), signal);
        if (signal.aborted) throw abortedError(signal);

        let res;
        try {
          res = await this.sink.write(target, pending, signal);
        } catch (e) {
          if (signal.aborted) throw e;
          const r = retryabilityOf(e);
          if (r === 'terminal') throw e;
          if (r === 'throttled') this.limiter.throttled(describe(e));
          strikes += 1;
          if (strikes > this.maxRetries) throw e;
          const after = e instanceof FerryError ? (e.retryAfterMs ?? 0) : 0;
          if (after > 0) this.pauseFor(after);
          const delayMs = Math.max(after, backoffDelay(strikes - 1, this.backoff));
          this.emit({ type: 'retry', ...ctx, attempt: strikes, delayMs, items: pending.length, reason: describe(e), retryability: r });
          await this.sleep(delayMs, signal);
          continue;
        }

        const retry = res.retry ?? [];
        const rejected = res.rejected ?? [];
        if (!Number.isFinite(res.accepted) || res.accepted + retry.length + rejected.length < pending.length) {
          throw new FerryError(
            'INTERNAL',
            `the ${ctx.target} sink accounted for ${res.accepted} accepted + ${retry.length} to retry + ${rejected.length} rejected of ${pending.length} items written`,
            { hint: 'this is a connector bug: every item handed to write() must come back accepted, to retry, or rejected' },
          );
        }
        let bytes = pending.reduce((n, i) => n + sizeOf(i), 0);
        for (const i of retry) bytes -= sizeOf(i);
        for (const r of rejected) {
          bytes -= sizeOf(r.item);
          out.deadLetters.push(toDeadLetter(ctx.stream, r.item, r.reason));
        }
        out.accepted += res.accepted;
        out.bytes += Math.max(0, bytes);
        if (res.outputs && res.outputs.length > 0) (out.outputs ??= []).push(...res.outputs);
        if (res.retryAfterMs && res.retryAfterMs > 0) {
          this.pauseFor(res.retryAfterMs);
          this.limiter.throttled(`${ctx.target} asked to wait ${res.retryAfterMs} ms`);
        }
        if (retry.length === 0) break;

        this.limiter.throttled(`${ctx.target} returned ${retry.length} of ${pending.length} items to retry`);
        const progress = res.accepted > 0 || rejected.length > 0;
        strikes = progress ? 0 : strikes + 1;
        if (strikes > this.maxRetries) {
          throw new FerryError(
            'THROTTLED',
            `${ctx.target} returned the same ${retry.length} items to retry ${strikes} times in a row (first: ${keyText(retry[0]!.key)})`,
            { hint: 'lower limits (or raise the target capacity) and run `ferry resume`; the items are not lost' },
          );
        }
        const delayMs = Math.max(res.retryAfterMs ?? 0, backoffDelay(strikes, this.backoff));
        this.emit({
          type: 'retry',
          ...ctx,
          attempt: strikes + 1,
          delayMs,
          items: retry.length,
          reason: `${retry.length} items returned to retry`,
          retryability: 'partial',
        });
        await this.sleep(delayMs, signal);
        pending = retry;
      }
    } finally {
      release();
    }
  }

  private pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}
