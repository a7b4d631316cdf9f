import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/core/record.js';
import { decimalToFirestore, exactDouble, integerOf, toFirestoreNumber } from '../../../src/connectors/firestore/number.js';
import { canonicalText } from '../../../src/transform/canonical.js';

describe('Firestore numbers', () => {
  it('finds the integer of a canonical decimal text', () => {
    expect(integerOf('42')).toBe(42n);
    expect(integerOf('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(integerOf('1e+21')).toBe(10n ** 21n);
    expect(integerOf('1.5e+22')).toBe(15n * 10n ** 21n);
    expect(integerOf('1.5')).toBeUndefined();
    expect(integerOf('1e-7')).toBeUndefined();
  });

  it('knows which numbers a double stands for exactly', () => {
    expect(exactDouble('0.1')).toBe(0.1);
    expect(exactDouble('1e+300')).toBe(1e300);
    // 2^64 is a double, but one that prints (and hashes) as 18446744073709552000.
    expect(exactDouble('18446744073709551616')).toBeUndefined();
    expect(exactDouble('18446744073709552000')).toBe(2 ** 64);
    expect(exactDouble('18446744073709551617')).toBeUndefined();
    expect(exactDouble('0.12345678901234567891')).toBeUndefined();
    expect(exactDouble('1e+400')).toBeUndefined();
  });

  it('hashes equal to the DynamoDB value it came from (canonical form)', () => {
    for (const text of ['1.5', '42', '-0.001', '9007199254740993', '9223372036854775807', '1E+300', '18446744073709552000']) {
      const out = toFirestoreNumber(new Decimal(text), { numbers: 'reject' }, 'n');
      expect(canonicalText(out)).toBe(canonicalText(new Decimal(text)));
    }
    expect(canonicalText(decimalToFirestore('0.12345678901234567891', { numbers: 'string' }, 'n'))).toBe('s22:0.12345678901234567891');
  });

  it('passes JS numbers through, and bigints within int64', () => {
    expect(toFirestoreNumber(1.25, { numbers: 'reject' }, 'n')).toBe(1.25);
    expect(toFirestoreNumber(5n, { numbers: 'reject' }, 'n')).toBe(5);
    expect(toFirestoreNumber(2n ** 63n - 1n, { numbers: 'reject' }, 'n')).toBe(2n ** 63n - 1n);
    expect(toFirestoreNumber(2n ** 63n, { numbers: 'string' }, 'n')).toBe('9223372036854775808');
    expect(() => toFirestoreNumber(2n ** 63n + 1n, { numbers: 'reject' }, 'n')).toThrow(/neither a 64-bit integer/);
  });
});

describe('the fast path for short numbers', () => {
  it('gives exactly what the general path gives, for integers and short decimals of every shape', async () => {
    const { canonicalDecimalText } = await import('../../../src/transform/canonical.js');
    const general = (text: string): unknown => {
      const c = canonicalDecimalText(text)!;
      const int = integerOf(c);
      if (int !== undefined) return Number(int);
      return exactDouble(c);
    };
    const texts = ['0', '7', '-7', '10', '999999999999999', '-999999999999999', '0.5', '-0.5', '0.001', '12.34', '1.000000000000001', '99999999999999.9', '-0.000000000000009', '123456.789'];
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 48271) % 2147483647) % n);
    for (let i = 0; i < 20_000; i++) {
      const intDigits = rnd(8);
      const fracDigits = rnd(8);
      const int = intDigits === 0 ? '0' : String(1 + rnd(9)) + Array.from({ length: intDigits - 1 }, () => rnd(10)).join('');
      const frac = fracDigits === 0 ? '' : `.${Array.from({ length: fracDigits - 1 }, () => rnd(10)).join('')}${1 + rnd(9)}`;
      texts.push(`${rnd(2) ? '-' : ''}${int}${frac}`);
    }
    for (const t of texts) {
      const fast = decimalToFirestore(t, { numbers: 'reject' }, 'n');
      expect(Object.is(fast, general(t)) || fast === general(t), t).toBe(true);
    }
  });
});
