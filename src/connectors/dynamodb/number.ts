/**
 * DynamoDB numbers (N) as exact decimal text, never through a JS float.
 *
 * DynamoDB keeps up to 38 significant digits, magnitudes from 1E-130 to 9.99…E+125 (and 0), and hands numbers back
 * in a canonical plain form: no exponent, no leading zeros, no trailing fractional zeros, no `-0` (`1.50` → `1.5`,
 * `1e2` → `100`, `-0.0` → `0`). `canonicalNumber` produces exactly that form, so what ferry writes equals what a
 * later Scan returns.
 */

/** Significant digits (no leading or trailing zeros; '' for zero), sign, and the power of ten of the last digit. */
export interface ParsedNumber {
  negative: boolean;
  digits: string;
  /** value = digits × 10^scale */
  scale: number;
}

const NUMBER = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export const MAX_DIGITS = 38;
export const MAX_EXPONENT = 125;
export const MIN_EXPONENT = -130;

/** Parse decimal text (`-12.50`, `1e-5`, `.5`); undefined if it is not a finite decimal number. */
export function parseNumber(text: string): ParsedNumber | undefined {
  const m = NUMBER.exec(text.trim());
  if (!m) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int === '' && frac === '') return undefined;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(exp)) return undefined;
  let digits = int + frac;
  let scale = exp - frac.length;
  const lead = /^0*/.exec(digits)![0].length;
  digits = digits.slice(lead);
  const trail = /0*$/.exec(digits)![0].length;
  if (trail > 0) {
    digits = digits.slice(0, digits.length - trail);
    scale += trail;
  }
  if (digits === '') return { negative: false, digits: '', scale: 0 };
  return { negative: m[1] === '-', digits, scale };
}

/** Power of ten of the first significant digit (DynamoDB's range is checked on it). */
export function exponentOf(p: ParsedNumber): number {
  return p.digits === '' ? 0 : p.scale + p.digits.length - 1;
}

/** Plain decimal text of a parsed number: no exponent, no superfluous zeros. */
export function formatNumber(p: ParsedNumber): string {
  if (p.digits === '') return '0';
  const sign = p.negative ? '-' : '';
  if (p.scale >= 0) return sign + p.digits + '0'.repeat(p.scale);
  const point = p.digits.length + p.scale;
  if (point > 0) return `${sign}${p.digits.slice(0, point)}.${p.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${p.digits}`;
}

/** Why DynamoDB cannot hold this number, or undefined if it can. */
export function numberProblem(p: ParsedNumber): string | undefined {
  if (p.digits.length > MAX_DIGITS) return `has ${p.digits.length} significant digits; DynamoDB keeps at most ${MAX_DIGITS}`;
  const e = exponentOf(p);
  if (p.digits !== '' && e > MAX_EXPONENT) return `is larger in magnitude than DynamoDB's limit of 9.99…E+${MAX_EXPONENT}`;
  if (p.digits !== '' && e < MIN_EXPONENT) return `is smaller in magnitude than DynamoDB's limit of 1E${MIN_EXPONENT}`;
  return undefined;
}

export type CanonicalResult = { ok: true; text: string } | { ok: false; reason: string };

/** DynamoDB's canonical form of decimal text, or why it cannot be stored. */
export function canonicalNumber(text: string): CanonicalResult {
  const p = parseNumber(text);
  if (!p) return { ok: false, reason: `"${text.length > 60 ? `${text.slice(0, 60)}…` : text}" is not a finite decimal number` };
  const problem = numberProblem(p);
  if (problem) return { ok: false, reason: `${abbreviate(text)} ${problem}` };
  return { ok: true, text: formatNumber(p) };
}

function abbreviate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 30)}…${text.slice(-20)} (${text.length} characters)` : text;
}

/**
 * Bytes DynamoDB counts for a number: its significant digits in base-100 pairs aligned on the decimal point, plus
 * one byte (and one more for a negative number). This is the rule dynalite implements and the one AWS documents as
 * "about 1 byte per two significant digits, plus 1 byte".
 */
export function numberSize(text: string): number {
  const p = parseNumber(text);
  if (!p) return text.length + 1;
  const n = p.digits.length;
  if (n === 0) return 1;
  const e = exponentOf(p);
  return 1 + Math.ceil(n / 2) + (n % 2 === 0 && e % 2 === 0 ? 1 : 0) + (p.negative ? 1 : 0);
}

/** `value / 10^scale` as canonical decimal text, for exact epoch arithmetic on bigints. */
export function scaledText(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  return formatNumber(parseNumber(`${negative ? '-' : ''}${digits}e${-scale}`)!);
}
