/**
 * Where to cut a relation's key space into about `desired` slices of similar row counts.
 *
 * - Small relations (fewer than `minRowsPerSegment` rows per wanted slice) are one slice: splitting them costs
 *   more than it saves.
 * - Up to `exactBelow` rows (estimated by pg_class.reltuples, or counted when the estimate is missing or small):
 *   exact cuts, every `ceil(rows / n)`-th key in key order (`row_number()` over an index scan).
 * - Above: cuts at the quantiles of a block sample (`TABLESAMPLE SYSTEM`) of about `sampleRows` keys; the sample is
 *   sorted by PostgreSQL, so text keys follow the column's collation. Skewed keys are no problem: cuts follow rows,
 *   not key values.
 *
 * Cuts only decide where slices end; coverage does not depend on them (see SegmentSpec), so a stale sample or rows
 * changing meanwhile can unbalance slices but never lose or repeat a row.
 */
import type { Query } from './connections.js';
import { rangeCondition, tupleOf, type KeysetShape, type KeyTuple } from './keyset.js';
import { qualified, quoteIdent } from './stream-pattern.js';

export interface SegmentTuning {
  /** A slice should hold at least this many rows. */
  minRowsPerSegment: number;
  /** Up to this many rows, cut exactly; above, cut on a sample. */
  exactBelow: number;
  /** Keys to sample (at least 100 per slice). */
  sampleRows: number;
}

export const DEFAULT_SEGMENT_TUNING: SegmentTuning = { minRowsPerSegment: 10_000, exactBelow: 2_000_000, sampleRows: 20_000 };

export interface BoundsInput {
  shape: KeysetShape;
  /** int2/int4 key columns, kept as JSON numbers in tuples. */
  smallKey: readonly boolean[];
  estimatedRows: number | null;
  /** Tables and materialized views can be sampled; views and foreign tables are cut exactly. */
  sampleable: boolean;
  where?: string;
  desired: number;
  tuning: SegmentTuning;
}

/** The `n - 1` cut tuples (sorted, distinct) for n slices; empty for one slice. */
export async function segmentBounds(query: Query, input: BoundsInput): Promise<KeyTuple[]> {
  const { shape, tuning } = input;
  if (input.desired <= 1) return [];
  const rel = qualified(shape.schema, shape.table);
  const keyList = shape.key.map(quoteIdent).join(', ');
  const keyIndexes = shape.key.map((_, i) => i);

  let rows = input.estimatedRows;
  let exact = false;
  if (rows === null || rows < tuning.exactBelow || !input.sampleable) {
    const values: unknown[] = [];
    const { rows: r } = await query(`SELECT count(*) FROM ${rel}${rangeCondition(shape, { where: input.where }, values)}`, values);
    rows = Number(r[0]![0]);
    exact = true;
  }
  const n = Math.min(input.desired, Math.floor(rows / Math.max(1, tuning.minRowsPerSegment)));
  if (n <= 1) return [];

  if (exact || !input.sampleable) {
    const step = Math.ceil(rows / n);
    const values: unknown[] = [];
    const cond = rangeCondition(shape, { where: input.where }, values);
    values.push(step, n - 1);
    const { rows: cuts } = await query(
      `SELECT ${keyList} FROM (SELECT ${keyList}, row_number() OVER (ORDER BY ${keyList}) AS ferry_rn FROM ${rel}${cond}) s` +
        ` WHERE ferry_rn % $${values.length - 1} = 0 ORDER BY ${keyList} LIMIT $${values.length}`,
      values,
    );
    return distinct(cuts.map((r) => tupleOf(r, keyIndexes, input.smallKey)));
  }

  // SYSTEM sampling takes whole pages, so a small percentage of a small table can come back nearly empty (or a
  // `where` can filter most of it out): widen the sample until it holds enough keys to cut on, or is the whole table.
  const sampleRows = Math.max(tuning.sampleRows, 100 * n);
  let percent = Math.min(100, (100 * sampleRows) / rows);
  let sample: unknown[][];
  for (;;) {
    const values: unknown[] = [percent];
    const cond = rangeCondition(shape, { where: input.where }, values);
    ({ rows: sample } = await query(`SELECT ${keyList} FROM ${rel} TABLESAMPLE SYSTEM ($1::float8)${cond} ORDER BY ${keyList}`, values));
    if (sample.length >= 10 * n || percent >= 100) break;
    percent = Math.min(100, percent * 4);
  }
  if (sample.length < n) return [];
  const cuts: KeyTuple[] = [];
  for (let i = 1; i < n; i++) cuts.push(tupleOf(sample[Math.floor((i * sample.length) / n) - 1]!, keyIndexes, input.smallKey));
  return distinct(cuts);
}

/** Adjacent equal cuts would make empty slices; drop them (input is sorted). */
function distinct(cuts: KeyTuple[]): KeyTuple[] {
  const out: KeyTuple[] = [];
  for (const c of cuts) if (out.length === 0 || JSON.stringify(out[out.length - 1]) !== JSON.stringify(c)) out.push(c);
  return out;
}
