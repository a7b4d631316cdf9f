/**
 * Numbers for Firestore, which has two: a 64-bit signed integer and an IEEE-754 double.
 *
 * A neutral number (JS number, bigint, or an exact Decimal such as DynamoDB's N) becomes:
 * - an **integer** when it is a whole number in [-2^63, 2^63 - 1]: a JS number when it is a safe integer, else a
 *   bigint (the Node SDK writes a bigint as an integerValue; it silently wraps values outside int64, which is why
 *   the range is checked here);
 * - a **double** when there is one whose shortest decimal text is this number's text (0.1, 1.5, 1e-7, 1e300): it
 *   reads back, here and in every double-based store, as the same number, and its canonical form (the checksum's)
 *   is the source value's. 2^64 has none (its double prints as 18446744073709552000), nor 0.1234567890123456789;
 * - otherwise, per the plan's `numbers`: its exact canonical decimal text as a string, or ITEM_REJECTED. Never a
 *   rounded number.
 *
 * JS numbers are doubles already and pass as they are (the SDK writes safe integers as integerValue, anything else
 * as doubleValue; NaN and ±Infinity are valid Firestore doubles). Decimal `NaN`, `Infinity` and `-Infinity`
 * (PostgreSQL numeric has them) become those doubles.
 */
import { Decimal } from '../../core/record.js';
import { FerryError } from '../../errors.js';
import { canonicalDecimalText, canonicalNumberText } from '../../transform/canonical.js';
import type { FirestoreRules } from './options.js';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_INT = /^(?:0|-?[1-9]\d{0,14})$/;
const SHORT_DECIMAL = /^-?(?:0|[1-9]\d*)\.\d*[1-9]$/;

/** What a number becomes in Firestore: number (integer or double), bigint (int64 beyond 2^53), or its text. */
export type FirestoreNumber = number | bigint | string;

/** An int64 as the SDK should get it: a number when safe, else a bigint. */
export function int64Value(v: bigint): number | bigint {
  return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/** The exact integer a canonical decimal text denotes, or undefined when it has a fraction. */
export function integerOf(canonical: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(canonical);
  if (!m) return undefined;
  const [, sign, int, frac = '', exp = '0'] = m;
  const e = Number(exp);
  if (e < frac.length) {
    // A fraction unless the digits after the point that the exponent does not cover are all zero (canonical
    // texts have no trailing zeros, so they never are).
    return undefined;
  }
  const digits = int! + frac + '0'.repeat(e - frac.length);
  return BigInt(`${sign}${digits}`);
}

/** The double that stands for exactly `canonical` (see the file comment), or undefined when there is none. */
export function exactDouble(canonical: string): number | undefined {
  const d = Number(canonical);
  return Number.isFinite(d) && canonicalNumberText(d) === canonical ? d : undefined;
}

function reject(path: string, text: string): FerryError {
  return new FerryError(
    'ITEM_REJECTED',
    `field ${path}: the number ${text} is neither a 64-bit integer nor exactly a double (set \`numbers: string\` to store its exact text)`,
  );
}

/** The Firestore form of a decimal number written as text. */
export function decimalToFirestore(text: string, rules: Pick<FirestoreRules, 'numbers'>, path: string): FirestoreNumber {
  // Fast path for what most numbers are (a third of a document's conversion time otherwise): a safe integer without
  // leading zeros, or a plain decimal of at most 15 digits ending in a non-zero digit — a double holds any 15
  // significant digits exactly and prints them back as written, so the general path would give the same number.
  if (SAFE_INT.test(text)) return Number(text);
  if (text.length <= 17 && SHORT_DECIMAL.test(text) && text.replace(/[-.]/g, '').length <= 15) return Number(text);
  const c = canonicalDecimalText(text);
  if (c === undefined) throw new FerryError('ITEM_REJECTED', `field ${path}: "${text}" is not a number`);
  if (c === 'NaN') return Number.NaN;
  if (c === 'Infinity') return Number.POSITIVE_INFINITY;
  if (c === '-Infinity') return Number.NEGATIVE_INFINITY;
  const int = integerOf(c);
  if (int !== undefined && int >= INT64_MIN && int <= INT64_MAX) return int64Value(int);
  const d = exactDouble(c);
  if (d !== undefined) return d;
  if (rules.numbers === 'string') return c;
  throw reject(path, c);
}

/** The Firestore form of any neutral number. */
export function toFirestoreNumber(v: number | bigint | Decimal, rules: Pick<FirestoreRules, 'numbers'>, path: string): FirestoreNumber {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? int64Value(v) : decimalToFirestore(v.toString(), rules, path);
  return decimalToFirestore(v.text, rules, path);
}
