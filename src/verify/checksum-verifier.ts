/**
 * Checksum: are the target's records exactly the source's records after the pipeline, and if not, which keys differ?
 *
 * Pass 1 reads both sides in parallel (each over its own segments) and keeps, per side, one count and one 128-bit
 * digest sum per bucket (a bucket is chosen by a hash of the key, so both sides agree on it whatever their order or
 * segmentation). Equal buckets everywhere → match. Memory: `buckets` × 20 bytes per side.
 *
 * Pass 2 runs only when some buckets differ: both sides are read again, and only records of differing buckets are
 * hashed and kept as (key, 48-bit digest) entries, which are then compared key by key. The buckets examined are
 * chosen so that their pass-1 counts fit in `maxKeys` entries; the rest are reported as unexamined.
 *
 * Pass 3 runs only when pass 2 lists changed keys: the buckets of those keys (at most `reportKeys`) are read again
 * and the records of those keys compared field by field (changed-fields.ts).
 */
import { changedFieldsOf } from './changed-fields.js';
import { KeyDiff } from './key-diff.js';
import { nameDifferences } from './name-differences.js';
import { emptyKeyList, type StreamVerifyResult } from './report.js';
import { rejectionNotes, tally } from './tally.js';
import { targetNotes, type VerifyContext } from './verify-context.js';

export type VerifierResult = Omit<StreamVerifyResult, 'durationMs'>;

export async function verifyChecksum(ctx: VerifyContext): Promise<VerifierResult> {
  const B = ctx.limits.buckets;
  const p1 = await tally(ctx, { phase: 'pass1', buckets: B });
  const differing = p1.source.digests.differing(p1.target.digests);
  const result: VerifierResult = {
    stream: ctx.stream.source.name,
    verifier: 'checksum',
    outcome: 'match',
    source: { stream: ctx.stream.source.name, count: p1.source.read, digest: p1.source.digests.total().hex() },
    target: { stream: ctx.stream.target, count: p1.target.read, digest: p1.target.digests.total().hex() },
    expectedAbsent: p1.source.rejected.count,
    missing: emptyKeyList(),
    extra: emptyKeyList(),
    changed: emptyKeyList(),
    notes: [...targetNotes(ctx), ...rejectionNotes(p1.source.rejected)],
    buckets: { total: B, compared: B, differing: differing.length, examined: 0 },
    keysHeld: 0,
  };
  if (differing.length === 0) return result;

  // The buckets whose keys fit in the budget, by their pass-1 counts.
  const selected = new Uint8Array(B);
  const examined: number[] = [];
  let budget = 0;
  let skippedKeys = 0;
  for (const b of differing) {
    const n = p1.source.digests.counts[b]! + p1.target.digests.counts[b]!;
    if (budget + n > ctx.limits.maxKeys) {
      skippedKeys += n;
      continue;
    }
    budget += n;
    selected[b] = 1;
    examined.push(b);
  }

  const keys = new KeyDiff(ctx.limits.maxKeys);
  if (examined.length > 0) {
    const p2 = await tally(ctx, { phase: 'pass2', buckets: B, selected, keys });
    const moved = examined.filter((b) => !p2.source.digests.sameBucket(b, p1.source.digests) || !p2.target.digests.sameBucket(b, p1.target.digests));
    if (moved.length > 0) {
      result.notes.push(`${moved.length} examined bucket(s) changed between the two reads (the data is live?); their keys are named as re-read`);
    }
  }
  const named = nameDifferences(ctx, keys, { buckets: differing.length - examined.length, keys: skippedKeys });
  const fields = await changedFieldsOf(ctx, named.changed.keys);
  return {
    ...result,
    outcome: named.outcome,
    expectedAbsent: result.expectedAbsent + named.deadLetters,
    missing: named.missing,
    extra: named.extra,
    changed: named.changed,
    ...(fields.changedFields ? { changedFields: fields.changedFields } : {}),
    notes: [...result.notes, ...named.notes, ...fields.notes],
    buckets: { total: B, compared: B, differing: differing.length, examined: examined.length },
    keysHeld: keys.held,
  };
}
