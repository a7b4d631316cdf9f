/**
 * Server-side key-bucket selection for the verifier (src/core/source.ts `KeyBucketFilter`): which columns PostgreSQL
 * can print exactly as ferry's key identity text, and the condition that keeps the rows of some md5 buckets.
 *
 * A row's identity is `name=text` per part, joined by `, `, where `text` is String() of the record key part the
 * source makes of the column (source.ts `keyPartOf` over decode.ts). The SQL must produce that text byte for byte,
 * or rows fall in other buckets than the verifier computes (it notices, but pays a full read). Per type:
 *
 * - int2, int4, int8, numeric: decoded from their text (Number, BigInt, Decimal) and printed back unchanged.
 * - text, varchar, name, citext, uuid, enums: kept as their text.
 * - bool: decoded to true/false, whose String() is `true`/`false`, which is what `bool::text` prints (not `t`/`f`).
 * - bpchar: kept as printed, blank padding included; `::text` would strip the padding, `concat()` keeps it.
 * - date: ISO text; `date::text` equals it for years 1–9999, and outside them (BC, 5+ digit years) the year is
 *   rewritten the way time-text.ts `isoYear` writes it.
 *
 * Not: timestamps and times (rewritten to UTC ISO-8601 with `T` and `Z`), floats (JS prints 1e+21 and 1e21
 * differently), bytea (base64 in keys, hex in PostgreSQL), json, arrays, inet (`::text` adds the netmask), and
 * anything else not listed.
 */
import { FerryError } from '../../errors.js';
import { quoteIdent } from './stream-pattern.js';

/** How a column's identity text is written in SQL. */
export type KeyTextForm = 'cast' | 'padded' | 'date';

/** A column's type as far as bucketing cares: pg_type `typname` and `typtype` after resolving domains. */
export interface KeyColumnType {
  name: string;
  kind: string;
  isArray: boolean;
}

/** A filter part ready for SQL: the identity's part name, the column, and how to print it. */
export interface BucketColumn {
  name: string;
  column: string;
  form: KeyTextForm;
}

const CAST_TYPES = new Set(['int2', 'int4', 'int8', 'numeric', 'text', 'varchar', 'name', 'citext', 'uuid', 'bool']);

/** How to print a column of this type as its identity text, or undefined when PostgreSQL's text differs from ferry's. */
export function keyTextForm(type: KeyColumnType): KeyTextForm | undefined {
  if (type.isArray) return undefined;
  if (type.kind === 'e') return 'cast';
  if (type.kind !== 'b') return undefined;
  if (CAST_TYPES.has(type.name)) return 'cast';
  if (type.name === 'bpchar') return 'padded';
  if (type.name === 'date') return 'date';
  return undefined;
}

/** A string literal that means the same whatever `standard_conforming_strings` is (as PostgreSQL's quote_literal). */
export function sqlLiteral(text: string): string {
  const quoted = text.replaceAll("'", "''");
  return text.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/** The column's identity text, NULL for NULL. */
function columnText(part: BucketColumn): string {
  const c = quoteIdent(part.column);
  switch (part.form) {
    case 'cast':
      return `${c}::text`;
    case 'padded':
      return `CASE WHEN ${c} IS NOT NULL THEN concat(${c}) END`;
    case 'date': {
      // The astronomical year (1 BC is 0) from extract, which has no year 0; month and day from the text, since
      // to_char goes through timestamp, whose range is smaller than date's.
      const y = `(extract(year from ${c})::int8 + CASE WHEN ${c} < DATE '0001-01-01' THEN 1 ELSE 0 END)`;
      const year =
        `CASE WHEN ${y} BETWEEN 0 AND 9999 THEN lpad(${y}::text, 4, '0')` +
        ` ELSE CASE WHEN ${y} < 0 THEN '-' ELSE '+' END || lpad(abs(${y})::text, greatest(6, length(abs(${y})::text)), '0') END`;
      return (
        `CASE WHEN NOT isfinite(${c}) OR ${c} BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' THEN ${c}::text` +
        ` ELSE (${year}) || substring(${c}::text from '-[0-9][0-9]-[0-9][0-9]') END`
      );
    }
  }
}

/** ferry's key identity text of a row: `'name=' || text` per part, in the given (identity) order, joined by `, `. */
export function identitySql(parts: readonly BucketColumn[]): string {
  return parts.map((p) => `${sqlLiteral(`${p.name}=`)} || coalesce(${columnText(p)}, 'null')`).join(` || ', ' || `);
}

/**
 * `md5Bucket(identity, buckets) ∈ selected` in SQL; pushes its two parameters into `values`. The identity is hashed
 * as UTF-8 (`convert_to`) as md5Bucket does, whatever the database's encoding.
 */
export function keyBucketCondition(parts: readonly BucketColumn[], buckets: number, selected: readonly number[], values: unknown[]): string {
  values.push(buckets);
  const b = values.length;
  values.push(selected);
  const s = values.length;
  return `('x' || substr(md5(convert_to(${identitySql(parts)}, 'UTF8')), 1, 8))::bit(32)::int8 % $${b}::int8 = ANY($${s}::int8[])`;
}

/** A filter's numbers as the condition needs them; a caller's mistake, not the data's, when they are not. */
export function checkBucketNumbers(buckets: number, selected: readonly number[]): void {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 2 ** 32) {
    throw new FerryError('INTERNAL', `key buckets: ${buckets} is not a bucket count (1 to 2^32)`);
  }
  const bad = selected.find((b) => !Number.isInteger(b) || b < 0 || b >= buckets);
  if (bad !== undefined) throw new FerryError('INTERNAL', `key buckets: ${bad} is not a bucket of ${buckets}`);
}

/**
 * The filter's parts with their columns' forms, or why PostgreSQL cannot compute their identity: a column the stream
 * does not have, or a type whose text differs from ferry's. `typeOf` gives a column's type and the name to show for it.
 */
export function bucketColumns(
  stream: string,
  parts: readonly { name: string; column: string }[],
  typeOf: (column: string) => { type: KeyColumnType; shown: string } | undefined,
): BucketColumn[] | string {
  if (parts.length === 0) return 'no key parts to bucket by';
  const out: BucketColumn[] = [];
  for (const p of parts) {
    // A text value cannot hold NUL, so such a name cannot be written into the statement.
    if (p.name.includes('\u0000')) return `key part name ${JSON.stringify(p.name)} holds a NUL character`;
    const t = typeOf(p.column);
    if (!t) return `key column ${p.column} is not a column of ${stream}`;
    const form = keyTextForm(t.type);
    if (!form) return `key column ${p.column} is ${t.shown}; its text differs from ferry's`;
    out.push({ name: p.name, column: p.column, form });
  }
  return out;
}
