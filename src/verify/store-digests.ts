/**
 * The checksum's first pass on the store's side, where the source can compute ferry's record digests itself
 * (PostgreSQL: `Source.digestBuckets`): the source's rows are digested and summed per key bucket by the store, so
 * none crosses the wire, and only the target is read.
 *
 * Only when the pipeline changes nothing but field names (no `set`, no conversion by the target: the first record
 * is checked field by field in canonical form), and keys are compared as they are (not `unicode: nfc`). The store's
 * sums are then trusted where they equal the target's; where they differ, the verifier reads those buckets itself
 * and compares (checksum-verifier.ts), so a value the store writes otherwise than ferry, or a record the pipeline
 * would refuse, costs a read of the source by ferry, never a wrong answer.
 *
 * What that rests on: a value the target's conversion changes shows on the first record (its type is converted for
 * every record: a numeric key into an S key, a date into text), or the value cannot be held by the target at all
 * (NaN, 39 digits, an oversize item: refused, so missing). A conversion that depended on the value, turning some
 * values into others the target can hold, would be trusted where it agrees with the store's digest of the raw value:
 * no target ferry writes to has one today; a new target's `toTarget` must be checked for it before it relies on this.
 */
import { canonicalText } from '../transform/canonical.js';
import type { FerryRecord, Value } from '../core/record.js';
import type { DigestField, DigestSpec } from '../core/source.js';
import { sourceBucketParts } from './bucket-choice.js';
import type { Tally } from './tally.js';
import type { VerifyContext } from './verify-context.js';

/** The spec the store digests by, or why the store's digests cannot stand for ferry's here. */
export function storeDigestSpec(ctx: VerifyContext, first: Tally['firstSource']): { spec: DigestSpec } | { reason: string } {
  const src = ctx.source;
  if (!src.digestBuckets || !src.canDigest) return { reason: 'the source cannot digest records itself' };
  const map = ctx.stream.spec.map;
  if (map?.set && Object.keys(map.set).length > 0) return { reason: 'the map computes fields (`set`)' };
  if (!first) return { reason: 'no source record the pipeline takes, to learn the mapping from' };
  const parts = sourceBucketParts(ctx, first);
  if ('reason' in parts) return parts;
  const fields = mappedFields(first.raw, map);
  const check = unchangedByPipeline(first, fields, map?.nulls === 'omit');
  if (check !== true) return { reason: check };
  const spec: DigestSpec = { fields, keyParts: parts.parts, buckets: ctx.limits.buckets, omitNulls: map?.nulls === 'omit' };
  const ok = src.canDigest(ctx.stream.source, spec);
  return ok === true ? { spec } : { reason: ok };
}

/** Target field ← source column, by the map's include → exclude → rename (field-map.ts), over the record's columns. */
function mappedFields(raw: FerryRecord, map: VerifyContext['stream']['spec']['map']): DigestField[] {
  const include = map?.include ? new Set(map.include) : undefined;
  const exclude = new Set(map?.exclude ?? []);
  const out: DigestField[] = [];
  for (const column of Object.keys(raw.value as object)) {
    if (include && !include.has(column)) continue;
    if (exclude.has(column)) continue;
    out.push({ name: map?.rename?.[column] ?? column, column });
  }
  return out;
}

/** True when the pipeline's record is exactly these fields with the source's values (canonically), else why not. */
function unchangedByPipeline(first: NonNullable<Tally['firstSource']>, fields: readonly DigestField[], omitNulls: boolean): true | string {
  const raw = first.raw.value as Record<string, Value>;
  const mapped = first.mapped.value as Record<string, Value> | null;
  if (mapped === null || typeof mapped !== 'object' || Array.isArray(mapped)) return 'the pipeline does not make a document of fields';
  const names = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(mapped)) {
    if (mapped[name] !== undefined && !names.has(name)) return `the target's mapping adds field ${name}`;
  }
  for (const f of fields) {
    const v = mapped[f.name];
    if (v === undefined) {
      if (omitNulls && raw[f.column] === null) continue;
      return `the target's mapping drops field ${f.name}`;
    }
    if (canonicalText(v) !== canonicalText(raw[f.column] ?? null)) return `the target's mapping converts field ${f.name}`;
  }
  return true;
}
