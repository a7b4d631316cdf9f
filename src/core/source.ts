import type { Batch, Cursor, Segment, StreamRef } from './stream.js';

export type DigestAlgo = 'sha256';

export interface SourceCapabilities {
  segmentable: boolean;
  exactCount: boolean;
  digests: ReadonlySet<DigestAlgo>;
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
}
