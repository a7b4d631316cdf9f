/**
 * The state stores. SQLite (better-sqlite3, `sqlite/`) is the embedded default implementation of the core
 * `StateStore` contract; `records.ts` holds what every backend stores the same way.
 */
export {
  DEFAULT_STATE_PATH,
  SqliteStateStore,
  openStateStore,
  type CheckpointRecord,
  type DryRunReportRecord,
  type JobTotals,
  type PlanVerifyResultRecord,
  type PlanVerifyRun,
  type StateStoreOptions,
  type StoredReportSummary,
} from './sqlite/store.js';
export { MAX_DEAD_LETTER_PAYLOAD, planRunningError } from './records.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, currentSchemaVersion, migrate, type Migration } from './sqlite/migrate.js';
export { JOB_ID_PATTERN, isJobId, newJobId } from './ids.js';
