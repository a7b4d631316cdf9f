import { describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type Value } from '../../../src/core/record.js';
import {
  canonicalDecimalText,
  canonicalNumberText,
  canonicalText,
  canonicalTimestampText,
  encodeCanonical,
  microsecondTimestampText,
  plainDecimalText,
  plainNumberText,
} from '../../../src/transform/canonical.js';

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

  it('normalises exponents; the JavaScript-form texts switch to an exponent where JavaScript does', () => {
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

// Every rule docs/canonical-form.md states, one test each: the doc's examples are these expectations.
describe('canonical form: numbers as docs/canonical-form.md states them', () => {
  it('writes every number positionally, never with an exponent', () => {
    expect(canonicalText(1e21)).toBe('d1000000000000000000000;');
    expect(canonicalText(10n ** 21n)).toBe('d1000000000000000000000;');
    expect(canonicalText(new Decimal('1.2300e25'))).toBe('d12300000000000000000000000;');
    expect(canonicalText(1e-7)).toBe('d0.0000001;');
    expect(canonicalText(new Decimal('-1.23E-7'))).toBe('d-0.000000123;');
    expect(plainNumberText(12345678901234567890123n)).toBe('12345678901234567890123');
    expect(plainNumberText(-(10n ** 30n))).toBe('-1000000000000000000000000000000');
    expect(plainDecimalText('1e21')).toBe('1000000000000000000000');
    // DynamoDB's range (38 digits, 1E-130 to 1E+125) is written out in full.
    expect(plainDecimalText('1E-130')).toBe(`0.${'0'.repeat(129)}1`);
    expect(plainDecimalText('9.9999999999999999999999999999999999999E+125')).toBe(`99999999999999999999999999999999999999${'0'.repeat(88)}`);
    same(new Decimal('1E+125'), 10n ** 125n);
  });

  it('renders a double as its shortest round-trip decimal, written out', () => {
    expect(plainNumberText(0.1)).toBe('0.1');
    expect(plainNumberText(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(plainNumberText(1 / 3)).toBe('0.3333333333333333');
    expect(plainNumberText(2 ** 53)).toBe('9007199254740992');
    expect(plainNumberText(1.7976931348623157e308)).toBe(`17976931348623157${'0'.repeat(292)}`);
    expect(plainNumberText(5e-324)).toBe(`0.${'0'.repeat(323)}5`);
    expect(plainNumberText(-2.5e-10)).toBe('-0.00000000025');
    // A float32 widened to a double is not its short decimal: a store that kept "0.1" and one that kept the float
    // 0.1f differ, as they should (the value differs).
    differ(Math.fround(0.1), new Decimal('0.1'));
    same(0.30000000000000004, new Decimal('0.30000000000000004'));
    differ(0.1 + 0.2, new Decimal('0.3'));
    // A decimal that went through a float on the way is caught.
    expect(plainNumberText(Number('12345678901234567890.12'))).toBe('12345678901234567000');
    differ(Number('12345678901234567890.12'), new Decimal('12345678901234567890.12'));
  });

  it('drops leading zeros, trailing fractional zeros, a lone point and a plus sign; -0 is 0', () => {
    expect(plainDecimalText('+007.5000')).toBe('7.5');
    expect(plainDecimalText('5.')).toBe('5');
    expect(plainDecimalText('.50')).toBe('0.5');
    expect(plainDecimalText('-0.000')).toBe('0');
    expect(plainDecimalText('100')).toBe('100');
    expect(plainDecimalText('1500e-3')).toBe('1.5');
    expect(plainNumberText(-0)).toBe('0');
    expect(canonicalText(new Decimal('-0E+5'))).toBe('d0;');
  });

  it('has NaN and the infinities in one spelling', () => {
    expect(plainNumberText(NaN)).toBe('NaN');
    expect(plainNumberText(-Infinity)).toBe('-Infinity');
    expect(plainDecimalText('+inf')).toBe('Infinity');
    expect(plainDecimalText('nan')).toBe('NaN');
  });

  it('keeps an exponent only beyond PostgreSQL numeric range, so a hostile text stays small', () => {
    expect(plainDecimalText('1e131072')).toHaveLength(131073);
    expect(plainDecimalText('1e131073')).toBe('1e+131073');
    expect(plainDecimalText('-2.5e-999999999')).toBe('-2.5e-999999999');
    expect(canonicalText(new Decimal('1e999999999999'))).toBe('d1e+999999999999;');
  });

  it('leaves the connectors\' JavaScript-form texts as they were (Firestore ids rely on them)', () => {
    expect(canonicalNumberText(1e21)).toBe('1e+21');
    expect(canonicalDecimalText('-0.000000123')).toBe('-1.23e-7');
  });
});

describe('canonical form: timestamps as docs/canonical-form.md states them', () => {
  it('keeps microseconds and drops what is finer, without rounding', () => {
    expect(microsecondTimestampText('2024-01-31T12:00:00.1234569Z')).toBe('2024-01-31T12:00:00.123456Z');
    expect(microsecondTimestampText('2024-01-31T12:00:00.123456789Z')).toBe('2024-01-31T12:00:00.123456Z');
    expect(microsecondTimestampText('2024-01-31T12:00:00.000000999Z')).toBe('2024-01-31T12:00:00Z');
    expect(microsecondTimestampText('2024-01-31T12:00:00.1000009Z')).toBe('2024-01-31T12:00:00.1Z');
    same(new TimeValue('timestamp', '2024-01-31T12:00:00.123456789Z'), new TimeValue('timestamp', '2024-01-31T12:00:00.123456Z'));
    // Lost precision is still caught: milliseconds are not microseconds.
    differ(new TimeValue('timestamp', '2024-01-31T12:00:00.123456Z'), new TimeValue('timestamp', '2024-01-31T12:00:00.123Z'));
  });

  it('converts offsets to UTC, also across a day, a month and a year', () => {
    same(new TimeValue('timestamp', '2024-01-01T00:30:00+01:00'), new TimeValue('timestamp', '2023-12-31T23:30:00Z'));
    same(new TimeValue('timestamp', '2024-02-29T23:00:00-02:00'), new Date('2024-03-01T01:00:00Z'));
    expect(canonicalText(new TimeValue('timestamp', '2024-06-01 12:00:00.5+05:30'))).toBe('T2024-06-01T06:30:00.5Z;');
    // A shifted zone is a different instant.
    differ(new TimeValue('timestamp', '2024-01-31T12:00:00+01:00'), new TimeValue('timestamp', '2024-01-31T12:00:00Z'));
  });

  it('treats a timestamp without a zone as UTC, and text that is no timestamp as written', () => {
    same(new TimeValue('timestamp', '2024-01-31T12:00:00'), new TimeValue('timestamp', '2024-01-31T12:00:00Z'));
    expect(canonicalText(new TimeValue('timestamp', 'infinity'))).toBe('Tinfinity;');
  });

  it('keeps dates and times of day as they are (a time\'s zone as written, its fraction trimmed)', () => {
    expect(canonicalText(new TimeValue('date', '2024-01-31'))).toBe('D2024-01-31;');
    expect(canonicalText(new TimeValue('time', '12:00:00.250000+02:00'))).toBe('H12:00:00.25+02:00;');
    differ(new TimeValue('time', '12:00:00+02:00'), new TimeValue('time', '10:00:00Z'));
    differ(new TimeValue('date', '2024-01-31'), new TimeValue('date', '2024-02-01'));
  });

  it('keeps a timestamp kept as text apart from a timestamp value', () => {
    differ('2024-01-31T12:00:00Z', new TimeValue('timestamp', '2024-01-31T12:00:00Z'));
    differ('2024-01-31T12:00:00Z', '2024-01-31T12:00:00.000Z');
  });
});

describe('canonical form: NULL vs missing as docs/canonical-form.md states it', () => {
  it('tells a null field from an absent one, and an undefined field is absent', () => {
    differ({ a: 1, b: null }, { a: 1 });
    same({ a: 1, b: undefined } as unknown as Value, { a: 1 });
    expect(canonicalText([null, undefined] as unknown as Value)).toBe('[nn]');
    differ({ a: null }, { a: '' });
    differ({ a: [] }, { a: null });
    differ({ a: {} }, { a: null });
  });
});

describe('canonical form: bytes, sets and maps as docs/canonical-form.md states them', () => {
  it('writes bytes as standard padded base64, empty bytes too', () => {
    expect(canonicalText(Uint8Array.of(0xfb, 0xff))).toBe('b4:+/8=');
    expect(canonicalText(new Uint8Array(0))).toBe('b0:');
    differ(new Uint8Array(0), '');
  });

  it('sorts set items by their canonical text and drops duplicates', () => {
    expect(canonicalText(new TypedSet('number', [new Decimal('10'), new Decimal('9'), new Decimal('9.0')]))).toBe('<d10;d9;>');
    expect(canonicalText(new TypedSet('string', ['b', 'a']))).toBe('<s1:as1:b>');
  });

  it('sorts map fields at every depth and drops undefined fields', () => {
    expect(canonicalText({ z: { b: 2, a: 1 }, a: [{ d: 1, c: 2 }] })).toBe('{s1:a[{s1:cd2;s1:dd1;}]s1:z{s1:ad1;s1:bd2;}}');
  });
});

describe('canonical form: Unicode', () => {
  const nfc = 'Ren\u00e9e Citro\u00ebn';
  const nfd = nfc.normalize('NFD');

  it('compares exactly by default: NFD where the source had NFC differs', () => {
    expect(nfd).not.toBe(nfc);
    differ(nfc, nfd);
    differ({ name: nfc }, { name: nfd });
    differ({ [nfc]: 1 }, { [nfd]: 1 });
    differ(new TypedSet('string', [nfc]), new TypedSet('string', [nfd]));
  });

  it('matches NFC and NFD with unicode: nfc — strings, field names, set items, at every depth', () => {
    const opts = { unicode: 'nfc' as const };
    const a: Value = { [nfc]: { list: [nfc], set: new TypedSet('string', [nfc, 'x']) }, plain: 'ascii' };
    const b: Value = { plain: 'ascii', [nfd]: { set: new TypedSet('string', ['x', nfd]), list: [nfd] } };
    expect(canonicalText(a)).not.toBe(canonicalText(b));
    expect(canonicalText(a, opts)).toBe(canonicalText(b, opts));
    // Other differences still show.
    expect(canonicalText({ n: nfc }, opts)).not.toBe(canonicalText({ n: `${nfd}!` }, opts));
    // Field order is by the normalised name.
    expect(canonicalText({ '\u00e9': 1, f: 2 }, opts)).toBe(canonicalText({ f: 2, 'e\u0301': 1 }, opts));
  });

  it('streams the same text with options as it builds whole', () => {
    const doc: Value = { [nfd]: nfd.repeat(40), list: Array.from({ length: 30 }, () => nfd) };
    const chunks: string[] = [];
    encodeCanonical(doc, (c) => chunks.push(c), 64, { unicode: 'nfc' });
    expect(chunks.join('')).toBe(canonicalText(doc, { unicode: 'nfc' }));
  });
});
