/**
 * The SQLite state: the SQL store (../sql/store.ts) over better-sqlite3 (driver.ts), the embedded default. Opening
 * is synchronous (create, migrate); a single-machine user needs nothing else.
 */
import { SqlStateStore, type SqlStoreOptions } from '../sql/store.js';
import { SqliteDriver, type SqliteDriverOptions } from './driver.js';

/** Where the state DB lives unless `--state` says otherwise; relative to the working directory. */
export const DEFAULT_STATE_PATH = 'state/ferry.db';

export type StateStoreOptions = SqlStoreOptions & Omit<SqliteDriverOptions, 'nowIso'>;

/** The SQLite state store (the SQL store over a file). */
export type SqliteStateStore = SqlStateStore;

/**
 * Open (creating it and its directory if needed) and migrate the state DB. `path` defaults to `state/ferry.db`
 * relative to the working directory; `:memory:` gives a private in-memory store (tests).
 */
export function openStateStore(path: string = DEFAULT_STATE_PATH, opts: StateStoreOptions = {}): SqlStateStore {
  const now = opts.now ?? Date.now;
  const driver = new SqliteDriver(path, { ...opts, nowIso: () => new Date(now()).toISOString() });
  return new SqlStateStore(driver, opts);
}
