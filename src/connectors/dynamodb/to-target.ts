/**
 * `toTarget` of the DynamoDB sink: a mapped record → what DynamoDB will hold, with values already in their
 * DynamoDB form (see marshal.ts) and `key` set to the target key. Pure: the verifier calls it too.
 *
 * | neutral value                      | DynamoDB                                                              |
 * | ---------------------------------- | --------------------------------------------------------------------- |
 * | null                               | NULL (top-level nulls are gone already under `map.nulls: omit`)       |
 * | boolean                            | BOOL                                                                  |
 * | string (text, uuid, enum, ...)     | S                                                                     |
 * | number, bigint, Decimal            | N, exact canonical text (`1.50` → `1.5`); > 38 significant digits or  |
 * |                                    | outside 1E-130..9.99E+125 → rejected                                  |
 * | NaN, ±Infinity (number or Decimal) | rejected; `non_finite: string` → S `NaN` / `Infinity` / `-Infinity`   |
 * | Date, TimeValue date/timestamp     | S ISO-8601 UTC (`timestamps: iso`), or N epoch seconds / millis with  |
 * |                                    | the full fraction (`2024-01-31T00:00:00.123456Z` → 1706659200.123456) |
 * | TimeValue time                     | S ISO-8601 (`12:30:00.5+02:00`)                                       |
 * | Uint8Array                         | B                                                                     |
 * | TypedSet                           | SS / NS / BS, duplicates dropped; empty → rejected (`empty_sets: omit`|
 * |                                    | leaves the attribute out)                                             |
 * | array                              | L; top-level non-JSON arrays → SS / NS / BS under `arrays: set`       |
 * | plain object (json, jsonb, nested) | M; JSON columns → S (JSON text) under `json: string`                  |
 *
 * "JSON columns" are the source columns of type json/jsonb (from `sourceMeta.columns`), looked up by attribute
 * name; an attribute the source does not describe (renamed, computed, or a schemaless source) counts as JSON when
 * its value is a map. Nested values follow the same rules (timestamps, numbers...), except that nested arrays are
 * always lists.
 */
import { Decimal, TimeValue, TypedSet, type Doc, type FerryRecord, type KeyPart, type Value, isDoc } from '../../core/record.js';
import type { StreamRef } from '../../core/stream.js';
import { FerryError } from '../../errors.js';
import { itemSize } from './item-size.js';
import {
  COMPOSITE_KEY_ATTRIBUTE,
  compositeKeyText,
  sourceFactsOf,
  targetKeyOf,
  type KeyAttr,
  type SourceColumn,
  type TargetKey,
} from './key.js';
import { numberKeyPart } from './marshal.js';
import { canonicalNumber, formatNumber, parseNumber, scaledText } from './number.js';
import { resolveTypeRules, type KeyAttrType, type TypeRules } from './options.js';

/** Everything `toTarget` needs about one target stream, computed once. */
export interface StreamTarget {
  name: string;
  rules: TypeRules;
  /** Undefined when neither the plan nor the source names the key: the record's own key is used. */
  key: TargetKey | undefined;
  columns: Map<string, SourceColumn>;
}

export function compileStreamTarget(stream: StreamRef, targetRules: Partial<TypeRules>): StreamTarget {
  const options = (stream.meta?.['options'] ?? {}) as Record<string, unknown>;
  const rules = resolveTypeRules(targetRules, options);
  return { name: stream.name, rules, key: targetKeyOf(stream, rules.timestamps), columns: sourceFactsOf(stream).columns };
}

/** Max bytes of a partition / sort key value. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

const OMIT = Symbol('omit');
type Out = Value | typeof OMIT;

function reject(path: string, why: string): FerryError {
  return new FerryError('ITEM_REJECTED', `attribute ${path}: ${why}`);
}

const NON_FINITE = /^([+-])?(nan|inf|infinity)$/i;

function nonFinite(text: string, rules: TypeRules, path: string): Value {
  const m = NON_FINITE.exec(text.trim())!;
  const word = m[2]!.toLowerCase() === 'nan' ? 'NaN' : `${m[1] === '-' ? '-' : ''}Infinity`;
  if (rules.nonFinite === 'string') return word;
  throw reject(path, `${word} cannot be stored in a DynamoDB number (set \`non_finite: string\` to store it as text)`);
}

function decimal(text: string, path: string): Decimal {
  const c = canonicalNumber(text);
  if (!c.ok) throw reject(path, c.reason);
  return new Decimal(c.text);
}

function numberValue(v: number | bigint | Decimal, rules: TypeRules, path: string): Value {
  const text = v instanceof Decimal ? v.text : typeof v === 'bigint' ? v.toString() : String(v);
  if (NON_FINITE.test(text.trim())) return nonFinite(text, rules, path);
  return decimal(text, path);
}

const ZONE = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch seconds ×10^scale of a timestamp, exactly; undefined if it has no epoch form (`infinity`, garbage). */
function epochOf(kind: 'date' | 'timestamp', iso: string): { value: bigint; scale: number } | undefined {
  if (kind === 'date') {
    const ms = Date.parse(`${iso}T00:00:00Z`);
    return Number.isFinite(ms) ? { value: BigInt(ms / 1000), scale: 0 } : undefined;
  }
  const m = ZONE.exec(iso);
  if (!m) return undefined;
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}${zone}`);
  if (!Number.isFinite(ms)) return undefined;
  const frac = m[2] ?? '';
  return { value: BigInt(ms / 1000) * 10n ** BigInt(frac.length) + BigInt(frac || '0'), scale: frac.length };
}

function timeValue(v: Date | TimeValue, rules: TypeRules, path: string): Value {
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw reject(path, 'invalid date');
    if (rules.timestamps === 'iso') return v.toISOString();
    return new Decimal(rules.timestamps === 'epoch_millis' ? String(ms) : scaledText(BigInt(ms), 3));
  }
  if (v.kind === 'time' || rules.timestamps === 'iso') return v.iso;
  const e = epochOf(v.kind, v.iso);
  if (!e) throw reject(path, `${v.kind} "${v.iso}" has no epoch form (use \`timestamps: iso\`)`);
  const text = rules.timestamps === 'epoch_millis' ? scaledText(e.value, e.scale - 3) : scaledText(e.value, e.scale);
  return decimal(text, path);
}

function bytes(v: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(v) === Uint8Array.prototype ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A set's values in DynamoDB form, duplicates dropped (first occurrence kept), or OMIT/reject when empty. */
function setOf(kind: TypedSet['kind'], values: readonly Value[], rules: TypeRules, path: string): Value | typeof OMIT {
  const seen = new Set<string>();
  const out: (string | Decimal | Uint8Array)[] = [];
  values.forEach((x, i) => {
    const p = `${path}[${i}]`;
    let v: string | Decimal | Uint8Array;
    let id: string;
    if (kind === 'string') {
      if (typeof x !== 'string') throw reject(p, 'a string set holds a value that is not text');
      v = x;
      id = x;
    } else if (kind === 'number') {
      if (!(typeof x === 'number' || typeof x === 'bigint' || x instanceof Decimal)) throw reject(p, 'a number set holds a value that is not a number');
      const text = x instanceof Decimal ? x.text : String(x);
      if (NON_FINITE.test(text.trim())) throw reject(p, `${text} cannot be stored in a DynamoDB number set`);
      v = decimal(text, p);
      id = v.text;
    } else {
      if (!(x instanceof Uint8Array)) throw reject(p, 'a binary set holds a value that is not bytes');
      v = bytes(x);
      id = hex(v);
    }
    if (seen.has(id)) return;
    seen.add(id);
    out.push(v);
  });
  if (out.length === 0) {
    if (rules.emptySets === 'omit') return OMIT;
    throw reject(path, 'DynamoDB cannot store an empty set (set `empty_sets: omit` to leave the attribute out)');
  }
  return new TypedSet(kind, out);
}

/** A top-level array as a set (`arrays: set`): all elements text, all numbers, or all bytes (dates per `timestamps`). */
function arrayAsSet(arr: readonly Value[], rules: TypeRules, path: string): Value | typeof OMIT {
  const elems = arr.map((x, i) => {
    if (x instanceof Date || x instanceof TimeValue) return timeValue(x, rules, `${path}[${i}]`);
    return x;
  });
  let kind: TypedSet['kind'] | undefined;
  for (const [i, x] of elems.entries()) {
    const k =
      typeof x === 'string'
        ? 'string'
        : typeof x === 'number' || typeof x === 'bigint' || x instanceof Decimal
          ? 'number'
          : x instanceof Uint8Array
            ? 'binary'
            : undefined;
    if (k === undefined) {
      const what = x === null ? 'a null' : Array.isArray(x) ? 'a list' : typeof x === 'boolean' ? 'a boolean' : 'a map';
      throw reject(`${path}[${i}]`, `\`arrays: set\` cannot put ${what} in a DynamoDB set (use \`arrays: list\`)`);
    }
    if (kind !== undefined && k !== kind) throw reject(path, `\`arrays: set\` needs elements of one type, this array mixes ${kind} and ${k}`);
    kind = k;
  }
  return setOf(kind ?? 'string', elems, rules, path);
}

/** JSON text of a neutral value: Decimal and bigint verbatim, instants as ISO text, bytes base64, sets as arrays. */
export function jsonText(v: Value, path: string): string {
  const enc = (x: Value | undefined, p: string): string | undefined => {
    if (x === undefined) return undefined;
    if (x === null) return 'null';
    switch (typeof x) {
      case 'boolean':
        return x ? 'true' : 'false';
      case 'string':
        return JSON.stringify(x);
      case 'number':
        if (!Number.isFinite(x)) throw reject(p, `${x} has no JSON form`);
        return JSON.stringify(x);
      case 'bigint':
        return x.toString();
      default:
        break;
    }
    if (x instanceof Decimal) {
      const n = parseNumber(x.text);
      if (!n) throw reject(p, `${x.text} has no JSON form`);
      return formatNumber(n);
    }
    if (x instanceof Date) return JSON.stringify(x.toISOString());
    if (x instanceof TimeValue) return JSON.stringify(x.iso);
    if (x instanceof Uint8Array) return JSON.stringify(Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64'));
    if (x instanceof TypedSet) return `[${x.values.map((e, i) => enc(e, `${p}[${i}]`)).join(',')}]`;
    if (Array.isArray(x)) return `[${(x as readonly Value[]).map((e, i) => enc(e, `${p}[${i}]`) ?? 'null').join(',')}]`;
    const parts: string[] = [];
    for (const [k, e] of Object.entries(x as Doc)) {
      const t = enc(e, `${p}.${k}`);
      if (t !== undefined) parts.push(`${JSON.stringify(k)}:${t}`);
    }
    return `{${parts.join(',')}}`;
  };
  return enc(v, path) ?? 'null';
}

/** Any value → its DynamoDB form (nested positions: arrays stay lists). */
function convert(v: Value | undefined, rules: TypeRules, path: string): Out {
  if (v === undefined) return OMIT;
  if (v === null) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      return numberValue(v, rules, path);
    default:
      break;
  }
  if (v instanceof Decimal) return numberValue(v, rules, path);
  if (v instanceof Date || v instanceof TimeValue) return timeValue(v, rules, path);
  if (v instanceof Uint8Array) return bytes(v);
  if (v instanceof TypedSet) return setOf(v.kind, v.values, rules, path);
  if (Array.isArray(v)) {
    return (v as readonly Value[]).map((x, i) => {
      const c = convert(x, rules, `${path}[${i}]`);
      if (c === OMIT) {
        if (x === undefined) return null;
        throw reject(`${path}[${i}]`, 'DynamoDB cannot store an empty set, and a list element cannot be left out');
      }
      return c;
    });
  }
  if (isDoc(v)) {
    const out: Doc = {};
    for (const [k, x] of Object.entries(v)) {
      const c = convert(x, rules, `${path}.${k}`);
      if (c !== OMIT) out[k] = c;
    }
    return out;
  }
  throw reject(path, `a value of type ${(v as object).constructor?.name ?? typeof v} has no DynamoDB form`);
}

function isJsonColumn(col: SourceColumn | undefined): boolean {
  if (!col || col.isArray === true || typeof col.type !== 'string') return false;
  const t = col.type.toLowerCase();
  return t === 'json' || t === 'jsonb';
}

/** A top-level attribute → its DynamoDB form, with the column-level rules (json, arrays). */
function convertTop(name: string, v: Value | undefined, st: StreamTarget): Out {
  if (v === undefined) return OMIT;
  const col = st.columns.get(name);
  const rules = st.rules;
  if (isJsonColumn(col)) {
    if (v === null) return null;
    return rules.json === 'string' ? jsonText(v, name) : convert(v, rules, name);
  }
  if (Array.isArray(v) && rules.arrays === 'set') return arrayAsSet(v as readonly Value[], rules, name);
  if (col === undefined && isDoc(v) && rules.json === 'string') return jsonText(v, name);
  return convert(v, rules, name);
}

/** Text of a key column's value inside a composite key. */
function partText(v: Value | KeyPart | undefined, col: string, rules: TypeRules): string {
  if (v === undefined || v === null) throw new FerryError('ITEM_REJECTED', `key attribute ${COMPOSITE_KEY_ATTRIBUTE}: key column ${col} is ${v === null ? 'null' : 'missing'}`);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof Decimal) {
    const n = numberValue(v, { ...rules, nonFinite: 'string' }, `${COMPOSITE_KEY_ATTRIBUTE} (${col})`);
    return n instanceof Decimal ? n.text : String(n);
  }
  if (v instanceof Date || v instanceof TimeValue) {
    const t = timeValue(v, rules, `${COMPOSITE_KEY_ATTRIBUTE} (${col})`);
    return t instanceof Decimal ? t.text : String(t);
  }
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  throw new FerryError('ITEM_REJECTED', `key attribute ${COMPOSITE_KEY_ATTRIBUTE}: key column ${col} is not a scalar`);
}

function keyReject(attr: string, why: string): FerryError {
  return new FerryError('ITEM_REJECTED', `key attribute ${attr}: ${why}`);
}

function describeValue(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `text "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (v instanceof Decimal) return `number ${v.text}`;
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (v instanceof TypedSet) return 'a set';
  if (Array.isArray(v)) return 'a list';
  return 'a map';
}

/** A key attribute's value in its table type, checked for emptiness and size. */
function keyValue(attr: KeyAttr, v: Value, maxBytes: number): string | Decimal | Uint8Array {
  let out: string | Decimal | Uint8Array;
  if (attr.type === 'S') {
    if (typeof v === 'string') out = v;
    else if (v instanceof Decimal) out = v.text;
    else if (typeof v === 'boolean') out = String(v);
    else throw keyReject(attr.name, `the table keys it as text (S), but the value is ${describeValue(v)}`);
    if (out === '') throw keyReject(attr.name, 'is empty; DynamoDB key values cannot be empty strings');
    const n = Buffer.byteLength(out, 'utf8');
    if (n > maxBytes) throw keyReject(attr.name, `is ${n} bytes, over DynamoDB's ${maxBytes}-byte limit for this key`);
    return out;
  }
  if (attr.type === 'N') {
    if (v instanceof Decimal) return v;
    if (typeof v === 'string') {
      const c = canonicalNumber(v);
      if (c.ok) return new Decimal(c.text);
    }
    throw keyReject(attr.name, `the table keys it as a number (N), but the value is ${describeValue(v)}`);
  }
  if (!(v instanceof Uint8Array)) throw keyReject(attr.name, `the table keys it as binary (B), but the value is ${describeValue(v)}`);
  if (v.byteLength === 0) throw keyReject(attr.name, 'is empty; DynamoDB key values cannot be empty binary');
  if (v.byteLength > maxBytes) throw keyReject(attr.name, `is ${v.byteLength} bytes, over DynamoDB's ${maxBytes}-byte limit for this key`);
  return v;
}

export function keyPartOfValue(v: string | Decimal | Uint8Array): KeyPart {
  if (typeof v === 'string') return v;
  if (v instanceof Decimal) return numberKeyPart(v.text);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function attrTypeOfValue(v: Value | KeyPart | undefined): KeyAttrType {
  if (v instanceof Uint8Array) return 'B';
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof Decimal) return 'N';
  return 'S';
}

/** The key for a record when neither the plan nor the source names one: the record's own key parts. */
function keyFromRecord(record: FerryRecord): TargetKey {
  const names = Object.keys(record.key);
  if (names.length === 0) {
    throw new FerryError('ITEM_REJECTED', 'the record has no key, and the plan names no `key:` for this stream');
  }
  const attr = (n: string): KeyAttr => ({ name: n, type: attrTypeOfValue(record.key[n]) });
  if (names.length === 1) return { partition: attr(names[0]!), origin: 'source' };
  if (names.length === 2) return { partition: attr(names[0]!), sort: attr(names[1]!), origin: 'source' };
  return { partition: { name: COMPOSITE_KEY_ATTRIBUTE, type: 'S' }, composite: names, origin: 'source' };
}

/** Convert one mapped record to what DynamoDB will hold. Throws ITEM_REJECTED with the reason. */
export function toTargetRecord(st: StreamTarget, record: FerryRecord): FerryRecord<Doc> {
  const src = record.value;
  if (!isDoc(src)) throw new FerryError('ITEM_REJECTED', 'the record is not a document; DynamoDB stores documents');
  const out: Doc = {};
  for (const [name, v] of Object.entries(src)) {
    if (name === '') throw new FerryError('ITEM_REJECTED', 'an attribute has an empty name, which DynamoDB does not allow');
    const c = convertTop(name, v, st);
    if (c !== OMIT) out[name] = c;
  }

  const key = st.key ?? keyFromRecord(record);
  if (key.composite) {
    const parts = key.composite.map((col) => partText(src[col] !== undefined ? src[col] : record.key[col], col, st.rules));
    out[key.partition.name] = compositeKeyText(parts);
  }
  const targetKey: Record<string, KeyPart> = {};
  const put = (attr: KeyAttr, maxBytes: number): void => {
    let v: Value | undefined = out[attr.name];
    if (v === undefined && record.key[attr.name] !== undefined) {
      // The field map left the key column out of the document; the record key still has it.
      const c = convertTop(attr.name, record.key[attr.name] as Value, st);
      v = c === OMIT ? undefined : c;
    }
    if (v === undefined) {
      throw keyReject(attr.name, `the item has no such attribute (if the map renamed the key column, name the new one in the stream's \`key:\`)`);
    }
    if (v === null) throw keyReject(attr.name, 'is null; DynamoDB key values cannot be null');
    const k = keyValue(attr, v, maxBytes);
    out[attr.name] = k;
    targetKey[attr.name] = keyPartOfValue(k);
  };
  put(key.partition, MAX_PARTITION_KEY_BYTES);
  if (key.sort) put(key.sort, MAX_SORT_KEY_BYTES);
  return { key: targetKey, value: out, sizeBytes: itemSize(out) };
}
