/**
 * The Chinook sample database, which nobody here wrote, through the source: all 11 tables found by `public.*`,
 * each read in segments to exactly its rows (counts equal count(*), keys unique), the composite key of
 * playlist_track, non-ASCII names byte for byte, money as exact Decimals, timestamps in UTC.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, TimeValue, type Doc, type FerryRecord } from '../../../src/core/record.js';
import type { StreamRef } from '../../../src/core/stream.js';
import type { PostgresSource } from '../../../src/connectors/postgres/source.js';
import { CHINOOK_TABLES, loadChinook } from '../../support/chinook.js';
import { serviceEnv, uniqueName } from '../../support/clients.js';
import { keyString, openSource, readStream } from './helpers.js';

const dbName = uniqueName('chinook').replaceAll('-', '_');
let url: string;
let client: pg.Client;
let source: PostgresSource;
let refs: StreamRef[];
const records = new Map<string, FerryRecord[]>();
const signal = new AbortController().signal;

beforeAll(async () => {
  url = await loadChinook(serviceEnv('PGURL'), dbName);
  client = new pg.Client({ connectionString: url });
  await client.connect();
  source = await openSource(url, {}, { segments: { minRowsPerSegment: 500 } });
  refs = await source.streams('public.*', signal);
  for (const ref of refs) records.set(ref.name, (await readStream(source, ref, 4, 500)).records);
});

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  await client?.end();
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
});

describe('Chinook through the PostgreSQL source', () => {
  it('public.* finds the 11 tables', () => {
    expect(refs.map((r) => r.name)).toEqual(Object.keys(CHINOOK_TABLES).map((t) => `public.${t}`));
  });

  it.each(Object.entries(CHINOOK_TABLES))('%s: every row once; counts equal count(*)', async (table, rows) => {
    const got = records.get(`public.${table}`)!;
    const { rows: c } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    expect(Number(c[0]!.n)).toBe(rows);
    expect(got).toHaveLength(rows);
    expect(new Set(got.map(keyString)).size).toBe(rows);
    expect(await source.count(refs.find((r) => r.name === `public.${table}`)!, signal)).toBe(rows);
  });

  it('the big tables were read in several segments', async () => {
    for (const t of ['playlist_track', 'track', 'invoice_line']) {
      const segments = await source.segments(refs.find((r) => r.name === `public.${t}`)!, 4, signal);
      expect(segments.length, t).toBeGreaterThan(1);
    }
  });

  it("playlist_track's composite key is {playlist_id, track_id}", () => {
    const ref = refs.find((r) => r.name === 'public.playlist_track')!;
    expect(ref.meta).toMatchObject({ keyColumns: ['playlist_id', 'track_id'], keyTypes: ['integer', 'integer'], keySource: 'primary key' });
    const first = records.get('public.playlist_track')![0]!;
    expect(Object.keys(first.key)).toEqual(['playlist_id', 'track_id']);
    expect(first.key).toEqual({ playlist_id: 1, track_id: 1 });
    expect(first.value).toEqual({ playlist_id: 1, track_id: 1 });
  });

  it('non-ASCII names survive exactly', async () => {
    const { rows } = await client.query<{ artist_id: number; name: string | null }>('SELECT artist_id, name FROM artist ORDER BY artist_id');
    const got = records.get('public.artist')!.map((r) => ({ artist_id: (r.value as Doc)['artist_id'], name: (r.value as Doc)['name'] }));
    expect(got).toEqual(rows);
    expect(got.some((a) => a.name === 'Antônio Carlos Jobim')).toBe(true);
    const luis = records.get('public.customer')!.find((r) => r.key['customer_id'] === 1)!.value as Doc;
    expect(luis).toMatchObject({ first_name: 'Luís', last_name: 'Gonçalves', city: 'São José dos Campos' });
  });

  it('money is exact: numeric(10,2) as Decimal, sums to the cent', async () => {
    const invoices = records.get('public.invoice')!;
    const first = invoices[0]!.value as Doc;
    expect(first['total']).toEqual(new Decimal('1.98'));
    expect(first['invoice_date']).toEqual(new TimeValue('timestamp', '2021-01-01T00:00:00Z'));
    const cents = invoices.reduce((sum, r) => sum + BigInt(((r.value as Doc)['total'] as Decimal).text.replace('.', '')), 0n);
    const { rows } = await client.query<{ s: string }>('SELECT sum(total)::text AS s FROM invoice');
    expect(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`).toBe(rows[0]!.s);
    expect(records.get('public.track')!.every((r) => (r.value as Doc)['unit_price'] instanceof Decimal)).toBe(true);
  });

  it('employees: timestamps in UTC, nullable self-reference as null', () => {
    const adams = records.get('public.employee')!.find((r) => r.key['employee_id'] === 1)!.value as Doc;
    expect(adams['birth_date']).toEqual(new TimeValue('timestamp', '1962-02-18T00:00:00Z'));
    expect(adams['reports_to']).toBeNull();
  });
});
