import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type Value } from '../../../src/core/record.js';
import { canonicalDecimalText, canonicalNumberText, canonicalText, canonicalTimestampText, encodeCanonical } from '../../../src/transform/canonical.js';

const same = (a: Value, b: Value): void => expect(canonicalText(a)).toBe(canonicalText(b));
const differ = (a: Value, b: Value): void => expect(canonicalText(a)).not.toBe(canonicalText(b));

describe('canonical form: numbers', () => {
  it('makes Decimal, number and bigint of one value equal', () => {
    same(new Decimal('1.50'), 1.5);
    same(new Decimal('1.5'), 1.5);
    same(new Decimal('42'), 42n);
    same(new Decimal('42.000'), 42);
    same(42n, 42);
    same(new Decimal('+0007'), 7);
    same(new Decimal('.5'), 0.5);
    same(new Decimal('5.'), 5);
    same(new Decimal('-0.0'), 0);
    same(-0, 0);
    same(new Decimal('-0'), 0n);
    expect(canonicalText(1.5)).toBe('d1.5;');
  });

  it('normalises exponents and switches to exponent form where JavaScript does', () => {
    same(new Decimal('1.5E3'), 1500);
    same(new Decimal('15e2'), 1500);
    same(new Decimal('1500e-3'), 1.5);
    same(new Decimal('1e21'), 1e21);
    same(10n ** 21n, 1e21);
    same(new Decimal('1000000000000000000000'), 1e21);
    same(new Decimal('0.0000001'), 1e-7);
    same(new Decimal('1E-7'), 0.0000001);
    same(new Decimal('123456789012345678901234567890'), 123456789012345678901234567890n);
    expect(canonicalDecimalText('1e21')).toBe('1e+21');
    expect(canonicalDecimalText('1.2300e25')).toBe('1.23e+25');
    expect(canonicalDecimalText('-0.000000123')).toBe('-1.23e-7');
    expect(canonicalDecimalText('0.000001')).toBe('0.000001');
    expect(canonicalDecimalText('100000000000000000000')).toBe('100000000000000000000');
    expect(canonicalNumberText(12345678901234567890123n)).toBe('1.2345678901234567890123e+22');
    expect(canonicalNumberText(-(10n ** 30n))).toBe('-1e+30');
  });

  it('keeps precision a float would lose, and different numbers different', () => {
    differ(new Decimal('0.1000000000000000000001'), 0.1);
    differ(new Decimal('12345678901234567891'), 12345678901234567891n - 1n);
    differ(1.5, 1.25);
    differ(-1, 1);
    differ(new Decimal('1e3'), new Decimal('1e4'));
  });

  it('has NaN and infinities (Postgres numeric), and keeps a non-number Decimal distinct', () => {
    same(new Decimal('NaN'), NaN);
    same(new Decimal('Infinity'), Infinity);
    same(new Decimal('-inf'), -Infinity);
    differ(Infinity, -Infinity);
    expect(canonicalText(new Decimal('12abc'))).toBe('d?5:12abc;');
    differ(new Decimal('12abc'), '12abc');
  });
});

describe('canonical form: types stay apart', () => {
  it('keeps "1" (string) distinct from 1 (number), and true from "true"', () => {
    differ('1', 1);
    differ('1', new Decimal('1'));
    differ('true', true);
    differ('null', null);
    differ('', null);
    differ(0, false);
  });

  it('keeps a set distinct from a list, and ignores set order and duplicates', () => {
    differ(new TypedSet('string', ['a', 'b']), ['a', 'b']);
    same(new TypedSet('string', ['b', 'a']), new TypedSet('string', ['a', 'b']));
    same(new TypedSet('number', [new Decimal('2'), new Decimal('1.50')]), new TypedSet('number', [new Decimal('1.5'), new Decimal('2.0')]));
    same(new TypedSet('string', ['a', 'a', 'b']), new TypedSet('string', ['b', 'a']));
    same(
      new TypedSet('binary', [Uint8Array.of(2), Uint8Array.of(1)]),
      new TypedSet('binary', [Uint8Array.of(1), Uint8Array.of(2)]),
    );
    differ(new TypedSet('string', ['1']), new TypedSet('number', [new Decimal('1')]));
  });

  it('keeps list order', () => {
    differ([1, 2], [2, 1]);
    differ([[1], 2], [1, [2]]);
    differ(['ab'], ['a', 'b']);
  });

  it('tags bytes (base64) apart from the same text', () => {
    const bytes = Uint8Array.from(Buffer.from('hello'));
    expect(canonicalText(bytes)).toBe(`b8:${Buffer.from('hello').toString('base64')}`);
    differ(bytes, Buffer.from('hello').toString('base64'));
    same(Buffer.from('hello'), bytes);
    // A view into a larger buffer is its own bytes only.
    same(new Uint8Array(Buffer.from('xxhello').buffer, Buffer.from('xxhello').byteOffset + 2, 5), bytes);
  });
});

describe('canonical form: maps', () => {
  it('sorts keys, at every depth', () => {
    same({ b: 1, a: { y: [1, { q: 1, p: 2 }], x: 'x' } }, { a: { x: 'x', y: [1, { p: 2, q: 1 }] }, b: 1 });
    expect(canonicalText({ b: 1, a: 2 })).toBe('{s1:ad2;s1:bd1;}');
  });

  it('sorts by UTF-16 code units (so also "10" before "9" and "Z" before "a")', () => {
    expect(canonicalText({ 9: 1, 10: 2 })).toBe('{s2:10d2;s1:9d1;}');
    expect(canonicalText({ a: 1, Z: 2 })).toBe('{s1:Zd2;s1:ad1;}');
  });

  it('compares nested values, not just shapes', () => {
    differ({ a: { b: 1 } }, { a: { b: 2 } });
    differ({ a: { b: 1 } }, { a: { c: 1 } });
    differ({ a: 1 }, { a: 1, b: null });
    differ({ ab: 'c' }, { a: 'bc' });
  });

  it('treats an undefined field as absent', () => {
    same({ a: 1, b: undefined } as unknown as Value, { a: 1 });
  });
});

describe('canonical form: strings', () => {
  it('keeps exact text: no Unicode normalisation', () => {
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    differ(nfc, nfd);
    same('Straße 😀', 'Straße 😀');
    expect(canonicalText('😀')).toBe('s2:😀');
  });

  it('keeps a lone surrogate distinct from its replacement character', () => {
    differ('a\ud800', 'a\ufffd');
    expect(canonicalText('a\ud800')).toBe('u2:0061d800');
  });

  it('is injective across adjacent strings', () => {
    differ(['a:', 'b'], ['a', ':b']);
    differ({ 'a:s1': 'b' }, { a: 's1:b' });
  });
});

describe('canonical form: times', () => {
  it('makes a Date equal to the same instant as a microsecond timestamp', () => {
    same(new Date('2024-01-31T12:00:00.120Z'), new TimeValue('timestamp', '2024-01-31T12:00:00.120000Z'));
    same(new Date('2024-01-31T12:00:00.000Z'), new TimeValue('timestamp', '2024-01-31T12:00:00Z'));
    differ(new TimeValue('timestamp', '2024-01-31T12:00:00.123456Z'), new Date('2024-01-31T12:00:00.123Z'));
    expect(canonicalText(new Date('2024-01-31T12:00:00.500Z'))).toBe('T2024-01-31T12:00:00.5Z;');
  });

  it('converts offsets to UTC and treats no zone as UTC', () => {
    expect(canonicalTimestampText('2024-01-31T14:30:00.25+02:30')).toBe('2024-01-31T12:00:00.25Z');
    expect(canonicalTimestampText('2024-01-31 12:00:00')).toBe('2024-01-31T12:00:00Z');
    expect(canonicalTimestampText('2024-01-01T01:00:00-0100')).toBe('2024-01-01T02:00:00Z');
    expect(canonicalTimestampText('0099-01-01T01:00:00+01:00')).toBe('0099-01-01T00:00:00Z');
    expect(canonicalTimestampText('not a time')).toBe('not a time');
  });

  it('tags times apart from their text, and dates, times and timestamps apart from each other', () => {
    differ(new TimeValue('timestamp', '2024-01-31T12:00:00Z'), '2024-01-31T12:00:00Z');
    differ(new TimeValue('date', '2024-01-31'), '2024-01-31');
    differ(new TimeValue('date', '2024-01-31'), new TimeValue('timestamp', '2024-01-31T00:00:00Z'));
    same(new TimeValue('time', '12:00:00.500000'), new TimeValue('time', '12:00:00.5'));
    same(new TimeValue('time', '12:00:00.000+02:00'), new TimeValue('time', '12:00:00+02:00'));
    expect(canonicalText(new Date(NaN))).toBe('T?;');
  });
});

describe('canonical form: streaming', () => {
  it('hands out chunks whose concatenation is the canonical text, without splitting pieces', () => {
    const doc: Value = { big: 'x'.repeat(300), list: Array.from({ length: 50 }, (_, i) => ({ i, s: `😀${i}` })) };
    const chunks: string[] = [];
    encodeCanonical(doc, (c) => chunks.push(c), 64);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join('')).toBe(canonicalText(doc));
    for (const c of chunks) expect((c as string & { isWellFormed(): boolean }).isWellFormed()).toBe(true);
  });
});
