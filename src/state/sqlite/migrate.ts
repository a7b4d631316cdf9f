/**
 * Applies the numbered schema migrations of the SQLite state (one file each in migrations/).
 *
 * Rules:
 * - Append only. A released migration is never edited or renumbered; a change is a new, higher version.
 * - Each migration runs in its own `BEGIN IMMEDIATE` transaction together with its `schema_migrations` row, so a
 *   crash leaves the DB at a whole version and two processes opening a fresh DB at once cannot both apply it.
 * - A DB whose highest recorded version is above the last one here was written by a newer ferry: it is refused
 *   (FerryError STATE) rather than used with a schema this code does not understand.
 */
import type Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import { MIGRATIONS } from './migrations/index.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}


export { MIGRATIONS };

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  applied_at  TEXT NOT NULL
)`;

/** Highest version recorded in the DB (0 for a fresh DB). */
export function currentSchemaVersion(db: Database.Database): number {
  const row = db
    .prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations')
    .get();
  return row?.v ?? 0;
}

function refuseNewer(found: number, known: number, where: string): FerryError {
  return new FerryError(
    'STATE',
    `state database ${where} has schema version ${found}, but this ferry only knows versions up to ${known}`,
    {
      hint: 'it was written by a newer ferry: upgrade ferry, or point --state at another file',
      details: { found, known },
    },
  );
}

/**
 * Bring the DB up to the latest version. Returns the versions applied (empty when already current).
 * `where` names the DB in messages (its path).
 */
export function migrate(
  db: Database.Database,
  where: string,
  migrations: readonly Migration[] = MIGRATIONS,
  nowIso: () => string = () => new Date().toISOString(),
): number[] {
  const known = migrations[migrations.length - 1]?.version ?? 0;
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new FerryError('INTERNAL', 'state migrations are not in increasing version order');
    }
  }
  db.transaction(() => db.exec(CREATE_MIGRATIONS_TABLE)).immediate();

  const applied: number[] = [];
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    // Re-read the version inside each transaction: another process may have migrated meanwhile.
    const done = db
      .transaction(() => {
        const current = currentSchemaVersion(db);
        if (current > known) throw refuseNewer(current, known, where);
        if (current >= m.version) return false;
        db.exec(m.sql);
        insert.run(m.version, m.name, nowIso());
        return true;
      })
      .immediate();
    if (done) applied.push(m.version);
  }
  const final = currentSchemaVersion(db);
  if (final > known) throw refuseNewer(final, known, where);
  return applied;
}
