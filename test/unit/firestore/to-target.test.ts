import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type Doc, type FerryRecord, type RecordKey } from '../../../src/core/record.js';
import type { StreamRef } from '../../../src/core/stream.js';
import { compileStreamTarget, toTargetRecord } from '../../../src/connectors/firestore/to-target.js';
import type { FirestoreRules } from '../../../src/connectors/firestore/options.js';
import { documentSize, MAX_DOCUMENT_BYTES } from '../../../src/connectors/firestore/document-size.js';
import { FerryError } from '../../../src/errors.js';

/** A target stream as the engine hands it to the sink (targetRefOf), from a DynamoDB source. */
function stream(name = 'artists', options: Record<string, unknown> = {}, keys = ['id']): StreamRef {
  return {
    name,
    meta: {
      source: 'Artists',
      sourceMeta: { table: 'Artists', keySchema: keys.map((k, i) => ({ name: k, type: i ? 'RANGE' : 'HASH', attrType: 'S' })), keyColumns: keys },
      options,
      map: {},
    },
  };
}

function convert(value: Doc, opts: { key?: RecordKey; rules?: Partial<FirestoreRules>; s?: StreamRef } = {}): FerryRecord<Doc> {
  const key = opts.key ?? { id: (value['id'] as string | number | undefined) ?? 1 };
  return toTargetRecord(compileStreamTarget(opts.s ?? stream(), opts.rules ?? {}), { key, value });
}

function rejection(f: () => unknown, code = 'ITEM_REJECTED'): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    expect((e as FerryError).code).toBe(code);
    return (e as FerryError).message;
  }
  throw new Error(`expected ${code}`);
}

function nest(levels: number, leaf: unknown): Doc {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v as Doc;
}

describe('Firestore toTarget: values', () => {
  it('maps DynamoDB values: S, N, B, BOOL, NULL, M, L', () => {
    const r = convert({
      id: 'x',
      s: 'zoë',
      n: new Decimal('42'),
      f: new Decimal('1.50'),
      b: new Uint8Array([1, 2]),
      t: true,
      z: null,
      m: { k: new Decimal('-7'), inner: { deep: 'v' } },
      l: [new Decimal('1'), 'two', null, { x: false }],
    });
    expect(r.value).toEqual({
      id: 'x',
      s: 'zoë',
      n: 42,
      f: 1.5,
      b: new Uint8Array([1, 2]),
      t: true,
      z: null,
      m: { k: -7, inner: { deep: 'v' } },
      l: [1, 'two', null, { x: false }],
    });
    expect(r.key).toEqual({ path: 'artists/x' });
  });

  it('keeps integers exact: safe → number, int64 → bigint, beyond int64 → double only when it prints the same', () => {
    const v = convert({
      safe: new Decimal('9007199254740991'),
      unsafe: new Decimal('9007199254740993'),
      max: new Decimal('9223372036854775807'),
      min: new Decimal('-9223372036854775808'),
      twoTo64: new Decimal('18446744073709552000'),
      e300: new Decimal('1E+300'),
      big: 2n ** 62n,
      bigBeyond: 10n ** 30n,
      negZero: new Decimal('-0'),
      intText: new Decimal('100.000'),
    }).value;
    expect(v).toEqual({
      safe: 9007199254740991,
      unsafe: 9007199254740993n,
      max: 9223372036854775807n,
      min: -9223372036854775808n,
      twoTo64: 18446744073709551616,
      e300: 1e300,
      big: 2n ** 62n,
      bigBeyond: 1e30,
      negZero: 0,
      intText: 100,
    });
  });

  it('stores fractions as doubles when the double reads back as the same number, else per `numbers`', () => {
    expect(convert({ a: new Decimal('0.1'), b: new Decimal('-2.5E-7'), c: 0.30000000000000004 }).value).toEqual({ a: 0.1, b: -2.5e-7, c: 0.30000000000000004 });
    for (const text of ['0.1234567890123456789', '18446744073709551616', '1E+400', '1E-400']) {
      expect(rejection(() => convert({ n: new Decimal(text) }))).toMatch(/field n: the number .* is neither a 64-bit integer nor exactly a double \(set `numbers: string`/);
      const canonical = text === '1E+400' ? '1e+400' : text === '1E-400' ? '1e-400' : text;
      expect(convert({ n: new Decimal(text) }, { rules: { numbers: 'string' } }).value).toEqual({ n: canonical });
    }
    expect(convert({ n: 2n ** 64n + 1n }, { rules: { numbers: 'string' } }).value).toEqual({ n: '18446744073709551617' });
    expect(rejection(() => convert({ n: new Decimal('abc') }))).toMatch(/"abc" is not a number/);
  });

  it('keeps NaN and infinities as doubles (Firestore holds them)', () => {
    const v = convert({ a: Number.NaN, b: new Decimal('NaN'), c: new Decimal('-Infinity'), d: Number.POSITIVE_INFINITY }).value;
    expect(v['a']).toBeNaN();
    expect(v['b']).toBeNaN();
    expect(v['c']).toBe(Number.NEGATIVE_INFINITY);
    expect(v['d']).toBe(Number.POSITIVE_INFINITY);
  });

  it('turns timestamps into microsecond UTC timestamps, dates and times into text', () => {
    const v = convert({
      ts: new TimeValue('timestamp', '2024-01-31T12:34:56.123456Z'),
      offset: new TimeValue('timestamp', '2024-01-31 23:00:00+05:30'),
      whole: new TimeValue('timestamp', '2024-01-31T12:34:56Z'),
      js: new Date('2024-01-31T12:34:56.789Z'),
      ancient: new TimeValue('timestamp', '0001-01-01T00:00:00Z'),
      day: new TimeValue('date', '2024-02-29'),
      clock: new TimeValue('time', '12:30:00.5+02:00'),
      nanosZero: new TimeValue('timestamp', '2024-01-31T12:34:56.123456000Z'),
    }).value;
    expect(v).toEqual({
      ts: new TimeValue('timestamp', '2024-01-31T12:34:56.123456Z'),
      offset: new TimeValue('timestamp', '2024-01-31T17:30:00.000000Z'),
      whole: new TimeValue('timestamp', '2024-01-31T12:34:56.000000Z'),
      js: new TimeValue('timestamp', '2024-01-31T12:34:56.789000Z'),
      ancient: new TimeValue('timestamp', '0001-01-01T00:00:00.000000Z'),
      day: '2024-02-29',
      clock: '12:30:00.5+02:00',
      nanosZero: new TimeValue('timestamp', '2024-01-31T12:34:56.123456000Z'.replace('000Z', 'Z')),
    });
    expect(rejection(() => convert({ t: new TimeValue('timestamp', 'infinity') }))).toMatch(/field t: "infinity" cannot be a Firestore timestamp/);
    expect(rejection(() => convert({ t: new TimeValue('timestamp', '2024-01-31T12:34:56.1234567Z') }))).toMatch(/finer fraction than the microseconds/);
    expect(rejection(() => convert({ t: new Date(Number.NaN) }))).toMatch(/invalid date/);
    expect(rejection(() => convert({ t: new Date('+010000-01-01T00:00:00Z') }))).toMatch(/outside Firestore's timestamp range/);
  });

  it('sorts sets into arrays, or keeps them as tagged sets', () => {
    const value = {
      ss: new TypedSet('string', ['b', 'é', 'a', 'Z', 'a']),
      ns: new TypedSet('number', [new Decimal('10'), new Decimal('-1.5'), new Decimal('2'), new Decimal('9007199254740993')]),
      bs: new TypedSet('binary', [new Uint8Array([2]), new Uint8Array([1, 255]), new Uint8Array([1])]),
    };
    expect(convert(value).value).toEqual({
      ss: ['Z', 'a', 'b', 'é'],
      ns: [-1.5, 2, 10, 9007199254740993n],
      bs: [new Uint8Array([1]), new Uint8Array([1, 255]), new Uint8Array([2])],
    });
    expect(convert(value, { rules: { sets: 'tagged' } }).value).toEqual({
      ss: new TypedSet('string', ['Z', 'a', 'b', 'é']),
      ns: new TypedSet('number', [new Decimal('-1.5'), new Decimal('2'), new Decimal('10'), new Decimal('9007199254740993')]),
      bs: new TypedSet('binary', [new Uint8Array([1]), new Uint8Array([1, 255]), new Uint8Array([2])]),
    });
    expect(rejection(() => convert({ ns: new TypedSet('number', [new Decimal('0.12345678901234567891')]) }, { rules: { sets: 'tagged' } }))).toMatch(/numbers: string/);
  });

  it('refuses arrays in arrays, or wraps them as { values }', () => {
    expect(rejection(() => convert({ l: [1, [2, 3]] }))).toMatch(/field l\[1\]: an array inside an array, which Firestore cannot store \(set `nested_arrays: wrap`/);
    expect(rejection(() => convert({ l: [new TypedSet('string', ['a'])] }))).toMatch(/field l\[0\]: an array inside an array/);
    expect(convert({ l: [1, [2, [3]], { m: [4] }] }, { rules: { nestedArrays: 'wrap' } }).value).toEqual({
      l: [1, { values: [2, { values: [3] }] }, { m: [4] }],
    });
    // A set inside a list is a map under `sets: tagged`: no nesting problem.
    expect(convert({ l: [new TypedSet('string', ['a'])] }, { rules: { sets: 'tagged' } }).value).toEqual({ l: [new TypedSet('string', ['a'])] });
  });

  it('refuses field names Firestore refuses', () => {
    expect(rejection(() => convert({ '': 1 }))).toMatch(/field "": an empty field name/);
    expect(rejection(() => convert({ m: { __name__: 1 } }))).toMatch(/field m.__name__: the field name "__name__" matches __.\*__/);
    expect(rejection(() => convert({ ['k'.repeat(1501)]: 1 }))).toMatch(/a field name of 1501 bytes, over Firestore's 1500/);
    expect(rejection(() => convert({ ['\ud800']: 1 }))).toMatch(/not valid Unicode/);
    expect(rejection(() => convert({ s: 'a\udc00b' }))).toMatch(/field s: text that is not valid Unicode/);
    // Dots, spaces, `$` and backticks are ordinary characters of a field name.
    expect(convert({ 'a.b': 1, 'x y': 2, $z: 3, '`q`': 4, _x_: 5 }).value).toEqual({ 'a.b': 1, 'x y': 2, $z: 3, '`q`': 4, _x_: 5 });
  });

  it('refuses values nested deeper than 20 maps/arrays below a top-level field', () => {
    // A scalar or an array 20 levels down (a field path of 21 names) is the deepest the emulator and the SDK take;
    // a map only 19 (its fields would be 21 deep).
    expect(() => convert({ a: nest(20, 1) })).not.toThrow();
    expect(() => convert({ a: nest(20, []) })).not.toThrow();
    expect(() => convert({ a: nest(19, {}) })).not.toThrow();
    expect(rejection(() => convert({ a: nest(20, {}) }))).toMatch(/nested deeper than Firestore's 20 levels/);
    expect(rejection(() => convert({ a: nest(19, [{}]) }))).toMatch(/nested deeper/);
    expect(rejection(() => convert({ a: nest(21, 1) }))).toMatch(/field a(\.a){20}: nested deeper/);
    expect(rejection(() => convert({ a: nest(20, [1]) }))).toMatch(/nested deeper/);
    // Wrapping adds a level.
    expect(rejection(() => convert({ a: nest(19, [[1]]) }, { rules: { nestedArrays: 'wrap' } }))).toMatch(/nested deeper/);
  });

  it('refuses documents over 1 MiB by Firestore size rules, and says the size', () => {
    const path = 'artists/1';
    const fits = 'x'.repeat(MAX_DOCUMENT_BYTES - documentSize(path, { id: 1, s: '' }));
    const ok = convert({ id: 1, s: fits });
    expect(ok.sizeBytes).toBe(MAX_DOCUMENT_BYTES);
    expect(rejection(() => convert({ id: 1, s: `${fits}y` }))).toBe(
      `document artists/1 is ${MAX_DOCUMENT_BYTES + 1} bytes by Firestore's size rules, over its limit of ${MAX_DOCUMENT_BYTES} bytes (1 MiB)`,
    );
  });

  it('refuses values it has no Firestore type for', () => {
    expect(rejection(() => convert({ m: new Map() as never }))).toMatch(/a value of type Map/);
    expect(rejection(() => toTargetRecord(compileStreamTarget(stream(), {}), { key: { id: 1 }, value: 'text' }))).toMatch(/not a document/);
  });
});

describe('Firestore toTarget: document paths', () => {
  it('defaults the id to the record key; partition + sort joined by # with escapes', () => {
    expect(convert({ id: 7 }).key).toEqual({ path: 'artists/7' });
    expect(convert({}, { key: { pk: 'ARTIST#1', sk: 'ALBUM\\2' }, s: stream('items', {}, ['pk', 'sk']) }).key).toEqual({ path: 'items/ARTIST\\#1#ALBUM\\\\2' });
    expect(convert({}, { key: { pk: 'a', sk: 3 } }).key).toEqual({ path: 'artists/a#3' });
    expect(rejection(() => convert({}, { key: {} }))).toMatch(/no key, and the stream names no `id:`/);
    expect(rejection(() => convert({}, { key: { pk: 'a', sk: null } }))).toMatch(/key part sk is null/);
  });

  it('renders `id:` and `to:` templates per record, including subcollections', () => {
    const s = stream('artists/${ArtistId}/albums', { id: 'album-${AlbumId}' });
    const r = convert({ ArtistId: new Decimal('1'), AlbumId: 10, Title: 'x' }, { s });
    expect(r.key).toEqual({ path: 'artists/1/albums/album-10' });
    const mixed = stream('tenants/t-${tenant}/users', { id: '${user.name}' });
    expect(convert({ tenant: 'acme', user: { name: 'zoë' } }, { s: mixed }).key).toEqual({ path: 'tenants/t-acme/users/zoë' });
    // A field the map left out of the document is still found in the record key.
    expect(convert({ Title: 'x' }, { s: stream('albums', { id: '${AlbumId}' }), key: { AlbumId: 5 } }).key).toEqual({ path: 'albums/5' });
    // `$${` is a literal `${`.
    expect(convert({ a: 1 }, { s: stream('c', { id: 'lit-$${x}' }) }).key).toEqual({ path: 'c/lit-${x}' });
    expect(rejection(() => convert({ Title: 'x' }, { s }))).toMatch(/the record has no field "ArtistId"/);
    expect(rejection(() => convert({ ArtistId: null, AlbumId: 1 }, { s }))).toMatch(/field "ArtistId" is null/);
    expect(rejection(() => convert({ ArtistId: { a: 1 }, AlbumId: 1 }, { s }))).toMatch(/field "ArtistId" has no text form/);
  });

  it('escapes bad ids by default, in ids and in templated path segments', () => {
    expect(convert({ id: 'a/b' }).key).toEqual({ path: 'artists/a%2Fb' });
    expect(convert({ id: '50%' }).key).toEqual({ path: 'artists/50%25' });
    expect(convert({ id: '..' }).key).toEqual({ path: 'artists/%2E%2E' });
    expect(convert({ id: '__x__' }).key).toEqual({ path: 'artists/%5F_x__' });
    const s = stream('artists/${a}/albums', { id: '${b}' });
    expect(convert({ a: 'x/y', b: '.' }, { s }).key).toEqual({ path: 'artists/x%2Fy/albums/%2E' });
  });

  it('rejects bad ids with `bad_ids: reject`, and empty or too long ids always', () => {
    const rules = { badIds: 'reject' as const };
    expect(rejection(() => convert({ id: 'a/b' }, { rules }))).toBe('document id "a/b" contains "/"; set `bad_ids: escape` to percent-encode it');
    expect(rejection(() => convert({ id: '.' }, { rules }))).toMatch(/document id "." is "."/);
    expect(rejection(() => convert({ id: '__x__' }, { rules }))).toMatch(/matches __.\*__/);
    expect(convert({ id: '50%' }, { rules }).key).toEqual({ path: 'artists/50%' });
    expect(rejection(() => convert({ id: '' }))).toMatch(/document id "" is empty/);
    expect(rejection(() => convert({ id: 'é'.repeat(751) }))).toMatch(/is 1502 bytes, over Firestore's 1500/);
    expect(convert({ id: 'é'.repeat(750) }).key['path']).toBe(`artists/${'é'.repeat(750)}`);
    // Escaping can push an id over the limit.
    expect(rejection(() => convert({ id: '/'.repeat(600) }))).toMatch(/escaped: .* is 1800 bytes/);
    const s = stream('artists/${a}/albums', { id: '${b}' });
    expect(rejection(() => convert({ a: 'x/y', b: 1 }, { s, rules }))).toMatch(/document id from the `to` segment "\$\{a\}": "x\/y" contains "\/"/);
    const c = stream('${kind}', { id: '${b}' });
    expect(rejection(() => convert({ kind: '__k__', b: 1 }, { s: c, rules }))).toMatch(/collection id from the `to` segment "\$\{kind\}": "__k__" matches/);
    expect(convert({ kind: '__k__', b: 1 }, { s: c }).key).toEqual({ path: '%5F_k__/1' });
  });

  it('refuses `to:` paths that can never work, when the stream is compiled', () => {
    const compile = (name: string, id?: string) => () => compileStreamTarget(stream(name, id ? { id } : {}), {});
    expect(rejection(compile('artists/1'), 'CONFIG')).toMatch(/"artists\/1" has 2 segments; a collection path has an odd number/);
    expect(rejection(compile('a//b'), 'CONFIG')).toMatch(/an empty document id/);
    expect(rejection(compile('__x__'), 'CONFIG')).toMatch(/the collection id "__x__" matches __.\*__/);
    expect(rejection(compile('a/b/${x'), 'CONFIG')).toMatch(/unclosed/);
    expect(rejection(compile('a', 'id-${'), 'CONFIG')).toMatch(/unclosed/);
  });
});
