/**
 * One consistent snapshot for a whole job: a coordinator connection opens a REPEATABLE READ transaction and exports
 * its snapshot (`pg_export_snapshot()`); every read then runs in a transaction that imports it (`SET TRANSACTION
 * SNAPSHOT`), so all segments of all tables see the database as of one instant, however long the job takes.
 *
 * The exported snapshot lives only as long as the coordinator's transaction, so the coordinator stays open, idle in
 * transaction, for the source's life. That holds back vacuum's horizon on a busy server for as long as the job runs:
 * the price of consistency (plans can turn it off per stream with `snapshot: false`). Its own
 * idle_in_transaction_session_timeout is switched off, so a server default cannot end the job halfway.
 */
import pg from 'pg';
import type { Logger } from '../../core/connector.js';
import { FerryError } from '../../errors.js';
import { SESSION_SETUP, type PgConnectionSetup } from './connection.js';
import { toFerryError } from './errors.js';

export class SnapshotCoordinator {
  private lost: FerryError | undefined;

  private constructor(
    private readonly client: pg.Client,
    readonly id: string,
  ) {}

  static async open(setup: PgConnectionSetup, logger: Logger): Promise<SnapshotCoordinator> {
    const client = new pg.Client({ ...setup.config, application_name: `${setup.config.application_name ?? 'ferry'} snapshot` });
    const toError = (e: unknown): FerryError => toFerryError(e, { endpoint: setup.endpoint, secrets: setup.secrets, doing: 'exporting a snapshot' });
    // Before connect resolves and while idle: an 'error' event without a listener would crash the process.
    let coordinator: SnapshotCoordinator | undefined;
    const gone = (why: string): void => {
      if (coordinator && !coordinator.lost) {
        coordinator.lost = new FerryError('UNREACHABLE', `the connection holding the job's snapshot was lost (${why})`, {
          retry: 'terminal', // a new connection cannot bring the snapshot back; a new run takes a new one
          hint: 'resume the job: it will read a new snapshot',
        });
        logger.warn(coordinator.lost.message);
      }
    };
    client.on('error', (e) => gone(toFerryError(e, { endpoint: setup.endpoint, secrets: setup.secrets }).message));
    client.on('end', () => gone('closed'));
    try {
      await client.connect();
      await client.query(`${SESSION_SETUP}; SET idle_in_transaction_session_timeout = 0; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`);
      const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      coordinator = new SnapshotCoordinator(client, rows[0]!.id);
      logger.debug('exported a snapshot for the job', { snapshot: coordinator.id });
      return coordinator;
    } catch (e) {
      await client.end().catch(() => {});
      throw toError(e);
    }
  }

  /** Statements that start a read transaction in this snapshot (one round trip). */
  beginSql(): string {
    if (this.lost) throw this.lost;
    return `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '${this.id.replaceAll("'", "''")}'`;
  }

  async close(): Promise<void> {
    const c = this.client;
    this.lost ??= new FerryError('INTERRUPTED', 'the source is closed');
    await c.query('ROLLBACK').catch(() => {});
    await c.end().catch(() => {});
  }
}
