/**
 * Changed records named field by field: pass 3 re-reads only the buckets of the listed changed keys and reports,
 * per key, the differing paths with both values as compared — bounded by `reportKeys`, for documents and objects.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type FerryRecord, type Value } from '../../../src/core/record.js';
import { diffFields } from '../../../src/verify/field-diff.js';
import { verifyStreams } from '../../../src/verify/index.js';
import type { StreamVerifyResult } from '../../../src/verify/report.js';
import { DocSource } from '../../support/doc-source.js';
import { memoryPlan } from '../../support/memory-world.js';
import { verifyRun } from '../../support/verify-helpers.js';

function order(i: number): Record<string, Value> {
  return {
    id: i,
    total: new Decimal('10.50'),
    placed: new TimeValue('timestamp', '2024-01-31T12:00:00.123456Z'),
    address: { city: 'Zürich', zip: '8001' },
    tags: ['a', 'b', 'c'],
    note: 'Ren\u00e9e',
  };
}

const rec = (i: number, value: Record<string, Value>): FerryRecord => ({ key: { id: i }, value });

async function checksum(target: (i: number) => FerryRecord | null, opts: { count?: number; reportKeys?: number; unicode?: 'exact' | 'nfc'; nulls?: 'omit' } = {}): Promise<StreamVerifyResult> {
  const count = opts.count ?? 200;
  const plan = {
    ...memoryPlan([{ from: 's', ...(opts.nulls ? { map: { nulls: opts.nulls } } : {}) }], { concurrency: 3, batch_size: 50 }),
    ...(opts.unicode ? { verify_options: { unicode: opts.unicode } } : {}),
  };
  const phases = new Set<string>();
  const report = await verifyStreams({
    plan,
    source: new DocSource({ streams: { s: { count, make: (i) => rec(i, order(i)) } } }),
    targetSource: new DocSource({ streams: { s: { count, make: target } }, slicing: 'interleaved', reverse: true }),
    sink: {},
    verifiers: ['checksum'],
    ...(opts.reportKeys !== undefined ? { reportKeys: opts.reportKeys } : {}),
    onProgress: (p) => phases.add(p.phase),
    sleep: async () => {},
  });
  return Object.assign(report.results[0]!, { phases: [...phases].sort() });
}

describe('changed records, field by field', () => {
  it('names the differing fields with both values: numbers bare, strings quoted, nested paths, list positions', async () => {
    const r = await checksum((i) => {
      const v = order(i);
      if (i === 42) {
        v['total'] = 11.5;
        v['address'] = { city: 'Bern', zip: '8001' };
        v['tags'] = ['a', 'b', 'x', 'd'];
      }
      return rec(i, v);
    });
    expect(r.outcome).toBe('differ');
    expect(r.changed).toEqual({ total: 1, keys: ['id=42'] });
    expect(r.changedFields).toEqual([
      {
        key: 'id=42',
        fields: [
          { path: 'address.city', source: '"Zürich"', target: '"Bern"' },
          { path: 'tags[2]', source: '"c"', target: '"x"' },
          { path: 'tags[3]', source: '(absent)', target: '"d"' },
          { path: 'total', source: '10.5', target: '11.5' },
        ],
      },
    ]);
    // Named from the values pass 2 kept: no third read.
    expect((r as unknown as { phases: string[] }).phases).toEqual(['pass1', 'pass2']);
  });

  it('catches and shows a number that became a string, lost precision, a shifted zone, a dropped and a null field', async () => {
    const r = await checksum((i) => {
      const v = order(i);
      if (i === 1) v['total'] = '10.5';
      if (i === 2) v['placed'] = new Date('2024-01-31T12:00:00.123Z');
      if (i === 3) v['placed'] = new TimeValue('timestamp', '2024-01-31T12:00:00.123456+01:00');
      if (i === 4) delete v['note'];
      if (i === 5) v['note'] = null;
      return rec(i, v);
    });
    expect(r.changed.total).toBe(5);
    const byKey = Object.fromEntries((r.changedFields ?? []).map((c) => [c.key, c.fields]));
    expect(byKey['id=1']).toEqual([{ path: 'total', source: '10.5', target: '"10.5"' }]);
    expect(byKey['id=2']).toEqual([{ path: 'placed', source: '2024-01-31T12:00:00.123456Z', target: '2024-01-31T12:00:00.123Z' }]);
    expect(byKey['id=3']).toEqual([{ path: 'placed', source: '2024-01-31T12:00:00.123456Z', target: '2024-01-31T11:00:00.123456Z' }]);
    expect(byKey['id=4']).toEqual([{ path: 'note', source: '"Renée"', target: '(absent)' }]);
    expect(byKey['id=5']).toEqual([{ path: 'note', source: '"Renée"', target: 'null' }]);
  });

  it('catches NFD text where the source had NFC, shown escaped; unicode: nfc makes it a match', async () => {
    const nfd = (i: number): FerryRecord => {
      const v = order(i);
      if (i % 10 === 0) v['note'] = 'Ren\u00e9e'.normalize('NFD');
      return rec(i, v);
    };
    const exact = await checksum(nfd);
    expect(exact.outcome).toBe('differ');
    expect(exact.changed.total).toBe(20);
    expect(exact.changedFields![0]).toEqual({ key: 'id=0', fields: [{ path: 'note', source: '"Ren\\u00e9e"', target: '"Rene\\u0301e"' }] });

    const nfc = await checksum(nfd, { unicode: 'nfc' });
    expect(nfc.outcome).toBe('match');
    expect(nfc.changedFields).toBeUndefined();
  });

  it('under nulls: omit, a null field and an absent one are the same on both sides; by default they differ', async () => {
    const withNull = (i: number): FerryRecord => rec(i, { ...order(i), extra: null });
    expect((await checksum(withNull, { nulls: 'omit' })).outcome).toBe('match');
    const byDefault = await checksum(withNull);
    expect(byDefault.changed.total).toBe(200);
    expect(byDefault.changedFields![0]).toEqual({ key: 'id=0', fields: [{ path: 'extra', source: '(absent)', target: 'null' }] });
  });

  it('lists max-diffs keys of a larger exact total, re-reads only those, and none with max-diffs 0', async () => {
    const changedEvery7 = (i: number): FerryRecord => (i % 7 === 0 ? rec(i, { ...order(i), total: new Decimal('0') }) : rec(i, order(i)));
    const two = await checksum(changedEvery7, { reportKeys: 2 });
    expect(two.changed).toEqual({ total: 29, keys: ['id=0', 'id=7'] });
    expect(two.changedFields!.map((c) => c.key)).toEqual(['id=0', 'id=7']);
    expect(two.changedFields![1]!.fields).toEqual([{ path: 'total', source: '10.5', target: '0' }]);

    const none = await checksum(changedEvery7, { reportKeys: 0 });
    expect(none.changed).toEqual({ total: 29, keys: [] });
    expect(none.changedFields).toBeUndefined();
    expect((none as unknown as { phases: string[] }).phases).toEqual(['pass1', 'pass2']);
  });

  it('names the fields of max-diffs changed keys only, out of many', async () => {
    const source = new DocSource({ streams: { s: { count: 5000 } } });
    const target = new DocSource({ streams: { s: { count: 5000, make: (i) => ({ key: { id: i }, value: { id: i, name: i % 3 === 0 ? 'x' : `r${i}` } }) } } });
    const report = await verifyRun({ source, target, reportKeys: 5 });
    const r = report.results[0]!;
    expect(r.changed.total).toBe(1667);
    expect(r.changedFields).toHaveLength(5);
    expect(r.changedFields!.every((c) => c.fields.length === 1 && c.fields[0]!.path === 'name')).toBe(true);
  });

  it('names size and md5 for a changed object', async () => {
    const obj = (i: number, size: number, md5: string): FerryRecord => ({ key: { name: `o/${i}.bin` }, value: { size, md5 } });
    const source = new DocSource({ streams: { s: { count: 50, make: (i) => obj(i, 100 + i, `md5-${i}`) } } });
    const target = new DocSource({ streams: { s: { count: 50, make: (i) => (i === 9 ? obj(i, 40, 'cut') : i === 10 ? obj(i, 110, 'other') : obj(i, 100 + i, `md5-${i}`)) } } });
    const r = (await verifyRun({ source, target })).results[0]!;
    // Keys in natural order (9 before 10), as the key lists are.
    expect(r.changedFields).toEqual([
      {
        key: 'name=o/9.bin',
        fields: [
          { path: 'md5', source: '"md5-9"', target: '"cut"' },
          { path: 'size', source: '109', target: '40' },
        ],
      },
      { key: 'name=o/10.bin', fields: [{ path: 'md5', source: '"md5-10"', target: '"other"' }] },
    ]);
  });

  it('has the sample verifier name fields too', async () => {
    const source = new DocSource({ streams: { s: { count: 300 } } });
    const target = new DocSource({ streams: { s: { count: 300, make: (i) => ({ key: { id: i }, value: { id: i, name: 'changed' } }) } } });
    const r = (await verifyRun({ source, target, verify: [{ sample: 30 }], random: () => 0.5 })).results[0]!;
    expect(r.outcome).toBe('differ');
    expect(r.changedFields!.length).toBe(Math.min(100, r.changed.total));
    expect(r.changedFields![0]!.fields[0]).toMatchObject({ path: 'name', target: '"changed"' });
  });
});

describe('diffFields', () => {
  it('cuts long values to about 80 characters and quotes odd field names', () => {
    const d = diffFields({ 'a.b': 'x'.repeat(200), 'with space': { 'k"': 1 } }, { 'a.b': 'y'.repeat(200), 'with space': { 'k"': 2 } });
    expect(d.fields[0]!.path).toBe('["a.b"]');
    expect(d.fields[0]!.source).toHaveLength(80);
    expect(d.fields[0]!.source.endsWith('…')).toBe(true);
    expect(d.fields[1]!.path).toBe('["with space"]["k\\""]');
  });

  it('compares sets, bytes and numbers as the canonical form does, and shows shapes that differ whole', () => {
    expect(diffFields({ s: new TypedSet('string', ['b', 'a']), n: 1.5, b: Uint8Array.of(1) }, { s: new TypedSet('string', ['a', 'b']), n: new Decimal('1.50'), b: Uint8Array.of(1) }).fields).toEqual([]);
    expect(diffFields({ s: new TypedSet('string', ['a']) }, { s: ['a'] }).fields).toEqual([{ path: 's', source: 'set<"a">', target: '["a"]' }]);
    expect(diffFields({ m: { a: 1 } }, { m: 'a' }).fields).toEqual([{ path: 'm', source: '{a: 1}', target: '"a"' }]);
    expect(diffFields({ b: Uint8Array.of(1, 2) }, { b: Uint8Array.of(1) }).fields).toEqual([{ path: 'b', source: 'bytes:AQI=', target: 'bytes:AQ==' }]);
    expect(diffFields(1, 2).fields).toEqual([{ path: '(value)', source: '1', target: '2' }]);
  });

  it('lists at most maxFields differences and counts the rest', () => {
    const a: Record<string, number> = {};
    const b: Record<string, number> = {};
    for (let i = 0; i < 70; i++) {
      a[`f${String(i).padStart(2, '0')}`] = i;
      b[`f${String(i).padStart(2, '0')}`] = -i - 1;
    }
    const d = diffFields(a, b);
    expect(d.fields).toHaveLength(50);
    expect(d.more).toBe(20);
  });
});
