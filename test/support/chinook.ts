/**
 * The Chinook sample database (MIT, test/fixtures/chinook/LICENSE.md) in a PostgreSQL database of its own: 11
 * related tables, a composite key (playlist_track), numeric money, timestamps and non-ASCII text that nobody here
 * wrote.
 *
 * The script is plain SQL apart from its first statements, which are for psql: `DROP DATABASE`, `CREATE DATABASE`
 * and `\c chinook`. Those are dropped (we create and connect ourselves, under the name asked for), and the rest
 * runs as one simple-protocol query, in one implicit transaction.
 */


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

/** One loader for the demo and the tests: src/demo/sample-db.ts. */
export { loadChinook } from '../../src/demo/sample-db.js';
