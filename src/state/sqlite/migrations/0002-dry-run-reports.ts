import type { Migration } from '../migrate.js';

export const m0002: Migration = {
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
};
