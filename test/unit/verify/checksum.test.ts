import { describe, expect, it } from 'vitest';
import { bucketOfKey } from '../../../src/core/digest.js';
import { Decimal, TimeValue, TypedSet, type FerryRecord } from '../../../src/core/record.js';
import { FerryError } from '../../../src/errors.js';
import { DocSource, plainRecord } from '../../support/doc-source.js';
import { verifyRun } from '../../support/verify-helpers.js';

/** A Chinook-like track, as the source holds it. */
function track(i: number): FerryRecord {
  return {
    key: { TrackId: i },
    value: {
      TrackId: i,
      Name: `Track ${i} — Ärger`,
      UnitPrice: new Decimal('0.990'),
      Milliseconds: BigInt(i * 1000),
      Added: new TimeValue('timestamp', '2024-01-31T12:00:00.120000Z'),
      Genres: new TypedSet('string', ['rock', 'jazz']),
      Composer: null,
    },
  };
}

/** The same track as a target store would hand it back: other number types, other orders, ms precision. */
function storedTrack(i: number): FerryRecord {
  return {
    key: { TrackId: i },
    value: {
      Composer: null,
      Genres: new TypedSet('string', ['jazz', 'rock']),
      Added: new Date('2024-01-31T12:00:00.120Z'),
      Milliseconds: new Decimal(String(i * 1000)),
      UnitPrice: 0.99,
      Name: `Track ${i} — Ärger`,
      TrackId: new Decimal(String(i)),
    },
  };
}

const tracks = (n: number, make: (i: number) => FerryRecord | null = track) => ({ Track: { count: n, make } });

describe('checksum verifier', () => {
  it('matches a target equal to the source, read in another order and slicing', async () => {
    const source = new DocSource({ streams: tracks(1000) });
    const target = new DocSource({ streams: tracks(1000, storedTrack), slicing: 'interleaved', reverse: true });
    const report = await verifyRun({ source, target, streams: [{ from: 'Track' }], concurrency: 3 });
    expect(report.outcome).toBe('match');
    const [r] = report.results;
    expect(r).toMatchObject({
      stream: 'Track',
      verifier: 'checksum',
      outcome: 'match',
      source: { stream: 'Track', count: 1000 },
      target: { stream: 'Track', count: 1000 },
      expectedAbsent: 0,
      missing: { total: 0, keys: [] },
      extra: { total: 0, keys: [] },
      changed: { total: 0, keys: [] },
      buckets: { total: 65536, compared: 65536, differing: 0, examined: 0 },
      keysHeld: 0,
    });
    expect(r!.source.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(r!.source.digest).toBe(r!.target.digest);
    expect(r!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('names exactly the key whose one field changed', async () => {
    const source = new DocSource({ streams: tracks(500) });
    const target = new DocSource({
      streams: tracks(500, (i) => {
        const r = storedTrack(i);
        if (i === 42) (r.value as Record<string, unknown>)['UnitPrice'] = 1.99;
        return r;
      }),
    });
    const report = await verifyRun({ source, target, streams: [{ from: 'Track' }] });
    expect(report.outcome).toBe('differ');
    const r = report.results[0]!;
    expect(r.changed).toEqual({ total: 1, keys: ['TrackId=42'] });
    expect(r.missing.total + r.extra.total).toBe(0);
    expect(r.buckets).toMatchObject({ differing: 1, examined: 1 });
    expect(r.source.digest).not.toBe(r.target.digest);
  });

  it('names a deleted record as missing and an added one as extra', async () => {
    const source = new DocSource({ streams: tracks(300) });
    const deleted = await verifyRun({
      source,
      target: new DocSource({ streams: tracks(300, (i) => (i === 7 ? null : storedTrack(i))) }),
      streams: [{ from: 'Track' }],
    });
    expect(deleted.results[0]).toMatchObject({ outcome: 'differ', missing: { total: 1, keys: ['TrackId=7'] }, extra: { total: 0 }, changed: { total: 0 } });
    expect(deleted.results[0]!.target.count).toBe(299);

    const added = await verifyRun({ source, target: new DocSource({ streams: tracks(301, storedTrack) }), streams: [{ from: 'Track' }] });
    expect(added.results[0]).toMatchObject({ outcome: 'differ', extra: { total: 1, keys: ['TrackId=300'] }, missing: { total: 0 }, changed: { total: 0 } });
  });

  it('names several differences at once, in natural key order', async () => {
    const source = new DocSource({ streams: { s: { count: 1000 } } });
    const target = new DocSource({
      streams: {
        s: {
          count: 1003,
          make: (i) => {
            if ([10, 200, 9].includes(i)) return null; // missing
            if (i === 500 || i === 99) return { key: { id: i }, value: { id: i, name: 'changed' } };
            if (i === 77) return { key: { id: i }, value: { id: String(i), name: `r${i}` } }; // "77" is not 77
            return plainRecord(i); // 1000..1002 are extra
          },
        },
      },
      slicing: 'interleaved',
    });
    const report = await verifyRun({ source, target });
    const r = report.results[0]!;
    expect(r.outcome).toBe('differ');
    expect(r.missing).toEqual({ total: 3, keys: ['id=9', 'id=10', 'id=200'] });
    expect(r.changed).toEqual({ total: 3, keys: ['id=77', 'id=99', 'id=500'] });
    expect(r.extra).toEqual({ total: 3, keys: ['id=1000', 'id=1001', 'id=1002'] });
  });

  it('caps the listed keys and keeps the totals', async () => {
    const source = new DocSource({ streams: { s: { count: 500 } } });
    const target = new DocSource({ streams: { s: { count: 500, make: (i) => (i < 250 ? null : plainRecord(i)) } } });
    const r = (await verifyRun({ source, target, reportKeys: 5 })).results[0]!;
    expect(r.missing.total).toBe(250);
    expect(r.missing.keys).toEqual(['id=0', 'id=1', 'id=2', 'id=3', 'id=4']);
  });

  it('hashes the source through the field map and the target connector’s toTarget', async () => {
    const source = new DocSource({ streams: { 'public.item': { count: 200 } } });
    // What the target holds: renamed field, a computed key, numbers as Decimals.
    const target = new DocSource({
      streams: {
        Items: { count: 200, make: (i) => ({ key: { pk: `ITEM#${i}` }, value: { pk: `ITEM#${i}`, ident: new Decimal(String(i)), name: `r${i}` } }) },
      },
    });
    const sink = {
      toTarget: (stream: { name: string }, r: FerryRecord): FerryRecord => {
        expect(stream.name).toBe('Items');
        const v = r.value as { ident: number };
        return { key: { pk: `ITEM#${v.ident}` }, value: { pk: `ITEM#${v.ident}`, ...(r.value as object) } };
      },
    };
    const report = await verifyRun({ source, target, sink, streams: [{ from: 'public.*', to: 'Items', map: { rename: { id: 'ident' } } }] });
    expect(report.results[0]).toMatchObject({ stream: 'public.item', outcome: 'match', source: { stream: 'public.item' }, target: { stream: 'Items' } });
  });

  it('counts records the pipeline rejects as expected absent, not missing', async () => {
    const source = new DocSource({ streams: { s: { count: 100 } } });
    const target = new DocSource({ streams: { s: { count: 100, make: (i) => (i === 13 || i === 31 ? null : plainRecord(i)) } } });
    const sink = {
      toTarget: (_s: unknown, r: FerryRecord): FerryRecord => {
        const id = (r.value as { id: number }).id;
        if (id === 13 || id === 31) throw new FerryError('ITEM_REJECTED', `${id} is unlucky`);
        return r;
      },
    };
    const r = (await verifyRun({ source, target, sink })).results[0]!;
    expect(r).toMatchObject({ outcome: 'match', expectedAbsent: 2, missing: { total: 0 }, source: { count: 100 }, target: { count: 98 } });
    expect(r.notes.join('\n')).toMatch(/2 source record\(s\) the record pipeline refuses are expected absent .*id=13: 13 is unlucky/);

    // The pipeline refuses a record that the target holds anyway: that one is extra.
    const full = new DocSource({ streams: { s: { count: 100, make: (i) => (i === 13 ? plainRecord(i) : i === 31 ? null : plainRecord(i)) } } });
    expect((await verifyRun({ source, target: full, sink })).results[0]).toMatchObject({ outcome: 'differ', extra: { keys: ['id=13'] } });
  });

  it('counts missing keys that are the job’s dead letters as expected absent', async () => {
    const source = new DocSource({ streams: { s: { count: 100 } } });
    // The target refused id=20 at write time (too large): a dead letter with its target key.
    const target = new DocSource({ streams: { s: { count: 100, make: (i) => (i === 20 ? null : plainRecord(i)) } } });
    const withKeys = await verifyRun({ source, target, deadLettersByStream: { s: { count: 1, keys: new Set(['id=20']) } } });
    expect(withKeys.results[0]).toMatchObject({ outcome: 'match', expectedAbsent: 1, missing: { total: 0 } });
    expect(withKeys.results[0]!.notes.join('\n')).toContain("1 missing key(s) are the job's dead letters");

    // With only a count, the key cannot be told from a lost record.
    const countOnly = await verifyRun({ source, target, deadLettersByStream: { s: 1 } });
    expect(countOnly.results[0]).toMatchObject({ outcome: 'differ', missing: { keys: ['id=20'] } });
  });

  it('reads a target stream that does not exist as empty', async () => {
    const source = new DocSource({ streams: { s: { count: 10 } } });
    const target = new DocSource({ streams: { other: { count: 10 } } });
    const r = (await verifyRun({ source, target })).results[0]!;
    expect(r).toMatchObject({ outcome: 'differ', target: { count: 0 }, missing: { total: 10 } });
    expect(r.notes).toContain('the target has no stream s; it reads as empty');
  });

  it('survives a transient read failure on either side', async () => {
    const source = new DocSource({ streams: { s: { count: 1000 } }, failOnce: { afterBatches: 1, error: new FerryError('TRANSIENT', 'connection reset') } });
    const target = new DocSource({ streams: { s: { count: 1000 } }, failOnce: { afterBatches: 2, error: new FerryError('THROTTLED', 'slow down') } });
    const r = (await verifyRun({ source, target })).results[0]!;
    expect(r).toMatchObject({ outcome: 'match', source: { count: 1000 }, target: { count: 1000 } });
  });

  it('reports a verifier that cannot read as inconclusive, and still runs the others', async () => {
    const source = new DocSource({ streams: { s: { count: 100 } } });
    const target = new DocSource({ streams: { s: { count: 100 } }, failOnce: { afterBatches: 0, error: new FerryError('AUTH', 'access denied', { hint: 'check the credentials' }) } });
    const report = await verifyRun({ source, target, verify: ['checksum', 'count'] });
    expect(report.outcome).toBe('inconclusive');
    expect(report.results.map((r) => [r.verifier, r.outcome])).toEqual([
      ['checksum', 'inconclusive'],
      ['count', 'match'],
    ]);
    expect(report.results[0]!.notes).toEqual(['could not verify: AUTH: access denied (fix: check the credentials)']);
  });

  it('keeps pass 2 within maxKeys: examines the differing buckets that fit, and says the rest is inconclusive', async () => {
    const source = new DocSource({ streams: { s: { count: 4000 } } });
    const changedIds = [5, 1500, 2500, 3999];
    const target = new DocSource({
      streams: { s: { count: 4000, make: (i) => (changedIds.includes(i) ? { key: { id: i }, value: { id: i, name: 'x' } } : plainRecord(i)) } },
    });
    // 64 buckets of about 62 records each side: 2 buckets' keys (≈250 entries) fit in 300, 4 do not.
    const r = (await verifyRun({ source, target, buckets: 64, maxKeys: 300 })).results[0]!;
    expect(r.outcome).toBe('differ');
    expect(r.buckets!.differing).toBe(new Set(changedIds.map((id) => bucketOfKey({ id }, 64))).size);
    expect(r.buckets!.examined).toBeLessThan(r.buckets!.differing);
    expect(r.keysHeld).toBeLessThanOrEqual(300);
    expect(r.changed.total).toBeGreaterThan(0);
    expect(r.changed.total).toBeLessThan(4);
    for (const k of r.changed.keys) expect(changedIds.map((id) => `id=${id}`)).toContain(k);
    expect(r.notes.join('\n')).toMatch(/differing bucket\(s\) holding about \d+ keys were not examined, to hold at most 300 keys: .*inconclusive beyond them/);
  });

  it('notices duplicates that a XOR would cancel', async () => {
    const source = new DocSource({ streams: { s: { count: 10 } } });
    // The target returns id=3 three times and id=4 not at all... and a XOR of three equal digests is one of them.
    const target = new DocSource({ streams: { s: { count: 12, make: (i) => (i >= 10 ? plainRecord(3) : i === 4 ? null : plainRecord(i)) } } });
    const r = (await verifyRun({ source, target })).results[0]!;
    expect(r.outcome).toBe('differ');
    expect(r.missing.keys).toEqual(['id=4']);
    expect(r.extra.keys).toEqual(['id=3']);
    expect(r.notes.join('\n')).toContain('1 key(s) were read more than once from the target');
  });
});
