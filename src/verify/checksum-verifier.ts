/**
 * Checksum: are the target's records exactly the source's records after the pipeline, and if not, which keys differ?
 *
 * Pass 1 reads both sides in parallel (each over its own segments) and keeps, per side, one count and one 128-bit
 * digest sum per bucket (a bucket is chosen by a hash of the key, so both sides agree on it whatever their order or
 * segmentation). Equal buckets everywhere → match. Memory: `buckets` × 20 bytes per side.
 *
 * Pass 2 runs only when some buckets differ: the records of the differing buckets are fetched again, as cheaply as
 * each store allows (locate.ts: the source selecting them itself, the target read by key, else a full read that
 * hashes only those buckets), kept as (key, 48-bit digest) entries and compared key by key. The buckets examined
 * are chosen so that their pass-1 counts fit in `maxKeys` entries; the rest are reported as unexamined.
 *
 * The changed keys' fields are compared from the values pass 2 kept when it kept them (a few thousand records);
 * else pass 3 reads the buckets of the listed changed keys again (changed-fields.ts).
 */
import { changedFieldsOf, compareHeld } from './changed-fields.js';
import { KeyDiff } from './key-diff.js';
import { locate } from './locate.js';
import { nameDifferences } from './name-differences.js';
import { emptyKeyList, type StreamVerifyResult } from './report.js';
import { chooseBuckets } from './bucket-choice.js';
import { BucketKeys } from './bucket-keys.js';
import { storeDigestSpec } from './store-digests.js';
import { rejectionNotes, tally, tallySelected, type Tally } from './tally.js';
import { targetNotes, type VerifyContext } from './verify-context.js';
import { redact } from '../errors.js';

export type VerifierResult = Omit<StreamVerifyResult, 'durationMs'>;

export async function verifyChecksum(given: VerifyContext): Promise<VerifierResult> {
  const { ctx, first } = await chooseBuckets(given);
  const B = ctx.limits.buckets;
  const { p1, notes: storeNotes, targetKeys } = await pass1(ctx, first);
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
    notes: [...targetNotes(ctx), ...storeNotes, ...rejectionNotes(p1.source.rejected)],
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

  let keys = new KeyDiff(ctx.limits.maxKeys);
  let located: Awaited<ReturnType<typeof locate>> | undefined;
  if (examined.length > 0) {
    located = await locate(ctx, p1, examined, selected, targetKeys);
    keys = located.keys;
    result.notes.push(...located.notes);
    if (located.moved > 0) {
      result.notes.push(`${located.moved} examined bucket(s) changed between the two reads (the data is live?); their keys are named as re-read`);
    }
  }
  const named = nameDifferences(ctx, keys, { buckets: differing.length - examined.length, keys: skippedKeys });
  const fields =
    located?.values && ctx.limits.changedFields && named.changed.keys.length > 0
      ? compareHeld(ctx, named.changed.keys, located.values)
      : await changedFieldsOf(ctx, named.changed.keys);
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
    ...(located ? { located: located.reads } : {}),
  };
}

/**
 * Pass 1: both sides' per-bucket counts and sums. Where the source can digest its records itself
 * (store-digests.ts), it does, and only the target is read; its sums are then proved where they differ from the
 * target's: ferry reads those buckets of the source itself (the store selecting them), and if any disagrees with the
 * store's sum, the source side of pass 1 is read and hashed by ferry after all.
 */
async function pass1(ctx: VerifyContext, first: Tally['firstSource']): Promise<{ p1: Tally; notes: string[]; targetKeys?: BucketKeys }> {
  const B = ctx.limits.buckets;
  // A target read by key in pass 2 cannot be asked for keys only it holds: keep its keys' XOR per bucket to name them.
  // A fresh one for every read of the target: a read cut short must leave nothing in the XORs.
  const keysFor = (): { targetKeys?: BucketKeys } => (ctx.targetSource.lookup && ctx.targetStream ? { targetKeys: new BucketKeys(B) } : {});
  const plain = async (note?: string): Promise<{ p1: Tally; notes: string[]; targetKeys?: BucketKeys }> => {
    const withKeys = keysFor();
    return {
      p1: await tally(ctx, { phase: 'pass1', buckets: B, ...withKeys }),
      notes: note ? [`the source store did not digest its records itself: ${note}`] : [],
      ...withKeys,
    };
  };
  if (!ctx.source.digestBuckets || !ctx.targetStream) return plain();
  const plan = storeDigestSpec(ctx, first);
  if ('reason' in plan) return plain(plan.reason);
  const { spec } = plan;
  let p1: Tally;
  const withKeys = keysFor();
  try {
    p1 = await tally(ctx, { phase: 'pass1', buckets: B, ...withKeys, sourceSums: (signal) => ctx.source.digestBuckets!(ctx.stream.source, spec, signal) });
  } catch (e) {
    // An optimisation failing (UNSUPPORTED, a statement timeout, the server cancelling a long aggregate) is no reason
    // to fail the verification: ferry reads the source itself, as it would have without it.
    if (ctx.signal.aborted) throw e;
    return plain(redact(e instanceof Error ? e.message : String(e)));
  }
  p1 = { ...p1, firstSource: first };
  const notes = [`the source store digested its ${p1.source.read} record(s) itself: none was read by ferry in pass 1`];
  const differing = p1.source.digests.differing(p1.target.digests);
  if (differing.length === 0) return { p1, notes, ...withKeys };

  // Prove the store's sums where they differ from the target's, unless so many differ that a full read is as cheap.
  let disagree: number | undefined;
  if (differing.length <= B / 16) {
    const selected = new Uint8Array(B);
    for (const b of differing) selected[b] = 1;
    const { t: mine } = await tallySelected(ctx, {
      phase: 'pass1',
      buckets: B,
      selected,
      sides: 'source',
      sourceKeyBuckets: { parts: spec.keyParts, buckets: B, selected: differing },
    });
    disagree = differing.filter((b) => !mine.source.digests.sameBucket(b, p1.source.digests)).length;
    if (disagree === 0) {
      notes.push(`ferry read the ${differing.length} differing bucket(s) of the source itself and found the store's sums right`);
      return { p1, notes, ...withKeys };
    }
  }
  const redo = await tally(ctx, { phase: 'pass1', buckets: B, sides: 'source' });
  notes.push(
    (disagree === undefined
      ? `the store's digests differed from the target's in ${differing.length} of ${B} buckets`
      : `the store's digests disagreed with ferry's own reading in ${disagree} bucket(s)`) +
      ' (a value the store writes otherwise than ferry, a record the pipeline refuses, or data changing): ferry read and hashed the source itself',
  );
  return { p1: { ...p1, source: redo.source, ...(redo.firstSource ? { firstSource: redo.firstSource } : {}) }, notes, ...withKeys };
}
