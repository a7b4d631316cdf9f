/**
 * Which relations a plan's `from:` reaches, how each is keyed, and the stream options the source honours
 * (`key_columns`, `where`), through `streams(pattern, signal, options)` as the engine calls it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../../src/core/record.js';
import { FerryError } from '../../../src/errors.js';
import type { PostgresSource } from '../../../src/connectors/postgres/source.js';
import { createDatabase, listOne, openSource, readStream, recordingLogger, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let source: PostgresSource;
const logger = recordingLogger();
const signal = new AbortController().signal;

beforeAll(async () => {
  db = await createDatabase('pg_streams');
  await db.client.query(`
    CREATE SCHEMA sales;
    CREATE TABLE public.invoice (invoice_id int PRIMARY KEY, country text NOT NULL, total numeric(10, 2) NOT NULL);
    INSERT INTO public.invoice SELECT i, (ARRAY['DE', 'FR', 'US'])[1 + i % 3], i * 1.5 FROM generate_series(1, 300) i;
    CREATE TABLE public.customer (id int PRIMARY KEY);
    CREATE TABLE sales.order_2023 (id int PRIMARY KEY);
    CREATE TABLE sales.order_2024 (id int PRIMARY KEY);
    CREATE TABLE sales.refund (id int PRIMARY KEY);
    CREATE TABLE sales."Mixed.Case" (id int PRIMARY KEY);
    CREATE VIEW public.big_invoice AS SELECT * FROM public.invoice WHERE total > 300;
    CREATE MATERIALIZED VIEW public.invoice_by_country AS SELECT country, count(*) AS n FROM public.invoice GROUP BY country;
    CREATE TABLE public.audit_log (at timestamptz NOT NULL, seq bigint NOT NULL, msg text, maybe int);
    INSERT INTO public.audit_log SELECT '2024-01-01'::timestamptz + i * interval '1 minute', i, 'm' || i, NULLIF(i % 5, 0) FROM generate_series(1, 120) i;
    CREATE TABLE public.events (seq bigint NOT NULL, kind text NOT NULL, UNIQUE (seq));
    INSERT INTO public.events SELECT i, 'k' FROM generate_series(1, 10) i;
    CREATE TABLE public.measurements (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
    CREATE TABLE public.measurements_2024 PARTITION OF public.measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE public.measurements_2025 PARTITION OF public.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    INSERT INTO public.measurements SELECT i, '2024-06-01'::date + i FROM generate_series(1, 400) i;
  `);
  source = await openSource(db.url, {}, {}, logger);
});

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  await db?.drop();
});

const names = async (pattern: string, options?: Record<string, unknown>) => (await source.streams(pattern, signal, options)).map((r) => r.name);

describe('streams(pattern)', () => {
  it('names: schema.table, table in the default schema, quoted names', async () => {
    expect(await names('public.invoice')).toEqual(['public.invoice']);
    expect(await names('invoice')).toEqual(['public.invoice']);
    expect(await names('sales."Mixed.Case"')).toEqual(['sales.Mixed.Case']);
  });

  it('patterns: tables only (no views, no partitions), in name order', async () => {
    expect(await names('sales.order_*')).toEqual(['sales.order_2023', 'sales.order_2024']);
    expect(await names('sales.*')).toEqual(['sales.Mixed.Case', 'sales.order_2023', 'sales.order_2024', 'sales.refund']);
    // key_columns serve the tables without a primary key; the others keep theirs.
    const all = await source.streams('*', signal, { key_columns: ['seq'] });
    expect(all.map((r) => [r.name, (r.meta as { keyColumns: string[] }).keyColumns])).toEqual([
      ['public.audit_log', ['seq']],
      ['public.customer', ['id']],
      ['public.events', ['seq']],
      ['public.invoice', ['invoice_id']],
      ['public.measurements', ['id', 'at']],
    ]);
    expect(await names('*', { key_columns: ['seq'] })).toEqual([
      'public.audit_log',
      'public.customer',
      'public.events',
      'public.invoice',
      'public.measurements',
    ]);
    expect(await names('inv*')).toEqual(['public.invoice']);
    expect(await names('nothing_*')).toEqual([]);
  });

  it('the schema option sets where unqualified names live', async () => {
    const s = await openSource(db.url, { schema: 'sales' });
    try {
      expect((await s.streams('refund', signal)).map((r) => r.name)).toEqual(['sales.refund']);
      expect((await s.streams('*', signal)).map((r) => r.name)).toHaveLength(4);
    } finally {
      await s[Symbol.asyncDispose]();
    }
  });

  it('views, materialized views and partitions only when named, with key_columns for those without a key', async () => {
    expect(await names('public.big_*')).toEqual([]);
    const view = await listOne(source, 'public.big_invoice', { key_columns: ['invoice_id'] });
    expect(view.meta).toMatchObject({ kind: 'view', keyColumns: ['invoice_id'], keySource: 'key_columns', estimatedRows: null });
    const { records } = await readStream(source, view, 3, 50);
    expect(records).toHaveLength(100);
    expect(records[0]!.key).toEqual({ invoice_id: 201 });
    const mv = await listOne(source, 'public.invoice_by_country', { key_columns: ['country'] });
    expect(mv.meta).toMatchObject({ kind: 'materialized view' });
    expect((await readStream(source, mv, 1, 10)).records.map((r) => r.key)).toEqual([{ country: 'DE' }, { country: 'FR' }, { country: 'US' }]);
    const part = await listOne(source, 'public.measurements_2025');
    expect(part.meta).toMatchObject({ kind: 'table', keyColumns: ['id', 'at'] });
  });

  it('a partitioned table reads all its partitions', async () => {
    const ref = await listOne(source, 'public.measurements');
    expect(ref.meta).toMatchObject({ kind: 'partitioned table', keyColumns: ['id', 'at'], keyTypes: ['integer', 'date'] });
    const { records } = await readStream(source, ref, 1, 64);
    expect(records).toHaveLength(400);
    expect(await source.count(ref, signal)).toBe(400);
  });

  it('a missing table is NOT_FOUND with a suggestion', async () => {
    const e = await source.streams('public.invoices', signal).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FerryError);
    expect(e).toMatchObject({ code: 'NOT_FOUND', message: 'table public.invoices does not exist; did you mean "public.invoice"?' });
  });
});

describe('keys', () => {
  it('a table without a primary key is refused with the fix in the message', async () => {
    const e = await source.streams('public.audit_log', signal).catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'CONFIG',
      retry: 'terminal',
      message: 'table public.audit_log has no primary key; name unique, non-null columns with `key_columns: [col, ...]` on its stream',
    });
  });

  it('key_columns make it readable, in that key order, resumable and splittable', async () => {
    logger.lines.length = 0;
    const ref = await listOne(source, 'public.audit_log', { key_columns: ['at', 'seq'] });
    expect(ref.meta).toMatchObject({ keyColumns: ['at', 'seq'], keyTypes: ['timestamp with time zone', 'bigint'], keySource: 'key_columns' });
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('no unique index of public.audit_log covers its key_columns (at, seq)'))).toBe(true);
    const { records } = await readStream(source, ref, 4, 7);
    expect(records).toHaveLength(120);
    expect(records[0]!.key).toEqual({ at: '2024-01-01T00:01:00Z', seq: 1n });
    expect(new Set(records.map((r) => String(r.key['seq']))).size).toBe(120);
  });

  it('key_columns covered by a unique index are taken without a warning', async () => {
    logger.lines.length = 0;
    const ref = await listOne(source, 'public.events', { key_columns: ['seq'] });
    expect(ref.meta).toMatchObject({ keyColumns: ['seq'], keySource: 'key_columns' });
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('key_columns on a table that has a primary key: the primary key wins, with a warning', async () => {
    logger.lines.length = 0;
    const ref = await listOne(source, 'public.invoice', { key_columns: ['country'] });
    expect(ref.meta).toMatchObject({ keyColumns: ['invoice_id'], keySource: 'primary key' });
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'public.invoice has a primary key (invoice_id); its stream\'s key_columns (country) are for tables without one, and are not used',
    ]);
  });

  it('key_columns naming a missing column, or a column holding NULLs, are refused', async () => {
    await expect(source.streams('public.audit_log', signal, { key_columns: ['sequ'] })).rejects.toMatchObject({
      code: 'CONFIG',
      message: 'key_columns of public.audit_log names sequ, which table public.audit_log does not have; did you mean "seq"?',
    });
    await expect(source.streams('public.audit_log', signal, { key_columns: ['maybe'] })).rejects.toMatchObject({
      code: 'CONFIG',
      message: 'key_columns of public.audit_log must not hold NULL, but maybe does in some rows',
    });
  });
});

describe('where', () => {
  it('reads, splits and counts only the rows it selects', async () => {
    const ref = await listOne(source, 'public.invoice', { where: "country = 'FR' AND total < 200" });
    expect(ref.meta).toMatchObject({ where: "country = 'FR' AND total < 200" });
    const small = await openSource(db.url, {}, { segments: { minRowsPerSegment: 10 } });
    try {
      const r = await listOne(small, 'public.invoice', { where: "country = 'FR' AND total < 200" });
      const { segments, records } = await readStream(small, r, 4, 9);
      expect(segments.length).toBeGreaterThan(1);
      const want = (await db.client.query<{ invoice_id: number }>("SELECT invoice_id FROM invoice WHERE country = 'FR' AND total < 200 ORDER BY 1")).rows.map((x) => x.invoice_id);
      expect(records.map((x) => (x.value as Doc)['invoice_id'])).toEqual(want);
      expect(await small.count(r, signal)).toBe(want.length);
    } finally {
      await small[Symbol.asyncDispose]();
    }
  });

  it('a broken where is CONFIG naming it', async () => {
    const ref = await listOne(source, 'public.invoice', { where: 'no_such_column = 1' });
    await expect(source.count(ref, signal)).rejects.toMatchObject({ code: 'CONFIG', hint: expect.stringContaining('no_such_column = 1') });
  });
});
