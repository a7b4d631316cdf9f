/**
 * From collected (key, digest) entries to an outcome and the named keys, shared by checksum and sample.
 *
 * - Keys found missing, extra or changed → `differ`.
 * - None found, but some differing buckets could not be examined (over the key budget) → still `differ`: the
 *   bucket sums prove a difference, only its keys go unnamed.
 * - None found and every difference is a missing key the job dead-lettered → `match`, with a note.
 * - None found otherwise → `inconclusive`: the buckets differed when first read and not when re-read, so the data
 *   changed during verification.
 * - The collector overflowed (more entries than `maxKeys`) → `inconclusive`: keys named from half a picture would
 *   be wrong.
 */
import type { KeyDiff } from './key-diff.js';
import { emptyKeyList, type KeyList, type VerifyOutcome } from './report.js';
import type { VerifyContext } from './verify-context.js';

export interface NamedDifferences {
  outcome: VerifyOutcome;
  missing: KeyList;
  extra: KeyList;
  changed: KeyList;
  /** Missing keys that are the job's dead letters. */
  deadLetters: number;
  notes: string[];
}

export function nameDifferences(ctx: VerifyContext, keys: KeyDiff, unexamined: { buckets: number; keys: number }): NamedDifferences {
  const notes: string[] = [];
  if (keys.overflow) {
    notes.push(
      `the differing buckets hold more than ${ctx.limits.maxKeys} keys (more than their first read counted: the data changed?); ` +
        'keys not named, inconclusive beyond the bucket comparison',
    );
    return { outcome: 'inconclusive', missing: emptyKeyList(), extra: emptyKeyList(), changed: emptyKeyList(), deadLetters: 0, notes };
  }
  const d = keys.diff(ctx.limits.reportKeys, ctx.deadLetters?.keys);
  if (d.duplicates.source > 0) notes.push(`${d.duplicates.source} target key(s) occur more than once on the source side (after mapping); the target can hold one each`);
  if (d.duplicates.target > 0) notes.push(`${d.duplicates.target} key(s) were read more than once from the target`);
  if (d.deadLetters > 0) notes.push(`${d.deadLetters} missing key(s) are the job's dead letters: expected absent`);
  const dl = ctx.deadLetters;
  if (dl && dl.count > 0 && !dl.keys && d.missing.total > 0) {
    notes.push(`the job has ${dl.count} dead letter(s) here, but without their keys a missing key cannot be told from a lost record`);
  }
  if (unexamined.buckets > 0) {
    notes.push(
      `${unexamined.buckets} differing bucket(s) holding about ${unexamined.keys} keys were not examined, to hold at most ${ctx.limits.maxKeys} keys: ` +
        'the key lists cover the examined buckets only; inconclusive beyond them',
    );
  }
  const found = d.missing.total + d.extra.total + d.changed.total;
  let outcome: VerifyOutcome;
  if (found > 0 || unexamined.buckets > 0) outcome = 'differ';
  else if (d.deadLetters > 0) outcome = 'match';
  else {
    outcome = 'inconclusive';
    notes.push('buckets that differed on the first read were equal when re-read: the data changed during verification');
  }
  return { outcome, missing: d.missing, extra: d.extra, changed: d.changed, deadLetters: d.deadLetters, notes };
}
