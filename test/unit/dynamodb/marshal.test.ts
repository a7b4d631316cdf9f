import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type Doc } from '../../../src/core/record.js';
import { fromItem, itemFromJson, itemKeyText, itemToJson, keyPartOf, toAttributeValue, toItem } from '../../../src/connectors/dynamodb/marshal.js';
import { FerryError } from '../../../src/errors.js';

describe('marshal', () => {
  it('DynamoDB-form values ⇄ AttributeValues, exactly', () => {
    const doc: Doc = {
      s: 'zoë',
      n: new Decimal('-1.5'),
      b: new Uint8Array([1, 2]),
      t: true,
      z: null,
      l: [new Decimal('1'), 'a', [null]],
      m: { inner: { x: 'y' } },
      ss: new TypedSet('string', ['a', 'b']),
      ns: new TypedSet('number', [new Decimal('1'), new Decimal('2.5')]),
      bs: new TypedSet('binary', [new Uint8Array([9])]),
    };
    const item = toItem(doc);
    expect(item).toEqual({
      s: { S: 'zoë' },
      n: { N: '-1.5' },
      b: { B: new Uint8Array([1, 2]) },
      t: { BOOL: true },
      z: { NULL: true },
      l: { L: [{ N: '1' }, { S: 'a' }, { L: [{ NULL: true }] }] },
      m: { M: { inner: { M: { x: { S: 'y' } } } } },
      ss: { SS: ['a', 'b'] },
      ns: { NS: ['1', '2.5'] },
      bs: { BS: [new Uint8Array([9])] },
    });
    expect(fromItem(item)).toEqual(doc);
  });

  it('takes neutral values the marshaller meets unconverted, and refuses what DynamoDB cannot hold', () => {
    expect(toAttributeValue(42, 'x')).toEqual({ N: '42' });
    expect(toAttributeValue(10n ** 20n, 'x')).toEqual({ N: '100000000000000000000' });
    expect(toAttributeValue(new Date(0), 'x')).toEqual({ S: '1970-01-01T00:00:00.000Z' });
    expect(toAttributeValue(new TimeValue('date', '2024-01-31'), 'x')).toEqual({ S: '2024-01-31' });
    expect(() => toAttributeValue(NaN, 'x')).toThrow(FerryError);
    expect(() => toAttributeValue(new TypedSet('string', []), 'x')).toThrow('DynamoDB cannot store an empty set');
    expect(() => toAttributeValue(new Decimal('1e200'), 'x')).toThrow(/larger in magnitude/);
  });

  it('cursor JSON: AttributeValue JSON with bytes in base64, and back', () => {
    const key = { pk: { S: 'a' }, sk: { N: '1' }, bin: { B: new Uint8Array([255, 0]) } };
    const json = JSON.stringify(itemToJson(key));
    expect(json).toBe('{"pk":{"S":"a"},"sk":{"N":"1"},"bin":{"B":"/wA="}}');
    expect(itemFromJson(JSON.parse(json))).toEqual(key);
  });

  it('key parts: S → string, N → number / bigint / text, B → base64', () => {
    expect(keyPartOf({ S: 'x' })).toBe('x');
    expect(keyPartOf({ N: '42' })).toBe(42);
    expect(keyPartOf({ N: '-9007199254740993' })).toBe(-9007199254740993n);
    expect(keyPartOf({ N: '1.5' })).toBe('1.5');
    expect(keyPartOf({ B: new Uint8Array([1]) })).toBe('AQ==');
    expect(itemKeyText({ a: { S: 'x' }, b: { N: '1' }, c: { S: 'ignored' } }, ['a', 'b'])).toBe('[{"S":"x"},{"N":"1"}]');
  });
});
