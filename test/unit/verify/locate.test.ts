import { describe, expect, it } from 'vitest';
import { md5Bucket } from '../../../src/core/digest.js';
import { Decimal, type FerryRecord } from '../../../src/core/record.js';
import type { VerifyProgress } from '../../../src/verify/verify-context.js';
import { DocSource } from '../../support/doc-source.js';
import { seeded, verifyRun } from '../../support/verify-helpers.js';

const N = 20_000;

function track(i: number): FerryRecord {
  return { key: { TrackId: i }, value: { TrackId: i, Name: `Track ${i}`, UnitPrice: new Decimal('0.99') } };
}

/** The target: track 42 repriced, track 77 lost, and, with `extra`, a track the source never had. */
function target(opts: { extra?: boolean; lookup?: boolean } = {}): DocSource {
  return new DocSource({
    lookup: opts.lookup ?? true,
    slicing: 'interleaved',
    streams: {
      Track: {
        count: opts.extra ? N + 1 : N,
        make: (i) => {
          if (i === 77) return null;
          const r = track(i);
          if (i === 42) (r.value as Record<string, unknown>)['UnitPrice'] = new Decimal('1.99');
          return r;
        },
      },
    },
  });
}

const source = (keyBuckets?: true | 'wrong-text'): DocSource =>
  new DocSource({ streams: { Track: { count: N, make: track } }, ...(keyBuckets ? { keyBuckets } : {}) });

describe('locating differing keys (pass 2) with reads bounded by the differences', () => {
  it('reads only the differing buckets: the source selects them, the target is fetched by key, extras are found by the sums', async () => {
    const src = source(true);
    const tgt = target({ extra: true });
    const phases = new Set<string>();
    const report = await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }], onProgress: (p: VerifyProgress) => phases.add(p.phase) });
    const r = report.results[0]!;
    expect(r.outcome).toBe('differ');
    expect(r.missing).toEqual({ total: 1, keys: ['TrackId=77'] });
    expect(r.extra).toEqual({ total: 1, keys: [`TrackId=${N}`] });
    expect(r.changed).toEqual({ total: 1, keys: ['TrackId=42'] });
    // Field names come from the values pass 2 kept: no third read.
    expect(r.changedFields).toEqual([{ key: 'TrackId=42', fields: [{ path: 'UnitPrice', source: '0.99', target: '1.99' }] }]);
    expect(phases.has('fields')).toBe(false);
    // Source: pass 1 read everything once; pass 2 only the three differing buckets' records (about 0.3 a bucket).
    expect(src.bucketReads).toBeGreaterThan(0);
    // (one more record: the first, read to learn how the target key is made of source columns)
    expect(src.yielded - N - 1).toBeLessThan(20);
    expect(r.located?.source).toEqual({ method: 'store-selected buckets', records: src.yielded - N - 1 });
    // Target: the source's keys of those buckets fetched by key; the extra key's bucket did not add up, and the one
    // record not fetched was named from pass 1's per-bucket key XOR: the target was read once, in pass 1.
    expect(tgt.lookedUp).toBeLessThan(20);
    expect(r.located?.target).toEqual({ method: 'point reads', records: tgt.lookedUp });
    expect(tgt.yielded).toBe(N); // N + 1 records less track 77, read once
    expect(r.notes).toContain("1 extra key(s) named from the first read's per-bucket key sums, without reading the target again");
  });

  it('two extra keys in one bucket cannot be told apart by its key sum: that bucket alone is read again', async () => {
    // Keys N and the next one landing in the same md5 bucket as N.
    const B = 65_536;
    let twin = N + 1;
    while (md5Bucket(`TrackId=${twin}`, B) !== md5Bucket(`TrackId=${N}`, B)) twin++;
    const src = source(true);
    const tgt = new DocSource({
      lookup: true,
      streams: { Track: { count: twin + 1, make: (i) => (i < N || i === N || i === twin ? track(i) : null) } },
    });
    const r = (await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }] })).results[0]!;
    expect(r.extra.keys).toEqual([`TrackId=${N}`, `TrackId=${twin}`]);
    expect(r.located?.target.method).toBe('point reads + buckets re-read for extra keys');
    expect(r.notes.join('\n')).toMatch(/1 differing bucket\(s\) held target records the source's keys did not fetch/);
  });

  it('without extra keys, the target is read by key only', async () => {
    const src = source(true);
    const tgt = target();
    const report = await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }] });
    const r = report.results[0]!;
    expect(r.missing.keys).toEqual(['TrackId=77']);
    expect(r.changed.keys).toEqual(['TrackId=42']);
    expect(r.extra.total).toBe(0);
    expect(tgt.yielded).toBe(N - 1); // pass 1 only
    expect(r.located?.target).toEqual({ method: 'point reads', records: tgt.lookedUp });
    expect(tgt.lookedUp).toBeGreaterThan(0);
    expect(tgt.lookedUp).toBeLessThan(20);
  });

  it('a source whose own selection does not add up is read in full, and names the same keys', async () => {
    const src = source('wrong-text');
    const report = await verifyRun({ source: src, target: target({ extra: true }), streams: [{ from: 'Track' }] });
    const r = report.results[0]!;
    expect(r.missing.keys).toEqual(['TrackId=77']);
    expect(r.changed.keys).toEqual(['TrackId=42']);
    expect(r.extra.keys).toEqual([`TrackId=${N}`]);
    expect(r.located?.source).toEqual({ method: 'full read', records: N });
    expect(r.notes.join('\n')).toMatch(/did not add up to the first read in 3 bucket\(s\).*read in full instead/);
  });

  it('with neither capability both sides are read in full once more, and say so', async () => {
    const src = source();
    const tgt = target({ lookup: false });
    const report = await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }] });
    const r = report.results[0]!;
    expect(r.missing.keys).toEqual(['TrackId=77']);
    expect(r.changed.keys).toEqual(['TrackId=42']);
    expect(r.located).toEqual({ source: { method: 'full read', records: N }, target: { method: 'full read', records: N - 1 } });
    expect(r.notes.join('\n')).toMatch(/both sides were read again in full \(the source cannot select key buckets itself; the target cannot read records by key\)/);
    expect(src.yielded).toBe(2 * N);
  });

  it('a missing target stream is not read at all: every source key is missing', async () => {
    const src = source(true);
    const tgt = new DocSource({ lookup: true, streams: { Other: { count: 1 } } });
    const report = await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }], maxKeys: 50_000 });
    const r = report.results[0]!;
    expect(r.missing.total).toBe(N);
    expect(r.located?.target).toEqual({ method: 'none', records: 0 });
    expect(tgt.lookupCalls).toBe(0);
  });

  it.each([true, false])('changed keys beyond the values kept still get their fields named (by another read; target by key: %s)', async (lookup) => {
    // 6,000 changed records: more than pass 2 keeps values for, so the fields come from pass 3.
    const src = source(true);
    const tgt = new DocSource({
      lookup,
      streams: { Track: { count: N, make: (i) => (i % 3 === 0 ? { key: { TrackId: i }, value: { TrackId: i, Name: `Track ${i}`, UnitPrice: new Decimal('2') } } : track(i)) } },
    });
    const phases = new Set<string>();
    const report = await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }], reportKeys: 3, onProgress: (p: VerifyProgress) => phases.add(p.phase) });
    const r = report.results[0]!;
    expect(r.changed.total).toBe(Math.ceil(N / 3));
    expect(r.changedFields?.map((c) => c.key)).toEqual(['TrackId=0', 'TrackId=3', 'TrackId=6']);
    expect(r.changedFields?.[0]?.fields).toEqual([{ path: 'UnitPrice', source: '0.99', target: '2' }]);
    expect(phases.has('fields')).toBe(true);
    // A target that reads by key is read in full once (pass 1) and fetched by key after; otherwise read three times.
    expect(tgt.yielded).toBe(lookup ? N : 3 * N);
  });
});

describe('sample with a target read by key', () => {
  it('reads about N records a side: the source selects the sampled buckets, the target is looked up', async () => {
    const src = source(true);
    const tgt = target({ extra: true });
    const report = await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }], verify: [{ sample: 300 }], random: seeded(7) });
    const r = report.results[0]!;
    expect(r.verifier).toBe('sample');
    expect(src.bucketReads).toBeGreaterThan(0);
    expect(src.yielded).toBeLessThan(600); // ~300 sampled records (+1 read to learn the key), not 20,000
    expect(tgt.yielded).toBe(0); // never scanned
    expect(tgt.lookedUp).toBeGreaterThan(200);
    expect(tgt.lookedUp).toBeLessThan(600);
    expect(r.located).toEqual({ source: { method: 'store-selected buckets', records: src.yielded - 1 }, target: { method: 'point reads', records: tgt.lookedUp } });
    expect(r.notes).toContain('keys only the target holds are not sampled when it is read by key (a checksum finds them)');
  });

  it('every bucket sampled: names the missing and the changed key, field included, and no extra', async () => {
    const report = await verifyRun({ source: source(true), target: target({ extra: true }), streams: [{ from: 'Track' }], verify: [{ sample: N }], random: seeded(7) });
    const r = report.results[0]!;
    expect(r.outcome).toBe('differ');
    expect(r.missing.keys).toEqual(['TrackId=77']);
    expect(r.changed.keys).toEqual(['TrackId=42']);
    expect(r.changedFields).toEqual([{ key: 'TrackId=42', fields: [{ path: 'UnitPrice', source: '0.99', target: '1.99' }] }]);
    expect(r.extra.total).toBe(0);
  });
});

describe('the source key columns are learned from the map, not from a coincidence', () => {
  // Source keyed by id; the target by user_id, a column of its own (the sink keys it so). The first record has
  // id = user_id = 0: matching values would take id for user_id, and a store selecting buckets by id would send
  // records of other buckets than those sampled.
  const users = (missingEvery?: number): DocSource =>
    new DocSource({
      lookup: true,
      streams: {
        Users: {
          count: 20_000,
          make: (i) => (missingEvery && i % missingEvery === 5 ? null : { key: { user_id: i === 0 ? 0 : i * 7 + 3 }, value: { id: i, user_id: i === 0 ? 0 : i * 7 + 3, name: `u${i}` } }),
        },
      },
    });
  const source = (keyBuckets: true | 'wrong-text' = true): DocSource =>
    new DocSource({ keyBuckets, streams: { Users: { count: 20_000, make: (i) => ({ key: { id: i }, value: { id: i, user_id: i === 0 ? 0 : i * 7 + 3, name: `u${i}` } }) } } });
  const sink = { toTarget: (_t: unknown, r: FerryRecord): FerryRecord => ({ key: { user_id: (r.value as { user_id: number }).user_id }, value: r.value }) };

  it('a sample by key selects the right records and finds the missing ones', async () => {
    const src = source();
    const report = await verifyRun({ source: src, target: users(10), sink, streams: [{ from: 'Users' }], verify: [{ sample: 1000 }], random: seeded(3) });
    const r = report.results[0]!;
    expect(r.located?.source.method).toBe('store-selected buckets');
    expect(r.outcome).toBe('differ');
    // About a tenth of ~1,000 sampled records are missing.
    expect(r.missing.total).toBeGreaterThan(50);
    expect(r.missing.total).toBeLessThan(150);
    expect(r.source.count).toBeGreaterThan(700);
  });

  it('a store that renders keys otherwise is caught sending records of other buckets, and read in full', async () => {
    const src = source('wrong-text');
    const report = await verifyRun({ source: src, target: users(10), sink, streams: [{ from: 'Users' }], verify: [{ sample: 1000 }], random: seeded(3) });
    const r = report.results[0]!;
    expect(r.notes.join('\n')).toMatch(/the source's own selection sent \d+ record\(s\) outside the sampled buckets .*read in full instead/);
    expect(r.located?.source).toEqual({ method: 'full read', records: 20_000 });
    expect(r.outcome).toBe('differ');
    expect(r.missing.total).toBeGreaterThan(50);
  });

  it('the checksum names the same missing keys either way', async () => {
    const a = (await verifyRun({ source: source(), target: users(1000), sink, streams: [{ from: 'Users' }] })).results[0]!;
    const b = (await verifyRun({ source: source('wrong-text'), target: users(1000), sink, streams: [{ from: 'Users' }] })).results[0]!;
    expect(a.missing.total).toBe(20);
    expect(a.missing).toEqual(b.missing);
    expect(a.located?.source.method).toBe('store-selected buckets');
    expect(b.located?.source.method).toBe('full read');
  });
});

describe('a store digest that fails', () => {
  it('is no reason to fail the verification: ferry reads the source itself and says why', async () => {
    const src = new DocSource({ keyBuckets: true, digestFails: 'canceling statement due to statement timeout', streams: { Track: { count: N, make: track } } });
    const report = await verifyRun({ source: src, target: target(), streams: [{ from: 'Track' }] });
    const r = report.results[0]!;
    expect(src.digestCalls).toBe(1);
    expect(r.notes).toContain('the source store did not digest its records itself: canceling statement due to statement timeout');
    expect(r.missing.keys).toEqual(['TrackId=77']);
    expect(r.changed.keys).toEqual(['TrackId=42']);
    expect(r.source.count).toBe(N);
  });

  it('leaves nothing of the target read it cut short in the key sums: the extra key is still named from them', async () => {
    const src = new DocSource({ keyBuckets: true, digestFails: 'statement timeout', streams: { Track: { count: N, make: track } } });
    const tgt = target({ extra: true });
    const r = (await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }] })).results[0]!;
    expect(tgt.yielded).toBeGreaterThan(N - 1); // the cut-short read, then the whole target once more
    expect(r.extra.keys).toEqual([`TrackId=${N}`]);
    expect(r.located?.target.method).toBe('point reads');
  });
});

describe('--read-all', () => {
  it('uses no store-side shortcut and names the same keys', async () => {
    const src = new DocSource({ keyBuckets: true, digestFails: 'must not be asked', streams: { Track: { count: N, make: track } } });
    const tgt = target({ extra: true });
    const report = await verifyRun({ source: src, target: tgt, streams: [{ from: 'Track' }], readAll: true });
    const r = report.results[0]!;
    expect([src.digestCalls, src.bucketReads, tgt.lookupCalls]).toEqual([0, 0, 0]);
    expect(r.located).toEqual({ source: { method: 'full read', records: N }, target: { method: 'full read', records: N } });
    expect([r.missing.keys, r.extra.keys, r.changed.keys]).toEqual([['TrackId=77'], [`TrackId=${N}`], ['TrackId=42']]);
  });
});
