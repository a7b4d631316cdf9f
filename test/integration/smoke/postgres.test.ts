import { afterAll, beforeAll, expect, it } from 'vitest';
import { pgClient, uniqueName } from '../../support/clients.js';

const client = pgClient();
const table = uniqueName('smoke').replaceAll('-', '_');

beforeAll(async () => {
  await client.connect();
});

afterAll(async () => {
  await client.query(`drop table if exists ${table}`);
  await client.end();
});

it('writes and reads back rows with non-ASCII text, bytes, JSON and timestamps', async () => {
  await client.query(`create table ${table} (
    id integer primary key, name text not null, data bytea, doc jsonb, at timestamptz, price numeric(10, 2))`);
  const rows = [
    { id: 1, name: 'Zoë Ångström', data: Buffer.from([0, 1, 2, 255]), doc: { tags: ['a', 'b'] }, at: new Date('2024-02-29T12:34:56.789Z'), price: '9.99' },
    { id: 2, name: '東京 — 🚢 ferry', data: Buffer.alloc(0), doc: { nested: { ok: true, n: 1.5 } }, at: new Date('1999-12-31T23:59:59.000Z'), price: '0.00' },
    { id: 3, name: 'Ærøskøbing «quoted» \'single\'', data: null, doc: null, at: null, price: null },
    { id: 4, name: 'Привет, мир', data: Buffer.from('\u0000 not text \u00ff', 'latin1'), doc: [1, 'two', null], at: new Date(0), price: '-12345678.90' },
  ];
  for (const r of rows) {
    await client.query(`insert into ${table} (id, name, data, doc, at, price) values ($1, $2, $3, $4, $5, $6)`,
      [r.id, r.name, r.data, r.doc === null ? null : JSON.stringify(r.doc), r.at, r.price]);
  }
  const { rows: back } = await client.query(`select id, name, data, doc, at, price from ${table} order by id`);
  expect(back).toEqual(rows);
  const { rows: [db] } = await client.query('select current_database() as name, pg_encoding_to_char(encoding) as enc from pg_database where datname = current_database()');
  expect(db).toEqual({ name: 'ferry', enc: 'UTF8' });
});
