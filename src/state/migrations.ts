/**
 * Numbered schema migrations of the state database.
 *
 * Rules:
 * - Append only. A released migration is never edited or renumbered; a change is a new, higher version.
 * - Each migration runs in its own `BEGIN IMMEDIATE` transaction together with its `schema_migrations` row, so a
 *   crash leaves the DB at a whole version and two processes opening a fresh DB at once cannot both apply it.
 * - A DB whose highest recorded version is above the last one here was written by a newer ferry: it is refused
 *   (FerryError STATE) rather than used with a schema this code does not understand.
 */
import type Database from 'better-sqlite3';
import { FerryError } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  plan_name    TEXT NOT NULL,
  plan_hash    TEXT NOT NULL,
  plan_path    TEXT,
  kind         TEXT NOT NULL,
  plan_text    TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'failed', 'succeeded')),
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  finished_at  TEXT,
  error        TEXT
);
CREATE INDEX jobs_by_plan ON jobs (plan_name, plan_hash, created_at);

CREATE TABLE segments (
  job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  stream      TEXT NOT NULL,
  target      TEXT NOT NULL,
  seg_index   INTEGER NOT NULL,
  seg_total   INTEGER NOT NULL,
  spec        TEXT NOT NULL,
  cursor      TEXT,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  items       INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER NOT NULL DEFAULT 0,
  rejected    INTEGER NOT NULL DEFAULT 0,
  commits     INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (job_id, id)
);

-- One row per commit, the last N per segment kept (pruned in the commit transaction).
CREATE TABLE checkpoints (
  job_id      TEXT NOT NULL,
  segment_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  cursor      TEXT,
  items       INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  rejected    INTEGER NOT NULL,
  at_ms       INTEGER NOT NULL,
  PRIMARY KEY (job_id, segment_id, seq),
  FOREIGN KEY (job_id, segment_id) REFERENCES segments (job_id, id) ON DELETE CASCADE
);
CREATE INDEX checkpoints_by_time ON checkpoints (job_id, at_ms);

CREATE TABLE dead_letters (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id      TEXT NOT NULL,
  segment_id  TEXT NOT NULL,
  stream      TEXT NOT NULL,
  key         TEXT NOT NULL,
  reason      TEXT NOT NULL,
  payload     TEXT,
  created_at  TEXT NOT NULL,
  FOREIGN KEY (job_id, segment_id) REFERENCES segments (job_id, id) ON DELETE CASCADE
);
CREATE INDEX dead_letters_by_job ON dead_letters (job_id, segment_id, id);

CREATE TABLE verify_results (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id    TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  stream    TEXT NOT NULL,
  verifier  TEXT NOT NULL,
  outcome   TEXT NOT NULL,
  report    TEXT NOT NULL,
  at        TEXT NOT NULL
);
CREATE INDEX verify_results_by_job ON verify_results (job_id, id);

CREATE TABLE events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  at      TEXT NOT NULL,
  type    TEXT NOT NULL,
  data    TEXT NOT NULL
);
CREATE INDEX events_by_job ON events (job_id, id);

-- The runner lock of a job: a lease with an expiry (ms since epoch), renewed by its holder.
CREATE TABLE runner_locks (
  job_id      TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  token       TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  host        TEXT NOT NULL,
  since       TEXT NOT NULL,
  expires_at  INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'dry run reports',
    sql: `
-- One row per \`ferry plan dry-run\`: the whole report as JSON (no job is created by a dry run).
CREATE TABLE dry_run_reports (
  id           TEXT PRIMARY KEY,
  plan_name    TEXT NOT NULL,
  plan_hash    TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  verdict      TEXT NOT NULL CHECK (verdict IN ('ready', 'blocked')),
  report_json  TEXT NOT NULL
);
CREATE INDEX dry_run_reports_by_plan ON dry_run_reports (plan_name, created_at);
`,
  },
  {
    version: 3,
    name: 'plan verify results',
    sql: `
-- \`ferry verify PLAN\` (a plan verified as its stores stand, without a job): one row per stream and verifier, as
-- verify_results holds them for jobs; run_id groups the rows of one invocation.
CREATE TABLE plan_verify_results (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id     TEXT NOT NULL,
  plan_name  TEXT NOT NULL,
  plan_hash  TEXT NOT NULL,
  plan_path  TEXT,
  stream     TEXT NOT NULL,
  verifier   TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  report     TEXT NOT NULL,
  at         TEXT NOT NULL
);
CREATE INDEX plan_verify_results_by_plan ON plan_verify_results (plan_name, id);
CREATE INDEX plan_verify_results_by_run ON plan_verify_results (run_id, id);
`,
  },
  {
    version: 4,
    name: 'partial uploads',
    // The uploads a run started (owner: its runner lock token), so cleanup aborts only ferry's own, once dead.
    sql: `
CREATE TABLE partial_uploads (
  store       TEXT NOT NULL,
  name        TEXT NOT NULL,
  upload_id   TEXT NOT NULL,
  job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  owner       TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  PRIMARY KEY (store, name, upload_id)
);
CREATE INDEX partial_uploads_by_job ON partial_uploads (job_id);
`,
  },
];

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
