/**
 * Canonical form of a record value: one deterministic text for one logical value, so the source side and the target
 * side of a checksum hash the same thing whatever the stores did to field order, number types or time precision.
 * docs/canonical-form.md is the operator's version of these rules, with examples; the two must say the same.
 *
 * The text is built piece by piece and handed out in chunks (`encodeCanonical`), so hashing a large document never
 * builds a JSON tree or one giant string; `canonicalText` collects it whole for tests and debugging.
 *
 * Rules (every piece is self-delimiting, so the encoding is injective and no two values share a text):
 * - `null` → `n`; `true` → `t`; `false` → `f`.
 * - NULL vs missing: a field whose value is `null` is present (`n`); an `undefined` field is absent, exactly like a
 *   field the record does not have (stores drop it). So `{a: 1, b: null}` and `{a: 1}` differ. In a list,
 *   `undefined` is `n` (JSON makes it null too). The verifier (not this file) drops top-level null fields on both
 *   sides when the stream's map says `nulls: omit`, where the plan itself declares them the same.
 * - Numbers: `number`, `bigint` and `Decimal` are one type: `d<text>;` where `<text>` is the plain decimal of the
 *   value (`plainNumberText`): positional, never an exponent; no leading zeros; no trailing fractional zeros (and no
 *   `.` when nothing follows it); `-0` → `0`; a leading `-` for negatives, never `+`. A float (`number`) is first
 *   written as the shortest decimal that reads back as the same double (ECMAScript Number::toString: 0.1 → `0.1`,
 *   1/3 → `0.3333333333333333`, 1e21 → `1000000000000000000000`), so a double and the exact decimal text a store
 *   kept for it are equal, and a float that lost digits is not. Decimal('1.50'), 1.5, 15e-1 and DynamoDB N "1.5"
 *   are all `d1.5;`; 10n ** 21n equals 1e21. NaN and ±Infinity are `NaN`, `Infinity`, `-Infinity` (Postgres
 *   numeric has them). A Decimal whose text is not a number keeps its text as `d?<len>:<text>;`. Only values whose
 *   first digit is more than 131,072 places from the point (beyond PostgreSQL numeric's range, far beyond every
 *   other store's) keep an exponent, `d<d.ddd>e±<x>;`, so a hostile text cannot expand to gigabytes.
 * - Strings: `s<length>:<text>` with the exact text: by default (`unicode: 'exact'`) no Unicode normalisation,
 *   since every store ferry copies keeps the code points it is given, so an NFD string where the source had NFC is a
 *   difference and is caught. With `unicode: 'nfc'` (a plan's `verify_options`, for stores that normalise), strings,
 *   field names and set items are NFC-normalised before they are encoded. `<length>` counts UTF-16 code units; the
 *   text is hashed as UTF-8. A string with a lone surrogate (which UTF-8 cannot carry) is `u<n>:` and its code units
 *   in hex, so it stays distinct from its U+FFFD look-alike.
 * - Timestamps: `Date` and TimeValue `timestamp` → `T<UTC ISO-8601>;`, e.g. `T2024-01-31T12:00:00.12Z;`: an offset
 *   is converted to UTC (no zone means UTC); the fraction is kept to the microsecond (digits past the sixth are
 *   dropped, as Firestore does; no store ferry writes keeps them) and its trailing zeros are trimmed, so a Date's
 *   `.120Z` equals a microsecond timestamp's `.120000Z` and `.000Z` becomes `Z`; but `.123Z` and `.123456Z` differ
 *   (lost precision is caught). An invalid Date is `T?;`; text that is no timestamp is kept as written.
 * - Dates and times of day as they are: TimeValue `date` → `D<yyyy-mm-dd>;`; `time` → `H<hh:mm:ss[.f][zone]>;`
 *   with the fraction's trailing zeros trimmed and the zone, if any, kept as written (a time of day has no date to
 *   convert it with).
 * - A timestamp, date or time a store keeps as text (DynamoDB S, a JSON string) is a string on both sides: the
 *   pipeline converts the source side the way the target wrote it, so both are compared as exact text.
 * - Bytes (`Uint8Array`, Buffer) → `b<length>:<base64>` (standard alphabet, padded).
 * - Lists → `[` items in order `]`.
 * - TypedSet → `<` distinct items sorted by their canonical text `>`: order-free, and never equal to a list.
 * - Maps → `{` then per field its name as a string (`s<length>:<name>`) and its value, fields sorted by UTF-16 code
 *   units (JavaScript's own string order; both sides are hashed by this code, so a byte order would buy nothing) `}`.
 * - Other objects (a store's own class that a connector let through): their `toJSON()` if they have one, else
 *   their own enumerable fields as a map.
 */
import { Decimal, TimeValue, TypedSet, type Value } from '../core/record.js';

/** Chunk size handed to the consumer: big enough that hashing per chunk costs nothing, small enough to stay cheap. */
export const CANONICAL_CHUNK = 64 * 1024;

/** How strings compare: `exact` (default) code point for code point; `nfc` after NFC normalisation. */
export type UnicodeMode = 'exact' | 'nfc';

export interface CanonicalOptions {
  /** Default `exact`. `nfc`: strings, field names and set items are NFC-normalised before they are encoded. */
  unicode?: UnicodeMode;
}

type WellFormed = string & { isWellFormed(): boolean };

class Builder {
  text = '';
  constructor(
    private readonly spill: ((chunk: string) => void) | undefined,
    private readonly chunk: number,
    readonly nfc: boolean,
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
export function encodeCanonical(value: Value, out: (chunk: string) => void, chunkSize = CANONICAL_CHUNK, options?: CanonicalOptions): void {
  const b = new Builder(out, chunkSize, options?.unicode === 'nfc');
  encode(value, b);
  if (b.text !== '') out(b.text);
}

/** The whole canonical text of a value (tests, debugging, small values). */
export function canonicalText(value: Value, options?: CanonicalOptions): string {
  const b = new Builder(undefined, Infinity, options?.unicode === 'nfc');
  encode(value, b);
  return b.text;
}

/** A string as the options compare it: itself, or its NFC form under `unicode: 'nfc'`. */
export function comparedString(s: string, options?: CanonicalOptions): string {
  return options?.unicode === 'nfc' ? s.normalize('NFC') : s;
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

/**
 * How the canonical form treats a value's shape: `map` (fields compared by name), `list` (items by position) or
 * `leaf` (compared whole: scalars, numbers, times, bytes, sets). Field-by-field comparisons walk the same shapes.
 */
export function canonicalShape(v: unknown): 'map' | 'list' | 'leaf' {
  if (typeof v !== 'object' || v === null) return 'leaf';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Decimal || v instanceof Uint8Array || v instanceof Date || v instanceof TimeValue || v instanceof TypedSet) return 'leaf';
  if (!isPlain(v) && typeof (v as { toJSON?: unknown }).toJSON === 'function') return canonicalShape((v as { toJSON(): unknown }).toJSON());
  return 'map';
}

/** A map-shaped value's own fields (what `encodeMap` encodes; `toJSON()` applied first as `encode` does). */
export function canonicalFields(v: object): Record<string, unknown> {
  if (!isPlain(v) && typeof (v as { toJSON?: unknown }).toJSON === 'function') return canonicalFields((v as { toJSON(): object }).toJSON());
  return v as Record<string, unknown>;
}

function encode(v: unknown, b: Builder): void {
  switch (typeof v) {
    case 'string':
      b.add(canonicalString(b.nfc ? v.normalize('NFC') : v));
      return;
    case 'number':
      b.add(`d${plainNumberText(v)};`);
      return;
    case 'bigint':
      b.add(`d${plainNumberText(v)};`);
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
    const text = plainDecimalText(v.text);
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
    const opts: CanonicalOptions = b.nfc ? { unicode: 'nfc' } : {};
    const items = [...new Set(v.values.map((x) => canonicalText(x, opts)))].sort();
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
  if (b.nfc) {
    encodeNfcMap(doc, b);
    return;
  }
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

/** A map with its field names NFC-normalised, sorted by the normalised name (then by the name as written). */
function encodeNfcMap(doc: Record<string, unknown>, b: Builder): void {
  const names = Object.keys(doc)
    .map((name) => [name.normalize('NFC'), name] as const)
    .sort(([a, x], [c, y]) => (a < c ? -1 : a > c ? 1 : x < y ? -1 : x > y ? 1 : 0));
  b.add('{');
  for (const [normal, name] of names) {
    const v = doc[name];
    if (v === undefined) continue;
    b.add(canonicalString(normal));
    encode(v, b);
  }
  b.add('}');
}

// ---- numbers ----

const SIMPLE_INT = /^-?[1-9]\d{0,14}$/;
const DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;
const SPECIAL = /^\s*([+-]?)(nan|inf|infinity)\s*$/i;

/**
 * The decimal text of a number or bigint in JavaScript's own form: positional for 1e-7 ≤ |x| < 1e21 and
 * `d[.ddd]e±x` beyond, `-0` → `0`. Connectors use it where a store needs one text per number (Firestore document
 * ids, its number checks); hashing uses `plainNumberText`, which never writes an exponent.
 */
export function canonicalNumberText(v: number | bigint): string {
  if (typeof v === 'number') {
    if (v === 0) return '0'; // also -0
    if (Number.isNaN(v)) return 'NaN';
    // JavaScript's shortest round-trip text already follows these rules (that is where they come from).
    return String(v);
  }
  const text = v.toString();
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  return digits.length <= 21 ? text : fromDigits(neg, digits, 0, false);
}

/** `canonicalNumberText`'s form of a decimal number written as text (`-001.50`, `1.5E3`, `.5`, `NaN`), or undefined if it is none. */
export function canonicalDecimalText(text: string): string | undefined {
  return decimalText(text, false);
}

/**
 * The plain decimal text of a number or bigint, as the canonical form hashes it: positional, no exponent, no
 * trailing fractional zeros, `-0` → `0`; a float is its shortest round-trip decimal first (see the file comment).
 */
export function plainNumberText(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === 0) return '0'; // also -0
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : String(v);
  const text = String(v);
  return text.includes('e') ? decimalText(text, true)! : text;
}

/** The plain decimal text of a decimal number written as text (`-001.50` → `-1.5`, `1.5E3` → `1500`), or undefined if it is none. */
export function plainDecimalText(text: string): string | undefined {
  return decimalText(text, true);
}

function decimalText(text: string, positional: boolean): string | undefined {
  if (SIMPLE_INT.test(text)) return text;
  const m = DECIMAL.exec(text);
  if (m) {
    const int = m[2] ?? '';
    const frac = m[3] ?? '';
    if (int === '' && frac === '') return undefined;
    const exp = m[4] === undefined ? 0 : Number.parseInt(m[4], 10);
    return fromDigits(m[1] === '-', int + frac, exp - frac.length, positional);
  }
  const s = SPECIAL.exec(text);
  if (!s) return undefined;
  if (s[2]!.toLowerCase() === 'nan') return 'NaN';
  return s[1] === '-' ? '-Infinity' : 'Infinity';
}

/**
 * How far from the point (in digits) the plain form writes a number out: PostgreSQL numeric's own range (131,072
 * digits before the point), beyond every other store's. Past it an exponent stays, so a text like `1e999999999`
 * cannot expand to a gigabyte.
 */
export const PLAIN_DIGITS_LIMIT = 131_072;

/**
 * `sign × digits × 10^exp10` → text; `digits` may carry leading and trailing zeros. `positional`: the plain form
 * (an exponent only past PLAIN_DIGITS_LIMIT); else JavaScript's (an exponent from 1e21 and below 1e-7).
 */
function fromDigits(neg: boolean, rawDigits: string, exp10: number, positional: boolean): string {
  let start = 0;
  while (start < rawDigits.length && rawDigits.charCodeAt(start) === 48) start++;
  if (start === rawDigits.length) return '0';
  let end = rawDigits.length;
  while (rawDigits.charCodeAt(end - 1) === 48) end--;
  const digits = rawDigits.slice(start, end);
  const exp = exp10 + (rawDigits.length - end);
  // `adjusted`: the power of ten of the first digit, as in 1.234e+5.
  const adjusted = digits.length - 1 + exp;
  const exponent = positional ? Math.abs(adjusted) > PLAIN_DIGITS_LIMIT : adjusted >= 21 || adjusted < -6;
  let body: string;
  if (exponent) {
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

const FRACTION = /\.(\d+)Z$/;

/**
 * A timestamp as the canonical form hashes it: `canonicalTimestampText`, its fraction cut to microseconds (digits
 * past the sixth dropped, not rounded) and trimmed again.
 */
export function microsecondTimestampText(text: string): string {
  const t = canonicalTimestampText(text);
  const m = FRACTION.exec(t);
  if (!m || m[1]!.length <= 6) return t;
  const f = m[1]!.slice(0, 6).replace(/0+$/, '');
  return `${t.slice(0, m.index)}${f === '' ? '' : `.${f}`}Z`;
}

function canonicalTimeValue(t: TimeValue): string {
  switch (t.kind) {
    case 'timestamp':
      return `T${microsecondTimestampText(t.iso)};`;
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
