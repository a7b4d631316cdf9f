import type { Migration } from '../migrate.js';

export const m0006: Migration = {
  version: 6,
  name: 'segment outputs',
  // What a committed batch left in the target that the job must remember until it finishes (a backup's data files),
  // recorded in the commit's transaction so a file is known exactly when its records' cursor is.
  sql: `
CREATE TABLE segment_outputs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id      TEXT NOT NULL,
  segment_id  TEXT NOT NULL,
  data        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  FOREIGN KEY (job_id, segment_id) REFERENCES segments (job_id, id) ON DELETE CASCADE
);
CREATE INDEX segment_outputs_by_job ON segment_outputs (job_id, id);
`,
};
