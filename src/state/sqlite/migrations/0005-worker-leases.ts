import type { Migration } from '../migrate.js';

export const m0005: Migration = {
  version: 5,
  name: 'worker leases',
  // Several runners per job (workers), a lease per segment with a fencing token, job steps done once.
  sql: `
CREATE TABLE runners (
  token         TEXT PRIMARY KEY,
  job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  pid           INTEGER NOT NULL,
  host          TEXT NOT NULL,
  since         TEXT NOT NULL,
  expires_at    INTEGER NOT NULL,
  heartbeat_at  TEXT,
  shared        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runners_by_job ON runners (job_id, since);
INSERT INTO runners (token, job_id, pid, host, since, expires_at, heartbeat_at, shared)
  SELECT token, job_id, pid, host, since, expires_at, since, 0 FROM runner_locks;
DROP TABLE runner_locks;

ALTER TABLE segments ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE segments ADD COLUMN lease_owner TEXT;
ALTER TABLE checkpoints ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN workers INTEGER NOT NULL DEFAULT 1;

CREATE TABLE job_steps (
  job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  step        TEXT NOT NULL,
  owner       TEXT,
  claimed_at  TEXT NOT NULL,
  done_at     TEXT,
  PRIMARY KEY (job_id, step)
);
`,
};
