import type { PgMigration } from '../migrate.js';

/** SQLite's migration 7: one row per scheduled job and slot. */
export const m0003: PgMigration = {
  version: 3,
  name: 'schedule slots',
  sql: `
CREATE TABLE schedule_slots (
  job          TEXT NOT NULL,
  slot         TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'missed', 'skipped')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  holder       TEXT,
  token        TEXT,
  expires_at   BIGINT,
  started_at   TEXT,
  finished_at  TEXT,
  job_id       TEXT,
  detail       TEXT,
  PRIMARY KEY (job, slot)
);
`,
};
