/**
 * The state stores: the SQL store (`sql/`) over SQLite (`sqlite/`, better-sqlite3, the embedded default) or
 * PostgreSQL (`postgres/`, shared by workers on several machines), both implementing the core `StateStore` contract;
 * `records.ts` holds what every backend stores the same way. `openState` picks the backend from the location.
 */
import { isPostgresUrl } from './postgres/driver.js';
import { openPostgresState, type PgStateOptions } from './postgres/store.js';
import type { SqlStateStore } from './sql/store.js';
import { openStateStore, type StateStoreOptions } from './sqlite/store.js';

export { DEFAULT_STATE_PATH, openStateStore, type SqliteStateStore, type StateStoreOptions } from './sqlite/store.js';
export { SqlStateStore, DEFAULT_CLAIM_TTL_MS, type SqlStoreOptions } from './sql/store.js';
export { openPostgresState, type PgStateOptions } from './postgres/store.js';
export { DEFAULT_PG_SCHEMA, isPostgresUrl, parseStateUrl } from './postgres/driver.js';
export { PG_LATEST_SCHEMA_VERSION } from './postgres/migrate.js';
export { PG_MIGRATIONS } from './postgres/migrations/index.js';
export type { CheckpointRecord, DryRunReportRecord, JobTotals, PlanVerifyResultRecord, PlanVerifyRun, StoredReportSummary } from '../core/state-store.js';
export { MAX_DEAD_LETTER_PAYLOAD, planRunningError } from './records.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, currentSchemaVersion, migrate, type Migration } from './sqlite/migrate.js';
export { JOB_ID_PATTERN, isJobId, newJobId } from './ids.js';

/** A state location: a `postgres://` URL (the shared state) or a SQLite file path. */
export async function openState(location: string, opts: StateStoreOptions & PgStateOptions = {}): Promise<SqlStateStore> {
  return isPostgresUrl(location) ? openPostgresState(location, opts) : openStateStore(location, opts);
}
