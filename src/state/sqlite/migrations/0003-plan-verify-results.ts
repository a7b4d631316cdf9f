import type { Migration } from '../migrate.js';

export const m0003: Migration = {
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
};
