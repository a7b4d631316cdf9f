/**
 * The demo's sample database: Chinook (MIT licence, see test/fixtures/chinook/LICENSE.md), a music store with 11
 * related tables, composite keys, numeric money, timestamps and non-ASCII text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const CHINOOK_SQL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/chinook/Chinook_PostgreSql.sql');

/**
 * The script creates its own database and switches to it with psql's `\c`; we run it through `pg` into a database
 * of our choosing, so those lines are left out.
 */
export function chinookStatements(file = CHINOOK_SQL): string {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(DROP DATABASE|CREATE DATABASE|\\c\b)/i.test(l))
    .join('\n');
}

/** (Re)create `database` on the server of `adminUrl` and load Chinook into it; returns the new database's URL. */
export async function loadChinook(adminUrl: string, database = 'chinook', file = CHINOOK_SQL): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    // The script is one simple-protocol query: one implicit transaction.
    await client.query(chinookStatements(file));
    // Fresh statistics: the source sizes its segments from row estimates.
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  return url.toString();
}
