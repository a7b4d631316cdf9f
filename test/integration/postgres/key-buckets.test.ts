/**
 * Server-side key buckets: a read with `keyBuckets` returns exactly the rows whose `md5Bucket(keyIdentity(...))`
 * in JS is selected, for every key type the source accepts, with renamed parts, the stream's `where`, several
 * segments and a resumed cursor; and `keyBuckets()` explains the columns it refuses.
 *
 * The expected rows come from a full read through the same source: their record keys, renamed to the parts' names,
 * give the identity the verifier would compute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdentity, md5Bucket } from '../../../src/core/digest.js';
import type { FerryRecord, KeyPart } from '../../../src/core/record.js';
import type { KeyBucketFilter, KeyBucketPart } from '../../../src/core/source.js';
import type { Segment, StreamRef } from '../../../src/core/stream.js';
import { identitySql, keyTextForm } from '../../../src/connectors/postgres/key-buckets.js';
import type { PostgresSource, PostgresStreamMeta } from '../../../src/connectors/postgres/source.js';
import { createDatabase, keyString, listOne, openSource, readSegment, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let source: PostgresSource;
const never = new AbortController().signal;

interface Fixture {
  table: string;
  /** Identity parts, in identity (name) order. */
  parts: KeyBucketPart[];
}

const col = (name: string, column = name): KeyBucketPart => ({ name, column });

const fixtures: Fixture[] = [
  { table: 'ints', parts: [col('id')] },
  { table: 'texts', parts: [col('name')] },
  { table: 'uuids', parts: [col('id')] },
  // Column order (z, a) is not identity order (a, z).
  { table: 'pairs', parts: [col('a'), col('z')] },
  { table: 'nums', parts: [col('n')] },
  { table: 'bigs', parts: [col('id')] },
  { table: 'invoices', parts: [col('InvoiceId', 'invoice_id')] },
  { table: 'flags', parts: [col('flag'), col('id')] },
  { table: 'codes', parts: [col('code')] },
  { table: 'days', parts: [col('day')] },
  { table: 'moods', parts: [col('id'), col('mood')] },
  { table: 'misc', parts: [col('ci'), col('nm'), col('s'), col('v')] },
  { table: 'doms', parts: [col('id')] },
];

beforeAll(async () => {
  db = await createDatabase('pg_key_buckets');
  await db.client.query(`
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'très ''bien''');
    CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
    CREATE DOMAIN stamp AS timestamptz;

    CREATE TABLE ints (id int PRIMARY KEY, tag text NOT NULL);
    INSERT INTO ints SELECT i - 2000, 'i' || i FROM generate_series(1, 4000) i;

    -- Non-ASCII, quotes, backslashes, spaces and the empty string.
    CREATE TABLE texts (name text PRIMARY KEY, tag text NOT NULL);
    INSERT INTO texts SELECT (ARRAY['a', 'B', 'é', 'Zoë Å', '🚢', ' ', '''', '"', 'ß', '東京', '\\', 'it''s', 'e' || chr(769)])[1 + i % 13]
      || md5(i::text), 't' || i FROM generate_series(1, 2999) i;
    INSERT INTO texts VALUES ('', 'empty');

    CREATE TABLE uuids (id uuid PRIMARY KEY, tag text NOT NULL);
    INSERT INTO uuids SELECT md5(i::text)::uuid, 'u' || i FROM generate_series(1, 2500) i;

    CREATE TABLE pairs (z int NOT NULL, a text NOT NULL, tag text NOT NULL, PRIMARY KEY (z, a));
    INSERT INTO pairs SELECT i % 37, 'k ' || (i * 7919 % 3001) || ', ü', 'p' || i FROM generate_series(1, 3000) i;

    -- Scales, signs, huge and tiny, and NaN (numeric keys print as PostgreSQL prints them).
    CREATE TABLE nums (n numeric PRIMARY KEY, tag text NOT NULL);
    INSERT INTO nums SELECT (i::numeric / 7)::numeric(20, 6) * (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END), 'n' || i FROM generate_series(1, 2000) i;
    INSERT INTO nums VALUES ('NaN', 'nan'), (0, 'zero'), ('0.10', 'tenth'), ('1e-20', 'tiny'), ('123456789012345678901234567890.5', 'huge'),
      ('-1.5e-10', 'small neg'), ('100', 'hundred'), ('1e3', 'thousand'), ('7.5000', 'seven and a half'), ('0.00000001', 'e-8'), ('-0.5', 'neg half'), ('42.4242', 'x');

    CREATE TABLE bigs (id int8 PRIMARY KEY, tag text NOT NULL);
    INSERT INTO bigs SELECT i * 4611686018427387, 'b' || i FROM generate_series(-1000, 999) i;
    INSERT INTO bigs VALUES (9223372036854775807, 'max'), (-9223372036854775808, 'min'), (9007199254740993, '2^53+1'),
      (12, 'twelve'), (13, 'thirteen'), (-9007199254740993, '-(2^53+1)');

    CREATE TABLE invoices (invoice_id int PRIMARY KEY, amount numeric NOT NULL);
    INSERT INTO invoices SELECT i, i * 1.25 FROM generate_series(1, 2000) i;

    CREATE TABLE flags (id int NOT NULL, flag boolean NOT NULL, PRIMARY KEY (flag, id));
    INSERT INTO flags SELECT i, i % 3 = 0 FROM generate_series(1, 2000) i;

    -- char(n): the key keeps the blank padding PostgreSQL prints.
    CREATE TABLE codes (code char(8) PRIMARY KEY, tag text NOT NULL);
    INSERT INTO codes SELECT substr(md5(i::text), 1, 1 + i % 8), 'c' || i FROM generate_series(1, 2000) i ON CONFLICT DO NOTHING;

    -- Dates, BC and 5+ digit years (rewritten to ISO years) and infinities included.
    CREATE TABLE days (day date PRIMARY KEY, tag text NOT NULL);
    INSERT INTO days SELECT DATE '1900-01-01' + i * 17, 'd' || i FROM generate_series(1, 2000) i;
    INSERT INTO days VALUES ('0044-03-15 BC', 'ides'), ('0001-01-01 BC', 'year 0'), ('0001-12-31', 'year 1'), ('9999-12-31', 'last 4'),
      ('10000-01-01', 'first 5'), ('5874897-12-31', 'last'), ('4713-01-01 BC', 'first'), ('infinity', '+inf');
    INSERT INTO days VALUES ('-infinity', '-inf');

    CREATE TABLE moods (id int NOT NULL, mood mood NOT NULL, PRIMARY KEY (id, mood));
    INSERT INTO moods SELECT i, (enum_range(NULL::mood))[1 + i % 4] FROM generate_series(1, 1500) i;

    CREATE TABLE misc (v varchar(30) NOT NULL, s int2 NOT NULL, nm name NOT NULL, ci citext NOT NULL, PRIMARY KEY (v, s, nm, ci));
    INSERT INTO misc SELECT 'v' || (i % 50) || 'ä', (i % 300 - 150)::int2, 'n' || i, 'MiXeD' || i FROM generate_series(1, 1200) i;

    CREATE TABLE doms (id posint PRIMARY KEY, tag text NOT NULL);
    INSERT INTO doms SELECT i, 'd' || i FROM generate_series(1, 1000) i;

    CREATE TABLE events (created_at timestamptz PRIMARY KEY, at2 stamp, f double precision, ip inet, tags text[], tag text);
    INSERT INTO events SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * interval '1 minute', NULL, i / 3.0, '10.0.0.1', '{a}', 'e' || i
      FROM generate_series(1, 100) i;
    ANALYZE;
  `);
  source = await openSource(db.url, {}, { segments: { minRowsPerSegment: 50 } });
});

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  await db?.drop();
});

/** A small seeded generator, so a failing selection can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pick(buckets: number, n: number, seed: number): number[] {
  const next = random(seed);
  const set = new Set<number>();
  while (set.size < n) set.add(Math.floor(next() * buckets));
  return [...set].sort((a, b) => a - b);
}

/** The identity the verifier computes: the record key's columns renamed to the parts' names. */
function identity(r: FerryRecord, parts: readonly KeyBucketPart[]): string {
  const key: Record<string, KeyPart> = {};
  for (const p of parts) {
    expect(r.key, `${p.column} is a key column of the fixture`).toHaveProperty([p.column]);
    key[p.name] = r.key[p.column]!;
  }
  return keyIdentity(key);
}

function expected(records: readonly FerryRecord[], filter: KeyBucketFilter): string[] {
  const selected = new Set(filter.selected);
  return records.filter((r) => selected.has(md5Bucket(identity(r, filter.parts), filter.buckets))).map(keyString);
}

interface FilteredRead {
  records: FerryRecord[];
  cursors: string[];
  sizes: number[];
}

async function readFiltered(segment: Segment, keyBuckets: KeyBucketFilter, batchSize: number, after?: string): Promise<FilteredRead> {
  const out: FilteredRead = { records: [], cursors: [], sizes: [] };
  for await (const batch of source.read({ segment, batchSize, signal: never, keyBuckets, ...(after === undefined ? {} : { after }) })) {
    out.records.push(...batch.items);
    out.cursors.push(batch.cursor);
    out.sizes.push(batch.items.length);
  }
  return out;
}

async function readAll(ref: StreamRef, desired: number, filter?: KeyBucketFilter, batchSize = 97): Promise<{ segments: Segment[]; records: FerryRecord[] }> {
  const segments = await source.segments(ref, desired, never);
  const records: FerryRecord[] = [];
  for (const s of segments) records.push(...(filter ? await readFiltered(s, filter, batchSize) : await readSegment(source, s, batchSize)).records);
  return { segments, records };
}

const keys = (records: readonly FerryRecord[]) => records.map(keyString);

describe('reads with key buckets select exactly the rows of those buckets', () => {
  for (const f of fixtures) {
    it(`${f.table} (${f.parts.map((p) => (p.name === p.column ? p.name : `${p.name} ← ${p.column}`)).join(', ')})`, async () => {
      const ref = await listOne(source, `public.${f.table}`);
      expect(source.keyBuckets(ref, f.parts)).toBe(true);
      const { records: all } = await readAll(ref, 1);
      const count = await db.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${f.table}`);
      expect(all).toHaveLength(Number(count.rows[0]!.n));
      expect(all.length).toBeGreaterThan(900);

      // PostgreSQL's identity text is the verifier's, row for row (the strongest check, and the clearest failure).
      const meta = ref.meta as unknown as PostgresStreamMeta;
      const sqlParts = f.parts.map((p) => {
        const c = meta.columns.find((x) => x.name === p.column)!;
        const udt = c.udtName === 'posint' ? 'int4' : c.udtName;
        return { ...p, form: keyTextForm({ name: udt, kind: c.enumValues ? 'e' : 'b', isArray: false })! };
      });
      const keyOrder = meta.keyColumns.map((k) => `"${k}"`).join(', ');
      const { rows } = await db.client.query<{ ident: string }>(`SELECT ${identitySql(sqlParts)} AS ident FROM ${f.table} ORDER BY ${keyOrder}`);
      expect(rows.map((r) => r.ident)).toEqual(all.map((r) => identity(r, f.parts)));

      for (const [buckets, n, seed] of [
        [64, 9, 1],
        [65536, 0, 2],
        [7, 3, 3],
      ] as const) {
        // At 65,536 buckets random ones are mostly empty: take the buckets of some rows, and a few random ones.
        const selected =
          n > 0 ? pick(buckets, n, seed) : [...new Set([...all.filter((_, i) => i % 97 === 5).map((r) => md5Bucket(identity(r, f.parts), buckets)), ...pick(buckets, 20, seed)])].sort((a, b) => a - b);
        const filter: KeyBucketFilter = { parts: f.parts, buckets, selected };
        const want = expected(all, filter);
        expect(want.length, `${buckets} buckets select some rows`).toBeGreaterThan(0);
        expect(want.length).toBeLessThan(all.length);
        const { records } = await readAll(ref, 1, filter, 53);
        expect(keys(records), `${buckets} buckets, ${selected.length} selected`).toEqual(want);
      }
    });
  }

  it('every row is in exactly one bucket: the buckets of 7 read one by one make up the table', async () => {
    for (const table of ['texts', 'bigs', 'days']) {
      const f = fixtures.find((x) => x.table === table)!;
      const ref = await listOne(source, `public.${table}`);
      const { records: all } = await readAll(ref, 1);
      const got: string[] = [];
      for (let b = 0; b < 7; b++) {
        const filter: KeyBucketFilter = { parts: f.parts, buckets: 7, selected: [b] };
        const { records } = await readAll(ref, 1, filter);
        expect(keys(records), `${table} bucket ${b}`).toEqual(expected(all, filter));
        got.push(...keys(records));
      }
      expect(got.sort()).toEqual(keys(all).sort());
    }
  });

  it('a part name with quotes and a backslash is hashed as written', async () => {
    const ref = await listOne(source, 'public.ints');
    const { records: all } = await readAll(ref, 1);
    for (const name of ["it's", 'back\\slash \\\'', 'naïve "x"']) {
      const parts = [col(name, 'id')];
      expect(source.keyBuckets(ref, parts)).toBe(true);
      const filter: KeyBucketFilter = { parts, buckets: 16, selected: [0, 3, 9] };
      const want = expected(all, filter);
      expect(want.length).toBeGreaterThan(0);
      expect(keys((await readAll(ref, 1, filter)).records), name).toEqual(want);
    }
  });

  it("with the stream's where: only rows both select", async () => {
    const ref = await listOne(source, 'public.ints', { where: 'id % 3 <> 0 AND tag <> $$i7$$' });
    const { records: all } = await readAll(ref, 1);
    expect(all.length).toBe(2666);
    const filter: KeyBucketFilter = { parts: [col('id')], buckets: 32, selected: pick(32, 5, 11) };
    const want = expected(all, filter);
    expect(want.length).toBeGreaterThan(0);
    expect(keys((await readAll(ref, 1, filter)).records)).toEqual(want);
    // The segments carry the where too.
    expect(keys((await readAll(ref, 4, filter)).records)).toEqual(want);
  });

  it('over several segments: each reads its own slice, together the selection', async () => {
    for (const table of ['ints', 'pairs', 'texts']) {
      const f = fixtures.find((x) => x.table === table)!;
      const ref = await listOne(source, `public.${table}`);
      const { records: all } = await readAll(ref, 1);
      const filter: KeyBucketFilter = { parts: f.parts, buckets: 256, selected: pick(256, 60, 5) };
      const want = expected(all, filter);
      const segments = await source.segments(ref, 6, never);
      expect(segments.length).toBeGreaterThan(2);
      const got: string[] = [];
      for (const s of segments) {
        const fromSegment = keys((await readSegment(source, s, 500)).records);
        const filtered = keys((await readFiltered(s, filter, 41)).records);
        expect(filtered, `${s.id}`).toEqual(fromSegment.filter((k) => want.includes(k)));
        got.push(...filtered);
      }
      expect(got).toEqual(want);
    }
  });

  it('resumes after any batch: the cursor is the last row returned', async () => {
    for (const table of ['pairs', 'nums', 'codes']) {
      const f = fixtures.find((x) => x.table === table)!;
      const ref = await listOne(source, `public.${table}`);
      const filter: KeyBucketFilter = { parts: f.parts, buckets: 64, selected: pick(64, 12, 7) };
      for (const segment of await source.segments(ref, 3, never)) {
        const full = await readFiltered(segment, filter, 29);
        const all = keys(full.records);
        expect(all.length).toBeGreaterThan(29);
        full.cursors.forEach((cursor, i) => {
          const last = full.records[full.sizes.slice(0, i + 1).reduce((a, b) => a + b, 0) - 1]!;
          expect((JSON.parse(cursor) as unknown[]).map(String), `${segment.id} batch ${i}`).toEqual(Object.values(last.key).map(String));
        });
        let offset = 0;
        for (let i = 0; i < full.cursors.length; i++) {
          offset += full.sizes[i]!;
          const rest = await readFiltered(segment, filter, 29, full.cursors[i]);
          expect(keys(rest.records), `${segment.id} after batch ${i}`).toEqual(all.slice(offset));
        }
      }
    }
  });

  it('no bucket selected: no batch', async () => {
    const ref = await listOne(source, 'public.ints');
    const [segment] = await source.segments(ref, 1, never);
    expect((await readFiltered(segment!, { parts: [col('id')], buckets: 8, selected: [] }, 100)).cursors).toEqual([]);
  });
});

describe('keyBuckets() refuses what PostgreSQL cannot print as ferry does', () => {
  it.each([
    ['created_at', "key column created_at is timestamptz; its text differs from ferry's"],
    ['at2', "key column at2 is timestamptz; its text differs from ferry's"],
    ['f', "key column f is float8; its text differs from ferry's"],
    ['ip', "key column ip is inet; its text differs from ferry's"],
    ['tags', "key column tags is text[]; its text differs from ferry's"],
    ['nope', 'key column nope is not a column of public.events'],
  ])('%s', async (column, reason) => {
    const ref = await listOne(source, 'public.events');
    expect(source.keyBuckets(ref, [col('tag'), col(column)])).toBe(reason);
    // A source that has not described the stream answers from its meta alone, the same way.
    const fresh = await openSource(db.url);
    try {
      // Its meta names a domain by the domain's name.
      expect(fresh.keyBuckets(ref, [col('tag'), col(column)])).toBe(column === 'at2' ? reason.replace('timestamptz', 'stamp') : reason);
      expect(fresh.keyBuckets(ref, [col('tag')])).toBe(true);
    } finally {
      await fresh[Symbol.asyncDispose]();
    }
  });

  it('a read asked for key buckets it cannot compute fails rather than reading everything', async () => {
    const ref = await listOne(source, 'public.events');
    const [segment] = await source.segments(ref, 1, never);
    await expect(readFiltered(segment!, { parts: [col('created_at')], buckets: 8, selected: [1] }, 10)).rejects.toMatchObject({
      name: 'FerryError',
      code: 'UNSUPPORTED',
      message: expect.stringContaining('created_at is timestamptz'),
    });
  });

  it('the capability is declared', () => {
    expect(source.capabilities.keyBuckets).toBe(true);
  });
});
