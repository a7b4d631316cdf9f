/**
 * Records as plain, JSON-safe and short data for a report: exact numbers as their text, instants and dates as
 * ISO-8601, bytes and sets tagged, long strings and byte arrays cut (with their full size), objects of an object
 * store as their listed facts (never the store handle they carry).
 */
import { Decimal, TimeValue, TypedSet } from '../core/record.js';
import { isObjectValue } from '../objects/object-value.js';

/** Strings longer than this are cut in samples. */
export const SAMPLE_STRING_CHARS = 200;
const SAMPLE_BYTES = 48;
const MAX_DEPTH = 12;
const MAX_ENTRIES = 100;

export function sampleJson(v: unknown, depth = 0): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
      return v.length > SAMPLE_STRING_CHARS ? `${v.slice(0, SAMPLE_STRING_CHARS)}… (${Buffer.byteLength(v, 'utf8').toLocaleString('en-US')} bytes)` : v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (depth > MAX_DEPTH) return '…';
  // An exact number a JSON number states exactly stays a number (`1`, `0.99`); others keep their text (`1.50`, 40 digits).
  if (v instanceof Decimal) return exactNumber(v.text) ?? v.text;
  if (v instanceof TimeValue) return v.iso;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof Uint8Array) {
    const b64 = Buffer.from(v.buffer, v.byteOffset, Math.min(v.byteLength, SAMPLE_BYTES)).toString('base64');
    return { $bytes: v.byteLength > SAMPLE_BYTES ? `${b64}…` : b64, length: v.byteLength };
  }
  if (v instanceof TypedSet) return { $set: v.kind, values: v.values.slice(0, MAX_ENTRIES).map((x) => sampleJson(x, depth + 1)) };
  if (isObjectValue(v)) {
    const { name, size, md5, etag, contentType, lastModified, metadata, storageClass } = v.info;
    const out: Record<string, unknown> = { name, size };
    if (md5 !== undefined) out['md5'] = md5;
    if (etag !== undefined) out['etag'] = etag;
    if (contentType !== undefined) out['contentType'] = contentType;
    if (lastModified !== undefined) out['lastModified'] = lastModified;
    if (storageClass !== undefined) out['storageClass'] = storageClass;
    if (metadata !== undefined && Object.keys(metadata).length > 0) out['metadata'] = metadata;
    return out;
  }
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_ENTRIES).map((x) => sampleJson(x, depth + 1));
    if (v.length > MAX_ENTRIES) items.push(`… ${v.length - MAX_ENTRIES} more`);
    return items;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (n++ >= MAX_ENTRIES) {
      out['…'] = `${Object.keys(v as object).length - MAX_ENTRIES} more fields`;
      break;
    }
    if (k === '__proto__') Object.defineProperty(out, k, { value: sampleJson(x, depth + 1), enumerable: true, writable: true, configurable: true });
    else out[k] = sampleJson(x, depth + 1);
  }
  return out;
}

function exactNumber(text: string): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && String(n) === text && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : undefined;
}
