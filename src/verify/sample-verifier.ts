/**
 * Sample: a checksum restricted to K random buckets. Sources have no point lookup, so "look N records up in the
 * target" becomes "compare the records of a random K of B buckets on both sides": both sides are still read in
 * full, but only records in the sampled buckets are hashed and kept, so it is cheaper in CPU and memory than a
 * checksum, not in reads. Keys are spread over buckets by a hash, so a sampled bucket is a random set of keys, and
 * a record missing from the target is caught just as well as a changed one.
 *
 * K is chosen for about N source records: from the source's count when it can give one, else 1% of the buckets.
 * One pass: the sampled buckets' (key, digest) entries are collected while reading, so differing keys are named
 * without a second read (unless they exceed `maxKeys`; then only the bucket comparison is reported). Listed changed
 * keys get one more read of their buckets to name the differing fields, as for a checksum.
 */
import { changedFieldsOf } from './changed-fields.js';
import { KeyDiff } from './key-diff.js';
import { nameDifferences } from './name-differences.js';
import { emptyKeyList } from './report.js';
import type { VerifierResult } from './checksum-verifier.js';
import { rejectionNotes, tally } from './tally.js';
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

export async function verifySample(ctx: VerifyContext, size: number): Promise<VerifierResult> {
  const B = ctx.limits.buckets;
  const n = Math.max(1, Math.floor(size));
  const estimate = await estimateCount(ctx);
  const k = estimate === undefined ? Math.max(1, Math.ceil(B / 100)) : Math.min(B, Math.max(1, Math.ceil((n * B) / Math.max(1, estimate))));
  const sampled = pickBuckets(k, B, ctx.limits.random);
  const selected = new Uint8Array(B);
  for (const b of sampled) selected[b] = 1;

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
  const named = nameDifferences(ctx, keys, { buckets: 0, keys: 0 });
  const fields = await changedFieldsOf(ctx, named.changed.keys);
  return {
    ...base,
    outcome: named.outcome,
    expectedAbsent: base.expectedAbsent + named.deadLetters,
    missing: named.missing,
    extra: named.extra,
    changed: named.changed,
    ...(fields.changedFields ? { changedFields: fields.changedFields } : {}),
    notes: [...notes, ...named.notes, ...fields.notes],
    buckets: { ...base.buckets!, examined: differing.length },
  };
}
