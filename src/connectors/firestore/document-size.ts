/**
 * Firestore's storage size of a document, by its published rules ("Storage size calculations"), for the 1 MiB
 * document limit and for byte limits per commit:
 *
 * - document name: each collection id and document id in the path, UTF-8 bytes + 1, plus 16;
 * - each field: its name's UTF-8 bytes + 1, plus its value;
 * - values: null 1, boolean 1, integer 8, double 8, timestamp 8, geo point 16, string UTF-8 bytes + 1, bytes their
 *   length, reference the size of its document name, array the sum of its values, map the sum of its fields;
 * - plus 32 bytes per document.
 *
 * Values are the neutral ones `toTarget` produces (number/bigint, TimeValue for timestamps, Uint8Array, and
 * TypedSet for a tagged set, counted as the map it is written as).
 */
import { Decimal, TimeValue, TypedSet, type Value } from '../../core/record.js';
import { SET_TAG, VALUES_FIELD } from './options.js';

/** Firestore's maximum document size: 1 MiB. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

export function documentNameSize(path: string): number {
  let n = 16;
  for (const seg of path.split('/')) n += utf8(seg) + 1;
  return n;
}

const SET_KINDS = { string: 'string', number: 'number', binary: 'binary' } as const;

export function valueSize(v: Value | undefined): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 8;
    case 'string':
      return utf8(v) + 1;
    default:
      break;
  }
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof TimeValue || v instanceof Date) return 8;
  if (v instanceof Decimal) return 8;
  if (Array.isArray(v)) {
    let n = 0;
    for (const x of v as readonly Value[]) n += valueSize(x);
    return n;
  }
  if (v instanceof TypedSet) {
    let n = utf8(SET_TAG) + 1 + utf8(SET_KINDS[v.kind]) + 1 + utf8(VALUES_FIELD) + 1;
    for (const x of v.values) n += valueSize(x);
    return n;
  }
  return fieldsSize(v as Readonly<Record<string, Value>>);
}

export function fieldsSize(doc: Readonly<Record<string, Value>>): number {
  let n = 0;
  for (const [name, value] of Object.entries(doc)) {
    if (value === undefined) continue;
    n += utf8(name) + 1 + valueSize(value);
  }
  return n;
}

/** The storage size of the document at `path` holding `doc`. */
export function documentSize(path: string, doc: Readonly<Record<string, Value>>): number {
  return documentNameSize(path) + fieldsSize(doc) + 32;
}
