import { describe, expect, it } from 'vitest';
import { canonicalNumber, numberSize, scaledText } from '../../../src/connectors/dynamodb/number.js';

const canon = (t: string) => {
  const c = canonicalNumber(t);
  return c.ok ? c.text : `!${c.reason}`;
};

describe('DynamoDB numbers', () => {
  it('writes the canonical plain form DynamoDB hands back', () => {
    expect(canon('1.50')).toBe('1.5');
    expect(canon('007')).toBe('7');
    expect(canon('1e2')).toBe('100');
    expect(canon('1E-5')).toBe('0.00001');
    expect(canon('-0')).toBe('0');
    expect(canon('-0.000')).toBe('0');
    expect(canon('+12.340e1')).toBe('123.4');
    expect(canon('.5')).toBe('0.5');
    expect(canon('5.')).toBe('5');
    expect(canon('-123456789012345678901234567890.123456')).toBe('-123456789012345678901234567890.123456');
    expect(canon('9007199254740993')).toBe('9007199254740993'); // beyond float precision, exact
  });

  it('refuses more than 38 significant digits and magnitudes outside 1E-130..9.99E+125', () => {
    expect(canon('1'.repeat(38))).toBe('1'.repeat(38));
    expect(canon('1'.repeat(39))).toMatch(/39 significant digits; DynamoDB keeps at most 38/);
    // Trailing and leading zeros are not significant.
    expect(canon(`1${'0'.repeat(100)}`)).toBe(`1${'0'.repeat(100)}`);
    expect(canon(`0.${'0'.repeat(50)}1`)).toBe(`0.${'0'.repeat(50)}1`);
    expect(canon('9.9999999999999999999999999999999999999E+125')).toMatch(/^9{38}0{88}$/);
    expect(canon('1E+126')).toMatch(/larger in magnitude/);
    expect(canon('1E-130')).toBe(`0.${'0'.repeat(129)}1`);
    expect(canon('1E-131')).toMatch(/smaller in magnitude/);
    expect(canon('NaN')).toMatch(/not a finite decimal number/);
    expect(canon('Infinity')).toMatch(/not a finite decimal number/);
    expect(canon('1.2.3')).toMatch(/not a finite decimal number/);
    expect(canon('')).toMatch(/not a finite decimal number/);
  });

  it('sizes numbers as DynamoDB counts them: digit pairs aligned on the point, +1, +1 if negative', () => {
    expect(numberSize('0')).toBe(1);
    expect(numberSize('1')).toBe(2);
    expect(numberSize('12')).toBe(2);
    expect(numberSize('123')).toBe(3);
    expect(numberSize('1234')).toBe(3);
    expect(numberSize('1.2')).toBe(3); // 1|.2 straddles a pair boundary
    expect(numberSize('-1')).toBe(3);
    expect(numberSize('100')).toBe(2);
    expect(numberSize('1'.repeat(38))).toBe(20);
  });

  it('scales big integers exactly', () => {
    expect(scaledText(1706659200123456n, 6)).toBe('1706659200.123456');
    expect(scaledText(1706659200123456n, 3)).toBe('1706659200123.456');
    expect(scaledText(-4750n, 3)).toBe('-4.75');
    expect(scaledText(1500n, 3)).toBe('1.5');
    expect(scaledText(17n, -3)).toBe('17000');
  });
});
