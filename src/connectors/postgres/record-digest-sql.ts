/**
 * ferry's record digests computed by PostgreSQL, for the checksum's first pass (src/core/source.ts `DigestSpec`):
 * per md5 key bucket, the count of rows and the sum mod 2^128 of the first 16 bytes of
 * `sha256(canonicalString(identity) || canonical({ field: value, ... }))`, so no row crosses the wire.
 *
 * The canonical text (src/transform/canonical.ts) is written in SQL for the types whose text PostgreSQL prints the
 * way ferry encodes the decoded value:
 * - int2, int4, int8: `d<digits>;` (`::text`).
 * - numeric: `d<plain decimal>;` — `trim_scale` drops trailing fractional zeros (PostgreSQL 13+); its text is
 *   positional already; NaN and ±Infinity print as ferry writes them.
 * - text, varchar, name, citext, uuid, enums: `s<UTF-16 length>:<text>` (a character outside the BMP is two UTF-16
 *   units); bpchar through `concat()`, which keeps the blank padding ferry keeps.
 * - bool: `t` / `f`. NULL: `n`, or nothing at all under `nulls: omit`.
 * Anything else (times, floats, bytes, json, arrays...) is refused: ferry's text for them is not PostgreSQL's.
 *
 * Sums: each digest's four big-endian 32-bit words are summed separately (int8 words, numeric sums: no overflow),
 * and the caller folds them into one 128-bit sum.
 */
import type { DigestSpec } from '../../core/source.js';
import { identitySql, sqlLiteral, type BucketColumn, type KeyColumnType } from './key-buckets.js';
import { quoteIdent } from './stream-pattern.js';

export type ValueForm = 'int' | 'numeric' | 'text' | 'padded' | 'bool';

const INT = new Set(['int2', 'int4', 'int8']);
const TEXT = new Set(['text', 'varchar', 'name', 'citext', 'uuid']);

/** How a column's value is written canonically in SQL, or undefined when PostgreSQL cannot write it as ferry does. */
export function valueForm(type: KeyColumnType): ValueForm | undefined {
  if (type.isArray) return undefined;
  if (type.kind === 'e') return 'text';
  if (type.kind !== 'b') return undefined;
  if (INT.has(type.name)) return 'int';
  if (type.name === 'numeric') return 'numeric';
  if (TEXT.has(type.name)) return 'text';
  if (type.name === 'bpchar') return 'padded';
  if (type.name === 'bool') return 'bool';
  return undefined;
}

/** UTF-16 code units of a text expression: characters, plus one more for each outside the BMP. */
function utf16Length(x: string): string {
  return `(2 * char_length(${x}) - char_length(regexp_replace(${x}, E'[\\\\U00010000-\\\\U0010FFFF]', '', 'g')))`;
}

/** `canonicalString` of a text expression (never NULL here). */
function canonicalStringSql(x: string): string {
  return `'s' || ${utf16Length(x)}::text || ':' || ${x}`;
}

/** A JS string's `canonicalString`, as a SQL literal (field names are known before the query). */
function canonicalName(name: string): string {
  return sqlLiteral(`s${name.length}:${name}`);
}

function valueSql(column: string, form: ValueForm): string {
  const c = quoteIdent(column);
  switch (form) {
    case 'int':
      return `'d' || ${c}::text || ';'`;
    case 'numeric':
      return `'d' || trim_scale(${c})::text || ';'`;
    case 'text':
      return canonicalStringSql(`${c}::text`);
    case 'padded':
      return canonicalStringSql(`concat(${c})`);
    case 'bool':
      return `CASE WHEN ${c} THEN 't' ELSE 'f' END`;
  }
}

export interface DigestColumn {
  name: string;
  column: string;
  form: ValueForm;
}

/** The canonical text of a row's value: its fields in UTF-16 order of their names, as `encodeMap` writes them. */
export function canonicalValueSql(fields: readonly DigestColumn[], omitNulls: boolean): string {
  const sorted = [...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const pieces = sorted.map((f) => {
    const c = quoteIdent(f.column);
    const name = canonicalName(f.name);
    return `CASE WHEN ${c} IS NULL THEN ${omitNulls ? "''" : `${name} || 'n'`} ELSE ${name} || ${valueSql(f.column, f.form)} END`;
  });
  return [`'{'`, ...pieces, `'}'`].join(' || ');
}

/**
 * The query: one row per non-empty bucket, `(bucket, count, w0, w1, w2, w3)` with the word sums as text. `relation`
 * is the qualified table; `where` the stream's condition (or none); pushes its parameter into `values`.
 */
export function digestBucketsSql(
  relation: string,
  where: string | undefined,
  spec: Pick<DigestSpec, 'buckets' | 'omitNulls'>,
  keyParts: readonly BucketColumn[],
  fields: readonly DigestColumn[],
  values: unknown[],
): string {
  values.push(spec.buckets);
  const b = values.length;
  const identity = `(${identitySql(keyParts)})`;
  const word = (i: number): string => `('x' || encode(substring(h from ${1 + 4 * i} for 4), 'hex'))::bit(32)::int8`;
  return (
    `SELECT bucket, count(*)::text, sum(${word(0)})::text, sum(${word(1)})::text, sum(${word(2)})::text, sum(${word(3)})::text FROM (` +
    `SELECT ('x' || substr(md5(convert_to(${identity}, 'UTF8')), 1, 8))::bit(32)::int8 % $${b}::int8 AS bucket, ` +
    `sha256(convert_to(${canonicalStringSql(identity)} || ${canonicalValueSql(fields, spec.omitNulls)}, 'UTF8')) AS h ` +
    `FROM ${relation}${where ? ` WHERE (${where})` : ''}) AS d GROUP BY bucket`
  );
}

/** The 128-bit sum of a bucket's digests from its four word sums. */
export function foldWordSums(words: readonly (string | bigint)[]): bigint {
  let sum = 0n;
  for (let i = 0; i < 4; i++) sum += BigInt(words[i]!) << BigInt(32 * (3 - i));
  return BigInt.asUintN(128, sum);
}
