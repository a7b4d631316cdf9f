/**
 * An in-memory Sink with the durability model the engine must respect: `write` accepts items into a pending
 * buffer; only `flush` makes them durable. A crash (or a fresh sink over the same data) loses the pending buffer.
 * Tests steer individual writes with `onWrite` (throw, hand items back to retry, reject items, ask to wait).
 */
import { keyText, type FerryRecord } from '../../src/core/record.js';
import type { RateUnit, Sink, SinkLimits, WriteMode, WriteResult } from '../../src/core/sink.js';
import type { StreamRef } from '../../src/core/stream.js';
import { FerryError } from '../../src/errors.js';
import type { CrashSwitch } from './memory-crash.js';

export class MemorySinkData {
  /** target → key text → value: what survived. */
  durable = new Map<string, Map<string, unknown>>();
  /** Durable item count per target, also when values are not retained. */
  durableCount = new Map<string, number>();
  prepared: { target: string; mode: WriteMode }[] = [];

  rows(target: string): Map<string, unknown> {
    return this.durable.get(target) ?? new Map();
  }
}

export interface WriteCall {
  /** 1-based number of this write call on this sink instance. */
  call: number;
  stream: StreamRef;
  items: readonly FerryRecord[];
}

export interface WriteDirective {
  throw?: unknown;
  /** Items for which this returns true are handed back in `retry`. */
  retry?: (item: FerryRecord) => boolean;
  /** A reason for items to reject for good. */
  reject?: (item: FerryRecord) => string | undefined;
  retryAfterMs?: number;
}

export interface MemorySinkOptions {
  data?: MemorySinkData;
  limits?: Partial<SinkLimits>;
  crash?: CrashSwitch;
  /** Keep values (default true); false only counts, for streams of millions. */
  retain?: boolean;
  onWrite?: (call: WriteCall) => WriteDirective | void | Promise<WriteDirective | void>;
  onFlush?: (n: number) => void | Promise<void>;
  cost?: (items: readonly FerryRecord[]) => Partial<Record<RateUnit, number>>;
  sizeOf?: (item: FerryRecord) => number;
}

export class MemorySink implements Sink<FerryRecord> {
  readonly limits: SinkLimits;
  readonly data: MemorySinkData;
  readonly cost?: (items: readonly FerryRecord[]) => Partial<Record<RateUnit, number>>;
  readonly sizeOf?: (item: FerryRecord) => number;
  private pending = new Map<string, Map<string, unknown>>();
  private pendingCount = new Map<string, number>();
  calls = 0;
  flushes = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Item count of every write call, in order. */
  readonly writeSizes: number[] = [];
  /** How many times each key was handed to write (re-writes after retry or resume show up here). */
  readonly writesPerKey = new Map<string, number>();

  constructor(private readonly opts: MemorySinkOptions = {}) {
    this.data = opts.data ?? new MemorySinkData();
    this.limits = { maxItemsPerWrite: 25, maxConcurrentWrites: 4, ...opts.limits };
    if (opts.cost) this.cost = opts.cost;
    if (opts.sizeOf) this.sizeOf = opts.sizeOf;
  }

  async prepare(stream: StreamRef, mode: WriteMode): Promise<void> {
    this.opts.crash?.tick('sink.prepare');
    this.data.prepared.push({ target: stream.name, mode });
    if (mode === 'replace') {
      this.data.durable.delete(stream.name);
      this.data.durableCount.delete(stream.name);
    }
  }

  async write(stream: StreamRef, items: readonly FerryRecord[], signal: AbortSignal): Promise<WriteResult<FerryRecord>> {
    this.opts.crash?.tick('sink.write');
    if (signal.aborted) throw new FerryError('INTERRUPTED', 'write aborted');
    const call = ++this.calls;
    this.writeSizes.push(items.length);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const d = (await this.opts.onWrite?.({ call, stream, items })) ?? {};
      if (signal.aborted) throw new FerryError('INTERRUPTED', 'write aborted');
      if (d.throw !== undefined) throw d.throw;
      const retry: FerryRecord[] = [];
      const rejected: { item: FerryRecord; reason: string }[] = [];
      let accepted = 0;
      const retain = this.opts.retain ?? true;
      const pend = this.pending.get(stream.name) ?? new Map<string, unknown>();
      this.pending.set(stream.name, pend);
      for (const item of items) {
        if (d.retry?.(item)) {
          retry.push(item);
          continue;
        }
        const reason = d.reject?.(item);
        if (reason !== undefined) {
          rejected.push({ item, reason });
          continue;
        }
        accepted += 1;
        if (retain) {
          const k = keyText(item.key);
          pend.set(k, item.value);
          this.writesPerKey.set(k, (this.writesPerKey.get(k) ?? 0) + 1);
        } else {
          this.pendingCount.set(stream.name, (this.pendingCount.get(stream.name) ?? 0) + 1);
        }
      }
      return { accepted, retry, rejected, ...(d.retryAfterMs === undefined ? {} : { retryAfterMs: d.retryAfterMs }) };
    } finally {
      this.inFlight -= 1;
    }
  }

  async flush(signal: AbortSignal): Promise<void> {
    this.opts.crash?.tick('sink.flush');
    if (signal.aborted) throw new FerryError('INTERRUPTED', 'flush aborted');
    this.flushes += 1;
    await this.opts.onFlush?.(this.flushes);
    for (const [target, rows] of this.pending) {
      const durable = this.data.durable.get(target) ?? new Map<string, unknown>();
      this.data.durable.set(target, durable);
      for (const [k, v] of rows) durable.set(k, v);
    }
    for (const [target, n] of this.pendingCount) this.data.durableCount.set(target, (this.data.durableCount.get(target) ?? 0) + n);
    this.pending = new Map();
    this.pendingCount = new Map();
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
