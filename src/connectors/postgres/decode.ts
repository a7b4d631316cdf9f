/**
 * PostgreSQL values (text format) → the neutral `Value` model, per column type.
 *
 * Every pool client returns every value as the text PostgreSQL prints (see `rawTextTypes`), and decoding happens
 * here, by type: that way nothing passes through a JS float or a JS Date by accident, and enums, domains and arrays
 * of types created at any time decode the same way as built-ins. The table is in README.md ("PostgreSQL source").
 */
import type { CustomTypesConfig } from 'pg';
import { Decimal, type Value } from '../../core/record.js';
import { parseArrayLiteral } from './array-literal.js';
import { parseJsonExact } from './json-exact.js';
import { parseDate, parseTime, parseTimestamp } from './time-text.js';

/** What decoding needs to know of a pg_type row. */
export interface PgTypeInfo {
  oid: number;
  /** `typname`, e.g. `int4`, `_text`, `mood`. */
  name: string;
  /** `typtype`: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  kind: string;
  /** `typcategory`: A array, S string, N numeric... */
  category: string;
  /** Element type of an array, else 0. */
  elem: number;
  /** Array element delimiter (`;` for box, `,` for everything else). */
  delim: string;
  /** Base type of a domain, else 0. */
  base: number;
}

export type TextDecode = (text: string) => Value;

/** A `types` config for pg that returns every value as its text, untouched. */
export const rawTextTypes: CustomTypesConfig = {
  getTypeParser: () => (text: string) => text,
} as CustomTypesConfig;

/** Built-in type OIDs (fixed in pg_type.dat, the same in every PostgreSQL version). */
export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  int2vector: 22,
  oidvector: 30,
} as const;

const toNumber: TextDecode = (t) => Number(t); // int2/int4/oid: always exact; float: Number('NaN'|'Infinity') too
const toString: TextDecode = (t) => t;

/** `\x0a0b...` → a plain Uint8Array (not a pooled Buffer slice, whose `.buffer` is shared with other values). */
export function decodeBytea(text: string): Uint8Array {
  if (!text.startsWith('\\x')) return new TextEncoder().encode(text); // bytea_output = escape: not what we set
  const out = new Uint8Array((text.length - 2) / 2);
  Buffer.from(out.buffer, out.byteOffset, out.byteLength).write(text.slice(2), 'hex');
  return out;
}

const BUILTIN: ReadonlyMap<number, TextDecode> = new Map<number, TextDecode>([
  [OID.bool, (t) => t === 't'],
  [OID.bytea, decodeBytea],
  [OID.int8, (t) => BigInt(t)],
  [OID.int2, toNumber],
  [OID.int4, toNumber],
  [OID.oid, toNumber],
  [OID.float4, toNumber],
  [OID.float8, toNumber],
  [OID.numeric, (t) => new Decimal(t)], // NaN, Infinity, -Infinity included: the target decides what to do with them
  [OID.json, parseJsonExact],
  [OID.jsonb, parseJsonExact],
  [OID.date, parseDate],
  [OID.timestamp, parseTimestamp],
  [OID.timestamptz, parseTimestamp],
  [OID.time, parseTime],
  [OID.timetz, parseTime],
  [OID.uuid, toString],
]);

/** True for real arrays; int2vector/oidvector are category A too but print as `1 2 3`. */
export function isArrayType(t: PgTypeInfo): boolean {
  return t.category === 'A' && t.elem !== 0 && t.oid !== OID.int2vector && t.oid !== OID.oidvector;
}

/** Decoders by type OID, built from pg_type rows; an unknown or unlisted type decodes to its text. */
export class TypeDecoders {
  private readonly types = new Map<number, PgTypeInfo>();
  private readonly cache = new Map<number, TextDecode>();

  add(infos: Iterable<PgTypeInfo>): void {
    for (const t of infos) this.types.set(t.oid, t);
  }

  knows(oid: number): boolean {
    return BUILTIN.has(oid) || this.types.has(oid);
  }

  info(oid: number): PgTypeInfo | undefined {
    return this.types.get(oid);
  }

  /** The type a domain stands for (domains of domains included); the type itself otherwise. */
  resolve(oid: number): number {
    let cur = oid;
    for (let i = 0; i < 32; i++) {
      const t = this.types.get(cur);
      if (!t || t.kind !== 'd' || t.base === 0) return cur;
      cur = t.base;
    }
    return cur;
  }

  decoder(oid: number): TextDecode {
    let d = this.cache.get(oid);
    if (!d) {
      d = this.build(oid, 0);
      this.cache.set(oid, d);
    }
    return d;
  }

  private build(oid: number, depth: number): TextDecode {
    const resolved = this.resolve(oid);
    const builtin = BUILTIN.get(resolved);
    if (builtin) return builtin;
    const t = this.types.get(resolved);
    if (!t || depth > 8) return toString;
    if (isArrayType(t)) {
      const element = this.build(t.elem, depth + 1);
      const delim = this.types.get(this.resolve(t.elem))?.delim ?? ',';
      return (text) => parseArrayLiteral(text, delim, element) as Value;
    }
    // Enums, citext, varchar, interval, money, inet, ranges, composites, bit, xml...: their text form.
    return toString;
  }
}
