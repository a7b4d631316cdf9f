import type { Migration } from '../migrate.js';

export const m0001: Migration = {
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
};
