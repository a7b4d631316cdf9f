/**
 * The target table's key, derived from the plan and the source stream's facts, the same way at `prepare` (to
 * create or check the table) and in `toTarget` (to key each item).
 *
 * Rule:
 * 1. The stream's `key: { partition, sort?, partition_type?, sort_type? }` names the key attributes as they are
 *    after the field map (so `map.set: { pk: "INVOICE#${invoice_id}" }` + `key: { partition: pk }` works).
 * 2. Else the source key (`sourceMeta.keyColumns` from a Postgres source, `sourceMeta.keySchema` from a DynamoDB
 *    source): one column → partition key; two → partition + sort key; three or more → one string partition
 *    attribute `pk` holding the composite key (see `compositeKeyText`), the columns themselves stay attributes.
 * 3. Else (a source that says nothing about its key) the record's own `key`, at `toTarget` time only: `prepare`
 *    cannot create a table for it and asks for `key:`.
 *
 * Attribute types: `partition_type`/`sort_type` if given; else from the source column type (integer, numeric and
 * floating types → N, bytea → B, dates and timestamps → N under `timestamps: epoch_*`, anything else → S); an
 * attribute the source does not describe (computed by `map.set`) is S.
 */
import type { StreamRef } from '../../core/stream.js';
import { FerryError } from '../../errors.js';
import type { KeyAttrType, TimestampForm } from './options.js';

export interface KeyAttr {
  name: string;
  type: KeyAttrType;
}

export interface TargetKey {
  partition: KeyAttr;
  sort?: KeyAttr;
  /** Source columns joined into the partition attribute (three or more key columns). */
  composite?: readonly string[];
  /** Where the key came from, for messages. */
  origin: 'plan' | 'source';
}

/** Name of the partition attribute that holds a composite source key. */
export const COMPOSITE_KEY_ATTRIBUTE = 'pk';

export interface SourceColumn {
  name: string;
  type?: string;
  isArray?: boolean;
}

/** What the sink may know about the source stream (`stream.meta.sourceMeta`). */
export interface SourceFacts {
  keyColumns: string[];
  /** Column name → type as the source names it (`int4`, `numeric(10,2)`, `S`...). */
  types: Map<string, string>;
  columns: Map<string, SourceColumn>;
}

export function sourceFactsOf(stream: StreamRef): SourceFacts {
  const meta = (stream.meta?.['sourceMeta'] ?? {}) as Record<string, unknown>;
  const types = new Map<string, string>();
  const columns = new Map<string, SourceColumn>();
  if (Array.isArray(meta['columns'])) {
    for (const c of meta['columns'] as unknown[]) {
      if (c && typeof c === 'object' && typeof (c as SourceColumn).name === 'string') {
        const col = c as SourceColumn;
        columns.set(col.name, col);
        if (typeof col.type === 'string') types.set(col.name, col.type);
      }
    }
  }
  let keyColumns: string[] = [];
  if (Array.isArray(meta['keyColumns']) && meta['keyColumns'].every((k) => typeof k === 'string')) {
    keyColumns = meta['keyColumns'] as string[];
    const keyTypes = Array.isArray(meta['keyTypes']) ? (meta['keyTypes'] as unknown[]) : [];
    keyColumns.forEach((k, i) => {
      const t = keyTypes[i];
      if (typeof t === 'string' && !types.has(k)) types.set(k, t);
    });
  } else if (Array.isArray(meta['keySchema'])) {
    // A DynamoDB source: [{ name, type: HASH|RANGE, attrType }]
    const ks = meta['keySchema'] as { name?: unknown; type?: unknown; attrType?: unknown }[];
    const ordered = [...ks].sort((a, b) => (a.type === 'HASH' ? -1 : b.type === 'HASH' ? 1 : 0));
    for (const k of ordered) {
      if (typeof k.name !== 'string') continue;
      keyColumns.push(k.name);
      if (typeof k.attrType === 'string') types.set(k.name, k.attrType);
    }
  }
  // The field map ran before the sink: columns are known to it under their renamed names.
  const rename = ((stream.meta?.['map'] ?? {}) as { rename?: Record<string, string> }).rename ?? {};
  if (Object.keys(rename).length === 0) return { keyColumns, types, columns };
  const to = (n: string): string => rename[n] ?? n;
  return {
    keyColumns: keyColumns.map(to),
    types: new Map([...types].map(([n, t]) => [to(n), t])),
    columns: new Map([...columns].map(([n, c]) => [to(n), { ...c, name: to(n) }])),
  };
}

const NUMERIC = new Set([
  'smallint',
  'integer',
  'int',
  'bigint',
  'int2',
  'int4',
  'int8',
  'numeric',
  'decimal',
  'real',
  'double precision',
  'float4',
  'float8',
  'float',
  'smallserial',
  'serial',
  'bigserial',
  'serial2',
  'serial4',
  'serial8',
  'oid',
]);
const TEMPORAL = new Set([
  'date',
  'timestamp',
  'timestamptz',
  'timestamp without time zone',
  'timestamp with time zone',
]);

/** DynamoDB attribute type a source column type ends up as (for key attributes). */
export function attrTypeOfColumn(type: string | undefined, timestamps: TimestampForm): KeyAttrType {
  if (type === undefined) return 'S';
  if (type === 'S' || type === 'N' || type === 'B') return type;
  const t = type.toLowerCase().replace(/\(.*\)/, '').replace(/\[\]$/, '').trim();
  if (NUMERIC.has(t)) return 'N';
  if (t === 'bytea') return 'B';
  if (TEMPORAL.has(t)) return timestamps === 'iso' ? 'S' : 'N';
  return 'S';
}

/**
 * The target key of a stream, or undefined when neither the plan nor the source says (rule 3 above). Throws
 * CONFIG for a plan key that cannot work.
 */
export function targetKeyOf(stream: StreamRef, timestamps: TimestampForm): TargetKey | undefined {
  const options = (stream.meta?.['options'] ?? {}) as Record<string, unknown>;
  const facts = sourceFactsOf(stream);
  const typeOf = (name: string, explicit: unknown): KeyAttrType =>
    explicit === 'S' || explicit === 'N' || explicit === 'B' ? explicit : attrTypeOfColumn(facts.types.get(name), timestamps);

  const key = options['key'] as { partition?: unknown; sort?: unknown; partition_type?: unknown; sort_type?: unknown } | undefined;
  if (key && typeof key.partition === 'string' && key.partition !== '') {
    const partition = { name: key.partition, type: typeOf(key.partition, key.partition_type) };
    if (typeof key.sort === 'string' && key.sort !== '') {
      if (key.sort === key.partition) {
        throw new FerryError('CONFIG', `${stream.name}: key.partition and key.sort are the same attribute "${key.sort}"`, {
          hint: 'name two different attributes, or leave `sort` out',
        });
      }
      return { partition, sort: { name: key.sort, type: typeOf(key.sort, key.sort_type) }, origin: 'plan' };
    }
    return { partition, origin: 'plan' };
  }

  const cols = facts.keyColumns;
  if (cols.length === 0) return undefined;
  if (cols.length === 1) return { partition: { name: cols[0]!, type: typeOf(cols[0]!, undefined) }, origin: 'source' };
  if (cols.length === 2) {
    return {
      partition: { name: cols[0]!, type: typeOf(cols[0]!, undefined) },
      sort: { name: cols[1]!, type: typeOf(cols[1]!, undefined) },
      origin: 'source',
    };
  }
  return { partition: { name: COMPOSITE_KEY_ATTRIBUTE, type: 'S' }, composite: [...cols], origin: 'source' };
}

/** `pk (S)` or `pk (S) + sk (N)`, for messages. */
export function describeKey(k: { partition: KeyAttr; sort?: KeyAttr | undefined }): string {
  return `${k.partition.name} (${k.partition.type})${k.sort ? ` + ${k.sort.name} (${k.sort.type})` : ''}`;
}

export function sameKey(a: { partition: KeyAttr; sort?: KeyAttr | undefined }, b: { partition: KeyAttr; sort?: KeyAttr | undefined }): boolean {
  const eq = (x: KeyAttr | undefined, y: KeyAttr | undefined): boolean =>
    x === undefined || y === undefined ? x === y : x.name === y.name && x.type === y.type;
  return eq(a.partition, b.partition) && eq(a.sort, b.sort);
}

/**
 * The composite key text: each part's text with `\` written `\\` and `#` written `\#`, joined by `#`. So
 * (42, 'a#b', 'c\d') → `42#a\#b#c\\d`, and different part lists never give the same text.
 */
export function compositeKeyText(parts: readonly string[]): string {
  return parts.map((p) => p.replaceAll('\\', '\\\\').replaceAll('#', '\\#')).join('#');
}

/** The parts of a composite key text (the inverse of `compositeKeyText`). */
export function splitCompositeKey(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[i + 1];
      i += 1;
    } else if (c === '#') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}
