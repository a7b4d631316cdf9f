/**
 * `toTarget` of the Firestore sink: a mapped record → what Firestore will hold, with values in the neutral types
 * that stand for Firestore's own (marshal.ts turns them into SDK values when writing, and back when reading), and
 * `key` = `{ path }`, the document path relative to the database (document-path.ts). Pure: the verifier calls it.
 *
 * | neutral value (DynamoDB type)       | Firestore                                                               |
 * | ----------------------------------- | ----------------------------------------------------------------------- |
 * | string (S)                          | string                                                                  |
 * | Decimal, number, bigint (N)         | integer when whole and within int64; else a double when one prints as   |
 * |                                     | exactly this number (0.1, 1.5, 1e300); else per `numbers`: the exact    |
 * |                                     | decimal text (string) or a dead letter, never rounded (number.ts). JS   |
 * |                                     | numbers pass as they are (NaN, ±Infinity too: Firestore holds them)     |
 * | Uint8Array (B)                      | bytes                                                                   |
 * | boolean (BOOL)                      | boolean                                                                 |
 * | null (NULL)                         | null                                                                    |
 * | map (M)                             | map                                                                     |
 * | array (L)                           | array; an array directly inside an array per `nested_arrays`: a dead    |
 * |                                     | letter, or wrapped as `{ values: [...] }`                               |
 * | TypedSet (SS / NS / BS)             | `sets: array`: an array of the distinct elements, sorted (strings by    |
 * |                                     | UTF-8 bytes, numbers by value, bytes bytewise); `sets: tagged`: a map   |
 * |                                     | `{ "ferry:set": "string"|"number"|"binary", values: [sorted] }`, which |
 * |                                     | the Firestore source reads back as a set                                |
 * | Date, TimeValue timestamp           | timestamp, microseconds kept (a finer fraction, a year outside          |
 * |                                     | 0001–9999, or `infinity` → dead letter)                                 |
 * | TimeValue date / time               | string, ISO-8601 (`2024-01-31`, `12:30:00.5+02:00`): Firestore has no   |
 * |                                     | date or time-of-day type, and midnight UTC would shift the day locally  |
 *
 * Timestamps come out as TimeValue('timestamp', `YYYY-MM-DDTHH:MM:SS.ffffffZ`), exactly as the source reads them
 * back. Dead letters (ITEM_REJECTED, with the reason): a document over 1 MiB by Firestore's size rules
 * (document-size.ts); a field name that is empty, `__…__`, over 1,500 bytes or not valid Unicode; a value nested
 * deeper than 20 maps/arrays below a top-level field (a map: 19); text with a lone surrogate; a bad id
 * (document-id.ts).
 * A map that happens to look like a tagged set (`ferry:set` + `values`) is written as it is, but reads back as a set.
 */
import { Decimal, TimeValue, TypedSet, type Doc, type FerryRecord, type Value, isDoc } from '../../core/record.js';
import type { StreamRef } from '../../core/stream.js';
import { FerryError } from '../../errors.js';
import { canonicalText, canonicalTimestampText } from '../../transform/canonical.js';
import { compileDocumentPath, documentPathOf, type DocumentPathTemplate } from './document-path.js';
import { documentSize, MAX_DOCUMENT_BYTES } from './document-size.js';
import { decimalToFirestore, toFirestoreNumber } from './number.js';
import { resolveRules, VALUES_FIELD, type FirestoreRules } from './options.js';

/** Everything `toTarget` needs about one target stream, computed once. */
export interface StreamTarget {
  name: string;
  rules: FirestoreRules;
  path: DocumentPathTemplate;
}

export function compileStreamTarget(stream: StreamRef, targetRules: Partial<FirestoreRules>): StreamTarget {
  const options = (stream.meta?.['options'] ?? {}) as Record<string, unknown>;
  const id = typeof options['id'] === 'string' && options['id'] !== '' ? options['id'] : undefined;
  const path = compileDocumentPath(stream.name, id);
  // Records of a Firestore source (or a backup of one) are keyed by their document path: the id is its last segment,
  // so a collection copied or restored keeps its document ids.
  const sourceMeta = (stream.meta?.['sourceMeta'] ?? {}) as Record<string, unknown>;
  const keyColumns = sourceMeta['keyColumns'];
  if (sourceMeta['selector'] !== undefined && Array.isArray(keyColumns) && keyColumns.length === 1 && keyColumns[0] === 'path') path.idFromPath = true;
  return { name: stream.name, rules: resolveRules(targetRules, options), path };
}

/**
 * Maps and arrays a value may sit in below a top-level field. A map itself may sit at most MAX_DEPTH - 1 deep (the
 * emulator refuses an empty map at depth 20 but takes an empty array or a scalar there; the SDK refuses anything
 * deeper).
 */
export const MAX_DEPTH = 20;
export const MAX_FIELD_NAME_BYTES = 1500;

const RESERVED = /^__.*__$/s;
type WellFormed = string & { isWellFormed(): boolean };

function reject(path: string, why: string): FerryError {
  return new FerryError('ITEM_REJECTED', `field ${path}: ${why}`);
}


function fieldPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`;
}

/** Why Firestore refuses a field name, or undefined. */
export function fieldNameProblem(name: string): string | undefined {
  if (name === '') return 'an empty field name';
  if (!(name as WellFormed).isWellFormed()) return 'a field name that is not valid Unicode (a lone surrogate)';
  if (RESERVED.test(name)) return `the field name "${name}" matches __.*__ (reserved by Firestore)`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_FIELD_NAME_BYTES) return `a field name of ${bytes} bytes, over Firestore's ${MAX_FIELD_NAME_BYTES}`;
  return undefined;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/;

/** A timestamp's ISO text as Firestore holds it (UTC, six fractional digits), or throws. */
export function firestoreTimestampText(iso: string, path: string): string {
  const text = canonicalTimestampText(iso.trim());
  const m = ISO_UTC.exec(text);
  if (!m) throw reject(path, `"${iso}" cannot be a Firestore timestamp`);
  const year = Number(m[1]);
  if (year < 1 || year > 9999) throw reject(path, `${iso} is outside Firestore's timestamp range (years 0001–9999)`);
  const frac = m[7] ?? '';
  if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) {
    throw reject(path, `${iso} has a finer fraction than the microseconds Firestore keeps`);
  }
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac.slice(0, 6).padEnd(6, '0')}Z`;
}

function timeValue(v: Date | TimeValue, path: string): Value {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw reject(path, 'an invalid date');
    const y = v.getUTCFullYear();
    if (y < 1 || y > 9999) throw reject(path, `${v.toISOString()} is outside Firestore's timestamp range (years 0001–9999)`);
    return new TimeValue('timestamp', firestoreTimestampText(v.toISOString(), path));
  }
  if (v.kind === 'timestamp') return new TimeValue('timestamp', firestoreTimestampText(v.iso, path));
  return v.iso;
}

function text(s: string, path: string): string {
  if (!(s as WellFormed).isWellFormed()) throw reject(path, 'text that is not valid Unicode (a lone surrogate)');
  return s;
}

function bytes(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Distinct elements of a set, sorted as documented (strings by UTF-8 bytes, numbers by value, bytes bytewise). */
function sortedElements(set: TypedSet, rules: FirestoreRules, path: string): Value[] {
  const seen = new Set<string>();
  const distinct: (string | Decimal | Uint8Array)[] = [];
  for (const x of set.values) {
    const k = canonicalText(x);
    if (seen.has(k)) continue;
    seen.add(k);
    distinct.push(x);
  }
  if (set.kind === 'string') {
    return (distinct as string[]).map((s) => text(String(s), path)).sort(compareUtf8);
  }
  if (set.kind === 'binary') {
    return (distinct as Uint8Array[]).map(bytes).sort(compareBytes);
  }
  const nums = distinct.map((x) => {
    const t = x instanceof Decimal ? x.text : String(x);
    return { out: decimalToFirestore(t, rules, path), order: Number(t), t };
  });
  nums.sort((a, b) => a.order - b.order || (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return nums.map((n) => n.out);
}

/** Tagged set: the TypedSet itself, elements distinct, sorted and checked (numbers canonical Decimals). */
function taggedSet(set: TypedSet, rules: FirestoreRules, path: string): TypedSet {
  if (set.kind !== 'number') return new TypedSet(set.kind, sortedElements(set, rules, path) as (string | Uint8Array)[]);
  const out = sortedElements(set, rules, path); // checks every element against `numbers`
  return new TypedSet(
    'number',
    out.map((n) => new Decimal(typeof n === 'string' ? n : typeof n === 'bigint' ? n.toString() : String(n))),
  );
}

function tooDeep(path: string): FerryError {
  return reject(path, `nested deeper than Firestore's ${MAX_DEPTH} levels of maps and arrays`);
}

/**
 * One value → its Firestore form. `depth` is the number of maps/arrays this value sits in below its top-level
 * field (top-level field values are at 0); `inArray` says its container is an array.
 */
function convert(v: Value | undefined, rules: FirestoreRules, path: string, depth: number, inArray: boolean): Value {
  if (depth > MAX_DEPTH) throw tooDeep(path);
  if (v === undefined || v === null) return null;
  switch (typeof v) {
    case 'string':
      return text(v, path);
    case 'boolean':
      return v;
    case 'number':
    case 'bigint':
      return toFirestoreNumber(v, rules, path);
    default:
      break;
  }
  if (v instanceof Decimal) return toFirestoreNumber(v, rules, path);
  if (v instanceof Date || v instanceof TimeValue) return timeValue(v, path);
  if (v instanceof Uint8Array) return bytes(v);
  if (v instanceof TypedSet) {
    if (rules.sets === 'tagged') {
      // A map at `depth`, its values array below it, the elements below that.
      if (depth >= MAX_DEPTH || depth + (v.values.length > 0 ? 2 : 1) > MAX_DEPTH) throw tooDeep(path);
      return taggedSet(v, rules, path);
    }
    return list(sortedElements(v, rules, path), rules, path, depth, inArray);
  }
  if (Array.isArray(v)) return list(v as readonly Value[], rules, path, depth, inArray);
  if (isDoc(v)) return map(v, rules, path, depth);
  const kind = (v as object).constructor?.name ?? typeof v;
  throw reject(path, `a value of type ${kind}, which ferry cannot store in Firestore`);
}

function list(items: readonly Value[], rules: FirestoreRules, path: string, depth: number, inArray: boolean): Value {
  if (depth > MAX_DEPTH) throw tooDeep(path);
  if (inArray) {
    if (rules.nestedArrays === 'reject') {
      throw reject(path, 'an array inside an array, which Firestore cannot store (set `nested_arrays: wrap` to store it as `{ values: [...] }`)');
    }
    // The wrapper map sits where the array was; the array moves one level down.
    if (depth >= MAX_DEPTH) throw tooDeep(path);
    const inner = list(items, rules, `${path}.${VALUES_FIELD}`, depth + 1, false);
    return { [VALUES_FIELD]: inner };
  }
  return items.map((x, i) => convert(x, rules, `${path}[${i}]`, depth + 1, true));
}

function map(doc: Readonly<Record<string, Value>>, rules: FirestoreRules, path: string, depth: number): Doc {
  // A map's fields are one level down even when it has none: Firestore refuses a map at the deepest level.
  if (depth >= MAX_DEPTH) throw tooDeep(path);
  const out: Doc = {};
  for (const [name, v] of Object.entries(doc)) {
    if (v === undefined) continue;
    const p = fieldPath(path, name);
    const problem = fieldNameProblem(name);
    if (problem) throw new FerryError('ITEM_REJECTED', `field ${p === '' ? '""' : p}: ${problem}`);
    out[name] = convert(v, rules, p, depth + 1, false);
  }
  return out;
}

/** Convert one mapped record to what Firestore will hold. Throws ITEM_REJECTED with the reason. */
export function toTargetRecord(st: StreamTarget, record: FerryRecord): FerryRecord<Doc> {
  const src = record.value;
  if (!isDoc(src)) throw new FerryError('ITEM_REJECTED', 'the record is not a document; Firestore stores documents');
  const path = documentPathOf(st.path, record, st.rules);
  // Top-level fields are at depth 0: convert the document as a map at depth -1.
  const value = map(src, st.rules, '', -1);
  const size = documentSize(path, value);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new FerryError('ITEM_REJECTED', `document ${path} is ${size} bytes by Firestore's size rules, over its limit of ${MAX_DOCUMENT_BYTES} bytes (1 MiB)`);
  }
  return { key: { path }, value, sizeBytes: size };
}
