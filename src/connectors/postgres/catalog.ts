/**
 * What the PostgreSQL catalog says about the relations a plan reads: which relations a `from:` matches, their
 * columns and types (as `format_type` prints them), their key, and a row estimate. Read from pg_catalog rather than
 * information_schema: it is faster, and it knows enums, domains, array element types and partitions.
 */
import { FerryError } from '../../errors.js';
import { parseArrayLiteral } from './array-literal.js';
import type { Query } from './connections.js';
import { isArrayType, type PgTypeInfo } from './decode.js';
import { matches, type StreamPattern } from './stream-pattern.js';

export type RelationKind = 'table' | 'partitioned table' | 'view' | 'materialized view' | 'foreign table';

const KINDS: Record<string, RelationKind> = { r: 'table', p: 'partitioned table', v: 'view', m: 'materialized view', f: 'foreign table' };

export interface Relation {
  oid: number;
  schema: string;
  table: string;
  kind: RelationKind;
  /** A partition of a partitioned table: patterns skip it (its rows are read through its parent). */
  isPartition: boolean;
  /** `pg_class.reltuples` (summed over partitions); null when never analysed, or for views. */
  estimatedRows: number | null;
}

/** One column as StreamRef.meta carries it. */
export interface PgColumnMeta {
  name: string;
  /** `format_type(atttypid, atttypmod)`: `integer`, `numeric(10,2)`, `timestamp with time zone`, `text[]`... */
  type: string;
  /** `pg_type.typname`: `int4`, `_text`, or the name of an enum or domain. */
  udtName: string;
  nullable: boolean;
  isArray: boolean;
  /** `format_type` of the element type, for arrays. */
  elementType?: string;
  /** Labels in sort order, when the column (or its array's element) is an enum. */
  enumValues?: string[];
}

export interface RelationShape {
  columns: PgColumnMeta[];
  /** Type OIDs by column, in column order (not in meta: OIDs differ between databases). */
  columnTypes: number[];
  primaryKey: string[];
  /** Column lists of unique indexes without a predicate. */
  uniqueKeys: string[][];
  /** Every type the columns need for decoding: their own, array elements, domain bases. */
  types: PgTypeInfo[];
}

const NOT_SYSTEM = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

export async function listRelations(query: Query, pattern: StreamPattern): Promise<Relation[]> {
  const params: unknown[] = [];
  let filter = NOT_SYSTEM;
  // Narrow in SQL where the pattern is literal; wildcards are matched below.
  if (pattern.schema.exact !== undefined) {
    params.push(pattern.schema.exact);
    filter += ` AND n.nspname = $${params.length}`;
  }
  if (pattern.table.exact !== undefined) {
    params.push(pattern.table.exact);
    filter += ` AND c.relname = $${params.length}`;
  }
  const { rows } = await query(
    `SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,
            CASE WHEN c.relkind = 'p' THEN (
              SELECT CASE WHEN bool_and(l.reltuples >= 0) THEN sum(l.reltuples) END
              FROM pg_partition_tree(c.oid) pt JOIN pg_class l ON l.oid = pt.relid WHERE pt.isleaf)
            WHEN c.relkind IN ('r', 'm') AND c.reltuples >= 0 THEN c.reltuples END
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${filter}
     ORDER BY n.nspname, c.relname`,
    params,
  );
  const out: Relation[] = [];
  for (const r of rows) {
    const [oid, schema, table, relkind, isPartition, est] = r as [string, string, string, string, string, string | null];
    const kind = KINDS[relkind]!;
    if (!matches(pattern.schema, schema) || !matches(pattern.table, table)) continue;
    const part = isPartition === 't';
    // Patterns mean tables: views, materialized views and foreign tables only when named, and partitions only by name
    // (their parent already yields their rows).
    if (!pattern.explicit && (part || (kind !== 'table' && kind !== 'partitioned table'))) continue;
    out.push({ oid: Number(oid), schema, table, kind, isPartition: part, estimatedRows: est === null ? null : Math.round(Number(est)) });
  }
  return out;
}

export async function describeRelation(query: Query, rel: Relation): Promise<RelationShape> {
  const cols = await query(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, NOT a.attnotnull, a.atttypid::int8
     FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [rel.oid],
  );
  const columnTypes = cols.rows.map((r) => Number(r[4]));
  const types = await loadTypes(query, columnTypes);
  const byOid = new Map(types.map((t) => [t.oid, t]));
  const resolve = (oid: number): PgTypeInfo | undefined => {
    let t = byOid.get(oid);
    for (let i = 0; t && t.kind === 'd' && t.base !== 0 && i < 32; i++) t = byOid.get(t.base);
    return t;
  };

  const enumOids = new Set<number>();
  const columns: PgColumnMeta[] = cols.rows.map((r, i) => {
    const t = resolve(columnTypes[i]!);
    const isArray = t !== undefined && isArrayType(t);
    const el = isArray ? resolve(t.elem) : undefined;
    const col: PgColumnMeta = { name: r[0] as string, type: r[1] as string, udtName: r[2] as string, nullable: r[3] === 't', isArray };
    const enumType = isArray ? el : t;
    if (enumType?.kind === 'e') enumOids.add(enumType.oid);
    return col;
  });
  const elementTypes = new Map<number, string>();
  const arrayElems = [...new Set(columns.flatMap((c, i) => (c.isArray ? [resolve(columnTypes[i]!)!.elem] : [])))];
  if (arrayElems.length > 0) {
    const { rows } = await query('SELECT oid::int8, format_type(oid, NULL) FROM pg_type WHERE oid = ANY($1::oid[])', [arrayElems]);
    for (const [oid, name] of rows) elementTypes.set(Number(oid), name as string);
  }
  const labels = new Map<number, string[]>();
  if (enumOids.size > 0) {
    const { rows } = await query(
      'SELECT enumtypid::int8, array_agg(enumlabel::text ORDER BY enumsortorder)::text FROM pg_enum WHERE enumtypid = ANY($1::oid[]) GROUP BY enumtypid',
      [[...enumOids]],
    );
    for (const [oid, list] of rows) labels.set(Number(oid), parseTextArray(list as string));
  }
  columns.forEach((c, i) => {
    const t = resolve(columnTypes[i]!);
    const enumType = c.isArray && t ? resolve(t.elem) : t;
    if (c.isArray && t) c.elementType = elementTypes.get(t.elem);
    if (enumType?.kind === 'e') c.enumValues = labels.get(enumType.oid) ?? [];
  });

  const idx = await query(
    `SELECT i.indisprimary, array_agg(a.attname::text ORDER BY k.ord)::text
     FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
     GROUP BY i.indexrelid, i.indisprimary`,
    [rel.oid],
  );
  let primaryKey: string[] = [];
  const uniqueKeys: string[][] = [];
  for (const [primary, list] of idx.rows) {
    const names = parseTextArray(list as string);
    if (primary === 't') primaryKey = names;
    uniqueKeys.push(names);
  }
  return { columns, columnTypes, primaryKey, uniqueKeys, types };
}

/** pg_type rows for these OIDs and every type they lead to (array elements, domain bases), in one round trip. */
export async function loadTypes(query: Query, oids: readonly number[]): Promise<PgTypeInfo[]> {
  if (oids.length === 0) return [];
  const { rows } = await query(
    `WITH RECURSIVE want(oid) AS (
       SELECT unnest($1::oid[])
       UNION
       SELECT x.oid FROM want w JOIN pg_type t ON t.oid = w.oid
       CROSS JOIN LATERAL (VALUES (t.typelem), (t.typbasetype)) AS x(oid) WHERE x.oid <> 0)
     SELECT t.oid::int8, t.typname, t.typtype, t.typcategory, t.typelem::int8, t.typdelim, t.typbasetype::int8
     FROM pg_type t WHERE t.oid IN (SELECT oid FROM want)`,
    [[...new Set(oids)]],
  );
  return rows.map((r) => ({
    oid: Number(r[0]),
    name: r[1] as string,
    kind: r[2] as string,
    category: r[3] as string,
    elem: Number(r[4]),
    delim: r[5] as string,
    base: Number(r[6]),
  }));
}

/** A one-dimensional text[] literal (catalog names and enum labels) → strings. */
function parseTextArray(literal: string): string[] {
  return parseArrayLiteral(literal, ',', (s) => s) as string[];
}

export function notFound(name: string): FerryError {
  return new FerryError('NOT_FOUND', `table ${name} does not exist`, { hint: 'the table was dropped or renamed, or the plan names it wrongly' });
}
