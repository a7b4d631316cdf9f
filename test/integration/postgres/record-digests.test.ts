/**
 * PostgreSQL computes ferry's record digests itself (`digestBuckets`): for tables of every type it accepts, with
 * tricky values (astral and combining characters, quotes, backslashes, empty strings, NULLs, numeric scales, NaN,
 * int8 extremes, enums, padded chars), its per-bucket counts and sums equal what ferry computes in JS from a full
 * read through the same source: the identity of the key, the canonical form of the row, sha256, summed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BucketDigests, keyIdentity, md5Bucket } from '../../../src/core/digest.js';
import type { Value } from '../../../src/core/record.js';
import type { DigestField, DigestSpec } from '../../../src/core/source.js';
import type { PostgresSource } from '../../../src/connectors/postgres/source.js';
import { recordDigest } from '../../../src/verify/record-digest.js';
import { withoutTopLevelNulls } from '../../../src/verify/tally.js';
import { createDatabase, listOne, openSource, readStream, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let source: PostgresSource;
const never = new AbortController().signal;
const B = 4096;

beforeAll(async () => {
  db = await createDatabase('pg_record_digests');
  await db.client.query(`
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'très ''bien''');
    CREATE TABLE items (
      id int PRIMARY KEY,
      name text,
      note varchar(40),
      price numeric(12, 4),
      ratio numeric,
      big int8,
      small int2,
      ok bool,
      ref uuid,
      code char(6),
      feel mood,
      ci citext
    );
    INSERT INTO items SELECT i,
      CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN '🚢 ship ' || i WHEN 3 THEN 'e' || chr(769) || i
        WHEN 4 THEN 'it''s \\ "q" ' || i WHEN 5 THEN '東京' || i WHEN 6 THEN E'tab\\tnew\\nline' ELSE 'plain ' || i END,
      CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || i END,
      CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 1.25)::numeric(12, 4) END,
      (ARRAY['NaN', '0', '-0.5', '123456789012345678901234567890.000100', '1e-20', '7.5000', '100'])[1 + i % 7]::numeric,
      CASE i % 4 WHEN 0 THEN 9223372036854775807 WHEN 1 THEN -9223372036854775808 WHEN 2 THEN 9007199254740993 ELSE i END,
      (i % 32767)::int2,
      CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END,
      md5(i::text)::uuid,
      CASE WHEN i % 6 = 0 THEN NULL ELSE 'c' || (i % 100) END,
      (ARRAY['sad', 'ok', 'très ''bien''']::mood[])[1 + i % 3],
      'CI' || i
    FROM generate_series(1, 3000) i;
    CREATE TABLE stamped (id int PRIMARY KEY, at timestamptz NOT NULL);
    INSERT INTO stamped SELECT i, now() FROM generate_series(1, 10) i;
  `);
  source = await openSource(db.url, { snapshot: false });
}, 60_000);

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  await db?.drop();
});

/** What ferry computes in JS over a full read: per bucket, count and sum. */
async function jsSums(table: string, fields: readonly DigestField[], omitNulls: boolean): Promise<{ digests: BucketDigests; count: number }> {
  const ref = await listOne(source, `public.${table}`, { snapshot: false });
  const { records } = await readStream(source, ref, 3, 500);
  const digests = new BucketDigests(B);
  for (const r of records) {
    const id = keyIdentity(r.key);
    const row = r.value as Record<string, Value>;
    const doc: Record<string, Value> = {};
    for (const f of fields) doc[f.name] = row[f.column] ?? null;
    const value = omitNulls ? withoutTopLevelNulls(doc) : doc;
    digests.add(md5Bucket(id, B), recordDigest(id, value));
  }
  return { digests, count: records.length };
}

async function storeSums(table: string, spec: DigestSpec): Promise<BucketDigests> {
  const ref = await listOne(source, `public.${table}`, { snapshot: false });
  expect(source.canDigest(ref, spec)).toBe(true);
  const digests = new BucketDigests(B);
  for (const s of await source.digestBuckets(ref, spec, never)) digests.addSum(s.bucket, s.count, s.sum);
  return digests;
}

const ALL = ['id', 'name', 'note', 'price', 'ratio', 'big', 'small', 'ok', 'ref', 'code', 'feel', 'ci'];

describe('PostgreSQL digests records as ferry does', () => {
  it('every bucket equal to the JS digests, NULLs as null', async () => {
    const fields = ALL.map((c) => ({ name: c, column: c }));
    const spec: DigestSpec = { fields, keyParts: [{ name: 'id', column: 'id' }], buckets: B, omitNulls: false };
    const js = await jsSums('items', fields, false);
    const pg = await storeSums('items', spec);
    expect(js.count).toBe(3000);
    expect(pg.differing(js.digests)).toEqual([]);
    expect(pg.total().hex()).toBe(js.digests.total().hex());
    expect(pg.total().count).toBe(3000);
  });

  it('with renamed fields and a renamed key, NULLs omitted, some columns left out', async () => {
    const fields = [
      { name: 'ItemId', column: 'id' },
      { name: 'Name', column: 'name' },
      { name: 'Price', column: 'price' },
      { name: 'ok', column: 'ok' },
      { name: 'Zé', column: 'code' },
    ];
    const spec: DigestSpec = { fields, keyParts: [{ name: 'ItemId', column: 'id' }], buckets: B, omitNulls: true };
    const ref = await listOne(source, 'public.items', { snapshot: false });
    const { records } = await readStream(source, ref, 2, 1000);
    const js = new BucketDigests(B);
    for (const r of records) {
      const row = r.value as Record<string, Value>;
      const id = keyIdentity({ ItemId: r.key['id']! });
      const doc: Record<string, Value> = {};
      for (const f of fields) doc[f.name] = row[f.column] ?? null;
      js.add(md5Bucket(id, B), recordDigest(id, withoutTopLevelNulls(doc)));
    }
    const pg = await storeSums('items', spec);
    expect(pg.differing(js)).toEqual([]);
  });

  it('a one-character change moves exactly one bucket', async () => {
    const fields = ALL.map((c) => ({ name: c, column: c }));
    const spec: DigestSpec = { fields, keyParts: [{ name: 'id', column: 'id' }], buckets: B, omitNulls: false };
    const before = await storeSums('items', spec);
    await db.client.query(`UPDATE items SET name = name || 'x' WHERE id = 1234`);
    try {
      const after = await storeSums('items', spec);
      expect(after.differing(before)).toEqual([md5Bucket('id=1234', B)]);
    } finally {
      await db.client.query(`UPDATE items SET name = left(name, -1) WHERE id = 1234`);
    }
  });

  it('refuses columns whose canonical text PostgreSQL does not write as ferry does, naming them', async () => {
    const ref = await listOne(source, 'public.stamped');
    const spec: DigestSpec = { fields: [{ name: 'id', column: 'id' }, { name: 'at', column: 'at' }], keyParts: [{ name: 'id', column: 'id' }], buckets: B, omitNulls: false };
    expect(source.canDigest(ref, spec)).toBe('column at is timestamptz; PostgreSQL does not write its canonical text as ferry does');
    await expect(source.digestBuckets(ref, spec, never)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expect(source.canDigest(ref, { ...spec, fields: [{ name: 'x', column: 'nope' }] })).toMatch(/column nope is not a column of public.stamped/);
  });
});
