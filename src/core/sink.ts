import type { StreamRef } from './stream.js';

export type WriteMode = 'insert' | 'upsert' | 'replace';

export interface SinkLimits {
  maxItemsPerWrite: number;
  maxBytesPerWrite?: number;
  /** Items larger than this are rejected to dead letters before any write. */
  maxItemBytes?: number;
  maxConcurrentWrites: number;
}

export interface Rejection<T> {
  item: T;
  reason: string;
}

export interface WriteResult<T> {
  accepted: number;
  /** Items the target did not take this time (throttled, UnprocessedItems); the batch writer re-sends them. */
  retry: readonly T[];
  /** Items the target refused for good; they become dead letters. */
  rejected: readonly Rejection<T>[];
  /** The target asked to wait this long before the next write. */
  retryAfterMs?: number;
}

/**
 * Rate units a sink can be limited in (plan `limits`): the target's own units.
 * `items` and `bytes` are universal; the others belong to one store.
 */
export type RateUnit = 'items' | 'bytes' | 'wcu' | 'ru' | 'writes' | 'requests';

export interface Sink<T> extends AsyncDisposable {
  readonly limits: SinkLimits;
  /** Cost of writing these items in the sink's own units, for the rate limiter (e.g. `{ wcu: 12 }`). */
  cost?(items: readonly T[]): Partial<Record<RateUnit, number>>;
  /** Size of one item as the target will count it; defaults to the record's sizeBytes. */
  sizeOf?(item: T): number;
  /**
   * Turn a mapped record into what the target will hold: values in types the target can store (per the plan's
   * options) and `key` set to the target's key (so duplicates and verification use target identity). Pure, no I/O.
   * Throws FerryError ITEM_REJECTED for a record the target can never hold (it becomes a dead letter). The verifier
   * calls it too, so the source side of a checksum hashes exactly what the target should hold.
   */
  toTarget?(stream: StreamRef, record: T): T;
  prepare(stream: StreamRef, mode: WriteMode, signal: AbortSignal): Promise<void>;
  write(stream: StreamRef, items: readonly T[], signal: AbortSignal): Promise<WriteResult<T>>;
  /** After it resolves, every accepted item is durable. */
  flush(signal: AbortSignal): Promise<void>;
}
