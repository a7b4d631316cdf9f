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
import { BucketDigests, keyIdentity } from '../core/digest.js';
import { keyText, type FerryRecord, type RecordKey, type Value } from '../core/record.js';
import type { BucketSum, KeyBucketFilter } from '../core/source.js';
import { isFerryError, redact } from '../errors.js';
import { linkedAbort } from '../engine/linked-abort.js';
import { canonicalFields, canonicalShape } from '../transform/canonical.js';
import type { BucketKeys } from './bucket-keys.js';
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
  /** Sees every record of a selected bucket once hashed, with the value as hashed and the (mapped) key. */
  onRecord?: (side: 'source' | 'target', identity: string, value: Value, key: RecordKey, digest: Buffer) => void;
  /** Which sides to read (default both); a side not read tallies as empty. */
  sides?: 'both' | 'source' | 'target';
  /** The source selects these key buckets itself (it said it can); the tally still checks every record's bucket. */
  sourceKeyBuckets?: KeyBucketFilter;
  /** Fold the target's key identities into per-bucket XOR slots (bucket-keys.ts), to name extra keys later. */
  targetKeys?: BucketKeys;
  /** The source side's per-bucket sums as the store computed them, instead of reading it (store-digests.ts). */
  sourceSums?: (signal: AbortSignal) => Promise<BucketSum[]>;
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
  /** The first source record the pipeline took, and what it became (to learn how target keys come from source columns). */
  firstSource?: { raw: FerryRecord; mapped: FerryRecord };
}

export async function tally(ctx: VerifyContext, input: TallyInput): Promise<Tally> {
  const { buckets, selected, keys } = input;
  const sourceDigests = new BucketDigests(buckets);
  const targetDigests = new BucketDigests(buckets);
  const rejected: PipelineRejections = { count: 0, unexpected: 0 };

  const targetKeys = input.targetKeys;
  const fold = foldInto(ctx, buckets, selected, (side, id, d, value, key, b) => {
    keys?.add(side, id, shortDigest(d));
    if (targetKeys && side === 'target') targetKeys.add(b, id);
    input.onRecord?.(side, id, value, key, d);
  });
  let firstSource: Tally['firstSource'];

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
    firstSource ??= { raw: record, mapped };
    fold('source', sourceDigests, mapped);
  };

  // Both sides at once; one failing stops the other.
  const both = linkedAbort(ctx.signal);
  const side = <T>(p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      both.abort(e);
      throw e;
    });
  const sides = input.sides ?? 'both';
  try {
    const [sourceRead, targetRead] = await Promise.all([
      sides === 'target'
        ? 0
        : input.sourceSums
          ? side(
              input.sourceSums(both.signal).then((sums) => {
                let n = 0;
                for (const s of sums) {
                  sourceDigests.addSum(s.bucket, s.count, s.sum);
                  n += s.count;
                }
                ctx.progress(input.phase, 'source', n);
                return n;
              }),
            )
          : side(
            readSide(
              {
                source: ctx.source,
                stream: ctx.stream.source,
                tuning: ctx.tuning,
                signal: both.signal,
                onProgress: (n) => ctx.progress(input.phase, 'source', n),
                ...(input.sourceKeyBuckets ? { keyBuckets: input.sourceKeyBuckets } : {}),
              },
              onSource,
            ),
          ),
      sides === 'source'
        ? 0
        : side(
            readSide(
              { source: ctx.targetSource, stream: ctx.targetStream, tuning: ctx.tuning, signal: both.signal, onProgress: (n) => ctx.progress(input.phase, 'target', n) },
              (record) => fold('target', targetDigests, record),
            ),
          ),
    ]);
    return {
      source: { read: sourceRead, digests: sourceDigests, rejected },
      target: { read: targetRead, digests: targetDigests },
      ...(firstSource ? { firstSource } : {}),
    };
  } finally {
    both.dispose();
  }
}

/**
 * `tally` with the source selecting key buckets itself (`sourceKeyBuckets`); when the store refuses the selection
 * after all (UNSUPPORTED: it resolved a column otherwise than when it said yes), the same tally reading it all, and
 * the refusal's message for the notes.
 */
export async function tallySelected(ctx: VerifyContext, input: TallyInput): Promise<{ t: Tally; refused?: string }> {
  if (!input.sourceKeyBuckets) return { t: await tally(ctx, input) };
  try {
    return { t: await tally(ctx, input) };
  } catch (e) {
    if (ctx.signal.aborted || !(isFerryError(e) && e.code === 'UNSUPPORTED')) throw e;
    const { sourceKeyBuckets: _, ...plain } = input;
    return { t: await tally(ctx, plain), refused: redact(e.message) };
  }
}

/**
 * How a record is hashed on either side: its identity (NFC-normalised under `unicode: nfc`), its bucket (the
 * verification's bucket function), and — when the bucket is selected — its digest added to `digests` and handed to
 * `then`. Shared by the tallies and the point reads, so both hash exactly alike.
 */
export function foldInto(
  ctx: VerifyContext,
  buckets: number,
  selected: Uint8Array | undefined,
  then?: (side: 'source' | 'target', identity: string, digest: Buffer, value: Value, key: RecordKey, bucket: number) => void,
  /** Whether to take a record of a selected bucket at all (checked before it is hashed or summed). */
  accept?: (identity: string) => boolean,
): (side: 'source' | 'target', digests: BucketDigests, record: FerryRecord) => void {
  const nfc = ctx.canonical.unicode === 'nfc';
  const omitNulls = ctx.stream.spec.map?.nulls === 'omit';
  const bucket = ctx.bucket;
  return (side, digests, record) => {
    const id = nfc ? keyIdentity(record.key).normalize('NFC') : keyIdentity(record.key);
    const b = bucket(id, buckets);
    if (selected && selected[b] === 0) return;
    if (accept && !accept(id)) return;
    const value = omitNulls ? withoutTopLevelNulls(record.value as Value) : (record.value as Value);
    const d = recordDigest(id, value, ctx.canonical);
    digests.add(b, d);
    then?.(side, id, d, value, record.key, b);
  };
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
