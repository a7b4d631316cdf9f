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
import { BucketDigests } from '../core/digest.js';
import type { RecordKey, Value } from '../core/record.js';
import type { KeyBucketFilter, KeyBucketPart } from '../core/source.js';
import type { BucketKeys } from './bucket-keys.js';
import { KeyDiff } from './key-diff.js';
import { shortDigest } from './record-digest.js';
import type { SideRead } from './report.js';
import { foldInto, tally, tallySelected, type Tally } from './tally.js';
import { sourceBucketParts } from './bucket-choice.js';
import type { VerifyContext } from './verify-context.js';

/** Keys fetched per `lookup` call (the source splits them into its store's batches). */
export const LOOKUP_CHUNK = 1_000;
/** Values kept per side to name changed fields without another read. */
export const HELD_VALUES = 5_000;

/**
 * Both sides' values of the records read to name keys, while there are at most HELD_VALUES a side; past that, none
 * (the changed fields then come from one more read of only the changed keys' buckets). A key's first value stands,
 * as in that read.
 */
export class HeldValues {
  readonly source = new Map<string, Value>();
  readonly target = new Map<string, Value>();
  dropped = false;

  set(side: 'source' | 'target', id: string, value: Value): void {
    if (this.dropped) return;
    const map = this[side];
    if (map.has(id)) return;
    map.set(id, value);
    if (map.size > HELD_VALUES) {
      this.dropped = true;
      this.source.clear();
      this.target.clear();
    }
  }

  /** The values, or undefined once dropped. */
  get values(): { source: Map<string, Value>; target: Map<string, Value> } | undefined {
    return this.dropped ? undefined : { source: this.source, target: this.target };
  }
}

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
}

/** The source side's entries of the examined buckets (their keys are what the target is asked for). */
class Collected {
  readonly entries: Entry[] = [];
  /** More entries than `maxEntries` arrived (the data grew since pass 1); the rest were not kept. */
  full = false;

  constructor(private readonly maxEntries: number) {}

  add(id: string, digest: Buffer, key: RecordKey): void {
    if (this.entries.length >= this.maxEntries) {
      this.full = true;
      return;
    }
    this.entries.push({ id, digest: shortDigest(digest), key });
  }
}

/** Pass 2: the examined buckets' (key, digest) entries of both sides, read as cheaply as the stores allow. */
export async function locate(ctx: VerifyContext, p1: Tally, examined: readonly number[], selected: Uint8Array, targetKeys?: BucketKeys): Promise<Located> {
  const B = ctx.limits.buckets;
  const notes: string[] = [];
  const keys = new KeyDiff(ctx.limits.maxKeys);
  const held = new HeldValues();
  const canLookup = ctx.targetSource.lookup !== undefined && ctx.targetStream !== undefined;
  const how = sourceBucketParts(ctx, p1.firstSource);
  const filter: KeyBucketFilter | undefined = 'parts' in how ? { parts: how.parts, buckets: B, selected: examined } : undefined;

  if (!canLookup && !filter) {
    // Nothing better on either side: both read in full at once, hashing only the examined buckets.
    const p2 = await tally(ctx, { phase: 'pass2', buckets: B, selected, keys, onRecord: (side, id, value) => held.set(side, id, value) });
    const moved = movedBuckets(examined, p2, p1);
    notes.push(`to name keys, both sides were read again in full (${fullReadWhy(ctx, how)}), hashing only the ${examined.length} differing bucket(s)`);
    return {
      keys,
      moved,
      notes,
      reads: { source: { method: 'full read', records: p2.source.read }, target: { method: 'full read', records: p2.target.read } },
      ...(held.values ? { values: held.values } : {}),
    };
  }

  // The source side first: its keys are what the target is asked for.
  const source = await readSource(ctx, p1, examined, selected, filter, notes, how, held);
  let moved = examined.filter((b) => !source.digests.sameBucket(b, p1.source.digests)).length;
  for (const e of source.collected.entries) keys.add('source', e.id, e.digest);
  if (source.collected.full) keys.overflow = true;

  let targetRead: SideRead;
  if (!ctx.targetStream) {
    targetRead = { method: 'none', records: 0 };
  } else if (canLookup) {
    const wanted = uniqueKeys(source.collected.entries);
    const { found, foundIds, fetched } = await fetchByKey(ctx, 'pass2', wanted, selected, keys, held);
    // A bucket whose fetched records do not add up to pass 1's holds target keys the source lacks (or changed since).
    let unbalanced = examined.filter((b) => !found.sameBucket(b, p1.target.digests));
    targetRead = { method: 'point reads', records: fetched };
    notes.push(`the target was read by key: ${wanted.length} key(s) asked, ${fetched} record(s) found`);
    if (targetKeys && unbalanced.length > 0) {
      const named = nameExtras(ctx, p1, found, foundIds, unbalanced, targetKeys, keys);
      if (named.length > 0) notes.push(`${named.length} extra key(s) named from the first read's per-bucket key sums, without reading the target again`);
      unbalanced = unbalanced.filter((b) => !named.includes(b));
    }
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
          held.set('target', id, value);
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
        held.set('target', id, value);
      },
    });
    moved += examined.filter((b) => !scan.target.digests.sameBucket(b, p1.target.digests)).length;
    targetRead = { method: 'full read', records: scan.target.read };
  }
  return { keys, moved, notes, reads: { source: source.read, target: targetRead }, ...(held.values ? { values: held.values } : {}) };
}

/**
 * Extra keys from pass 1's per-bucket key XORs (bucket-keys.ts): where a bucket's target records not fetched by key
 * are exactly one (pass 1's count minus the fetched ones), XOR-ing the fetched keys out of the slot leaves that one
 * key, and the sums' difference is its digest. Returns the buckets so resolved; the others need a read.
 */
function nameExtras(
  ctx: VerifyContext,
  p1: Tally,
  found: BucketDigests,
  foundIds: Set<string>,
  unbalanced: readonly number[],
  targetKeys: BucketKeys,
  keys: KeyDiff,
): number[] {
  const B = ctx.limits.buckets;
  const idsIn = new Map<number, string[]>();
  for (const id of foundIds) {
    const b = ctx.bucket(id, B);
    const list = idsIn.get(b);
    if (list) list.push(id);
    else idsIn.set(b, [id]);
  }
  const resolved: number[] = [];
  for (const b of unbalanced) {
    const rest = p1.target.digests.remainder(b, found);
    if (rest.count !== 1) continue;
    const id = targetKeys.recover(b, idsIn.get(b) ?? []);
    // What is left must be a key of this bucket that was not fetched; anything else (the data changed) is read.
    if (id === undefined || foundIds.has(id) || ctx.bucket(id, B) !== b) continue;
    foundIds.add(id);
    keys.add('target', id, shortDigest(rest.sum));
    resolved.push(b);
  }
  return resolved;
}

function fullReadWhy(ctx: VerifyContext, how: { reason: string } | { parts: KeyBucketPart[] }): string {
  const target = ctx.targetSource.lookup ? 'the target stream is missing' : 'the target cannot read records by key';
  return 'reason' in how ? `${how.reason}; ${target}` : target;
}

/**
 * The source side of pass 2: the store's own selection of the examined buckets where it can, proved against pass 1
 * (every examined bucket's count and sum must come out equal), else a full read hashing only those buckets.
 */
async function readSource(
  ctx: VerifyContext,
  p1: Tally,
  examined: readonly number[],
  selected: Uint8Array,
  filter: KeyBucketFilter | undefined,
  notes: string[],
  how: { reason: string } | { parts: KeyBucketPart[] },
  held: HeldValues,
): Promise<{ collected: Collected; digests: BucketDigests; read: SideRead }> {
  const B = ctx.limits.buckets;
  interface Attempt {
    collected: Collected;
    t: Tally;
    refused?: string;
    /** Hold the attempt's values: only once it stands, so a discarded attempt's values are not kept. */
    keep: () => void;
  }
  const attempt = async (keyBuckets?: KeyBucketFilter): Promise<Attempt> => {
    const collected = new Collected(ctx.limits.maxKeys);
    const values: [string, Value][] = [];
    const r = await tallySelected(ctx, {
      phase: 'pass2',
      buckets: B,
      selected,
      sides: 'source',
      ...(keyBuckets ? { sourceKeyBuckets: keyBuckets } : {}),
      onRecord: (_side, id, value, key, d) => {
        collected.add(id, d, key);
        if (values.length <= HELD_VALUES) values.push([id, value]);
      },
    });
    return { collected, t: r.t, ...(r.refused ? { refused: r.refused } : {}), keep: () => values.forEach(([id, v]) => held.set('source', id, v)) };
  };
  const stand = (got: Attempt, method: SideRead['method']): { collected: Collected; digests: BucketDigests; read: SideRead } => {
    got.keep();
    return { collected: got.collected, digests: got.t.source.digests, read: { method, records: got.t.source.read } };
  };
  if (filter) {
    const got = await attempt(filter);
    if (got.refused) {
      notes.push(`the source refused to select the differing buckets (${got.refused}): it was read in full to name keys`);
      return stand(got, 'full read');
    }
    const incomplete = examined.filter((b) => !got.t.source.digests.sameBucket(b, p1.source.digests));
    if (incomplete.length === 0) {
      notes.push(`the source selected the ${examined.length} differing bucket(s) itself: ${got.t.source.read} source record(s) read to name keys`);
      return stand(got, 'store-selected buckets');
    }
    notes.push(
      `the source's own selection of the differing buckets did not add up to the first read in ${incomplete.length} bucket(s) ` +
        '(the data changed, or the store renders a key differently): the source was read in full instead',
    );
  } else if ('reason' in how && ctx.source.capabilities.keyBuckets) {
    notes.push(`the source was read in full to name keys: ${how.reason}`);
  }
  return stand(await attempt(), 'full read');
}

function movedBuckets(examined: readonly number[], p2: Tally, p1: Tally): number {
  return examined.filter((b) => !p2.source.digests.sameBucket(b, p1.source.digests) || !p2.target.digests.sameBucket(b, p1.target.digests)).length;
}

/**
 * Fetch records from the target by key, folding each key's record once into per-bucket sums and the key
 * collector, and its value into `held`. Keys are the source side's (mapped) keys.
 */
export async function fetchByKey(
  ctx: VerifyContext,
  phase: 'pass2' | 'sample',
  wanted: readonly RecordKey[],
  selected: Uint8Array,
  keys: KeyDiff,
  held: HeldValues,
): Promise<{ found: BucketDigests; foundIds: Set<string>; fetched: number }> {
  const found = new BucketDigests(ctx.limits.buckets);
  const foundIds = new Set<string>();
  const fold = foldInto(
    ctx,
    ctx.limits.buckets,
    selected,
    (_side, id, d, value) => {
      keys.add('target', id, shortDigest(d));
      held.set('target', id, value);
    },
    (id) => {
      // A key asked twice (two spellings of one item) is one record: counted once, before it is summed.
      if (foundIds.has(id)) return false;
      foundIds.add(id);
      return true;
    },
  );
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
