import type { Migration } from '../migrate.js';

export const m0007: Migration = {
  version: 7,
  name: 'schedule slots',
  // One row per scheduled job and slot: the primary key makes a slot taken once, across ticks and machines.
  sql: `
CREATE TABLE schedule_slots (
  job          TEXT NOT NULL,
  slot         TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'missed', 'skipped')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  holder       TEXT,
  token        TEXT,
  expires_at   INTEGER,
  started_at   TEXT,
  finished_at  TEXT,
  job_id       TEXT,
  detail       TEXT,
  PRIMARY KEY (job, slot)
);
`,
};
