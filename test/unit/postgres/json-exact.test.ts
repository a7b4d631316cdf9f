import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../../src/connectors/postgres/json-exact.js';
import { Decimal } from '../../../src/core/record.js';

describe('jsonb text → values without precision loss', () => {
  it('keeps numbers a double cannot hold as Decimals with their own text, at any depth', () => {
    const v = parseJsonExact('{"id": 12345678901234567890, "n": [1e400, -0.1000000000000000055511151231257827, 2.50e1], "o": {"x": 9007199254740993}}') as {
      id: Decimal;
      n: unknown[];
      o: { x: Decimal };
    };
    expect(v.id).toBeInstanceOf(Decimal);
    expect(v.id.text).toBe('12345678901234567890');
    expect((v.n[0] as Decimal).text).toBe('1e400');
    expect((v.n[1] as Decimal).text).toBe('-0.1000000000000000055511151231257827');
    expect(v.n[2]).toBe(25);
    expect(v.o.x.text).toBe('9007199254740993');
  });

  it('leaves exact numbers, strings with long digit runs, booleans and null as JSON.parse makes them', () => {
    expect(parseJsonExact('{"a": 9007199254740991, "b": "12345678901234567890", "c": true, "d": null, "e": 1.5e3, "f": -0}')).toEqual({
      a: 9007199254740991,
      b: '12345678901234567890',
      c: true,
      d: null,
      e: 1500,
      f: -0,
    });
    expect(parseJsonExact('[1, 2.5, "x"]')).toEqual([1, 2.5, 'x']);
  });

  it('keeps a key named __proto__ as data on the slow path too', () => {
    const v = parseJsonExact('{"__proto__": {"polluted": 1}, "big": 12345678901234567890}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'big']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
