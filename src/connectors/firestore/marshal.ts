/**
 * Neutral values ↔ the Node SDK's values.
 *
 * Writing (`toSdkData`) takes what `toTarget` produced: null, boolean, string, number (the SDK writes a safe
 * integer as integerValue, anything else as doubleValue), bigint (an int64 beyond 2^53, written as integerValue),
 * TimeValue timestamp → Timestamp (microseconds kept), Uint8Array → bytes, arrays, maps, and TypedSet (only under
 * `sets: tagged`) → `{ "ferry:set": kind, values: [...] }`.
 *
 * Reading (`fromSdkData`, the client is opened with `useBigInt` so no integer passes through a double):
 *
 * | Firestore      | neutral                                                                                   |
 * | -------------- | ----------------------------------------------------------------------------------------- |
 * | integer        | number when it is a safe integer, else bigint                                             |
 * | double         | number (NaN, ±Infinity, -0 as they are)                                                   |
 * | string         | string                                                                                    |
 * | boolean / null | boolean / null                                                                            |
 * | timestamp      | TimeValue('timestamp', `YYYY-MM-DDTHH:MM:SS.ffffffZ`; nine digits if there are nanoseconds) |
 * | bytes          | Uint8Array                                                                                |
 * | map            | Doc; a map `{ "ferry:set": "string"|"number"|"binary", values: [...] }` → TypedSet          |
 * |                | (number elements as Decimals)                                                             |
 * | array          | array                                                                                     |
 * | geo point      | Doc `{ latitude, longitude }`                                                             |
 * | reference      | string: the document path relative to the database (`artists/1`)                         |
 * | vector         | array of numbers                                                                          |
 */
import { DocumentReference, GeoPoint, Timestamp, VectorValue } from '@google-cloud/firestore';
import { Decimal, TimeValue, TypedSet, type Doc, type Value } from '../../core/record.js';
import { FerryError } from '../../errors.js';
import { canonicalNumberText } from '../../transform/canonical.js';
import { decimalToFirestore, int64Value } from './number.js';
import { SET_TAG, VALUES_FIELD } from './options.js';
import { isPlainObject } from '../../util/plain-object.js';
export { isPlainObject };


const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** A Firestore timestamp for a UTC ISO-8601 text with up to nine fractional digits. */
export function timestampOf(iso: string): Timestamp {
  const m = ISO.exec(iso);
  if (!m) throw new FerryError('ITEM_REJECTED', `"${iso}" is not a UTC timestamp Firestore can hold`);
  const ms = Date.parse(`${m[1]}Z`);
  if (!Number.isFinite(ms)) throw new FerryError('ITEM_REJECTED', `"${iso}" is not a valid timestamp`);
  const nanos = Number((m[2] ?? '').padEnd(9, '0'));
  return new Timestamp(Math.floor(ms / 1000), nanos);
}

/** The ISO text of a Firestore timestamp: six fractional digits, nine when it has nanoseconds. */
export function isoOf(seconds: number, nanos: number): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  const frac = String(nanos).padStart(9, '0');
  return `${base}.${frac.endsWith('000') ? frac.slice(0, 6) : frac}Z`;
}

/** A neutral value (as `toTarget` produced it) → the SDK's form. */
export function toSdkValue(v: Value | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object') return v;
  if (v instanceof TimeValue) return v.kind === 'timestamp' ? timestampOf(v.iso) : v.iso;
  if (v instanceof Date) return Timestamp.fromDate(v);
  if (v instanceof Uint8Array) return v;
  if (v instanceof Decimal) return decimalToFirestore(v.text, { numbers: 'string' }, '(value)');
  if (v instanceof TypedSet) return { [SET_TAG]: v.kind, [VALUES_FIELD]: v.values.map((x) => toSdkValue(x)) };
  if (Array.isArray(v)) return (v as readonly Value[]).map((x) => toSdkValue(x));
  return toSdkData(v as Readonly<Record<string, Value>>);
}

export function toSdkData(doc: Readonly<Record<string, Value>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (v !== undefined) out[k] = toSdkValue(v);
  return out;
}

const SET_KINDS = new Set(['string', 'number', 'binary']);

/** A map written for a tagged set, read back as the set; undefined when `m` is not one. */
function taggedSetOf(m: Record<string, unknown>): TypedSet | undefined {
  const keys = Object.keys(m);
  if (keys.length !== 2 || !SET_KINDS.has(m[SET_TAG] as string) || !Array.isArray(m[VALUES_FIELD])) return undefined;
  const kind = m[SET_TAG] as TypedSet['kind'];
  const values: (string | Decimal | Uint8Array)[] = [];
  for (const x of m[VALUES_FIELD] as unknown[]) {
    if (kind === 'string' && typeof x === 'string') values.push(x);
    else if (kind === 'binary' && x instanceof Uint8Array) values.push(bytesOf(x));
    else if (kind === 'number' && (typeof x === 'number' || typeof x === 'bigint')) values.push(new Decimal(canonicalNumberText(x)));
    else if (kind === 'number' && typeof x === 'string') values.push(new Decimal(x));
    else return undefined;
  }
  return new TypedSet(kind, values);
}

function bytesOf(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** An SDK value (read with `useBigInt: true`) → neutral. */
export function fromSdkValue(v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
      return v;
    case 'bigint':
      return int64Value(v);
    default:
      break;
  }
  if (v instanceof Timestamp) return new TimeValue('timestamp', isoOf(v.seconds, v.nanoseconds));
  if (v instanceof Uint8Array) return bytesOf(v);
  if (Array.isArray(v)) return v.map(fromSdkValue);
  if (v instanceof GeoPoint) return { latitude: v.latitude, longitude: v.longitude };
  if (v instanceof DocumentReference) return v.path;
  if (v instanceof VectorValue) return v.toArray();
  if (isPlainObject(v)) return taggedSetOf(v) ?? fromSdkData(v);
  throw new FerryError('UNSUPPORTED', `a Firestore value ferry does not know how to read: ${Object.prototype.toString.call(v)}`);
}

export function fromSdkData(data: Record<string, unknown>): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(data)) out[k] = fromSdkValue(v);
  return out;
}
