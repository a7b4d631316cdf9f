/**
 * The PostgreSQL state: the SQL store (../sql/store.ts) over a pool (driver.ts), shared by every worker of a job on
 * any machine. `--state postgres://USER:PASSWORD@HOST/DB[?schema=NAME]` or FERRY_STATE.
 */
import { SqlStateStore, type SqlStoreOptions } from '../sql/store.js';
import { PgDriver, type PgDriverOptions } from './driver.js';

export type PgStateOptions = SqlStoreOptions & Omit<PgDriverOptions, 'nowIso'>;

export async function openPostgresState(url: string, opts: PgStateOptions = {}): Promise<SqlStateStore> {
  const now = opts.now ?? Date.now;
  const driver = await PgDriver.open(url, { ...opts, nowIso: () => new Date(now()).toISOString() });
  return new SqlStateStore(driver, opts);
}
