import { GeoPoint, Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet } from '../../../src/core/record.js';
import { fromSdkData, fromSdkValue, isoOf, timestampOf, toSdkData } from '../../../src/connectors/firestore/marshal.js';

describe('Firestore marshal', () => {
  it('writes timestamps with their microseconds, tagged sets as maps, the rest as it is', () => {
    const out = toSdkData({
      ts: new TimeValue('timestamp', '1969-12-31T23:59:59.000001Z'),
      set: new TypedSet('number', [new Decimal('1.5'), new Decimal('9007199254740993'), new Decimal('0.12345678901234567891')]),
      b: new Uint8Array([1]),
      n: 9007199254740993n,
      l: [1, 'a', null],
    });
    expect(out['ts']).toEqual(new Timestamp(-1, 1000));
    expect(out['set']).toEqual({ 'ferry:set': 'number', values: [1.5, 9007199254740993n, '0.12345678901234567891'] });
    expect(out).toMatchObject({ b: new Uint8Array([1]), n: 9007199254740993n, l: [1, 'a', null] });
  });

  it('reads every Firestore type as a neutral value', () => {
    const v = fromSdkData({
      int: 42n,
      big: 9007199254740993n,
      dbl: 1.5,
      ts: new Timestamp(1706704496, 123456000),
      nanos: new Timestamp(0, 1),
      bytes: Buffer.from([1, 2]),
      geo: new GeoPoint(1.5, -2.25),
      tagged: { 'ferry:set': 'string', values: ['a', 'b'] },
      taggedNum: { 'ferry:set': 'number', values: [1n, 2.5, '0.12345678901234567891'] },
      notTagged: { 'ferry:set': 'colour', values: ['a'] },
      map: { l: [1n, { x: null }] },
    });
    expect(v).toEqual({
      int: 42,
      big: 9007199254740993n,
      dbl: 1.5,
      ts: new TimeValue('timestamp', '2024-01-31T12:34:56.123456Z'),
      nanos: new TimeValue('timestamp', '1970-01-01T00:00:00.000000001Z'),
      bytes: new Uint8Array([1, 2]),
      geo: { latitude: 1.5, longitude: -2.25 },
      tagged: new TypedSet('string', ['a', 'b']),
      taggedNum: new TypedSet('number', [new Decimal('1'), new Decimal('2.5'), new Decimal('0.12345678901234567891')]),
      notTagged: { 'ferry:set': 'colour', values: ['a'] },
      map: { l: [1, { x: null }] },
    });
    expect(Buffer.isBuffer(v['bytes'])).toBe(false);
    expect(fromSdkValue(-0)).toBe(-0);
  });

  it('converts timestamp texts both ways', () => {
    expect(timestampOf('0001-01-01T00:00:00.000000Z')).toEqual(new Timestamp(-62135596800, 0));
    expect(timestampOf('9999-12-31T23:59:59.999999Z')).toEqual(new Timestamp(253402300799, 999999000));
    expect(isoOf(253402300799, 999999000)).toBe('9999-12-31T23:59:59.999999Z');
    expect(() => timestampOf('2024-01-31T12:00:00+02:00')).toThrow(/not a UTC timestamp/);
  });
});
