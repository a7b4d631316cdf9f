import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type Doc, type FerryRecord, type RecordKey } from '../../../src/core/record.js';
import type { StreamRef } from '../../../src/core/stream.js';
import { compileStreamTarget, jsonText, toTargetRecord } from '../../../src/connectors/dynamodb/to-target.js';
import type { TypeRules } from '../../../src/connectors/dynamodb/options.js';
import { compositeKeyText, splitCompositeKey, targetKeyOf } from '../../../src/connectors/dynamodb/key.js';
import { FerryError } from '../../../src/errors.js';

interface Col {
  name: string;
  type: string;
  isArray?: boolean;
}

/** A target stream as the engine hands it to the sink (targetRefOf), from a Postgres-like source. */
function stream(opts: { keyColumns?: string[]; keyTypes?: string[]; columns?: Col[]; options?: Record<string, unknown> } = {}): StreamRef {
  const columns = (opts.columns ?? [{ name: 'id', type: 'integer' }]).map((c) => ({ nullable: true, isArray: false, ...c }));
  const keyColumns = opts.keyColumns ?? ['id'];
  return {
    name: 'Items',
    meta: {
      source: 'public.items',
      sourceMeta: {
        schema: 'public',
        table: 'items',
        keyColumns,
        keyTypes: opts.keyTypes ?? keyColumns.map((k) => columns.find((c) => c.name === k)?.type ?? 'text'),
        columns,
        estimatedRows: 10,
      },
      options: opts.options ?? {},
    },
  };
}

function convert(s: StreamRef, value: Doc, key: RecordKey = { id: value['id'] as number }, rules: Partial<TypeRules> = {}): FerryRecord<Doc> {
  return toTargetRecord(compileStreamTarget(s, rules), { key, value });
}

function rejection(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    expect((e as FerryError).code).toBe('ITEM_REJECTED');
    return (e as FerryError).message;
  }
  throw new Error('expected ITEM_REJECTED');
}

describe('toTarget: values', () => {
  const s = stream();

  it('numbers → N as exact canonical text, never via a float', () => {
    const r = convert(s, {
      id: 1,
      i: 42,
      f: 0.1,
      neg: -2.5,
      big: 12345678901234567890123n,
      dec: new Decimal('00123.4500'),
      exact: new Decimal('0.1000000000000000055511151231257827'),
      e: 1e21,
      zero: -0,
    });
    expect(r.value).toEqual({
      id: new Decimal('1'),
      i: new Decimal('42'),
      f: new Decimal('0.1'),
      neg: new Decimal('-2.5'),
      big: new Decimal('12345678901234567890123'),
      dec: new Decimal('123.45'),
      exact: new Decimal('0.1000000000000000055511151231257827'),
      e: new Decimal('1000000000000000000000'),
      zero: new Decimal('0'),
    });
  });

  it('refuses numbers DynamoDB cannot hold, with the reason', () => {
    expect(rejection(() => convert(s, { id: 1, n: new Decimal('1'.repeat(39)) }))).toMatch(/attribute n: .*39 significant digits/);
    expect(rejection(() => convert(s, { id: 1, n: new Decimal('1e126') }))).toMatch(/attribute n: .*larger in magnitude/);
    expect(rejection(() => convert(s, { id: 1, n: 1e300 }))).toMatch(/larger in magnitude/);
    expect(rejection(() => convert(s, { id: 1, n: 5e-324 }))).toMatch(/smaller in magnitude/);
  });

  it('NaN and ±Infinity are rejected, or stored as text with non_finite: string', () => {
    for (const v of [NaN, Infinity, -Infinity, new Decimal('NaN'), new Decimal('Infinity'), new Decimal('-Infinity')]) {
      expect(rejection(() => convert(s, { id: 1, x: v }))).toMatch(/attribute x: .*cannot be stored in a DynamoDB number \(set `non_finite: string`/);
    }
    const r = convert(s, { id: 1, a: NaN, b: new Decimal('-Infinity'), c: Infinity }, { id: 1 }, { nonFinite: 'string' });
    expect(r.value).toMatchObject({ a: 'NaN', b: '-Infinity', c: 'Infinity' });
    // The stream's setting wins over the target's.
    const s2 = stream({ options: { non_finite: 'reject' } });
    expect(rejection(() => convert(s2, { id: 1, a: NaN }, { id: 1 }, { nonFinite: 'string' }))).toMatch(/NaN/);
  });

  it('strings, booleans, null, bytes pass as S, BOOL, NULL, B', () => {
    const bytes = Buffer.from([0, 1, 255]);
    const r = convert(s, { id: 1, s: 'zoë 🚢', empty: '', t: true, f: false, n: null, b: bytes, uuid: '0b5c6c3e-4b8e-4c4f-9b0e-1c2d3e4f5a6b' });
    expect(r.value).toEqual({
      id: new Decimal('1'),
      s: 'zoë 🚢',
      empty: '',
      t: true,
      f: false,
      n: null,
      b: new Uint8Array([0, 1, 255]),
      uuid: '0b5c6c3e-4b8e-4c4f-9b0e-1c2d3e4f5a6b',
    });
    expect(Object.getPrototypeOf(r.value['b'])).toBe(Uint8Array.prototype);
  });

  it('timestamps: ISO-8601 UTC text by default; epoch seconds or millis keep the full fraction exactly', () => {
    const value = {
      id: 1,
      ts: new TimeValue('timestamp', '2024-01-31T00:00:00.123456Z'),
      whole: new TimeValue('timestamp', '2024-01-31T00:00:00Z'),
      old: new TimeValue('timestamp', '1969-12-31T23:59:59.25Z'),
      d: new TimeValue('date', '2024-01-31'),
      t: new TimeValue('time', '12:30:00.5+02:00'),
      js: new Date('2024-01-31T00:00:00.123Z'),
    };
    expect(convert(s, value).value).toMatchObject({
      ts: '2024-01-31T00:00:00.123456Z',
      whole: '2024-01-31T00:00:00Z',
      d: '2024-01-31',
      t: '12:30:00.5+02:00',
      js: '2024-01-31T00:00:00.123Z',
    });
    expect(convert(s, value, { id: 1 }, { timestamps: 'epoch_seconds' }).value).toMatchObject({
      ts: new Decimal('1706659200.123456'),
      whole: new Decimal('1706659200'),
      old: new Decimal('-0.75'),
      d: new Decimal('1706659200'),
      t: '12:30:00.5+02:00', // a time of day has no epoch
      js: new Decimal('1706659200.123'),
    });
    expect(convert(stream({ options: { timestamps: 'epoch_millis' } }), value).value).toMatchObject({
      ts: new Decimal('1706659200123.456'),
      whole: new Decimal('1706659200000'),
      old: new Decimal('-750'),
      d: new Decimal('1706659200000'),
      js: new Decimal('1706659200123'),
    });
    expect(rejection(() => convert(s, { id: 1, ts: new TimeValue('timestamp', 'infinity') }, { id: 1 }, { timestamps: 'epoch_seconds' }))).toMatch(
      /no epoch form/,
    );
    expect(rejection(() => convert(s, { id: 1, d: new Date(NaN) }))).toMatch(/invalid date/);
  });

  it('json columns → M/L, or their JSON text with json: string; nested values follow the same rules', () => {
    const js = stream({ columns: [{ name: 'id', type: 'integer' }, { name: 'doc', type: 'jsonb' }, { name: 'list', type: 'json' }, { name: 'txt', type: 'jsonb' }] });
    const value = {
      id: 1,
      doc: { a: new Decimal('1.50'), nested: { when: new Date('2024-01-01T00:00:00Z'), flags: [true, null] } },
      list: [1, 'two', { three: 3 }],
      txt: 'plain',
    };
    expect(convert(js, value).value).toEqual({
      id: new Decimal('1'),
      doc: { a: new Decimal('1.5'), nested: { when: '2024-01-01T00:00:00.000Z', flags: [true, null] } },
      list: [new Decimal('1'), 'two', { three: new Decimal('3') }],
      txt: 'plain',
    });
    expect(convert(js, value, { id: 1 }, { json: 'string' }).value).toEqual({
      id: new Decimal('1'),
      doc: '{"a":1.5,"nested":{"when":"2024-01-01T00:00:00.000Z","flags":[true,null]}}',
      list: '[1,"two",{"three":3}]',
      txt: '"plain"',
    });
    // A map under a name the source does not describe (renamed or computed) is JSON too.
    expect(convert(js, { id: 1, renamed: { x: 1 } }, { id: 1 }, { json: 'string' }).value['renamed']).toBe('{"x":1}');
    expect(jsonText([new Decimal('1e3'), 12n, new Uint8Array([1]), new TypedSet('string', ['a'])], 'x')).toBe('[1000,12,"AQ==",["a"]]');
  });

  it('arrays → L by default; SS/NS/BS with arrays: set (duplicates dropped; empty, null, mixed refused)', () => {
    const as = stream({
      columns: [{ name: 'id', type: 'integer' }, { name: 'tags', type: 'text[]', isArray: true }, { name: 'nums', type: 'integer[]', isArray: true }, { name: 'doc', type: 'jsonb' }],
    });
    const value = { id: 1, tags: ['b', 'a', 'b'], nums: [3, new Decimal('1.0'), 1n], doc: ['x', 'x'] };
    expect(convert(as, value).value).toEqual({
      id: new Decimal('1'),
      tags: ['b', 'a', 'b'],
      nums: [new Decimal('3'), new Decimal('1'), new Decimal('1')],
      doc: ['x', 'x'],
    });
    const sets = convert(as, value, { id: 1 }, { arrays: 'set' }).value;
    expect(sets['tags']).toEqual(new TypedSet('string', ['b', 'a']));
    expect(sets['nums']).toEqual(new TypedSet('number', [new Decimal('3'), new Decimal('1')]));
    expect(sets['doc']).toEqual(['x', 'x']); // JSON keeps its lists
    expect(convert(as, { id: 1, bins: [new Uint8Array([1]), new Uint8Array([1]), new Uint8Array([2])] }, { id: 1 }, { arrays: 'set' }).value['bins']).toEqual(
      new TypedSet('binary', [new Uint8Array([1]), new Uint8Array([2])]),
    );
    expect(convert(as, { id: 1, days: [new TimeValue('date', '1970-01-02')] }, { id: 1 }, { arrays: 'set', timestamps: 'epoch_seconds' }).value['days']).toEqual(
      new TypedSet('number', [new Decimal('86400')]),
    );
    expect(rejection(() => convert(as, { id: 1, tags: [] }, { id: 1 }, { arrays: 'set' }))).toMatch(/attribute tags: DynamoDB cannot store an empty set/);
    expect(convert(as, { id: 1, tags: [] }, { id: 1 }, { arrays: 'set', emptySets: 'omit' }).value).not.toHaveProperty('tags');
    expect(rejection(() => convert(as, { id: 1, tags: ['a', null] }, { id: 1 }, { arrays: 'set' }))).toMatch(/tags\[1\]: .*cannot put a null in a DynamoDB set/);
    expect(rejection(() => convert(as, { id: 1, tags: ['a', 1] }, { id: 1 }, { arrays: 'set' }))).toMatch(/mixes string and number/);
  });

  it('TypedSet → SS/NS/BS; an empty one is refused ("DynamoDB cannot store an empty set") or omitted', () => {
    const r = convert(s, { id: 1, ss: new TypedSet('string', ['a', 'a', 'b']), ns: new TypedSet('number', [new Decimal('1.50'), new Decimal('1.5')]) });
    expect(r.value['ss']).toEqual(new TypedSet('string', ['a', 'b']));
    expect(r.value['ns']).toEqual(new TypedSet('number', [new Decimal('1.5')]));
    expect(rejection(() => convert(s, { id: 1, e: new TypedSet('string', []) }))).toMatch(/attribute e: DynamoDB cannot store an empty set/);
    expect(rejection(() => convert(s, { id: 1, m: { e: new TypedSet('binary', []) } }))).toMatch(/attribute m\.e: DynamoDB cannot store an empty set/);
    expect(convert(s, { id: 1, e: new TypedSet('string', []), m: { e: new TypedSet('number', []) } }, { id: 1 }, { emptySets: 'omit' }).value).toEqual({
      id: new Decimal('1'),
      m: {},
    });
    expect(rejection(() => convert(s, { id: 1, ns: new TypedSet('number', [new Decimal('NaN')]) }))).toMatch(/NaN cannot be stored in a DynamoDB number set/);
  });

  it('refuses values with no DynamoDB form', () => {
    expect(rejection(() => convert(s, { id: 1, m: new Map() as never }))).toMatch(/attribute m: a value of type Map has no DynamoDB form/);
    expect(rejection(() => convert(s, { id: 1, '': 'x' }))).toMatch(/empty name/);
  });

  it('sets sizeBytes to the DynamoDB item size', () => {
    expect(convert(s, { id: 1, s: 'abc' }).sizeBytes).toBe(2 + 2 + 1 + 3);
  });
});

describe('toTarget: the target key', () => {
  it('one source key column → partition key; the key part is a number for N', () => {
    const r = convert(stream(), { id: 7, name: 'x' });
    expect(r.key).toEqual({ id: 7 });
    expect(r.value['id']).toEqual(new Decimal('7'));
  });

  it('two → partition + sort, with types from the column types', () => {
    const s = stream({
      keyColumns: ['tenant', 'created'],
      columns: [{ name: 'tenant', type: 'uuid' }, { name: 'created', type: 'timestamp with time zone' }],
    });
    expect(targetKeyOf(s, 'iso')).toMatchObject({ partition: { name: 'tenant', type: 'S' }, sort: { name: 'created', type: 'S' } });
    expect(targetKeyOf(s, 'epoch_millis')).toMatchObject({ partition: { name: 'tenant', type: 'S' }, sort: { name: 'created', type: 'N' } });
    const v = { tenant: 't1', created: new TimeValue('timestamp', '2024-01-31T00:00:00Z') };
    expect(convert(s, v, { tenant: 't1', created: '2024-01-31T00:00:00Z' }).key).toEqual({ tenant: 't1', created: '2024-01-31T00:00:00Z' });
    expect(convert(s, v, { tenant: 't1', created: 'x' }, { timestamps: 'epoch_millis' }).key).toEqual({ tenant: 't1', created: 1706659200000 });
  });

  it('three or more → a string partition attribute `pk`: parts joined by #, with # and \\ escaped', () => {
    const s = stream({
      keyColumns: ['a', 'b', 'c'],
      columns: [{ name: 'a', type: 'bigint' }, { name: 'b', type: 'text' }, { name: 'c', type: 'bytea' }],
    });
    expect(targetKeyOf(s, 'iso')).toEqual({ partition: { name: 'pk', type: 'S' }, composite: ['a', 'b', 'c'], origin: 'source' });
    const r = convert(s, { a: 42n, b: 'x#y\\z', c: new Uint8Array([1, 2]) }, { a: 42n, b: 'x#y\\z', c: 'AQI=' });
    expect(r.key).toEqual({ pk: '42#x\\#y\\\\z#AQI=' });
    expect(r.value).toMatchObject({ pk: '42#x\\#y\\\\z#AQI=', a: new Decimal('42'), b: 'x#y\\z' });
    expect(splitCompositeKey(r.key['pk'] as string)).toEqual(['42', 'x#y\\z', 'AQI=']);
    expect(compositeKeyText(['a#', '#b'])).not.toBe(compositeKeyText(['a', '', 'b']));
    expect(rejection(() => convert(s, { a: 1, b: null, c: new Uint8Array([1]) }, { a: 1, b: null, c: 'AQ==' }))).toMatch(/key attribute pk: key column b is null/);
  });

  it('the plan key names attributes after the field map: map.set pk + key: { partition: pk }', () => {
    const s = stream({ options: { key: { partition: 'pk', sort: 'sk' } } });
    const r = convert(s, { pk: 'INVOICE#7', sk: 3, id: 7 });
    expect(r.key).toEqual({ pk: 'INVOICE#7', sk: '3' }); // sk is not a source column: S, the number becomes its text
    expect(r.value).toMatchObject({ pk: 'INVOICE#7', sk: '3', id: new Decimal('7') });
    const typed = stream({ options: { key: { partition: 'pk', sort: 'sk', sort_type: 'N' } } });
    expect(convert(typed, { pk: 'A', sk: '12.0' }).key).toEqual({ pk: 'A', sk: 12 });
    expect(rejection(() => convert(typed, { pk: 'A', sk: 'abc' }))).toMatch(/key attribute sk: the table keys it as a number \(N\), but the value is text "abc"/);
  });

  it('a missing, null or empty key value is refused, naming the attribute', () => {
    const s = stream({ options: { key: { partition: 'pk' } } });
    expect(rejection(() => convert(s, { id: 1 }))).toMatch(/key attribute pk: the item has no such attribute/);
    expect(rejection(() => convert(s, { pk: null }))).toMatch(/key attribute pk: is null/);
    expect(rejection(() => convert(s, { pk: '' }))).toMatch(/key attribute pk: is empty/);
    expect(rejection(() => convert(s, { pk: 'x'.repeat(2049) }))).toMatch(/key attribute pk: is 2049 bytes, over DynamoDB's 2048-byte limit/);
    const b = stream({ columns: [{ name: 'id', type: 'bytea' }] });
    expect(rejection(() => convert(b, { id: new Uint8Array() }, { id: '' }))).toMatch(/key attribute id: is empty/);
  });

  it('a key column the map excluded still keys the item, from the record key', () => {
    const r = convert(stream(), { name: 'x' }, { id: 5 });
    expect(r.value).toEqual({ name: 'x', id: new Decimal('5') });
    expect(r.key).toEqual({ id: 5 });
  });

  it('without a plan key or source key: the record key, typed by its values', () => {
    const bare: StreamRef = { name: 'T', meta: { sourceMeta: {}, options: {} } };
    expect(convert(bare, { k: 'a', n: 2 }, { k: 'a', n: 2 }).key).toEqual({ k: 'a', n: 2 });
  });

  it('follows the field map: a renamed key column keys the table under its new name and type', () => {
    const s = stream({ columns: [{ name: 'invoice_id', type: 'integer' }], keyColumns: ['invoice_id'] });
    s.meta = { ...s.meta, map: { rename: { invoice_id: 'InvoiceId' } } };
    expect(targetKeyOf(s, 'iso')).toEqual({ partition: { name: 'InvoiceId', type: 'N' }, origin: 'source' });
    const r = convert(s, { InvoiceId: 7, total: 1 }, { InvoiceId: 7 });
    expect(r.key).toEqual({ InvoiceId: 7 });
  });

  it('takes the key of a DynamoDB source from its key schema', () => {
    const s: StreamRef = {
      name: 'T',
      meta: { sourceMeta: { keySchema: [{ name: 'sk', type: 'RANGE', attrType: 'N' }, { name: 'pk', type: 'HASH', attrType: 'S' }] }, options: {} },
    };
    expect(targetKeyOf(s, 'iso')).toEqual({ partition: { name: 'pk', type: 'S' }, sort: { name: 'sk', type: 'N' }, origin: 'source' });
  });

  it('large N keys become bigints, fractional ones their text', () => {
    const s = stream({ columns: [{ name: 'id', type: 'numeric' }] });
    expect(convert(s, { id: new Decimal('123456789012345678901') }, { id: '1' }).key).toEqual({ id: 123456789012345678901n });
    expect(convert(s, { id: new Decimal('1.50') }, { id: '1' }).key).toEqual({ id: '1.5' });
  });
});
