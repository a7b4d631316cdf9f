import { describe, expect, it } from 'vitest';
import { BucketDigests, bucketOf, keyIdentity, SetDigest } from '../../../src/core/digest.js';
import type { RecordKey, Value } from '../../../src/core/record.js';
import { recordDigest } from '../../../src/verify/record-digest.js';

interface Rec {
  key: RecordKey;
  value: Value;
}

const records: Rec[] = Array.from({ length: 500 }, (_, i) => ({ key: { id: i }, value: { id: i, name: `r${i}`, tags: [i % 3, 'x'] } }));

function setDigest(recs: readonly Rec[]): SetDigest {
  const d = new SetDigest();
  for (const r of recs) d.add(recordDigest(keyIdentity(r.key), r.value));
  return d;
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Split into `n` parts, digest each part on its own, and merge: how segments read in parallel combine. */
function segmented(recs: readonly Rec[], n: number): SetDigest {
  const total = new SetDigest();
  for (let i = 0; i < n; i++) total.merge(setDigest(recs.filter((_, j) => j % n === i)));
  return total;
}

describe('order-independent digests', () => {
  it('gives the same set digest whatever the order and segmentation', () => {
    const a = setDigest(records);
    expect(setDigest(shuffled(records, 7)).equals(a)).toBe(true);
    expect(setDigest([...records].reverse()).hex()).toBe(a.hex());
    expect(segmented(shuffled(records, 3), 7).equals(a)).toBe(true);
    expect(segmented(records, 1).equals(segmented(shuffled(records, 11), 13))).toBe(true);
    expect(a.count).toBe(500);
    expect(a.hex()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('puts a key in the same bucket on both sides, whatever else', () => {
    const one = new BucketDigests(64);
    const two = new BucketDigests(64);
    for (const r of records) one.add(bucketOf(keyIdentity(r.key), 64), recordDigest(keyIdentity(r.key), r.value));
    for (const r of shuffled(records, 5)) two.add(bucketOf(keyIdentity(r.key), 64), recordDigest(keyIdentity(r.key), r.value));
    expect(one.differing(two)).toEqual([]);
    expect(one.total().equals(setDigest(records))).toBe(true);
  });

  it('is sensitive to duplicates (which XOR would cancel)', () => {
    const a = setDigest(records);
    const doubled = setDigest([...records, records[5]!, records[5]!]);
    expect(doubled.equals(a)).toBe(false);
    // Same count, one record twice instead of another: still different.
    const swapped = setDigest([...records.slice(0, 499), records[0]!]);
    expect(swapped.count).toBe(a.count);
    expect(swapped.equals(a)).toBe(false);
    // Two copies of a record on one side against two copies of another on the other side (XOR: both zero).
    expect(setDigest([records[1]!, records[1]!]).equals(setDigest([records[2]!, records[2]!]))).toBe(false);
  });

  it('notices one changed value, a value moved to another key, and a missing record', () => {
    const a = setDigest(records);
    const changed = records.map((r, i) => (i === 42 ? { ...r, value: { ...(r.value as object), name: 'other' } } : r));
    expect(setDigest(changed).equals(a)).toBe(false);
    const moved = records.map((r, i) => (i === 1 ? { key: r.key, value: records[2]!.value } : i === 2 ? { key: r.key, value: records[1]!.value } : r));
    expect(setDigest(moved).equals(a)).toBe(false);
    expect(setDigest(records.slice(1)).equals(a)).toBe(false);
  });

  it('wraps around 2^128 and still combines', () => {
    const d = new SetDigest();
    const max = new Uint8Array(16).fill(0xff);
    d.add(max);
    d.add(Uint8Array.of(...new Array(15).fill(0), 2));
    expect(d.hex()).toBe('00000000000000000000000000000001');
  });

  it('matches composite keys whatever order their parts come in', () => {
    expect(keyIdentity({ sk: 'b', pk: 'a' })).toBe('pk=a, sk=b');
    expect(keyIdentity({ pk: 'a', sk: 'b' })).toBe('pk=a, sk=b');
    expect(keyIdentity({ id: 7 })).toBe('id=7');
    expect(bucketOf(keyIdentity({ sk: 'b', pk: 'a' }), 1024)).toBe(bucketOf('pk=a, sk=b', 1024));
  });

  it('spreads keys evenly over buckets', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 256_00; i++) counts[bucketOf(`id=${i}`, 256)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(60);
    expect(Math.max(...counts)).toBeLessThan(140);
  });
});
