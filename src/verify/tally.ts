/**
 * One hashing pass over both sides at once: the source through the record pipeline, the target as its Source reads
 * it. Each record is put in the bucket of its key and its digest added to that bucket's sum; with `selected`, only
 * records of those buckets are hashed (the others cost a key hash), and with `keys`, their (key, digest) entries are
 * collected to name differences.
 *
 * Records the pipeline refuses are what the engine dead-lettered: they are counted as expected absent and left out.
 */
import { BucketDigests, bucketOf, keyIdentity } from '../core/digest.js';
import { keyText, type FerryRecord, type Value } from '../core/record.js';
import { isFerryError, redact } from '../errors.js';
import { linkedAbort } from '../engine/linked-abort.js';
import type { KeyDiff } from './key-diff.js';
import { readSide } from './read-side.js';
import { recordDigest, shortDigest } from './record-digest.js';
import type { VerifyContext, VerifyPhase } from './verify-context.js';

export interface TallyInput {
  phase: VerifyPhase;
  buckets: number;
  /** 1 for the buckets to hash; undefined: all of them. */
  selected?: Uint8Array;
  keys?: KeyDiff;
}

export interface PipelineRejections {
  count: number;
  /** Of them, failures that were not ITEM_REJECTED (the engine dead-letters those too). */
  unexpected: number;
  first?: { key: string; reason: string };
}

export interface Tally {
  source: { read: number; digests: BucketDigests; rejected: PipelineRejections };
  target: { read: number; digests: BucketDigests };
}

export async function tally(ctx: VerifyContext, input: TallyInput): Promise<Tally> {
  const { buckets, selected, keys } = input;
  const sourceDigests = new BucketDigests(buckets);
  const targetDigests = new BucketDigests(buckets);
  const rejected: PipelineRejections = { count: 0, unexpected: 0 };

  const fold = (side: 'source' | 'target', digests: BucketDigests, record: FerryRecord): void => {
    const id = keyIdentity(record.key);
    const b = bucketOf(id, buckets);
    if (selected && selected[b] === 0) return;
    const d = recordDigest(id, record.value as Value);
    digests.add(b, d);
    keys?.add(side, id, shortDigest(d));
  };

  const onSource = (record: FerryRecord): void => {
    let mapped: FerryRecord;
    try {
      mapped = ctx.pipeline(record);
    } catch (e) {
      rejected.count += 1;
      if (!(isFerryError(e) && e.code === 'ITEM_REJECTED')) rejected.unexpected += 1;
      rejected.first ??= { key: keyText(record.key), reason: redact(e instanceof Error ? e.message : String(e)) };
      return;
    }
    fold('source', sourceDigests, mapped);
  };

  // Both sides at once; one failing stops the other.
  const both = linkedAbort(ctx.signal);
  const side = <T>(p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      both.abort(e);
      throw e;
    });
  try {
    const [sourceRead, targetRead] = await Promise.all([
      side(
        readSide(
          { source: ctx.source, stream: ctx.stream.source, tuning: ctx.tuning, signal: both.signal, onProgress: (n) => ctx.progress(input.phase, 'source', n) },
          onSource,
        ),
      ),
      side(
        readSide(
          { source: ctx.targetSource, stream: ctx.targetStream, tuning: ctx.tuning, signal: both.signal, onProgress: (n) => ctx.progress(input.phase, 'target', n) },
          (record) => fold('target', targetDigests, record),
        ),
      ),
    ]);
    return {
      source: { read: sourceRead, digests: sourceDigests, rejected },
      target: { read: targetRead, digests: targetDigests },
    };
  } finally {
    both.dispose();
  }
}

/** A note on pipeline rejections, or nothing when there were none. */
export function rejectionNotes(r: PipelineRejections): string[] {
  if (r.count === 0) return [];
  const notes = [`${r.count} source record(s) the record pipeline refuses are expected absent (the job's dead letters), e.g. ${r.first?.key}: ${r.first?.reason}`];
  if (r.unexpected > 0) notes.push(`${r.unexpected} of them failed with an error other than a rejection; the engine dead-letters those too`);
  return notes;
}
