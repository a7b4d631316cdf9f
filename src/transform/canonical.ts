/**
 * Canonical form of a record value: one deterministic text for one logical value, so the source side and the target
 * side of a checksum hash the same thing whatever the stores did to field order, number types or time precision.
 *
 * The text is built piece by piece and handed out in chunks (`encodeCanonical`), so hashing a large document never
 * builds a JSON tree or one giant string; `canonicalText` collects it whole for tests and debugging.
 *
 * Rules (every piece is self-delimiting, so the encoding is injective and no two values share a text):
 * - `null` → `n`; `true` → `t`; `false` → `f`. An `undefined` field is absent (stores drop it); in a list it is `n`.
 * - Numbers: `number`, `bigint` and `Decimal` are one type: `d<text>;` where `<text>` is the canonical decimal of
 *   the value (see `canonicalNumberText`): no leading zeros, no trailing fractional zeros, `-0` → `0`, positional
 *   for 1e-7 ≤ |x| < 1e21 and `d[.ddd]e±x` beyond, exactly as JavaScript prints a number. So Decimal('1.50'),
 *   1.5 and DynamoDB N "1.5" are equal, and 10n ** 21n equals 1e21. NaN and ±Infinity are `NaN`, `Infinity`,
 *   `-Infinity` (Postgres numeric has them). A Decimal whose text is not a number keeps its text as `d?<len>:<text>`.
 * - Strings: `s<length>:<text>` with the exact text, no Unicode normalisation: NFC and NFD spellings are different
 *   data in every store we copy, and a migration must not silently make them equal. `<length>` counts UTF-16 code
 *   units; the text is hashed as UTF-8. A string with a lone surrogate (which UTF-8 cannot carry) is `u<n>:` and
 *   its code units in hex, so it stays distinct from its U+FFFD look-alike.
 * - Times: `Date` and TimeValue `timestamp` → `T<UTC ISO-8601>;` with the fraction's trailing zeros dropped (a Date's
 *   `.120Z` equals a microsecond timestamp's `.120000Z`; `.000Z` becomes `Z`); an offset is converted to UTC; no
 *   zone means UTC. TimeValue `date` → `D<yyyy-mm-dd>;`, `time` → `H<hh:mm:ss[.f][zone]>;` (fraction trimmed).
 *   An invalid Date is `T?;`; unparseable text is kept as written.
 * - Bytes (`Uint8Array`, Buffer) → `b<length>:<base64>`.
 * - Lists → `[` items in order `]`.
 * - TypedSet → `<` distinct items sorted by their canonical text `>`: order-free, and never equal to a list.
 * - Maps → `{` then per field its name as a string (`s<length>:<name>`) and its value, fields sorted by UTF-16 code units (JavaScript's
 *   own string order; both sides are hashed by this code, so a byte order would buy nothing) `}`.
 * - Other objects (a store's own class that a connector let through): their `toJSON()` if they have one, else
 *   their own enumerable fields as a map.
 */
import { Decimal, TimeValue, TypedSet, type Value } from '../core/record.js';

/** Chunk size handed to the consumer: big enough that hashing per chunk costs nothing, small enough to stay cheap. */
export const CANONICAL_CHUNK = 64 * 1024;

type WellFormed = string & { isWellFormed(): boolean };

class Builder {
  text = '';
  constructor(
    private readonly spill: ((chunk: string) => void) | undefined,
    private readonly chunk: number,
  ) {}

  add(piece: string): void {
    this.text += piece;
    if (this.spill !== undefined && this.text.length >= this.chunk) {
      this.spill(this.text);
      this.text = '';
    }
  }
}

/**
 * Encode `value` canonically, handing the text to `out` in chunks of about `chunkSize` UTF-16 units (the last one
 * shorter). Pieces are never split, so a chunk never ends inside a surrogate pair.
 */
export function encodeCanonical(value: Value, out: (chunk: string) => void, chunkSize = CANONICAL_CHUNK): void {
  const b = new Builder(out, chunkSize);
  encode(value, b);
  if (b.text !== '') out(b.text);
}

/** The whole canonical text of a value (tests, debugging, small values). */
export function canonicalText(value: Value): string {
  const b = new Builder(undefined, Infinity);
  encode(value, b);
  return b.text;
}

/** The canonical piece for a string alone (record keys are hashed with it). */
export function canonicalString(s: string): string {
  if ((s as WellFormed).isWellFormed()) return `s${s.length}:${s}`;
  let hex = '';
  for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, '0');
  return `u${s.length}:${hex}`;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function encode(v: unknown, b: Builder): void {
  switch (typeof v) {
    case 'string':
      b.add(canonicalString(v));
      return;
    case 'number':
      b.add(`d${canonicalNumberText(v)};`);
      return;
    case 'bigint':
      b.add(`d${canonicalNumberText(v)};`);
      return;
    case 'boolean':
      b.add(v ? 't' : 'f');
      return;
    case 'object':
      break;
    default:
      // undefined in a list (JSON makes it null too); functions and symbols are not data.
      b.add('n');
      return;
  }
  if (v === null) {
    b.add('n');
    return;
  }
  if (Array.isArray(v)) {
    b.add('[');
    for (const item of v as readonly unknown[]) encode(item, b);
    b.add(']');
    return;
  }
  if (v instanceof Decimal) {
    const text = canonicalDecimalText(v.text);
    b.add(text === undefined ? `d?${v.text.length}:${v.text};` : `d${text};`);
    return;
  }
  if (v instanceof Uint8Array) {
    const b64 = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    b.add(`b${b64.length}:${b64}`);
    return;
  }
  if (v instanceof Date) {
    b.add(Number.isNaN(v.getTime()) ? 'T?;' : `T${trimIsoFraction(v.toISOString())};`);
    return;
  }
  if (v instanceof TimeValue) {
    b.add(canonicalTimeValue(v));
    return;
  }
  if (v instanceof TypedSet) {
    const items = [...new Set(v.values.map((x) => canonicalText(x)))].sort();
    b.add('<');
    for (const item of items) b.add(item);
    b.add('>');
    return;
  }
  if (!isPlain(v) && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    encode((v as { toJSON(): unknown }).toJSON(), b);
    return;
  }
  encodeMap(v as Record<string, unknown>, b);
}

function encodeMap(doc: Record<string, unknown>, b: Builder): void {
  const names = Object.keys(doc);
  // Most documents arrive with the same field order every time; only sort when they are not in order already.
  let sorted = true;
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      sorted = false;
      break;
    }
  }
  if (!sorted) names.sort();
  b.add('{');
  for (const name of names) {
    const v = doc[name];
    if (v === undefined) continue;
    b.add(canonicalString(name));
    encode(v, b);
  }
  b.add('}');
}

// ---- numbers ----

const SIMPLE_INT = /^-?[1-9]\d{0,14}$/;
const DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;
const SPECIAL = /^\s*([+-]?)(nan|inf|infinity)\s*$/i;

/** The canonical decimal text of a number or bigint (see the file comment); Decimals: `canonicalDecimalText`. */
export function canonicalNumberText(v: number | bigint): string {
  if (typeof v === 'number') {
    if (v === 0) return '0'; // also -0
    if (Number.isNaN(v)) return 'NaN';
    // JavaScript's shortest round-trip text already follows the canonical rules (that is where they come from).
    return String(v);
  }
  const text = v.toString();
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  return digits.length <= 21 ? text : fromDigits(neg, digits, 0);
}

/** Canonical text of a decimal number written as text (`-001.50`, `1.5E3`, `.5`, `NaN`), or undefined if it is none. */
export function canonicalDecimalText(text: string): string | undefined {
  if (SIMPLE_INT.test(text)) return text;
  const m = DECIMAL.exec(text);
  if (m) {
    const int = m[2] ?? '';
    const frac = m[3] ?? '';
    if (int === '' && frac === '') return undefined;
    const exp = m[4] === undefined ? 0 : Number.parseInt(m[4], 10);
    return fromDigits(m[1] === '-', int + frac, exp - frac.length);
  }
  const s = SPECIAL.exec(text);
  if (!s) return undefined;
  if (s[2]!.toLowerCase() === 'nan') return 'NaN';
  return s[1] === '-' ? '-Infinity' : 'Infinity';
}

/** `sign × digits × 10^exp10` → canonical text; `digits` may carry leading and trailing zeros. */
function fromDigits(neg: boolean, rawDigits: string, exp10: number): string {
  let start = 0;
  while (start < rawDigits.length && rawDigits.charCodeAt(start) === 48) start++;
  if (start === rawDigits.length) return '0';
  let end = rawDigits.length;
  while (rawDigits.charCodeAt(end - 1) === 48) end--;
  const digits = rawDigits.slice(start, end);
  const exp = exp10 + (rawDigits.length - end);
  // `adjusted`: the power of ten of the first digit, as in 1.234e+5.
  const adjusted = digits.length - 1 + exp;
  let body: string;
  if (adjusted >= 21 || adjusted < -6) {
    body = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${adjusted > 0 ? '+' : '-'}${Math.abs(adjusted)}`;
  } else if (exp >= 0) {
    body = digits + '0'.repeat(exp);
  } else if (adjusted >= 0) {
    body = `${digits.slice(0, adjusted + 1)}.${digits.slice(adjusted + 1)}`;
  } else {
    body = `0.${'0'.repeat(-adjusted - 1)}${digits}`;
  }
  return neg ? `-${body}` : body;
}

// ---- times ----

const CANONICAL_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d*[1-9])?Z$/;
const TIMESTAMP =
  /^\s*([+-]?\d{4,6})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?\s*$/;
const TIME = /^(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(.*)$/;

/** `2024-01-31T12:00:00.120Z` → `2024-01-31T12:00:00.12Z`; `.000Z` → `Z`. */
function trimIsoFraction(iso: string): string {
  const dot = iso.lastIndexOf('.');
  if (dot < 0) return iso;
  let end = iso.length - 1; // before the Z
  while (end > dot + 1 && iso.charCodeAt(end - 1) === 48) end--;
  return end === dot + 1 ? `${iso.slice(0, dot)}Z` : `${iso.slice(0, end)}Z`;
}

/** A timestamp's text in UTC with a trimmed fraction, or the text as written when it is not one. */
export function canonicalTimestampText(text: string): string {
  if (CANONICAL_TS.test(text)) return text;
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s ?? 0), 0);
  let ms = date.getTime();
  if (Number.isNaN(ms)) return text;
  if (sign !== undefined) ms -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om ?? 0)) * 60_000;
  const whole = new Date(ms).toISOString().slice(0, -5); // drop `.000Z`
  const f = (frac ?? '').replace(/0+$/, '');
  return f === '' ? `${whole}Z` : `${whole}.${f}Z`;
}

function canonicalTimeValue(t: TimeValue): string {
  switch (t.kind) {
    case 'timestamp':
      return `T${canonicalTimestampText(t.iso)};`;
    case 'date':
      return `D${t.iso.trim()};`;
    case 'time': {
      const m = TIME.exec(t.iso.trim());
      if (!m) return `H${t.iso};`;
      const f = (m[2] ?? '').replace(/0+$/, '');
      return `H${m[1]}${f === '' ? '' : `.${f}`}${m[3]};`;
    }
  }
}
