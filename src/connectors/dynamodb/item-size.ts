/**
 * Item size as DynamoDB counts it (for the 400 KB item limit, the 16 MB request limit and write capacity units):
 * the sum over attributes of the UTF-8 bytes of the name plus the size of the value, where
 *
 * - S: UTF-8 bytes; B: bytes; BOOL and NULL: 1;
 * - N: 1 byte per two significant digits (aligned on the decimal point) + 1, + 1 if negative (see `numberSize`);
 * - SS / NS / BS: the sum of the elements' sizes;
 * - L: 3 + for each element 1 + its size; M: 3 + for each entry 1 + name bytes + value size.
 *
 * Values not yet in DynamoDB form are measured as the marshaller would write them (number → N, Date/TimeValue → S).
 */
import { Decimal, TimeValue, TypedSet, type Doc, type Value } from '../../core/record.js';
import { numberSize } from './number.js';

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

export function valueSize(v: Value | undefined): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'string':
      return utf8(v);
    case 'number':
      return Number.isFinite(v) ? numberSize(String(v)) : utf8(String(v));
    case 'bigint':
      return numberSize(v.toString());
    default:
      break;
  }
  if (v instanceof Decimal) return numberSize(v.text);
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof Date) return 24;
  if (v instanceof TimeValue) return utf8(v.iso);
  if (v instanceof TypedSet) {
    let n = 0;
    for (const x of v.values) n += x instanceof Uint8Array ? x.byteLength : x instanceof Decimal ? numberSize(x.text) : utf8(String(x));
    return n;
  }
  if (Array.isArray(v)) {
    let n = 3;
    for (const x of v as readonly Value[]) n += 1 + valueSize(x);
    return n;
  }
  let n = 3;
  for (const [k, x] of Object.entries(v as Doc)) if (x !== undefined) n += 1 + utf8(k) + valueSize(x);
  return n;
}

export function itemSize(doc: Doc): number {
  let n = 0;
  for (const [k, v] of Object.entries(doc)) if (v !== undefined) n += utf8(k) + valueSize(v);
  return n;
}

/** Write capacity units of one put: 1 per started KB. */
export function writeUnits(size: number): number {
  return Math.max(1, Math.ceil(size / 1024));
}
