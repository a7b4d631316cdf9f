/**
 * Order-independent digests of sets of records, for checksums that compare two stores without sorting either.
 *
 * Each record contributes one 128-bit digest (the first 16 bytes of sha256 over its key identity and canonical value,
 * see src/verify/record-digest.ts). A set of records is summarised by its **count and the sum of its digests modulo
 * 2^128**. Addition is commutative, so store order, segmentation and parallelism do not matter; sums of parts add up
 * to the sum of the whole, so per-segment or per-bucket sums combine.
 *
 * Why a sum and not XOR: XOR cancels pairs. A record present twice on one side (a duplicated row, a scan that
 * returned an item twice) would XOR to nothing and the sets would look equal; two identical records missing from one
 * side would vanish the same way. With a sum, k copies add k × d and the count moves too.
 *
 * Records are also spread over buckets by a hash of their key identity alone (never of their value), so both sides
 * put a given key in the same bucket and a difference can be narrowed to a few buckets before any key is held.
 */
import { hash } from 'node:crypto';
import { keyText, type RecordKey } from './record.js';

/** Bytes of a record digest that take part in the sum. */
export const DIGEST_BYTES = 16;

/**
 * The text a key is matched and bucketed by: `keyText` with its parts sorted by name, so two stores that list a
 * composite key's parts in different orders still agree. Single-part keys (and keys already in order) are exactly
 * their `keyText`.
 */
export function keyIdentity(key: RecordKey): string {
  const names = Object.keys(key);
  if (names.length === 1) {
    // keyText's own form, without its array round trip: this runs for every record on both sides.
    const v = key[names[0]!];
    return `${names[0]}=${v === null ? 'null' : String(v)}`;
  }
  let sorted = true;
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return keyText(key);
  const ordered: Record<string, RecordKey[string]> = {};
  for (const name of names.sort()) ordered[name] = key[name]!;
  return keyText(ordered);
}

/**
 * 32-bit hash of a key identity: FNV-1a over UTF-16 code units, then murmur3's finaliser so that low bits (used
 * for power-of-two bucket counts) are as well mixed as high ones. Not cryptographic, and needs not be: it only
 * spreads keys; the digest decides equality.
 */
export function keyHash32(identity: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < identity.length; i++) {
    h ^= identity.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bucket (0 ≤ b < buckets) of a key identity; the same on both sides of a comparison. */
export function bucketOf(identity: string, buckets: number): number {
  return keyHash32(identity) % buckets;
}

/**
 * The bucket of a key identity by md5: the first 4 bytes of md5(UTF-8 identity), big-endian, modulo `buckets`.
 * Ten times slower than `bucketOf`, but a store can compute it itself — PostgreSQL:
 * `('x' || substr(md5(identity), 1, 8))::bit(32)::bigint % buckets` — so a verifier that uses it can ask such a
 * store for the records of a few buckets instead of reading it all.
 */
export function md5Bucket(identity: string, buckets: number): number {
  return Number.parseInt(hash('md5', identity, 'hex').slice(0, 8), 16) % buckets;
}

/** How a verification spreads keys over buckets: `fnv` (fast, the default) or `md5` (a store can compute it). */
export type KeyBucketHash = 'fnv' | 'md5';

export function bucketFunction(kind: KeyBucketHash): (identity: string, buckets: number) => number {
  return kind === 'md5' ? md5Bucket : bucketOf;
}

/** The bucket of a record key (its identity's bucket). */
export function bucketOfKey(key: RecordKey, buckets: number): number {
  return bucketOf(keyIdentity(key), buckets);
}

/** Add a 128-bit big-endian digest into 4 big-endian uint32 words at `at`, modulo 2^128. */
function addInto(words: Uint32Array, at: number, d: Uint8Array): void {
  let carry = 0;
  for (let j = 3; j >= 0; j--) {
    const o = j * 4;
    const word = ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
    const s = words[at + j]! + word + carry;
    words[at + j] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

/** Add 4 words (a sum) into 4 words, modulo 2^128. */
function addWordsInto(words: Uint32Array, at: number, src: Uint32Array, srcAt: number): void {
  let carry = 0;
  for (let j = 3; j >= 0; j--) {
    const s = words[at + j]! + src[srcAt + j]! + carry;
    words[at + j] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

function wordsHex(words: Uint32Array, at: number): string {
  let out = '';
  for (let j = 0; j < 4; j++) out += words[at + j]!.toString(16).padStart(8, '0');
  return out;
}

/** Count and 128-bit sum of a set of record digests. */
export class SetDigest {
  count = 0;
  readonly sum = new Uint32Array(4);

  add(digest: Uint8Array): void {
    this.count += 1;
    addInto(this.sum, 0, digest);
  }

  /** Add another set's summary (the sum of two disjoint sets). */
  merge(other: SetDigest): void {
    this.count += other.count;
    addWordsInto(this.sum, 0, other.sum, 0);
  }

  equals(other: SetDigest): boolean {
    return this.count === other.count && this.sum.every((w, i) => w === other.sum[i]);
  }

  /** The sum as 32 hex digits (the count is reported beside it). */
  hex(): string {
    return wordsHex(this.sum, 0);
  }
}

/**
 * One side's per-bucket counts and digest sums: `buckets` × 20 bytes, whatever the number of records (1.3 MB for
 * 65,536 buckets). The only state pass 1 of a checksum keeps.
 */
export class BucketDigests {
  readonly counts: Uint32Array;
  readonly sums: Uint32Array;

  constructor(readonly buckets: number) {
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be a positive integer, not ${buckets}`);
    this.counts = new Uint32Array(buckets);
    this.sums = new Uint32Array(buckets * 4);
  }

  add(bucket: number, digest: Uint8Array): void {
    this.counts[bucket] = this.counts[bucket]! + 1;
    addInto(this.sums, bucket * 4, digest);
  }

  /** Add a whole set's count and 128-bit sum (a store's own per-bucket sum) to a bucket. */
  addSum(bucket: number, count: number, sum: bigint): void {
    this.counts[bucket] = this.counts[bucket]! + count;
    const m = BigInt.asUintN(128, sum);
    const words = new Uint32Array([Number((m >> 96n) & 0xffffffffn), Number((m >> 64n) & 0xffffffffn), Number((m >> 32n) & 0xffffffffn), Number(m & 0xffffffffn)]);
    addWordsInto(this.sums, bucket * 4, words, 0);
  }

  /** This bucket's count and sum minus `other`'s (mod 2^128): a subset's complement. Sum as 16 big-endian bytes. */
  remainder(bucket: number, other: BucketDigests): { count: number; sum: Uint8Array } {
    const at = bucket * 4;
    const sum = new Uint8Array(16);
    let borrow = 0;
    for (let j = 3; j >= 0; j--) {
      let d = this.sums[at + j]! - other.sums[at + j]! - borrow;
      borrow = d < 0 ? 1 : 0;
      if (d < 0) d += 0x100000000;
      sum[j * 4] = d >>> 24;
      sum[j * 4 + 1] = (d >>> 16) & 0xff;
      sum[j * 4 + 2] = (d >>> 8) & 0xff;
      sum[j * 4 + 3] = d & 0xff;
    }
    return { count: this.counts[bucket]! - other.counts[bucket]!, sum };
  }

  sameBucket(bucket: number, other: BucketDigests): boolean {
    if (this.counts[bucket] !== other.counts[bucket]) return false;
    const at = bucket * 4;
    return (
      this.sums[at] === other.sums[at] &&
      this.sums[at + 1] === other.sums[at + 1] &&
      this.sums[at + 2] === other.sums[at + 2] &&
      this.sums[at + 3] === other.sums[at + 3]
    );
  }

  /** Buckets whose count or sum differ from `other`'s (same bucket count required), in bucket order. */
  differing(other: BucketDigests, only?: readonly number[]): number[] {
    if (other.buckets !== this.buckets) throw new RangeError('bucket counts differ');
    const out: number[] = [];
    if (only) {
      for (const b of only) if (!this.sameBucket(b, other)) out.push(b);
    } else {
      for (let b = 0; b < this.buckets; b++) if (!this.sameBucket(b, other)) out.push(b);
    }
    return out;
  }

  /** The whole side's count and sum (sums of buckets add up to the sum of the set). */
  total(only?: readonly number[]): SetDigest {
    const t = new SetDigest();
    const add = (b: number): void => {
      t.count += this.counts[b]!;
      addWordsInto(t.sum, 0, this.sums, b * 4);
    };
    if (only) for (const b of only) add(b);
    else for (let b = 0; b < this.buckets; b++) add(b);
    return t;
  }
}
