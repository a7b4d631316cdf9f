/**
 * What one verifier gets for one stream: both sides' sources and streams, the record pipeline the source side goes
 * through (so it hashes exactly what the target should hold), read tuning, limits and the job's dead letters.
 */
import type { KeyBucketHash } from '../core/digest.js';
import type { FerryRecord } from '../core/record.js';
import type { Source } from '../core/source.js';
import type { StreamRef } from '../core/stream.js';
import type { StreamSpec } from '../plan/types.js';
import type { CanonicalOptions } from '../transform/canonical.js';
import type { ReadTuning } from './read-side.js';
import type { VerifierName } from './report.js';

/** A plan stream resolved the way the engine resolves it. */
export interface VerifyStream {
  spec: StreamSpec;
  /** The source stream. */
  source: StreamRef;
  /** The target stream's name (the engine's `defaultTargetName`, or the caller's namer). */
  target: string;
  /** The target stream as the sink is handed it (the engine's `targetRefOf`); `toTarget` gets this. */
  targetRef: StreamRef;
}

/** The job's dead letters for one source stream. */
export interface StreamDeadLetters {
  count: number;
  /**
   * Their keys as the state store records them (`keyText`): source keys for mapping rejections, target keys for
   * items the target refused. A checksum counts missing keys found here as expected absent.
   */
  keys?: ReadonlySet<string>;
}

/** `fields`: the re-read of the changed keys' records, to name the fields that differ. */
export type VerifyPhase = 'count' | 'pass1' | 'pass2' | 'sample' | 'fields';

export interface VerifyProgress {
  stream: string;
  target: string;
  verifier: VerifierName;
  phase: VerifyPhase;
  side: 'source' | 'target';
  /** Records read so far on this side in this phase. */
  items: number;
}

export interface VerifyLimits {
  /** Buckets keys are spread over. */
  buckets: number;
  /** Most (key, digest) entries held at once to name differing keys, both sides together. */
  maxKeys: number;
  /** Keys listed per kind (missing, extra, changed) in a result; also the changed records re-read to name fields. */
  reportKeys: number;
  /** Name the differing fields of listed changed keys (one more read of the differing buckets). Default true. */
  changedFields: boolean;
  random: () => number;
}

export interface VerifyContext {
  stream: VerifyStream;
  source: Source<FerryRecord>;
  targetSource: Source<FerryRecord>;
  /** The target stream as the target's Source lists it; undefined when it does not exist. */
  targetStream: StreamRef | undefined;
  /** `recordPipeline(spec.map, sink, targetRef)`: what the engine wrote for each source record. */
  pipeline: (record: FerryRecord) => FerryRecord;
  deadLetters: StreamDeadLetters | undefined;
  /** How values are compared (the plan's `verify_options`); key identities are NFC-normalised under `unicode: nfc` too. */
  canonical: CanonicalOptions;
  /** The bucket of a key identity: md5 when a side can select buckets itself (`md5Bucket`), else the faster FNV. */
  bucket: (identity: string, buckets: number) => number;
  bucketHash: KeyBucketHash;
  /** The verifier picks the bucket function for the stream (`chooseBuckets`); false when the caller chose it. */
  bucketAuto: boolean;
  tuning: ReadTuning;
  limits: VerifyLimits;
  signal: AbortSignal;
  progress: (phase: VerifyPhase, side: 'source' | 'target', items: number) => void;
}

/** Notes every verifier adds about the target stream itself. */
export function targetNotes(ctx: VerifyContext): string[] {
  return ctx.targetStream ? [] : [`the target has no stream ${ctx.stream.target}; it reads as empty`];
}
