/**
 * Sample: a checksum restricted to K random buckets of B, holding about N source records. Keys are spread over
 * buckets by a hash, so a sampled bucket is a random set of keys, and a record missing from the target is caught
 * just as well as a changed one.
 *
 * With a target that can read records by key (DynamoDB, Firestore) the sample is what its name says: the sampled
 * buckets' source records — selected by the source itself where it can (PostgreSQL) — are looked up by key in the
 * target, so each side reads about N records. That checks source records against the target (missing, changed);
 * keys only the target holds are not sampled that way (a checksum finds them), and the report says so.
 *
 * Otherwise both sides are read in full, but only records in the sampled buckets are hashed and kept, so it is
 * cheaper than a checksum in CPU and memory, not in reads; its keys are collected while reading, so differing keys
 * are named without a second read (unless they exceed `maxKeys`; then only the bucket comparison is reported).
 *
 * K is chosen for about N source records: from the source's count when it can give one, else 1% of the buckets.
 * Changed keys' fields are compared from the values kept while reading when they were few, else from one more read
 * of their buckets, as for a checksum.
 */
import { changedFieldsOf, compareHeld } from './changed-fields.js';
import { chooseBuckets, sourceBucketParts } from './bucket-choice.js';
import { fetchByKey, HeldValues, uniqueKeys } from './locate.js';
import type { RecordKey } from '../core/record.js';
import { shortDigest } from './record-digest.js';
import { KeyDiff } from './key-diff.js';
import { nameDifferences } from './name-differences.js';
import { emptyKeyList } from './report.js';
import type { VerifierResult } from './checksum-verifier.js';
import { rejectionNotes, tally, tallySelected, type Tally } from './tally.js';
import { targetNotes, type VerifyContext } from './verify-context.js';

export const DEFAULT_SAMPLE_SIZE = 1000;

/** K distinct buckets out of B, uniformly (a partial Fisher–Yates shuffle), in ascending order. */
export function pickBuckets(k: number, buckets: number, random: () => number): number[] {
  const all = Uint32Array.from({ length: buckets }, (_, i) => i);
  const n = Math.min(k, buckets);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (buckets - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return [...all.subarray(0, n)].sort((a, b) => a - b);
}

async function estimateCount(ctx: VerifyContext): Promise<number | undefined> {
  if (!ctx.source.count) return undefined;
  try {
    return await ctx.source.count(ctx.stream.source, ctx.signal);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return undefined; // sizing only; the sample still runs
  }
}

export async function verifySample(given: VerifyContext, size: number): Promise<VerifierResult> {
  const { ctx, first } = await chooseBuckets(given);
  const B = ctx.limits.buckets;
  const n = Math.max(1, Math.floor(size));
  const estimate = await estimateCount(ctx);
  const k = estimate === undefined ? Math.max(1, Math.ceil(B / 100)) : Math.min(B, Math.max(1, Math.ceil((n * B) / Math.max(1, estimate))));
  const sampled = pickBuckets(k, B, ctx.limits.random);
  const selected = new Uint8Array(B);
  for (const b of sampled) selected[b] = 1;

  if (ctx.targetSource.lookup && ctx.targetStream) return sampleByKey(ctx, first, n, sampled, selected, estimate);

  const keys = new KeyDiff(ctx.limits.maxKeys);
  const t = await tally(ctx, { phase: 'sample', buckets: B, selected, keys });
  const differing = t.source.digests.differing(t.target.digests, sampled);
  const sourceSample = t.source.digests.total(sampled);
  const targetSample = t.target.digests.total(sampled);
  const notes = [
    ...targetNotes(ctx),
    `sampled ${sampled.length} of ${B} buckets (≈ ${sourceSample.count} of ${t.source.read} source records)` +
      (estimate === undefined ? '; the source gave no count, so 1% of the buckets' : ''),
    ...rejectionNotes(t.source.rejected),
  ];
  const base: VerifierResult = {
    stream: ctx.stream.source.name,
    verifier: 'sample',
    sampleSize: n,
    outcome: 'match',
    source: { stream: ctx.stream.source.name, count: t.source.read, digest: sourceSample.hex() },
    target: { stream: ctx.stream.target, count: t.target.read, digest: targetSample.hex() },
    // Rejections are counted over the whole read (every record goes through the pipeline to find its bucket).
    expectedAbsent: t.source.rejected.count,
    missing: emptyKeyList(),
    extra: emptyKeyList(),
    changed: emptyKeyList(),
    notes,
    buckets: { total: B, compared: sampled.length, differing: differing.length, examined: 0 },
    keysHeld: keys.held,
  };
  if (differing.length === 0) return base;

  if (keys.overflow) {
    return {
      ...base,
      outcome: 'differ',
      notes: [...notes, `${differing.length} sampled bucket(s) differ; they hold more than ${ctx.limits.maxKeys} keys, so the keys are not named`],
    };
  }
  return withNamedKeys(ctx, { ...base, buckets: { ...base.buckets!, examined: differing.length } }, keys);
}

/** The sample as point reads: the sampled buckets' source records, looked up by key in the target. */
async function sampleByKey(
  ctx: VerifyContext,
  first: Tally['firstSource'],
  n: number,
  sampled: readonly number[],
  selected: Uint8Array,
  estimate: number | undefined,
): Promise<VerifierResult> {
  const B = ctx.limits.buckets;
  const notes = [...targetNotes(ctx)];
  const how = sourceBucketParts(ctx, first);
  let entries: { id: string; key: RecordKey; digest: number }[] = [];
  let held = new HeldValues();
  const read = (keyBuckets: boolean): Promise<{ t: Tally; refused?: string }> => {
    entries = [];
    held = new HeldValues();
    return tallySelected(ctx, {
      phase: 'sample',
      buckets: B,
      selected,
      sides: 'source',
      ...(keyBuckets && 'parts' in how ? { sourceKeyBuckets: { parts: how.parts, buckets: B, selected: sampled } } : {}),
      onRecord: (_side, id, value, key, d) => {
        entries.push({ id, key, digest: shortDigest(d) });
        held.set('source', id, value);
      },
    });
  };
  let selectedBySource = 'parts' in how;
  let { t, refused } = await read(selectedBySource);
  if (refused) {
    selectedBySource = false;
    notes.push(`the source refused to select the sampled buckets (${refused}): it was read in full`);
  } else if (selectedBySource) {
    // Proof of the store's selection: every record it sent must be in a sampled bucket by ferry's own reckoning. A
    // store that renders keys otherwise than ferry sends records of other buckets (and misses sampled ones), which
    // would shrink the sample silently; then the source is read in full instead.
    const stray = t.source.read - t.source.rejected.count - t.source.digests.total(sampled).count;
    if (stray > 0) {
      notes.push(`the source's own selection sent ${stray} record(s) outside the sampled buckets (it renders keys otherwise than ferry?): it was read in full instead`);
      selectedBySource = false;
      ({ t } = await read(false));
    }
  }
  if (entries.length > ctx.limits.maxKeys) {
    return {
      ...emptySample(ctx, n, B, sampled.length),
      outcome: 'inconclusive',
      notes: [...notes, `the sampled buckets hold ${entries.length} records, more than the ${ctx.limits.maxKeys} keys a sample looks up: ask for a smaller sample`],
    };
  }
  const keys = new KeyDiff(ctx.limits.maxKeys);
  for (const e of entries) keys.add('source', e.id, e.digest);
  const { found, fetched } = await fetchByKey(ctx, 'sample', uniqueKeys(entries), selected, keys, held);
  const sourceSample = t.source.digests.total(sampled);
  const differing = t.source.digests.differing(found, sampled);
  notes.push(
    `sampled ${sampled.length} of ${B} buckets: ${sourceSample.count} source record(s)` +
      (selectedBySource ? ' (selected by the source itself)' : ` of ${t.source.read} read`) +
      `, looked up by key in the target: ${fetched} found` +
      (estimate === undefined ? '; the source gave no count, so 1% of the buckets' : ''),
    'keys only the target holds are not sampled when it is read by key (a checksum finds them)',
    ...rejectionNotes(t.source.rejected),
  );
  const base: VerifierResult = {
    ...emptySample(ctx, n, B, sampled.length),
    source: { stream: ctx.stream.source.name, count: t.source.read, digest: sourceSample.hex() },
    target: { stream: ctx.stream.target, count: fetched, digest: found.total(sampled).hex() },
    expectedAbsent: t.source.rejected.count,
    notes,
    buckets: { total: B, compared: sampled.length, differing: differing.length, examined: differing.length },
    keysHeld: keys.held,
    located: {
      source: { method: selectedBySource ? 'store-selected buckets' : 'full read', records: t.source.read },
      target: { method: 'point reads', records: fetched },
    },
  };
  if (differing.length === 0) return base;
  return withNamedKeys(ctx, base, keys, held.values);
}

/**
 * A sample's result with the collected keys compared and named, and the changed keys' fields: from the values held
 * while reading when there are any, else from one more read of their buckets.
 */
async function withNamedKeys(ctx: VerifyContext, base: VerifierResult, keys: KeyDiff, held?: HeldValues['values']): Promise<VerifierResult> {
  const named = nameDifferences(ctx, keys, { buckets: 0, keys: 0 });
  const fields =
    held && ctx.limits.changedFields && named.changed.keys.length > 0 ? compareHeld(ctx, named.changed.keys, held) : await changedFieldsOf(ctx, named.changed.keys);
  return {
    ...base,
    outcome: named.outcome,
    expectedAbsent: base.expectedAbsent + named.deadLetters,
    missing: named.missing,
    extra: named.extra,
    changed: named.changed,
    ...(fields.changedFields ? { changedFields: fields.changedFields } : {}),
    notes: [...base.notes, ...named.notes, ...fields.notes],
  };
}

/** A sample result with nothing found yet. */
function emptySample(ctx: VerifyContext, n: number, buckets: number, compared: number): VerifierResult {
  return {
    stream: ctx.stream.source.name,
    verifier: 'sample',
    sampleSize: n,
    outcome: 'match',
    source: { stream: ctx.stream.source.name, count: 0 },
    target: { stream: ctx.stream.target, count: 0 },
    expectedAbsent: 0,
    missing: emptyKeyList(),
    extra: emptyKeyList(),
    changed: emptyKeyList(),
    notes: [],
    buckets: { total: buckets, compared, differing: 0, examined: 0 },
  };
}
