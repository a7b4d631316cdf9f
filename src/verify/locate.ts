/**
 * Pass 2 of a checksum: name the keys of the buckets pass 1 found differing, reading as little as the stores allow.
 *
 * Hash buckets, not key ranges, are the unit: DynamoDB and Firestore cannot read a key range of another store's key
 * order (DynamoDB scans in hash order), but every store can say which bucket a key is in. Each side is then read the
 * cheapest way it offers:
 *
 * - **Source, store-selected buckets.** A source that computes the bucket itself (PostgreSQL: md5 in SQL) sends only
 *   the differing buckets' records. The selection is proved complete: its per-bucket counts and digest sums must
 *   equal pass 1's, else the source is read in full (a store rendering a key differently costs a read, never a
 *   wrong answer).
 * - **Target, point reads.** A target that can fetch records by key (DynamoDB BatchGetItem, Firestore getAll) is
 *   asked for exactly the source's keys of those buckets: missing and changed keys are named from them. Extra keys
 *   (on the target only) cannot be fetched by a key nobody knows, but they show: a bucket whose fetched records do
 *   not add up to pass 1's target count and sum holds keys the source lacks, and only then is the target read again,
 *   hashing only those buckets.
 * - Otherwise **a full read** of the side, hashing only the differing buckets (both sides at once when neither
 *   side offers anything better).
 *
 * So with a PostgreSQL source and a DynamoDB or Firestore target, the records read to name d differences are about
 * d × (records per bucket) on each side, not the table. While few, the records' values are kept, so the changed
 * fields are named without another read.
 */
import { BucketDigests, keyIdentity } from '../core/digest.js';
import type { RecordKey, Value } from '../core/record.js';
import type { KeyBucketFilter, KeyBucketPart } from '../core/source.js';
import { KeyDiff } from './key-diff.js';
import { shortDigest } from './record-digest.js';
import type { SideRead } from './report.js';
import { foldInto, tally, type Tally } from './tally.js';
import type { VerifyContext } from './verify-context.js';

/** Keys fetched per `lookup` call (the source splits them into its store's batches). */
export const LOOKUP_CHUNK = 1_000;
/** Values kept per side to name changed fields without another read. */
export const HELD_VALUES = 5_000;

export interface Located {
  keys: KeyDiff;
  /** Examined buckets whose records changed between pass 1 and this read. */
  moved: number;
  notes: string[];
  reads: { source: SideRead; target: SideRead };
  /** Both sides' values of the examined keys, when there were at most HELD_VALUES a side. */
  values?: { source: Map<string, Value>; target: Map<string, Value> };
}

interface Entry {
  id: string;
  digest: number;
  key: RecordKey;
  value: Value;
}

/** The source side's entries of the examined buckets, with their values while there are at most HELD_VALUES. */
class Collected {
  readonly entries: Entry[] = [];
  valuesDropped = false;
  /** More entries than `maxEntries` arrived (the data grew since pass 1); the rest were not kept. */
  full = false;

  constructor(private readonly maxEntries: number) {}

  add(id: string, digest: Buffer, key: RecordKey, value: Value): void {
    if (this.entries.length >= this.maxEntries) {
      this.full = true;
      return;
    }
    if (this.entries.length >= HELD_VALUES && !this.valuesDropped) {
      for (const e of this.entries) e.value = null;
      this.valuesDropped = true;
    }
    this.entries.push({ id, digest: shortDigest(digest), key, value: this.valuesDropped ? null : value });
  }
}

/**
 * How the source could select the target key's buckets itself: each target key part matched to the source key
 * column holding the same text, learned from one record and its mapped form. Undefined with the reason otherwise.
 */
export function sourceBucketParts(ctx: VerifyContext, first: Tally['firstSource']): { parts: KeyBucketPart[] } | { reason: string } {
  const src = ctx.source;
  if (!src.capabilities.keyBuckets || !src.keyBuckets) return { reason: 'the source cannot select key buckets itself' };
  if (ctx.bucketHash !== 'md5') return { reason: 'buckets are not md5 buckets' };
  if (ctx.canonical.unicode === 'nfc') return { reason: 'keys are compared NFC-normalised (`unicode: nfc`)' };
  if (!first) return { reason: 'no source record to learn the key from' };
  const text = (v: unknown): string => (v === null || v === undefined ? 'null' : String(v));
  const parts: KeyBucketPart[] = [];
  const names = Object.keys(first.mapped.key).sort();
  for (const name of names) {
    const want = text(first.mapped.key[name]);
    const columns = Object.keys(first.raw.key).filter((c) => text(first.raw.key[c]) === want);
    const column = columns.includes(name) ? name : columns.length === 1 ? columns[0] : undefined;
    if (column === undefined) return { reason: `the target key part ${name} is not the text of one source key column` };
    parts.push({ name, column });
  }
  const identity = parts.map((p) => `${p.name}=${text(first.raw.key[p.column])}`).join(', ');
  if (identity !== keyIdentity(first.mapped.key)) return { reason: 'the target key is not built from the source key columns as they are' };
  const ok = src.keyBuckets(ctx.stream.source, parts);
  return ok === true ? { parts } : { reason: ok };
}

/** Pass 2: the examined buckets' (key, digest) entries of both sides, read as cheaply as the stores allow. */
export async function locate(ctx: VerifyContext, p1: Tally, examined: readonly number[], selected: Uint8Array): Promise<Located> {
  const B = ctx.limits.buckets;
  const notes: string[] = [];
  const keys = new KeyDiff(ctx.limits.maxKeys);
  const canLookup = ctx.targetSource.lookup !== undefined && ctx.targetStream !== undefined;
  const how = sourceBucketParts(ctx, p1.firstSource);
  const filter: KeyBucketFilter | undefined = 'parts' in how ? { parts: how.parts, buckets: B, selected: examined } : undefined;

  if (!canLookup && !filter) {
    // Nothing better on either side: both read in full at once, hashing only the examined buckets.
    const held = { source: new Map<string, Value>(), target: new Map<string, Value>() };
    let keep = true;
    const p2 = await tally(ctx, {
      phase: 'pass2',
      buckets: B,
      selected,
      keys,
      onRecord: (side, id, value) => {
        if (!keep) return;
        held[side].set(id, value);
        if (held[side].size > HELD_VALUES) {
          keep = false;
          held.source.clear();
          held.target.clear();
        }
      },
    });
    const moved = movedBuckets(examined, p2, p1);
    notes.push(`to name keys, both sides were read again in full (${fullReadWhy(ctx, how)}), hashing only the ${examined.length} differing bucket(s)`);
    return {
      keys,
      moved,
      notes,
      reads: { source: { method: 'full read', records: p2.source.read }, target: { method: 'full read', records: p2.target.read } },
      ...(keep ? { values: held } : {}),
    };
  }

  // The source side first: its keys are what the target is asked for.
  const source = await readSource(ctx, p1, examined, selected, filter, notes, how);
  let moved = examined.filter((b) => !source.digests.sameBucket(b, p1.source.digests)).length;
  for (const e of source.collected.entries) keys.add('source', e.id, e.digest);
  if (source.collected.full) keys.overflow = true;
  const keepValues = !source.collected.valuesDropped;

  const targetValues = new Map<string, Value>();
  let targetRead: SideRead;
  if (!ctx.targetStream) {
    targetRead = { method: 'none', records: 0 };
  } else if (canLookup) {
    const wanted = uniqueKeys(source.collected.entries);
    const { found, foundIds, fetched } = await fetchByKey(ctx, 'pass2', wanted, selected, keys, keepValues ? targetValues : undefined);
    // A bucket whose fetched records do not add up to pass 1's holds target keys the source lacks (or changed since).
    const unbalanced = examined.filter((b) => !found.sameBucket(b, p1.target.digests));
    targetRead = { method: 'point reads', records: fetched };
    notes.push(`the target was read by key: ${wanted.length} key(s) asked, ${fetched} record(s) found`);
    if (unbalanced.length > 0) {
      const only = new Uint8Array(B);
      for (const b of unbalanced) only[b] = 1;
      const scan = await tally(ctx, {
        phase: 'pass2',
        buckets: B,
        selected: only,
        sides: 'target',
        onRecord: (_side, id, value, _key, d) => {
          if (foundIds.has(id)) return;
          foundIds.add(id);
          keys.add('target', id, shortDigest(d));
          if (keepValues) targetValues.set(id, value);
        },
      });
      for (const b of unbalanced) if (!scan.target.digests.sameBucket(b, p1.target.digests)) moved += 1;
      targetRead = { method: 'point reads + buckets re-read for extra keys', records: fetched + scan.target.read };
      notes.push(
        `${unbalanced.length} differing bucket(s) held target records the source's keys did not fetch (extra keys): the target was read again for them`,
      );
    }
  } else {
    const scan = await tally(ctx, {
      phase: 'pass2',
      buckets: B,
      selected,
      sides: 'target',
      onRecord: (_side, id, value, _key, d) => {
        keys.add('target', id, shortDigest(d));
        if (keepValues) targetValues.set(id, value);
      },
    });
    moved += examined.filter((b) => !scan.target.digests.sameBucket(b, p1.target.digests)).length;
    targetRead = { method: 'full read', records: scan.target.read };
  }
  const values = !keepValues ? undefined : { source: new Map(source.collected.entries.map((e) => [e.id, e.value] as const)), target: targetValues };
  return { keys, moved, notes, reads: { source: source.read, target: targetRead }, ...(values ? { values } : {}) };
}

function fullReadWhy(ctx: VerifyContext, how: { reason: string } | { parts: KeyBucketPart[] }): string {
  const target = ctx.targetSource.lookup ? 'the target stream is missing' : 'the target cannot read records by key';
  return 'reason' in how ? `${how.reason}; ${target}` : target;
}

async function readSource(
  ctx: VerifyContext,
  p1: Tally,
  examined: readonly number[],
  selected: Uint8Array,
  filter: KeyBucketFilter | undefined,
  notes: string[],
  how: { reason: string } | { parts: KeyBucketPart[] },
): Promise<{ collected: Collected; digests: BucketDigests; read: SideRead }> {
  const B = ctx.limits.buckets;
  const attempt = async (keyBuckets?: KeyBucketFilter): Promise<{ collected: Collected; t: Tally }> => {
    const collected = new Collected(ctx.limits.maxKeys);
    const t = await tally(ctx, {
      phase: 'pass2',
      buckets: B,
      selected,
      sides: 'source',
      ...(keyBuckets ? { sourceKeyBuckets: keyBuckets } : {}),
      onRecord: (_side, id, value, key, d) => collected.add(id, d, key, value),
    });
    return { collected, t };
  };
  if (filter) {
    const got = await attempt(filter);
    const incomplete = examined.filter((b) => !got.t.source.digests.sameBucket(b, p1.source.digests));
    if (incomplete.length === 0) {
      notes.push(`the source selected the ${examined.length} differing bucket(s) itself: ${got.t.source.read} source record(s) read to name keys`);
      return { collected: got.collected, digests: got.t.source.digests, read: { method: 'store-selected buckets', records: got.t.source.read } };
    }
    notes.push(
      `the source's own selection of the differing buckets did not add up to the first read in ${incomplete.length} bucket(s) ` +
        '(the data changed, or the store renders a key differently): the source was read in full instead',
    );
  } else if ('reason' in how && ctx.source.capabilities.keyBuckets) {
    notes.push(`the source was read in full to name keys: ${how.reason}`);
  }
  const got = await attempt();
  return { collected: got.collected, digests: got.t.source.digests, read: { method: 'full read', records: got.t.source.read } };
}

function movedBuckets(examined: readonly number[], p2: Tally, p1: Tally): number {
  return examined.filter((b) => !p2.source.digests.sameBucket(b, p1.source.digests) || !p2.target.digests.sameBucket(b, p1.target.digests)).length;
}

/**
 * Fetch records from the target by key, folding each (once per key) into per-bucket sums and the key collector,
 * with its value into `values` when given. Keys are the source side's (mapped) keys.
 */
export async function fetchByKey(
  ctx: VerifyContext,
  phase: 'pass2' | 'sample',
  wanted: readonly RecordKey[],
  selected: Uint8Array,
  keys: KeyDiff,
  values?: Map<string, Value>,
): Promise<{ found: BucketDigests; foundIds: Set<string>; fetched: number }> {
  const found = new BucketDigests(ctx.limits.buckets);
  const foundIds = new Set<string>();
  const fold = foldInto(ctx, ctx.limits.buckets, selected, (_side, id, d, value) => {
    if (foundIds.has(id)) return; // a key asked twice is one record
    foundIds.add(id);
    keys.add('target', id, shortDigest(d));
    values?.set(id, value);
  });
  let fetched = 0;
  for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
    const records = await ctx.targetSource.lookup!(ctx.targetStream!, wanted.slice(i, i + LOOKUP_CHUNK), ctx.signal);
    for (const r of records) fold('target', found, r);
    fetched += records.length;
    ctx.progress(phase, 'target', fetched);
  }
  return { found, foundIds, fetched };
}

/** The distinct keys of the entries, in order. */
export function uniqueKeys(entries: readonly { id: string; key: RecordKey }[]): RecordKey[] {
  const seen = new Set<string>();
  const out: RecordKey[] = [];
  for (const e of entries) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e.key);
  }
  return out;
}
