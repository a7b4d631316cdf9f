/**
 * How a verification spreads keys over buckets for one stream, and which source column each target key part is.
 *
 * md5 buckets cost ~1 µs a key more than FNV, but a source that computes them (PostgreSQL, in SQL) can then send only
 * the records of the buckets that differ, and digest its records itself: worth it exactly when the target key is
 * made of source columns as they are. That is learned from the source's first record and the plan's map.
 */
import { bucketFunction, keyIdentity, type KeyBucketHash } from '../core/digest.js';
import type { KeyBucketPart } from '../core/source.js';
import type { Segment } from '../core/stream.js';
import type { Tally } from './tally.js';
import type { VerifyContext } from './verify-context.js';

/** The first record of the source and what the pipeline makes of it (one record read), or undefined if none. */
export async function firstSourceRecord(ctx: VerifyContext): Promise<Tally['firstSource']> {
  const source = ctx.source;
  const stream = ctx.stream.source;
  let segments: Segment[] = [];
  try {
    segments = source.segments ? await source.segments(stream, 1, ctx.signal) : [];
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return undefined;
  }
  const segment = segments[0] ?? { id: `${stream.name}#0/1`, stream: stream.name, index: 0, total: 1, spec: null };
  try {
    for await (const batch of source.read({ segment, batchSize: 1, signal: ctx.signal, purpose: 'verify' })) {
      const raw = batch.items[0];
      if (!raw) continue;
      try {
        return { raw, mapped: ctx.pipeline(raw) };
      } catch {
        return undefined; // a record the pipeline refuses teaches nothing about the mapping
      }
    }
  } catch (e) {
    // Only an optimisation hangs on it: a failed probe means the plain way; the real reads will say what is wrong.
    if (ctx.signal.aborted) throw e;
  }
  return undefined;
}

/**
 * Which source column each target key part is, by the plan's map (key parts follow `rename`; a part no rename names
 * is the column of its own name), checked against the first record: the part's text must be the column's text, and
 * the identity built from the columns must be the mapped key's. Not by matching values, which a coincidence on one
 * record (`id` = `user_id` = 1) would fool.
 */
export function keyPartsOf(ctx: VerifyContext, first: Tally['firstSource']): { parts: KeyBucketPart[] } | { reason: string } {
  if (!first) return { reason: 'no source record the pipeline takes, to learn the key from' };
  const text = (v: unknown): string => (v === null || v === undefined ? 'null' : String(v));
  const rename = ctx.stream.spec.map?.rename ?? {};
  const raw = { ...(first.raw.value as Record<string, unknown>), ...first.raw.key };
  const parts: KeyBucketPart[] = [];
  for (const name of Object.keys(first.mapped.key).sort()) {
    const columns = Object.keys(raw).filter((c) => (rename[c] ?? c) === name);
    if (columns.length !== 1) return { reason: `the target key part ${name} is not one source column` };
    const column = columns[0]!;
    if (text(raw[column]) !== text(first.mapped.key[name])) return { reason: `the target key part ${name} is not the text of source column ${column}` };
    parts.push({ name, column });
  }
  const identity = parts.map((p) => `${p.name}=${text(raw[p.column])}`).join(', ');
  if (parts.length === 0 || identity !== keyIdentity(first.mapped.key)) return { reason: 'the target key is not built from source columns as they are' };
  return { parts };
}

/** How the source could select the target key's buckets itself, or why it cannot. */
export function sourceBucketParts(ctx: VerifyContext, first: Tally['firstSource']): { parts: KeyBucketPart[] } | { reason: string } {
  const src = ctx.source;
  if (!src.capabilities.keyBuckets || !src.keyBuckets) return { reason: 'the source cannot select key buckets itself' };
  if (ctx.canonical.unicode === 'nfc') return { reason: 'keys are compared NFC-normalised (`unicode: nfc`)' };
  if (ctx.bucketHash !== 'md5') return { reason: 'keys are spread by another hash than the source can compute' };
  const derived = keyPartsOf(ctx, first);
  if ('reason' in derived) return derived;
  const ok = src.keyBuckets(ctx.stream.source, derived.parts);
  return ok === true ? derived : { reason: ok };
}

/**
 * The bucket function for one verifier: md5 when the source can select buckets by it for this stream (learned from
 * its first record), else the faster FNV; a caller's explicit choice stands. Returns the context to verify with and
 * the first record (undefined when the source offers nothing it would be used for).
 */
export async function chooseBuckets(ctx: VerifyContext): Promise<{ ctx: VerifyContext; first: Tally['firstSource'] }> {
  const src = ctx.source;
  const wantsFirst = (src.capabilities.keyBuckets && src.keyBuckets) || src.digestBuckets;
  const first = wantsFirst ? await firstSourceRecord(ctx) : undefined;
  if (!ctx.bucketAuto) return { ctx, first };
  const md5 = sourceBucketParts({ ...ctx, bucketHash: 'md5' }, first);
  const hash: KeyBucketHash = 'parts' in md5 ? 'md5' : 'fnv';
  return { ctx: { ...ctx, bucketHash: hash, bucket: bucketFunction(hash) }, first };
}

