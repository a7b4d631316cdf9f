/**
 * The fields that differ in changed records. Pass 2 (or the sample) usually kept the few records' values and names
 * them at once (`compareHeld`). When it held too many to keep, the listed changed keys' records are read once more:
 * the source in full, only records in those keys' buckets hashed, and the target by key when it can read by key (else
 * in full too); one record per side per key is kept and compared field by field (field-diff.ts). Memory is at most
 * 2 × `reportKeys` records, whatever the table's size.
 */
import { BucketDigests } from '../core/digest.js';
import type { RecordKey, Value } from '../core/record.js';
import { isFerryError, redact } from '../errors.js';
import { diffFields } from './field-diff.js';
import type { ChangedRecord } from './report.js';
import { foldInto, tally } from './tally.js';
import type { VerifyContext } from './verify-context.js';

export interface NamedFields {
  changedFields: ChangedRecord[];
  notes: string[];
}

/** Read the listed changed keys' records again on both sides and name their differing fields. */
export async function nameChangedFields(ctx: VerifyContext, keys: readonly string[]): Promise<NamedFields> {
  if (keys.length === 0 || !ctx.limits.changedFields) return { changedFields: [], notes: [] };
  const B = ctx.limits.buckets;
  const wanted = new Set(keys);
  const selected = new Uint8Array(B);
  for (const k of keys) selected[ctx.bucket(k, B)] = 1;
  const held = { source: new Map<string, Value>(), target: new Map<string, Value>() };
  const twice = { source: 0, target: 0 };
  const byKey = ctx.targetSource.lookup !== undefined && ctx.targetStream !== undefined;
  const sourceKeys: RecordKey[] = [];
  await tally(ctx, {
    phase: 'fields',
    buckets: B,
    selected,
    ...(byKey ? { sides: 'source' as const } : {}),
    onRecord: (side, id, value, key) => {
      if (!wanted.has(id)) return;
      if (held[side].has(id)) twice[side] += 1;
      else {
        held[side].set(id, value);
        if (side === 'source') sourceKeys.push(key);
      }
    },
  });
  if (byKey && sourceKeys.length > 0) {
    const fold = foldInto(ctx, B, selected, (_side, id, _d, value) => {
      if (wanted.has(id) && !held.target.has(id)) held.target.set(id, value);
    });
    const sink = new BucketDigests(B);
    for (const r of await ctx.targetSource.lookup!(ctx.targetStream!, sourceKeys, ctx.signal)) fold('target', sink, r);
  }

  const named = compareHeld(ctx, keys, held);
  if (twice.source + twice.target > 0) named.notes.unshift('a changed key occurs more than once on one side; its fields are compared for its first record');
  return named;
}

/** Name the differing fields of `keys` from both sides' values already held (by a read that kept them). */
export function compareHeld(ctx: VerifyContext, keys: readonly string[], held: { source: ReadonlyMap<string, Value>; target: ReadonlyMap<string, Value> }): NamedFields {
  const notes: string[] = [];
  const changedFields: ChangedRecord[] = [];
  let vanished = 0;
  let equal = 0;
  for (const key of keys) {
    const s = held.source.get(key);
    const t = held.target.get(key);
    if (s === undefined || t === undefined) {
      vanished += 1;
      changedFields.push({ key, fields: [], note: `not on the ${s === undefined ? 'source' : 'target'} side when re-read (the data changed?)` });
      continue;
    }
    const d = diffFields(s, t, { canonical: ctx.canonical });
    if (d.fields.length === 0) {
      equal += 1;
      changedFields.push({ key, fields: [], note: 'equal when re-read (the data changed?)' });
      continue;
    }
    changedFields.push({ key, fields: d.fields, ...(d.more > 0 ? { moreFields: d.more } : {}) });
  }
  if (vanished + equal > 0) notes.push(`${vanished + equal} changed key(s) were no longer changed when re-read to name their fields (the data is live?)`);
  return { changedFields, notes };
}

/**
 * `nameChangedFields` for a verifier's result: nothing when no changed key is listed; a failed re-read (a store gone
 * away) becomes a note, since the keys are named already; an abort rejects as always.
 */
export async function changedFieldsOf(ctx: VerifyContext, keys: readonly string[]): Promise<{ changedFields?: ChangedRecord[]; notes: string[] }> {
  if (keys.length === 0 || !ctx.limits.changedFields) return { notes: [] };
  try {
    const named = await nameChangedFields(ctx, keys);
    return { changedFields: named.changedFields, notes: named.notes };
  } catch (e) {
    if (ctx.signal.aborted || (isFerryError(e) && e.code === 'INTERRUPTED')) throw e;
    return { notes: [`could not re-read the changed records to name their fields: ${redact(e instanceof Error ? e.message : String(e))}`] };
  }
}
