/** The state store: SQLite (better-sqlite3) implementation of the core `CheckpointStore` contract. */
export {
  DEFAULT_STATE_PATH,
  MAX_DEAD_LETTER_PAYLOAD,
  SqliteStateStore,
  planRunningError,
  openStateStore,
  type CheckpointRecord,
  type DryRunReportRecord,
  type JobTotals,
  type PlanVerifyResultRecord,
  type PlanVerifyRun,
  type StateStoreOptions,
  type StoredReportSummary,
} from './sqlite-store.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, currentSchemaVersion, migrate, type Migration } from './migrations.js';
export { JOB_ID_PATTERN, isJobId, newJobId } from './ids.js';
