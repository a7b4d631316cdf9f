/**
 * Creates the PostgreSQL state's schema and applies its numbered migrations (migrations/), under a session advisory
 * lock so that workers starting together on a fresh database migrate it once: the others wait, then find it done.
 * Same rules as SQLite's: append only, one transaction per migration with its `schema_migrations` row, and a schema
 * newer than this ferry knows is refused rather than used.
 */
import type pg from 'pg';
import { FerryError } from '../../errors.js';
import { PG_MIGRATIONS } from './migrations/index.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_LATEST_SCHEMA_VERSION: number = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;

/** A schema name ferry accepts (it is quoted, but a name needing quotes is almost always a typo). */
export const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export async function currentPgSchemaVersion(client: pg.ClientBase, schema: string): Promise<number> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`"${schema}".schema_migrations`]);
  if (!exists.rows[0]?.t) return 0;
  const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM "${schema}".schema_migrations`);
  return Number(r.rows[0]?.v ?? 0);
}

/** Bring `schema` up to the latest version; returns the versions applied. */
export async function migratePg(
  client: pg.ClientBase,
  schema: string,
  where: string,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
  nowIso: () => string = () => new Date().toISOString(),
): Promise<number[]> {
  const known = migrations[migrations.length - 1]?.version ?? 0;
  const refuse = (found: number): FerryError =>
    new FerryError('STATE', `state schema "${schema}" in ${where} has version ${found}, but this ferry only knows versions up to ${known}`, {
      hint: 'it was written by a newer ferry: upgrade ferry, or choose another schema (?schema=NAME in the state URL)',
      details: { found, known },
    });
  // Fast path: already current, no lock taken (every worker opens the state).
  const before = await currentPgSchemaVersion(client, schema);
  if (before > known) throw refuse(before);
  if (before === known) return [];

  await client.query('SELECT pg_advisory_lock(hashtext($1))', [`ferry.migrate:${schema}`]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    const applied: number[] = [];
    for (const m of migrations) {
      const current = await currentPgSchemaVersion(client, schema);
      if (current > known) throw refuse(current);
      if (current >= m.version) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO "${schema}"`);
        await client.query(m.sql);
        await client.query(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, nowIso()]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`ferry.migrate:${schema}`]).catch(() => {});
  }
}
