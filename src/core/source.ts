import type { FerryRecord, RecordKey } from './record.js';
import type { Batch, Cursor, Segment, StreamRef } from './stream.js';

export type DigestAlgo = 'sha256';

export interface SourceCapabilities {
  segmentable: boolean;
  exactCount: boolean;
  digests: ReadonlySet<DigestAlgo>;
  /**
   * `read` honours `ReadRequest.keyBuckets`: the store itself selects the records of some key buckets (the verifier's
   * md5 buckets, see src/core/digest.ts `md5Bucket`), so only they cross the wire. See `Source.keyBuckets`.
   */
  keyBuckets?: boolean;
}

/** A field of the record after the pipeline, and the source column it is the unchanged value of. */
export interface DigestField {
  name: string;
  column: string;
}

/**
 * What a store needs to compute ferry's record digests itself (src/verify/record-digest.ts): per record, sha256 of
 * `canonicalString(identity)` followed by the canonical form of the map `{ field: column value }`
 * (src/transform/canonical.ts), summed per md5 key bucket. Only for records the pipeline leaves unchanged but for
 * field names: the verifier checks that, and checks the store's sums against its own reading where they differ.
 */
export interface DigestSpec {
  fields: readonly DigestField[];
  /** The key identity's parts, as for key buckets. */
  keyParts: readonly KeyBucketPart[];
  buckets: number;
  /** Top-level null fields are left out (the plan's `nulls: omit`), not encoded as null. */
  omitNulls: boolean;
}

/** One key bucket's records as a store digested them: how many, and the sum mod 2^128 of their 16-byte digests. */
export interface BucketSum {
  bucket: number;
  count: number;
  sum: bigint;
}

/** One part of a target key identity as a source can compute it: the target key's part name, and the source column that holds its value. */
export interface KeyBucketPart {
  name: string;
  column: string;
}

/**
 * Read only the records whose target key identity falls in `selected` of `buckets` md5 buckets. The identity is
 * `keyIdentity` of the target key (src/core/digest.ts): `name=value` per part, parts in name order joined by `, `,
 * each value the source column's text. The verifier proves the selection complete (its counts and digest sums
 * must equal a full read's), so a store whose text differs from ferry's for some value costs a full read, never a
 * wrong answer.
 */
export interface KeyBucketFilter {
  /** In identity order (sorted by name). */
  parts: readonly KeyBucketPart[];
  buckets: number;
  /** Ascending bucket numbers. */
  selected: readonly number[];
}

export interface ReadRequest {
  segment: Segment;
  /** Resume strictly after this cursor; undefined means from the start of the segment. */
  after?: Cursor;
  batchSize: number;
  signal: AbortSignal;
  /**
   * `verify`: the verifier reads to compare, not to copy. Object sources then yield `{ size, md5 }` documents (hashing
   * an object whose store states no MD5) instead of handles to stream the content from. Default `copy`.
   */
  purpose?: 'copy' | 'verify';
  /** Only with `capabilities.keyBuckets`, after `keyBuckets()` said yes: the store filters by key bucket. */
  keyBuckets?: KeyBucketFilter;
}

export interface Source<T> extends AsyncDisposable {
  readonly capabilities: SourceCapabilities;
  /**
   * Streams matching a plan's `from:` (a name or a pattern). `options` are the plan stream's connector-specific keys
   * (e.g. `key_columns`, `where`); a source picks the ones it knows and may carry them in StreamRef.meta.
   */
  streams(pattern: string, signal: AbortSignal, options?: Record<string, unknown>): Promise<StreamRef[]>;
  /** Split a stream into about `desired` segments; sources that cannot split return one. */
  segments?(stream: StreamRef, desired: number, signal: AbortSignal): Promise<Segment[]>;
  read(req: ReadRequest): AsyncIterable<Batch<T>>;
  count?(stream: StreamRef, signal: AbortSignal): Promise<number>;
  /**
   * Point reads for the verifier: the records of `keys` (in the form this source's own records carry their keys),
   * exactly as `read` with purpose `verify` would yield them; absent keys are left out, duplicates read once. Lets a
   * checksum fetch the few records that differ instead of reading the whole stream again. Callers pass at most a
   * few thousand keys at a time; the source splits them into the store's own batches.
   */
  lookup?(stream: StreamRef, keys: readonly RecordKey[], signal: AbortSignal): Promise<FerryRecord[]>;
  /**
   * Whether `read` can select key buckets server-side for `stream` with these parts (true), or why not (a short
   * reason for the verifier's notes, e.g. `key column created_at is timestamptz`). Only with `capabilities.keyBuckets`.
   */
  keyBuckets?(stream: StreamRef, parts: readonly KeyBucketPart[]): true | string;
  /**
   * Whether the store can compute ferry's record digests for `stream` under `spec` (true), or why not (every field's
   * column of a type whose canonical text the store can write, the store's version...). Only with `digestBuckets`.
   */
  canDigest?(stream: StreamRef, spec: DigestSpec): true | string;
  /**
   * The checksum's first pass on the store's side: every record of the stream digested by the store, summed per key
   * bucket (buckets with no record left out), so no record crosses the wire. Rejects UNSUPPORTED when it finds out
   * only now that it cannot (the verifier then reads the stream itself).
   */
  digestBuckets?(stream: StreamRef, spec: DigestSpec, signal: AbortSignal): Promise<BucketSum[]>;
  /**
   * How big a stream is, as cheaply as the store allows, for `ferry plan dry-run`: an exact count when that is cheap
   * (a small table, an aggregation, a listing), else the store's own statistics. Read-only. `segments`, when given,
   * are the stream's slices as `segments()` returned them; a source that can count each one says so in `perSegment`.
   */
  estimate?(stream: StreamRef, signal: AbortSignal, segments?: readonly Segment[]): Promise<SourceEstimate>;
}

/** What `Source.estimate` found out about one stream. */
export interface SourceEstimate {
  count: number;
  /** True when counted (count(*), an aggregation, a listing); false for statistics. */
  exact: boolean;
  /** How the count was obtained, e.g. `pg_class.reltuples`, `DescribeTable ItemCount (refreshed about every 6 hours)`. */
  method: string;
  /** Bytes of the stream's data as the source holds or reads it, when known. */
  bytes?: number;
  /** Whether `bytes` is exact (default: as `exact`). */
  bytesExact?: boolean;
  /** How `bytes` was obtained (default: as `method`). */
  bytesMethod?: string;
  /** Items in each of the `segments` passed in, in their order, when the source counted them. */
  perSegment?: number[];
  /**
   * The largest item, when every item was seen (an object listing, a counted table): its key text, its size in the
   * source, and the record itself when the source fetched it, so the dry run can put it through the target's checks.
   */
  largest?: { key: string; bytes: number; record?: FerryRecord };
  /** Item sizes by power-of-two size class, when every item was seen: `count` items of at most `upTo` bytes. */
  sizes?: { upTo: number; count: number; bytes: number }[];
  /** Anything the reader should know about these figures. */
  notes?: string[];
}
