/**
 * The Chinook sample database (MIT, test/fixtures/chinook/LICENSE.md) in a PostgreSQL database of its own: 11
 * related tables, a composite key (playlist_track), numeric money, timestamps and non-ASCII text that nobody here
 * wrote.
 *
 * The script is plain SQL apart from its first statements, which are for psql: `DROP DATABASE`, `CREATE DATABASE`
 * and `\c chinook`. Those are dropped (we create and connect ourselves, under the name asked for), and the rest
 * runs as one simple-protocol query, in one implicit transaction.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';

export const CHINOOK_SQL = new URL('../fixtures/chinook/Chinook_PostgreSql.sql', import.meta.url);

/** Row counts of the 11 tables, as the script inserts them. */
export const CHINOOK_TABLES: Readonly<Record<string, number>> = {
  album: 347,
  artist: 275,
  customer: 59,
  employee: 8,
  genre: 25,
  invoice: 412,
  invoice_line: 2240,
  media_type: 5,
  playlist: 18,
  playlist_track: 8715,
  track: 3503,
};

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function chinookScript(): Promise<string> {
  const text = await readFile(CHINOOK_SQL, 'utf8');
  return text
    .split('\n')
    .filter((line) => !/^\s*(DROP\s+DATABASE|CREATE\s+DATABASE)\b/i.test(line) && !/^\s*\\c\b/.test(line))
    .join('\n');
}

/** (Re)create database `dbName` on the server of `pgurl`, load Chinook into it, and return its URL. */
export async function loadChinook(pgurl: string, dbName = 'chinook'): Promise<string> {
  const admin = new pg.Client({ connectionString: pgurl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoteIdent(dbName)} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgurl);
  url.pathname = `/${encodeURIComponent(dbName)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(await chinookScript());
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  return url.toString();
}
