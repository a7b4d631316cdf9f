/**
 * ferry's typed JSON: every neutral `Value` as JSON that decodes back to the same value, for backup data files
 * (one record per line). Plain JSON loses what backups must keep: bigints and exact decimals past a double, bytes,
 * typed sets, timestamps to the microsecond, NaN and -0. Those are tagged as `{"$": tag, "v": …}`; a document that
 * itself has a key `$` is wrapped (`{"$": "o", "v": {…}}`), so an object with a `$` key is always a tag.
 */
import { Decimal, TimeValue, TypedSet, type Doc, type RecordKey, type Value } from '../core/record.js';
import { isPlainObject } from '../util/plain-object.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const SET_TAGS = { string: 'ss', number: 'ns', binary: 'bs' } as const;
const TIME_TAGS = { date: 'date', time: 'time', timestamp: 'ts' } as const;

export class TypedJsonError extends Error {
  override readonly name = 'TypedJsonError';
}

export function toTypedJson(v: Value): Json {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0)) return { $: 'f', v: Object.is(v, -0) ? '-0' : String(v) };
    return v;
  }
  if (typeof v === 'bigint') return { $: 'i', v: v.toString() };
  if (v instanceof Decimal) return { $: 'n', v: v.text };
  if (v instanceof TimeValue) return { $: TIME_TAGS[v.kind], v: v.iso };
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new TypedJsonError('an invalid Date cannot be backed up');
    return { $: 'd', v: v.toISOString() };
  }
  if (v instanceof Uint8Array) return { $: 'b', v: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof TypedSet) return { $: SET_TAGS[v.kind], v: v.values.map((x) => toTypedJson(x as Value)) };
  if (Array.isArray(v)) return (v as readonly Value[]).map(toTypedJson);
  if (isPlainObject(v)) {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v as Doc)) out[k] = toTypedJson(x);
    return Object.hasOwn(out, '$') ? { $: 'o', v: out } : out;
  }
  throw new TypedJsonError(`a ${(v as object).constructor?.name ?? typeof v} value has no typed JSON form`);
}

export function fromTypedJson(j: unknown, at = '$'): Value {
  if (j === null || typeof j === 'boolean' || typeof j === 'string' || typeof j === 'number') return j;
  if (Array.isArray(j)) return j.map((x, i) => fromTypedJson(x, `${at}[${i}]`));
  if (!isPlainObject(j)) throw new TypedJsonError(`${at}: not JSON data`);
  const o = j as Record<string, unknown>;
  if (!Object.hasOwn(o, '$')) {
    const out: Doc = {};
    for (const [k, x] of Object.entries(o)) out[k] = fromTypedJson(x, `${at}.${k}`);
    return out;
  }
  const tag = o['$'];
  const v = o['v'];
  const text = (): string => {
    if (typeof v !== 'string') throw new TypedJsonError(`${at}: tag "${String(tag)}" wants a string value`);
    return v;
  };
  switch (tag) {
    case 'f': {
      const t = text();
      if (t === '-0') return -0;
      if (t === 'NaN' || t === 'Infinity' || t === '-Infinity') return Number(t);
      throw new TypedJsonError(`${at}: "${t}" is not a special float`);
    }
    case 'i':
      if (!/^-?\d+$/.test(text())) throw new TypedJsonError(`${at}: "${text()}" is not an integer`);
      return BigInt(text());
    case 'n':
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text())) throw new TypedJsonError(`${at}: "${text()}" is not a decimal`);
      return new Decimal(text());
    case 'd': {
      const d = new Date(text());
      if (Number.isNaN(d.getTime())) throw new TypedJsonError(`${at}: "${text()}" is not an instant`);
      return d;
    }
    case 'date':
      return new TimeValue('date', text());
    case 'time':
      return new TimeValue('time', text());
    case 'ts':
      return new TimeValue('timestamp', text());
    case 'b':
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text())) throw new TypedJsonError(`${at}: not base64`);
      return new Uint8Array(Buffer.from(text(), 'base64'));
    case 'ss':
    case 'ns':
    case 'bs': {
      if (!Array.isArray(v)) throw new TypedJsonError(`${at}: a set wants a list`);
      const kind = tag === 'ss' ? 'string' : tag === 'ns' ? 'number' : 'binary';
      const values = v.map((x, i) => fromTypedJson(x, `${at}.v[${i}]`));
      const ok = kind === 'string' ? values.every((x) => typeof x === 'string') : kind === 'number' ? values.every((x) => x instanceof Decimal) : values.every((x) => x instanceof Uint8Array);
      if (!ok) throw new TypedJsonError(`${at}: a ${kind} set holds another type`);
      return new TypedSet(kind, values as (string | Decimal | Uint8Array)[]);
    }
    case 'o': {
      if (!isPlainObject(v)) throw new TypedJsonError(`${at}: a wrapped document wants an object`);
      const out: Doc = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = fromTypedJson(x, `${at}.${k}`);
      return out;
    }
    default:
      throw new TypedJsonError(`${at}: unknown tag "${String(tag)}"`);
  }
}

/** One line of a data file: the key, then the document. */
export function recordLine(key: RecordKey, doc: Doc): string {
  return JSON.stringify({ k: toTypedJson(key as Doc), v: toTypedJson(doc) });
}

export function parseRecordLine(line: string, where: string): { key: RecordKey; doc: Doc } {
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch (e) {
    throw new TypedJsonError(`${where}: not JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(j) || !('k' in j) || !('v' in j)) throw new TypedJsonError(`${where}: a record line is {"k": key, "v": document}`);
  const key = fromTypedJson((j as { k: unknown }).k, `${where} k`);
  const doc = fromTypedJson((j as { v: unknown }).v, `${where} v`);
  if (!isPlainObject(key) || !isPlainObject(doc)) throw new TypedJsonError(`${where}: key and document must be objects`);
  for (const [k, part] of Object.entries(key)) {
    if (!(part === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof part))) throw new TypedJsonError(`${where}: key part ${k} is not a scalar`);
  }
  return { key: key as RecordKey, doc: doc as Doc };
}
