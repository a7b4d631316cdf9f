import type { Migration } from '../migrate.js';

export const m0004: Migration = {
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
};
