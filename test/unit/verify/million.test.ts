/**
 * A million records a side with three differences: pass 1 keeps only per-bucket sums, pass 2 only the keys of the
 * three differing buckets, pass 3 only the changed key's two records. The bound is asserted on what pass 2 holds (keys), not on the heap, which the GC blurs.
 */
import { describe, expect, it } from 'vitest';
import { bucketOfKey } from '../../../src/core/digest.js';
import { DocSource, plainRecord } from '../../support/doc-source.js';
import { verifyRun } from '../../support/verify-helpers.js';

const COUNT = 1_000_000;
const CHANGED = 123_456;
const MISSING = 500_000;
const EXTRA = COUNT; // only in the target

describe('checksum over a million records', () => {
  it('names the 3 differences while holding only the keys of the differing buckets', { timeout: 180_000 }, async () => {
    const source = new DocSource({ streams: { s: { count: COUNT } } });
    const target = new DocSource({
      streams: {
        s: {
          count: COUNT + 1,
          make: (i) => (i === MISSING ? null : i === CHANGED ? { key: { id: i }, value: { id: i, name: 'changed' } } : plainRecord(i)),
        },
      },
      slicing: 'interleaved',
      reverse: true,
    });
    const phases = new Set<string>();
    const report = await verifyRun({ source, target, concurrency: 4, batchSize: 5000, onProgress: (p) => phases.add(`${p.phase}:${p.side}`) });
    const r = report.results[0]!;
    expect(r.outcome).toBe('differ');
    expect(r.changed).toEqual({ total: 1, keys: [`id=${CHANGED}`] });
    expect(r.missing).toEqual({ total: 1, keys: [`id=${MISSING}`] });
    expect(r.extra).toEqual({ total: 1, keys: [`id=${EXTRA}`] });
    expect(r.source.count).toBe(COUNT);
    expect(r.target.count).toBe(COUNT);
    expect(r.buckets).toEqual({ total: 65_536, compared: 65_536, differing: 3, examined: 3 });
    // Pass 2 kept the few records' values, so the changed field is named without a third read.
    expect([...phases].sort()).toEqual(['pass1:source', 'pass1:target', 'pass2:source', 'pass2:target']);
    expect(r.changedFields).toEqual([{ key: `id=${CHANGED}`, fields: [{ path: 'name', source: `"r${CHANGED}"`, target: '"changed"' }] }]);

    // Exactly the records of the three differing buckets, both sides: a few dozen, not a million.
    const differing = new Set([CHANGED, MISSING, EXTRA].map((id) => bucketOfKey({ id }, 65_536)));
    let inThem = 0;
    for (let i = 0; i <= COUNT; i++) {
      if (!differing.has(bucketOfKey({ id: i }, 65_536))) continue;
      if (i < COUNT) inThem += 1; // source
      if (i !== MISSING) inThem += 1; // target
    }
    expect(r.keysHeld).toBe(inThem);
    expect(r.keysHeld).toBeLessThan(200);
  });
});
