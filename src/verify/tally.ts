/**
 * One hashing pass over both sides at once: the source through the record pipeline, the target as its Source reads
 * it. Each record is put in the bucket of its key and its digest added to that bucket's sum; with `selected`, only
 * records of those buckets are hashed (the others cost a key hash), and with `keys`, their (key, digest) entries are
 * collected to name differences.
 *
 * Records the pipeline refuses are what the engine dead-lettered: they are counted as expected absent and left out.
 *
 * Both sides are hashed alike: key identities and values under the plan's `verify_options` (NFC-normalised with
 * `unicode: nfc`), and, when the stream's map says `nulls: omit`, without their top-level null fields (the source
 * side has none left after the pipeline; on the target side a null field and an absent one are then the same, as
 * the plan declares).
 */
import { BucketDigests, bucketOf, keyIdentity } from '../core/digest.js';
import { keyText, type FerryRecord, type Value } from '../core/record.js';
import { isFerryError, redact } from '../errors.js';
import { linkedAbort } from '../engine/linked-abort.js';
import { canonicalFields, canonicalShape } from '../transform/canonical.js';
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
  /** Sees every record of a selected bucket once hashed, with the value as hashed (to name differing fields). */
  onRecord?: (side: 'source' | 'target', identity: string, value: Value) => void;
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

  const nfc = ctx.canonical.unicode === 'nfc';
  const omitNulls = ctx.stream.spec.map?.nulls === 'omit';
  const fold = (side: 'source' | 'target', digests: BucketDigests, record: FerryRecord): void => {
    const id = nfc ? keyIdentity(record.key).normalize('NFC') : keyIdentity(record.key);
    const b = bucketOf(id, buckets);
    if (selected && selected[b] === 0) return;
    const value = omitNulls ? withoutTopLevelNulls(record.value as Value) : (record.value as Value);
    const d = recordDigest(id, value, ctx.canonical);
    digests.add(b, d);
    keys?.add(side, id, shortDigest(d));
    input.onRecord?.(side, id, value);
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

/** A map value without its top-level null fields (the same object when it has none). */
export function withoutTopLevelNulls(value: Value): Value {
  if (canonicalShape(value) !== 'map') return value;
  const doc = canonicalFields(value as object);
  let hasNull = false;
  for (const k in doc) {
    if (doc[k] === null) {
      hasNull = true;
      break;
    }
  }
  if (!hasNull) return value;
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(doc)) if (v !== null) out[k] = v as Value;
  return out;
}

/** A note on pipeline rejections, or nothing when there were none. */
export function rejectionNotes(r: PipelineRejections): string[] {
  if (r.count === 0) return [];
  const notes = [`${r.count} source record(s) the record pipeline refuses are expected absent (the job's dead letters), e.g. ${r.first?.key}: ${r.first?.reason}`];
  if (r.unexpected > 0) notes.push(`${r.unexpected} of them failed with an error other than a rejection; the engine dead-letters those too`);
  return notes;
}
