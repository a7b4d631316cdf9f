/**
 * The bench's source table in PostgreSQL: N rows of a realistic mixed-type table, about 300 bytes a row, made by
 * one INSERT ... SELECT over generate_series (no data crosses the client). Deterministic, so two runs with the same
 * N read the same bytes; a table already holding this generator's N rows is reused (its comment says so).
 *
 * It lives in its own schema (`ferry_bench`), and the bench drops and re-creates only that table.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import pg from 'pg';

export const BENCH_SCHEMA = 'ferry_bench';
export const BENCH_TABLE = 'rows';
export const QUALIFIED_TABLE = `${BENCH_SCHEMA}.${BENCH_TABLE}`;
/** Changes whenever the generator below changes, so an old table is not taken for a new one. */
const GENERATOR_VERSION = 1;

const DDL = `
CREATE TABLE ${QUALIFIED_TABLE} (
  id          bigint PRIMARY KEY,
  customer    text NOT NULL,
  email       varchar(120) NOT NULL,
  amount      numeric(12,2) NOT NULL,
  created_at  timestamptz NOT NULL,
  active      boolean NOT NULL,
  attrs       jsonb NOT NULL,
  tags        integer[] NOT NULL,
  ref         uuid NOT NULL,
  note        text
)`;

/** Every value is a function of g, so the table is the same on every run. About 300 bytes a row as text. */
const FILL = `
INSERT INTO ${QUALIFIED_TABLE}
SELECT g,
       'customer ' || md5(g::text),
       'user' || g || '@' || substr(md5((g * 7)::text), 1, 12) || '.example.com',
       ((g::bigint * 7919) % 10000000) / 100.0,
       timestamptz '2020-01-01 00:00:00+00' + g * interval '37 seconds' + ((g * 104729) % 1000000) * interval '1 microsecond',
       g % 3 <> 0,
       jsonb_build_object('plan', (ARRAY['free', 'pro', 'team', 'enterprise'])[1 + g % 4], 'seats', 1 + g % 50,
                          'region', 'eu-west-' || (1 + g % 3), 'trial', g % 7 = 0),
       ARRAY[g % 100, (g * 3) % 1000, (g * 7) % 10000],
       md5(g::text || '/ref')::uuid,
       CASE WHEN g % 10 = 0 THEN NULL ELSE substr(md5((g * 13)::text) || md5((g * 17)::text), 1, (20 + g % 40)::int) END
FROM generate_series($1::bigint, $2::bigint) AS g`;

export interface DatasetInfo {
  rows: number;
  reused: boolean;
  /** Average size of a row as text (the bytes a client receives), from a sample. */
  avgRowBytes: number;
  seconds: number;
}

/** Make sure `ferry_bench.rows` holds exactly this generator's `rows` rows. */
export async function ensureDataset(pgUrl: string, rows: number, log: (line: string) => void): Promise<DatasetInfo> {
  const client = new pg.Client({ connectionString: pgUrl, application_name: 'ferry-bench' });
  await client.connect();
  const started = Date.now();
  try {
    const tag = `ferry bench generator v${GENERATOR_VERSION}, ${rows} rows`;
    const existing = await client.query<{ comment: string | null }>(
      `SELECT obj_description(to_regclass($1), 'pg_class') AS comment`,
      [QUALIFIED_TABLE],
    );
    let reused = existing.rows[0]?.comment === tag;
    if (reused) {
      // The comment is set last: a table with it is complete. Still, check the count is what it claims.
      const { rows: c } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${QUALIFIED_TABLE}`);
      reused = Number(c[0]!.n) === rows;
    }
    if (!reused) {
      log(`generating ${rows.toLocaleString('en-US')} rows in PostgreSQL (${QUALIFIED_TABLE})`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${BENCH_SCHEMA}`);
      await client.query(`DROP TABLE IF EXISTS ${QUALIFIED_TABLE}`);
      await client.query(DDL);
      const step = 250_000;
      for (let from = 1; from <= rows; from += step) {
        await client.query(FILL, [from, Math.min(rows, from + step - 1)]);
      }
      await client.query(`ANALYZE ${QUALIFIED_TABLE}`);
      await client.query(`COMMENT ON TABLE ${QUALIFIED_TABLE} IS '${tag}'`);
    } else {
      log(`reusing ${QUALIFIED_TABLE} (${rows.toLocaleString('en-US')} rows of generator v${GENERATOR_VERSION})`);
    }
    const { rows: sz } = await client.query<{ b: string | null }>(
      `SELECT avg(octet_length(t::text))::numeric(10,1) AS b FROM (SELECT * FROM ${QUALIFIED_TABLE} ORDER BY id LIMIT 10000) t`,
    );
    return { rows, reused, avgRowBytes: Number(sz[0]?.b ?? 0), seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

/** A row as node-postgres returns it with its default type parsers. */
export interface BenchRow {
  id: string; // int8 → string
  customer: string;
  email: string;
  amount: string; // numeric → string
  created_at: Date;
  active: boolean;
  attrs: Record<string, unknown>;
  tags: number[];
  ref: string;
  note: string | null;
}

function jsonValue(v: unknown): AttributeValue {
  if (v === null || v === undefined) return { NULL: true };
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'number') return { N: String(v) };
  if (typeof v === 'boolean') return { BOOL: v };
  if (Array.isArray(v)) return { L: v.map(jsonValue) };
  const M: Record<string, AttributeValue> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) M[k] = jsonValue(x);
  return { M };
}

/**
 * The textbook marshalling of one row, written by hand for this table as an application would: the same item
 * shape ferry writes (numbers as N, timestamps as ISO-8601 strings, jsonb as a map, arrays as lists).
 */
export function marshalRow(r: BenchRow): Record<string, AttributeValue> {
  return {
    id: { N: r.id },
    customer: { S: r.customer },
    email: { S: r.email },
    amount: { N: r.amount },
    created_at: { S: r.created_at.toISOString() },
    active: { BOOL: r.active },
    attrs: jsonValue(r.attrs),
    tags: { L: r.tags.map((n) => ({ N: String(n) })) },
    ref: { S: r.ref },
    note: r.note === null ? { NULL: true } : { S: r.note },
  };
}
