// ferry's typed JSON (the backup data files' encoding) round-trips every neutral value exactly, including the ones
// plain JSON loses, and refuses damaged input with the path of the bad value.
import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type Doc } from '../../../src/core/record.js';
import { fromTypedJson, parseRecordLine, recordLine, toTypedJson, TypedJsonError } from '../../../src/transform/typed-json.js';

const tricky: Doc = {
  text: 'ça 🚢 "quoted" \u0000',
  int: 42,
  float: 0.1,
  negZero: -0,
  nan: Number.NaN,
  inf: Number.NEGATIVE_INFINITY,
  big: 2n ** 70n,
  exact: new Decimal('12345678901234567890.000000000000000001'),
  when: new Date('2024-02-29T12:34:56.789Z'),
  micro: new TimeValue('timestamp', '2024-02-29T12:34:56.123456Z'),
  day: new TimeValue('date', '2024-02-29'),
  clock: new TimeValue('time', '23:59:59.999999+05:30'),
  bytes: new Uint8Array([0, 255, 1, 128]),
  tags: new TypedSet('string', ['a', 'b']),
  nums: new TypedSet('number', [new Decimal('1'), new Decimal('1e-130')]),
  blobs: new TypedSet('binary', [new Uint8Array([1]), new Uint8Array([])]),
  list: [1, 'two', null, [new Decimal('3.0')], { nested: true }],
  dollar: { $: 'i', v: '1' }, // a document that looks like a tag
  empty: {},
  nil: null,
};

describe('typed JSON', () => {
  it('round-trips every value type exactly, through text', () => {
    const back = fromTypedJson(JSON.parse(JSON.stringify(toTypedJson(tricky)))) as Doc;
    expect(back).toStrictEqual(tricky);
    expect(Object.is(back['negZero'], -0)).toBe(true);
    expect(back['exact']).toBeInstanceOf(Decimal);
    expect((back['micro'] as TimeValue).iso).toBe('2024-02-29T12:34:56.123456Z');
    expect(back['dollar']).toEqual({ $: 'i', v: '1' });
  });

  it('writes plain JSON for plain values, and tags only what JSON cannot say', () => {
    expect(JSON.stringify(toTypedJson({ a: 1, b: 'x', c: [true, null] }))).toBe('{"a":1,"b":"x","c":[true,null]}');
    expect(toTypedJson(2n ** 64n)).toEqual({ $: 'i', v: '18446744073709551616' });
    expect(toTypedJson({ $: 1 })).toEqual({ $: 'o', v: { $: 1 } });
  });

  it('a record line holds the key and the document', () => {
    const line = recordLine({ id: 9007199254740993n, region: 'eu' }, { id: 9007199254740993n, total: new Decimal('10.50') });
    expect(line).toBe('{"k":{"id":{"$":"i","v":"9007199254740993"},"region":"eu"},"v":{"id":{"$":"i","v":"9007199254740993"},"total":{"$":"n","v":"10.50"}}}');
    expect(parseRecordLine(line, 'f:1')).toStrictEqual({ key: { id: 9007199254740993n, region: 'eu' }, doc: { id: 9007199254740993n, total: new Decimal('10.50') } });
  });

  it('refuses damaged input, naming where', () => {
    const bad = (j: unknown): string => {
      try {
        fromTypedJson(j);
      } catch (e) {
        expect(e).toBeInstanceOf(TypedJsonError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ a: { $: 'i', v: '1.5' } })).toBe('$.a: "1.5" is not an integer');
    expect(bad({ a: [{ $: 'zz', v: 1 }] })).toBe('$.a[0]: unknown tag "zz"');
    expect(bad({ $: 'ns', v: ['x'] })).toBe('$: a number set holds another type');
    expect(bad({ $: 'b', v: 'not base64!' })).toBe('$: not base64');
    expect(() => parseRecordLine('{"k":{"id":1}', 'data/part-00003.ndjson.gz:17')).toThrow(/^data\/part-00003.ndjson.gz:17: not JSON/);
    expect(() => parseRecordLine('{"k":{"id":[1]},"v":{}}', 'f:2')).toThrow('f:2: key part id is not a scalar');
    expect(() => toTypedJson(new Date(Number.NaN))).toThrow(/invalid Date/);
  });
});
