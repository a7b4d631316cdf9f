/**
 * Verification after a load: every plan stream, every verifier of the plan (`count`, `checksum`, `sample`), one
 * result each, and an overall outcome. Works for any document source → document target pair through the contracts
 * alone: the target is read through its own Source (opened by the caller), and the target's Sink is used only for
 * its pure `toTarget`, so the source side is hashed exactly as the engine wrote it.
 *
 * Streams are verified one after another (memory stays that of one stream's verifier); within a verifier both
 * sides are read at once, each over its own segments in parallel.
 *
 * A verifier that fails (a store unreachable, a stream it cannot read) gives an `inconclusive` result naming the
 * error, and the others still run; an abort (the signal, Ctrl-C) rejects with INTERRUPTED at once.
 */
import { PLAN_DEFAULTS } from '../plan/defaults.js';
import { bucketFunction, type KeyBucketHash } from '../core/digest.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import type { StreamRef } from '../core/stream.js';
import { abortedError, type BackoffOptions, type Sleep } from '../engine/backoff.js';
import type { TargetNamer } from '../engine/stream-plan.js';
import { isFerryError, redact } from '../errors.js';
import type { Plan, VerifySpec } from '../plan/types.js';
import type { CanonicalOptions } from '../transform/canonical.js';
import { recordPipeline } from '../transform/pipeline.js';
import { verifyChecksum, type VerifierResult } from './checksum-verifier.js';
import { verifyCount } from './count-verifier.js';
import { emptyKeyList, overallOutcome, type StreamVerifyResult, type VerifierName, type VerifyReport } from './report.js';
import { findTargetStream, resolveVerifyStreams } from './resolve-streams.js';
import { DEFAULT_SAMPLE_SIZE, verifySample } from './sample-verifier.js';
import type { StreamDeadLetters, VerifyContext, VerifyProgress, VerifyStream } from './verify-context.js';

/**
 * 65,536 buckets: pass 1 costs 1.3 MB per side whatever the table's size, and the more buckets, the fewer keys
 * share a bucket with a difference (about 15 per bucket at a million records), so pass 2 holds few keys.
 */
export const DEFAULT_BUCKETS = 65_536;
/** Pass 2's bound: (key, digest) entries held at once, both sides together (roughly 100–150 bytes each). */
export const DEFAULT_MAX_KEYS = 200_000;
/** Keys listed per kind (missing, extra, changed) in each result. */
export const DEFAULT_REPORT_KEYS = 100;

export interface VerifyStreamsOptions {
  plan: Plan;
  source: Source<FerryRecord>;
  /** The target read back through its connector's own Source. */
  targetSource: Source<FerryRecord>;
  /** The target's sink, for its pure `toTarget` only (nothing is written). */
  sink: Pick<Sink<FerryRecord>, 'toTarget'>;
  /** Default: the plan's `verify`, else `[count]`. */
  verifiers?: readonly VerifySpec[];
  /** Default: the plan's streams resolved as the engine does (with `targetName`). */
  streams?: readonly VerifyStream[];
  targetName?: TargetNamer;
  /**
   * The job's dead letters by source stream name: a count, or the count and keys (`deadLettersByStream(store.deadLetters(jobId))`).
   * A source stream sent to several targets shares one entry.
   */
  deadLettersByStream?: Readonly<Record<string, number | StreamDeadLetters>>;
  signal?: AbortSignal;
  onProgress?: (progress: VerifyProgress) => void;
  /** Called when each result is ready (e.g. to `store.saveVerifyResult` it). */
  onResult?: (result: StreamVerifyResult) => void;
  buckets?: number;
  maxKeys?: number;
  /** Keys listed per kind (missing, extra, changed); `--max-diffs`. Default 100. The totals are always exact. */
  reportKeys?: number;
  /** Name the differing fields of listed changed keys (one more read of their buckets). Default true. */
  changedFields?: boolean;
  /**
   * ferry reads and hashes every record itself (`ferry verify --read-all`): the sources' store-side shortcuts —
   * digests, bucket selection, point reads — are not used. For an audit that trusts no store computation.
   */
  readAll?: boolean;
  /** How keys are spread over buckets; default: md5 where the source can select buckets by it for a stream, else fnv. */
  bucketHash?: KeyBucketHash;
  /** How values are compared; default the plan's `verify_options`. */
  canonical?: CanonicalOptions;
  /** Randomness of `sample` (tests pass a seeded one). */
  random?: () => number;
  /** Segments asked of each side per stream; default the plan's `limits.concurrency`, else 4. */
  segments?: number;
  /** Segments read at once per side; default the same. */
  concurrency?: number;
  /** Default the plan's `limits.batch_size`, else the plan default. */
  batchSize?: number;
  /** Re-opens of a read after transient failures in a row; default the plan's `limits.max_retries`, else 8. */
  maxRetries?: number;
  backoff?: Partial<BackoffOptions>;
  sleep?: Sleep;
}

export function verifierOf(spec: VerifySpec): { name: VerifierName; sampleSize?: number } {
  if (typeof spec === 'object') return { name: 'sample', sampleSize: spec.sample };
  return spec === 'sample' ? { name: 'sample', sampleSize: DEFAULT_SAMPLE_SIZE } : { name: spec };
}

function positive(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.floor(v) : fallback;
}

function isInterrupt(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (isFerryError(e) && e.code === 'INTERRUPTED');
}

export async function verifyStreams(given: VerifyStreamsOptions): Promise<VerifyReport> {
  const opts = given.readAll ? { ...given, source: readingOnly(given.source), targetSource: readingOnly(given.targetSource) } : given;
  const started = Date.now();
  const signal = opts.signal ?? new AbortController().signal;
  if (signal.aborted) throw abortedError(signal);
  const limits = opts.plan.limits ?? {};
  const parallel = positive(limits.concurrency, 4);
  const tuning = {
    segments: positive(opts.segments, parallel),
    concurrency: positive(opts.concurrency, parallel),
    batchSize: positive(opts.batchSize, positive(limits.batch_size, PLAN_DEFAULTS.batch_size)),
    maxRetries: typeof opts.maxRetries === 'number' ? opts.maxRetries : positive(limits.max_retries, 8),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  };
  const verifyLimits = {
    buckets: positive(opts.buckets, DEFAULT_BUCKETS),
    maxKeys: positive(opts.maxKeys, DEFAULT_MAX_KEYS),
    reportKeys: typeof opts.reportKeys === 'number' ? Math.max(0, Math.floor(opts.reportKeys)) : DEFAULT_REPORT_KEYS,
    changedFields: opts.changedFields ?? true,
    random: opts.random ?? Math.random,
  };
  const canonical: CanonicalOptions = opts.canonical ?? { unicode: opts.plan.verify_options?.unicode ?? 'exact' };
  const verifiers = (opts.verifiers ?? opts.plan.verify ?? ['count']).map(verifierOf);
  // FNV unless a verifier finds the source can select md5 buckets for the stream (locate.ts chooseBuckets).
  const bucketHash: KeyBucketHash = opts.bucketHash ?? 'fnv';
  const bucket = bucketFunction(bucketHash);
  const bucketAuto = opts.bucketHash === undefined;
  const streams = opts.streams ?? (await resolveVerifyStreams(opts.plan, opts.source, signal, opts.targetName));

  const results: StreamVerifyResult[] = [];
  for (const stream of streams) {
    let targetStream: Promise<StreamRef | undefined> | undefined;
    const dl = opts.deadLettersByStream?.[stream.source.name];
    const deadLetters = dl === undefined ? undefined : typeof dl === 'number' ? { count: dl } : dl;
    for (const v of verifiers) {
      const t0 = Date.now();
      let result: VerifierResult;
      try {
        targetStream ??= findTargetStream(opts.targetSource, stream.target, signal);
        const ctx: VerifyContext = {
          stream,
          source: opts.source,
          targetSource: opts.targetSource,
          targetStream: await targetStream,
          pipeline: recordPipeline(stream.spec.map, opts.sink, stream.targetRef),
          deadLetters,
          canonical,
          bucket,
          bucketHash,
          bucketAuto,
          tuning,
          limits: verifyLimits,
          signal,
          progress: (phase, side, items) =>
            opts.onProgress?.({ stream: stream.source.name, target: stream.target, verifier: v.name, phase, side, items }),
        };
        result =
          v.name === 'count' ? await verifyCount(ctx) : v.name === 'checksum' ? await verifyChecksum(ctx) : await verifySample(ctx, v.sampleSize ?? DEFAULT_SAMPLE_SIZE);
      } catch (e) {
        if (isInterrupt(e, signal)) throw signal.aborted ? abortedError(signal) : e;
        result = failedResult(stream, v.name, e);
      }
      const full: StreamVerifyResult = { ...result, durationMs: Date.now() - t0 };
      results.push(full);
      opts.onResult?.(full);
    }
  }
  return { outcome: overallOutcome(results), results, durationMs: Date.now() - started };
}

function failedResult(stream: VerifyStream, verifier: VerifierName, e: unknown): VerifierResult {
  const message = redact(e instanceof Error ? e.message : String(e));
  const code = isFerryError(e) ? e.code : 'INTERNAL';
  const hint = isFerryError(e) && e.hint ? ` (fix: ${redact(e.hint)})` : '';
  return {
    stream: stream.source.name,
    verifier,
    outcome: 'inconclusive',
    source: { stream: stream.source.name, count: 0 },
    target: { stream: stream.target, count: 0 },
    expectedAbsent: 0,
    missing: emptyKeyList(),
    extra: emptyKeyList(),
    changed: emptyKeyList(),
    notes: [`could not verify: ${code}: ${message}${hint}`],
  };
}

/** A source with only its reading methods: no store-side digests, bucket selection or point reads. */
export function readingOnly(source: Source<FerryRecord>): Source<FerryRecord> {
  const plain: Source<FerryRecord> = {
    capabilities: { ...source.capabilities, keyBuckets: false },
    streams: (pattern, signal, options) => source.streams(pattern, signal, options),
    read: (req) => source.read(req),
    [Symbol.asyncDispose]: () => Promise.resolve(), // the caller disposes of the source itself
  };
  if (source.segments) plain.segments = (stream, desired, signal) => source.segments!(stream, desired, signal);
  if (source.count) plain.count = (stream, signal) => source.count!(stream, signal);
  return plain;
}
