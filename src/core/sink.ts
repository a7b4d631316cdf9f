import type { TargetState } from '../dry-run/report.js';
import type { SegmentOutput } from './checkpoint.js';
import type { Source } from './source.js';
import type { StreamRef } from './stream.js';
import type { UploadLedger } from './upload-ledger.js';

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
  /**
   * What this write left in the target that the job must remember until it finishes (a backup's data files),
   * JSON values; committed with the batch's cursor (CommitInput.outputs) and handed back by `SinkRun.outputs`.
   */
  outputs?: readonly unknown[];
}

/**
 * Rate units a sink can be limited in (plan `limits`): the target's own units.
 * `items` and `bytes` are universal; the others belong to one store.
 */
export type RateUnit = 'items' | 'bytes' | 'wcu' | 'ru' | 'writes' | 'requests';

/** The job's services a sink may use during a run. */
export interface SinkRun {
  /** Where partial uploads are recorded, so cleanup after a dead run aborts only ferry's own. */
  uploads: UploadLedger;
  /** The job the run belongs to: stable across resumes and workers (a backup names its set after it). */
  job?: { id: string; createdAt: string; planName: string; planHash: string };
  /** Every output committed so far by any runner of the job (WriteResult.outputs), in commit order. */
  outputs?(): Promise<SegmentOutput[]>;
}

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
  /** `run`: what the engine lends the sink for this run (absent when a caller drives the sink without a job). */
  prepare(stream: StreamRef, mode: WriteMode, signal: AbortSignal, run?: SinkRun): Promise<void>;
  write(stream: StreamRef, items: readonly T[], signal: AbortSignal): Promise<WriteResult<T>>;
  /** After it resolves, every accepted item is durable. */
  flush(signal: AbortSignal): Promise<void>;
  /**
   * Called once per stream after all its segments are written in a run that finished them, with the source the
   * records came from: for work only the whole stream allows (an object mirror deletes what the source lacks).
   */
  finishStream?(target: StreamRef, from: StreamOrigin<T>, signal: AbortSignal): Promise<void>;
  /**
   * Called once per job, after `finishStream` of every stream, by the runner that finishes the job: for work across
   * streams (a backup's manifest, written last). Must be idempotent: a finisher that died may have done it already.
   */
  finishJob?(run: SinkRun, signal: AbortSignal): Promise<void>;
  /** What this run did beyond item counts (objects skipped, proofs...), for the job summary. */
  report?(): SinkRunReport;
  /** `ferry run --dry-run`: what a run would do to this stream, without writing anything. */
  preview?(target: StreamRef, from: StreamOrigin<T>, signal: AbortSignal): AsyncIterable<PlannedAction>;
  /**
   * `ferry plan dry-run`: the target stream as it stands (exists, empty, items, key schema and whether it matches
   * what the plan would write), strictly read-only. A missing table/bucket is `exists: false`, not an error; errors
   * are for a target that cannot be reached or read. `problems` lists what `prepare` with this `mode` would refuse.
   */
  inspect?(target: StreamRef, signal: AbortSignal, mode?: WriteMode): Promise<TargetState>;
}

export interface StreamOrigin<T> {
  source: Source<T>;
  stream: StreamRef;
}

export interface SinkRunReport {
  /** Human lines for the summary, e.g. `skipped 10 objects (1.2 MB) already identical by MD5`. */
  lines: string[];
  /** The same as data, for JSON output and the state DB. */
  data: Record<string, unknown>;
}

export interface PlannedAction {
  /** `refuse`: the target cannot hold the name; the run makes it a dead letter and writes nothing. */
  action: 'copy' | 'skip' | 'delete' | 'keep' | 'refuse';
  /** The target name concerned. */
  name: string;
  bytes: number;
  /** Why: `new`, `size 10 ≠ 12`, `identical by md5`, `not in the source`... */
  reason: string;
}
