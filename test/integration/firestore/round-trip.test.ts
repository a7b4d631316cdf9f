/**
 * Every value type through the sink (toTarget → commit) and back through the source: what is read equals what
 * toTarget said Firestore would hold, and the canonical digests of both sides agree.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type FerryRecord } from '../../../src/core/record.js';
import { canonicalText } from '../../../src/transform/canonical.js';
import { collectionName, Collections, readAll, record, signal, sink, source, targetStream } from './helpers.js';

const collections = new Collections();
const cleanup = sink();
afterAll(async () => {
  await collections.drop(cleanup);
  await cleanup[Symbol.asyncDispose]();
});

/** An item as the DynamoDB source produces it (N as Decimal, sets as TypedSet), plus values from other sources. */
function item(id: string): FerryRecord {
  return record(id, {
    int: new Decimal('42'),
    negative: new Decimal('-17'),
    half: new Decimal('1.5'),
    tenth: new Decimal('0.1'),
    int64: new Decimal('9223372036854775807'),
    beyondSafe: new Decimal('9007199254740993'),
    twoTo64: new Decimal('18446744073709552000'),
    huge: new Decimal('1E+300'),
    js: 2.75,
    big: 2n ** 60n,
    text: 'zoë 東京 🚢 — "quotes" \\ #',
    empty: '',
    yes: true,
    nothing: null,
    bytes: new Uint8Array([0, 1, 2, 254, 255]),
    emptyBytes: new Uint8Array(),
    map: { a: new Decimal('1.50'), nested: { list: [1, 'two', null, { deep: true }], empty: {} }, 'odd key.with$': 'v' },
    list: [new Decimal('3'), 'x', [], { k: null }],
    ss: new TypedSet('string', ['é', 'b', 'a']),
    ns: new TypedSet('number', [new Decimal('10'), new Decimal('-0.5'), new Decimal('2')]),
    bs: new TypedSet('binary', [new Uint8Array([2]), new Uint8Array([1, 9])]),
    ts: new TimeValue('timestamp', '2024-01-31T12:34:56.123456Z'),
    tsOffset: new TimeValue('timestamp', '2024-01-31T12:34:56.5+02:00'),
    date: new Date('1999-12-31T23:59:59.999Z'),
    day: new TimeValue('date', '2024-02-29'),
    clock: new TimeValue('time', '23:59:59.999999+05:30'),
  });
}

describe('Firestore round trip', () => {
  for (const sets of ['array', 'tagged'] as const) {
    it(`reads back exactly what toTarget produced (sets: ${sets})`, async () => {
      const name = collections.add(collectionName('rt'));
      const s = sink({ sets, nested_arrays: 'wrap' });
      const stream = targetStream(name);
      await s.prepare(stream, 'upsert', signal);
      const written = ['a', 'b/slash', '__odd__'].map((id) => s.toTarget(stream, item(id)));
      expect(written.map((r) => r.key)).toEqual([{ path: `${name}/a` }, { path: `${name}/b%2Fslash` }, { path: `${name}/%5F_odd__` }]);
      const res = await s.write(stream, written, signal);
      expect(res).toMatchObject({ accepted: 3, retry: [], rejected: [] });

      const src = source();
      const got = new Map((await readAll(src, name)).map((r) => [r.key['path'], r]));
      expect([...got.keys()].sort()).toEqual(written.map((r) => r.key['path']).sort());
      for (const w of written) {
        const r = got.get(w.key['path'])!;
        expect(r.value).toEqual(w.value);
        expect(canonicalText(r.value as never)).toBe(canonicalText(w.value as never));
        expect(r.sizeBytes).toBe(w.sizeBytes);
      }
      const v = got.get(`${name}/a`)!.value as Record<string, unknown>;
      expect(v).toMatchObject({
        int: 42,
        half: 1.5,
        tenth: 0.1,
        int64: 9223372036854775807n,
        beyondSafe: 9007199254740993n,
        twoTo64: 2 ** 64,
        big: 2n ** 60n,
        ts: new TimeValue('timestamp', '2024-01-31T12:34:56.123456Z'),
        tsOffset: new TimeValue('timestamp', '2024-01-31T10:34:56.500000Z'),
        date: new TimeValue('timestamp', '1999-12-31T23:59:59.999000Z'),
        day: '2024-02-29',
        clock: '23:59:59.999999+05:30',
        list: [3, 'x', { values: [] }, { k: null }],
        map: { a: 1.5, nested: { list: [1, 'two', null, { deep: true }], empty: {} }, 'odd key.with$': 'v' },
      });
      if (sets === 'array') {
        expect(v['ss']).toEqual(['a', 'b', 'é']);
        expect(v['ns']).toEqual([-0.5, 2, 10]);
        expect(v['bs']).toEqual([new Uint8Array([1, 9]), new Uint8Array([2])]);
      } else {
        expect(v['ss']).toEqual(new TypedSet('string', ['a', 'b', 'é']));
        expect(v['ns']).toEqual(new TypedSet('number', [new Decimal('-0.5'), new Decimal('2'), new Decimal('10')]));
      }
      await src[Symbol.asyncDispose]();
      await s[Symbol.asyncDispose]();
    });
  }
});
