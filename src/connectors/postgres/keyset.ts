/**
 * Keyset pagination over a relation's key, and the key tuples that segment bounds and cursors are made of.
 *
 * A key tuple holds each key column's value as PostgreSQL prints it (int2/int4 as JSON numbers, everything else as
 * its text: bigints, numerics, uuids, timestamps with their offset), so a tuple read back into a statement as
 * `$n::<column type>` is the exact value again, whatever the type. Row-value comparison `(k1, k2) > ($1, $2)` orders
 * like `ORDER BY k1, k2` (same operators, same collations) and uses a btree index on the key.
 */
import { FerryError } from '../../errors.js';
import { qualified, quoteIdent } from './stream-pattern.js';

export type KeyTuple = (string | number)[];

/**
 * A segment's slice of the key space: rows with `lower < key <= upper` (either bound absent = unbounded). The first
 * segment has no `lower`, the last no `upper`, and each `upper` is the next segment's `lower`, so the segments
 * cover every possible key exactly once, whatever rows exist when they are read. `key` names the columns the bounds
 * are in; `where` and `snapshot` are the plan stream's options, kept with the slice so a read needs nothing else.
 */
export interface SegmentSpec {
  key: string[];
  lower?: KeyTuple;
  upper?: KeyTuple;
  where?: string;
  snapshot: boolean;
}

export interface KeysetShape {
  schema: string;
  table: string;
  columns: readonly string[];
  key: readonly string[];
  /** `format_type` of each key column, for casting parameters. */
  keyTypes: readonly string[];
}

function rowOf(cols: readonly string[]): string {
  return `(${cols.map(quoteIdent).join(', ')})`;
}

function paramsRow(shape: KeysetShape, tuple: KeyTuple, values: unknown[]): string {
  const parts = tuple.map((v, i) => {
    values.push(String(v));
    return `$${values.length}::${shape.keyTypes[i]}`;
  });
  return `(${parts.join(', ')})`;
}

/**
 * The rows a read or count covers: `lower < key <= upper`, the stream's `where`, and `extra`, a further condition
 * (the verifier's key buckets) that pushes its own parameters when the statement is built.
 */
export interface KeyRange {
  lower?: KeyTuple;
  upper?: KeyTuple;
  where?: string;
  extra?: (values: unknown[]) => string;
}

/** WHERE clause (possibly empty) for `lower < key <= upper AND (where) AND (extra)`; pushes its parameters into `values`. */
export function rangeCondition(shape: KeysetShape, range: KeyRange, values: unknown[]): string {
  const conds: string[] = [];
  const keyRow = rowOf(shape.key);
  if (range.lower) conds.push(`${keyRow} > ${paramsRow(shape, range.lower, values)}`);
  if (range.upper) conds.push(`${keyRow} <= ${paramsRow(shape, range.upper, values)}`);
  if (range.where) conds.push(`(${range.where})`);
  if (range.extra) conds.push(`(${range.extra(values)})`);
  return conds.length === 0 ? '' : ` WHERE ${conds.join(' AND ')}`;
}

/** One page: every column, rows after `lower` up to `upper`, in key order, at most `limit` of them. */
export function pageQuery(shape: KeysetShape, range: KeyRange, limit: number): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = rangeCondition(shape, range, values);
  values.push(limit);
  const text =
    `SELECT ${shape.columns.map(quoteIdent).join(', ')} FROM ${qualified(shape.schema, shape.table)}${where}` +
    ` ORDER BY ${shape.key.map(quoteIdent).join(', ')} LIMIT $${values.length}`;
  return { text, values };
}

/** The key tuple of a row of raw text values; `small[i]` marks int2/int4 columns, kept as JSON numbers. */
export function tupleOf(raw: readonly unknown[], keyIndexes: readonly number[], small: readonly boolean[]): KeyTuple {
  return keyIndexes.map((ix, i) => {
    const v = raw[ix];
    if (v === null || v === undefined) {
      throw new FerryError('CONFIG', 'a key column holds NULL; key columns must be unique and not null', {
        hint: 'name non-null columns in the stream\'s `key_columns`',
      });
    }
    return small[i] ? Number(v) : (v as string);
  });
}

export function encodeCursor(tuple: KeyTuple): string {
  return JSON.stringify(tuple);
}

export function decodeCursor(cursor: string, width: number): KeyTuple {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== width || !parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw new FerryError('STATE', `cursor ${cursor} is not a key tuple of ${width} value(s) for this PostgreSQL stream`, {
      hint: 'the job state does not match the source; start a new job',
    });
  }
  return parsed as KeyTuple;
}
