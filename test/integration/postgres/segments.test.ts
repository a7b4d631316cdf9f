/**
 * Segments and cursors: for integer, bigint (skewed), text, uuid, composite and timestamp/numeric keys, and an empty
 * table, the segments' reads put together are the whole table in key order (every row once, none twice), whether
 * the cuts are exact or come from a sample; and a read resumed after any batch's cursor yields exactly the rest.
 *
 * Every fixture row has a unique `tag`; the expected sequence is `SELECT tag ... ORDER BY <key>` from PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc, FerryRecord } from '../../../src/core/record.js';
import type { Segment } from '../../../src/core/stream.js';
import type { SegmentSpec } from '../../../src/connectors/postgres/keyset.js';
import type { PostgresSource } from '../../../src/connectors/postgres/source.js';
import { createDatabase, listOne, openSource, readSegment, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let exact: PostgresSource;
let sampled: PostgresSource;

interface Fixture {
  table: string;
  orderBy: string;
  key: string[];
  rows: number;
}

const fixtures: Fixture[] = [
  { table: 'ints', orderBy: 'id', key: ['id'], rows: 5000 },
  { table: 'skewed', orderBy: 'id', key: ['id'], rows: 4030 },
  { table: 'texts', orderBy: 'name', key: ['name'], rows: 3000 },
  { table: 'uuids', orderBy: 'id', key: ['id'], rows: 3000 },
  { table: 'pairs', orderBy: 'a, b', key: ['a', 'b'], rows: 3000 },
  { table: 'stamps', orderBy: 'at, n', key: ['at', 'n'], rows: 2000 },
  { table: 'empty', orderBy: 'id', key: ['id'], rows: 0 },
];

beforeAll(async () => {
  db = await createDatabase('pg_segments');
  await db.client.query(`
    CREATE TABLE ints (id int PRIMARY KEY, tag text NOT NULL);
    INSERT INTO ints SELECT i, 'i' || i FROM generate_series(1, 5000) i;

    -- Most keys small and dense, a block far away, and a few at both ends of bigint.
    CREATE TABLE skewed (id bigint PRIMARY KEY, tag text NOT NULL);
    INSERT INTO skewed SELECT i, 's' || i FROM generate_series(1, 3000) i;
    INSERT INTO skewed SELECT 1000000000000000 + i, 'f' || i FROM generate_series(1, 1000) i;
    INSERT INTO skewed SELECT 9223372036854775807 - i, 'max' || i FROM generate_series(0, 9) i;
    INSERT INTO skewed SELECT -9223372036854775808 + i, 'min' || i FROM generate_series(0, 9) i;
    INSERT INTO skewed SELECT -i, 'neg' || i FROM generate_series(1, 10) i;

    -- Text keys in the column's collation, with case, accents, emoji, spaces, quotes and the empty string.
    CREATE TABLE texts (name text PRIMARY KEY, tag text NOT NULL);
    INSERT INTO texts SELECT (ARRAY['a', 'B', 'é', 'Z', '🚢', ' ', '''', '"', 'ß', '東'])[1 + i % 10] || md5(i::text), 't' || i
      FROM generate_series(1, 2999) i;
    INSERT INTO texts VALUES ('', 'empty');

    CREATE TABLE uuids (id uuid PRIMARY KEY, tag text NOT NULL);
    INSERT INTO uuids SELECT gen_random_uuid(), 'u' || i FROM generate_series(1, 3000) i;

    -- Composite key; the first column skewed (one value holds half the rows).
    CREATE TABLE pairs (a int NOT NULL, b text NOT NULL, tag text NOT NULL, PRIMARY KEY (a, b));
    INSERT INTO pairs SELECT CASE WHEN i <= 1500 THEN 7 ELSE i % 40 END, 'k' || (i * 7919 % 3001), 'p' || i FROM generate_series(1, 3000) i;

    -- Keys whose text must round-trip exactly: microsecond timestamps with zones, long numerics.
    CREATE TABLE stamps (at timestamptz NOT NULL, n numeric NOT NULL, tag text NOT NULL, PRIMARY KEY (at, n));
    INSERT INTO stamps SELECT '2024-01-01 00:00:00+00'::timestamptz + (i % 500) * interval '1.000001 second',
      ('12345678901234567890.' || lpad(i::text, 9, '0'))::numeric, 'st' || i FROM generate_series(1, 2000) i;

    CREATE TABLE empty (id int PRIMARY KEY, tag text);
    ANALYZE;
  `);
  exact = await openSource(db.url, {}, { segments: { minRowsPerSegment: 50 } });
  // exactBelow 0: cut on a TABLESAMPLE of about 300 keys, whatever the size.
  sampled = await openSource(db.url, {}, { segments: { minRowsPerSegment: 50, exactBelow: 0, sampleRows: 300 } });
});

afterAll(async () => {
  await exact?.[Symbol.asyncDispose]();
  await sampled?.[Symbol.asyncDispose]();
  await db?.drop();
});

async function expectedTags(f: Fixture): Promise<string[]> {
  const { rows } = await db.client.query<{ tag: string }>(`SELECT tag FROM ${f.table} ORDER BY ${f.orderBy}`);
  return rows.map((r) => r.tag);
}

const tags = (records: readonly FerryRecord[]) => records.map((r) => (r.value as Doc)['tag'] as string);

describe.each([
  ['exact cuts', () => exact],
  ['sampled cuts', () => sampled],
])('segments with %s', (_label, source) => {
  for (const f of fixtures) {
    it(`${f.table}: the segments' reads are the table in key order, each row once`, async () => {
      const want = await expectedTags(f);
      expect(want).toHaveLength(f.rows);
      const ref = await listOne(source(), `public.${f.table}`);
      expect((ref.meta as { keyColumns: string[] }).keyColumns).toEqual(f.key);
      for (const desired of [1, 4, 7]) {
        const segments = await source().segments(ref, desired, new AbortController().signal);
        if (desired === 1 || f.rows === 0) expect(segments).toHaveLength(1);
        else expect(segments.length).toBeGreaterThan(1);
        expect(segments.length).toBeLessThanOrEqual(desired);
        expect(JSON.parse(JSON.stringify(segments))).toEqual(segments);
        segments.forEach((s, i) => expect(s).toMatchObject({ id: `public.${f.table}#${i}/${segments.length}`, stream: `public.${f.table}`, index: i, total: segments.length }));
        const got: string[] = [];
        for (const s of segments) got.push(...tags((await readSegment(source(), s, 97)).records));
        expect(got).toEqual(want);
      }
    });
  }
});

describe('segment specs and cursors', () => {
  it('bounds chain: first has no lower, last no upper, each upper is the next lower; bigints as strings', async () => {
    const ref = await listOne(exact, 'public.skewed');
    const segments = await exact.segments(ref, 4, new AbortController().signal);
    const specs = segments.map((s) => s.spec as SegmentSpec);
    expect(specs[0]!.lower).toBeUndefined();
    expect(specs.at(-1)!.upper).toBeUndefined();
    for (let i = 1; i < specs.length; i++) expect(specs[i]!.lower).toEqual(specs[i - 1]!.upper);
    for (const s of specs) {
      expect(s.key).toEqual(['id']);
      expect(s.snapshot).toBe(true);
      for (const v of [...(s.lower ?? []), ...(s.upper ?? [])]) expect(typeof v).toBe('string');
    }
    const ints = await exact.segments(await listOne(exact, 'public.ints'), 4, new AbortController().signal);
    expect((ints[0]!.spec as SegmentSpec).upper).toEqual([1250]);
  });

  it('cursors are the last key tuple of the batch, exact text for timestamps and numerics', async () => {
    const ref = await listOne(exact, 'public.stamps');
    const [whole] = await exact.segments(ref, 1, new AbortController().signal);
    const { records, cursors } = await readSegment(exact, whole!, 1000);
    expect(cursors).toHaveLength(2);
    const last = records[999]!.value as Doc;
    expect(JSON.parse(cursors[0]!)).toEqual([expect.stringMatching(/^2024-01-01 00:0\d:\d\d\.\d+\+00$/), String((last['n'] as { text: string }).text)]);
    expect(records[0]!.key).toEqual({ at: '2024-01-01T00:00:00Z', n: '12345678901234567890.000000500' });
  });

  for (const table of ['pairs', 'texts', 'stamps', 'skewed']) {
    it(`${table}: a read resumed after any batch's cursor yields exactly the rest of its segment`, async () => {
      const ref = await listOne(exact, `public.${table}`);
      const segments = await exact.segments(ref, 3, new AbortController().signal);
      for (const segment of segments as Segment[]) {
        const full = await readSegment(exact, segment, 211);
        const all = tags(full.records);
        let offset = 0;
        for (let i = 0; i < full.cursors.length; i++) {
          offset += full.sizes[i]!;
          const rest = await readSegment(exact, segment, 211, full.cursors[i]);
          expect(tags(rest.records), `after batch ${i} of ${segment.id}`).toEqual(all.slice(offset));
        }
      }
    });
  }

  it('an empty table is one segment that yields no batch', async () => {
    const ref = await listOne(exact, 'public.empty');
    const segments = await exact.segments(ref, 8, new AbortController().signal);
    expect(segments).toHaveLength(1);
    expect(segments[0]!.spec).toEqual({ key: ['id'], snapshot: true });
    expect((await readSegment(exact, segments[0]!, 10)).cursors).toEqual([]);
  });

  it('small tables are one segment with the default tuning', async () => {
    const source = await openSource(db.url);
    try {
      const segments = await source.segments(await listOne(source, 'public.ints'), 8, new AbortController().signal);
      expect(segments).toHaveLength(1);
    } finally {
      await source[Symbol.asyncDispose]();
    }
  });
});
