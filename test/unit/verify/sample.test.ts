import { describe, expect, it } from 'vitest';
import { bucketOfKey } from '../../../src/core/digest.js';
import { pickBuckets } from '../../../src/verify/index.js';
import { DocSource, plainRecord } from '../../support/doc-source.js';
import { seeded, verifyRun } from '../../support/verify-helpers.js';

describe('sample verifier', () => {
  it('picks K distinct buckets', () => {
    const picked = pickBuckets(50, 256, seeded(1));
    expect(new Set(picked).size).toBe(50);
    expect(picked.every((b) => b >= 0 && b < 256)).toBe(true);
    expect(pickBuckets(300, 256, seeded(1))).toHaveLength(256);
  });

  it('finds a difference in a sampled bucket, misses it otherwise, and says what it sampled', async () => {
    const B = 256;
    const source = new DocSource({ streams: { s: { count: 2000 } } });
    const target = new DocSource({ streams: { s: { count: 2000, make: (i) => (i === 777 ? { key: { id: i }, value: { id: i, name: 'other' } } : plainRecord(i)) } } });
    // 100 of 2000 records → 13 of 256 buckets.
    const k = Math.ceil((100 * B) / 2000);
    const bucket = bucketOfKey({ id: 777 }, B);
    let hits = 0;
    let misses = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const sampledHere = pickBuckets(k, B, seeded(seed)).includes(bucket);
      const r = (await verifyRun({ source, target, verify: [{ sample: 100 }], buckets: B, random: seeded(seed) })).results[0]!;
      expect(r).toMatchObject({ verifier: 'sample', sampleSize: 100, source: { count: 2000 }, target: { count: 2000 } });
      expect(r.buckets).toMatchObject({ total: B, compared: k });
      expect(r.notes[0]).toMatch(new RegExp(`^sampled ${k} of ${B} buckets \\(≈ \\d+ of 2000 source records\\)$`));
      if (sampledHere) {
        hits += 1;
        expect(r).toMatchObject({ outcome: 'differ', changed: { total: 1, keys: ['id=777'] }, missing: { total: 0 }, extra: { total: 0 } });
        expect(r.buckets!.differing).toBe(1);
      } else {
        misses += 1;
        expect(r.outcome).toBe('match');
      }
      // Only the sampled buckets' keys are held: about 2 × 100.
      expect(r.keysHeld).toBeLessThan(2 * 100 * 2);
    }
    expect(hits).toBeGreaterThan(0);
    expect(misses).toBeGreaterThan(0);
  });

  it('samples 1% of the buckets when the source cannot count, and defaults to 1000 records for `sample`', async () => {
    const source = new DocSource({ streams: { s: { count: 500 } }, countable: false });
    const target = new DocSource({ streams: { s: { count: 500 } } });
    const r = (await verifyRun({ source, target, verify: ['sample'], buckets: 1000, random: seeded(3) })).results[0]!;
    expect(r).toMatchObject({ outcome: 'match', sampleSize: 1000, buckets: { compared: 10 } });
    expect(r.notes[0]).toMatch(/^sampled 10 of 1000 buckets .*; the source gave no count, so 1% of the buckets$/);
  });

  it('finds a record missing from the target in a sampled bucket', async () => {
    const source = new DocSource({ streams: { s: { count: 300 } } });
    const target = new DocSource({ streams: { s: { count: 300, make: (i) => (i === 5 ? null : plainRecord(i)) } } });
    // Asking for as many records as there are samples every bucket.
    const r = (await verifyRun({ source, target, verify: [{ sample: 300 }], buckets: 64 })).results[0]!;
    expect(r).toMatchObject({ outcome: 'differ', missing: { total: 1, keys: ['id=5'] }, buckets: { compared: 64 } });
  });
});
