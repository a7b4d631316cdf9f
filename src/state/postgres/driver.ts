/**
 * The SQL driver (../sql/driver.ts) over a PostgreSQL pool (`pg`): the shared state that workers on several machines
 * use together. Transactions are READ COMMITTED; the store locks what it checks (`FOR NO KEY UPDATE`, which leaves
 * foreign-key inserts under the job unblocked), claims skip rows another claim holds (`SKIP LOCKED`), and job creation
 * serialises on an advisory lock. The state lives in its own schema (default `ferry`), set as the search path of every
 * connection. The password in the URL is kept out of `where` and out of every message.
 */
import pg from 'pg';
import { FerryError } from '../../errors.js';
import type { SqlDriver, SqlQuery } from '../sql/driver.js';
import { pgStateError } from './errors.js';
import { currentPgSchemaVersion, migratePg, SCHEMA_PATTERN } from './migrate.js';

export const DEFAULT_PG_SCHEMA = 'ferry';

export interface PgDriverOptions {
  /** Overrides `?schema=` in the URL. */
  schema?: string;
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  /** How long to wait for a connection. Default 10 s. */
  connectTimeoutMs?: number;
  nowIso?: () => string;
}

/** True for the URLs `--state` treats as a PostgreSQL state. */
export function isPostgresUrl(s: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(s);
}

/** The URL without its password, and the schema it names (`?schema=`), for messages and the pool. */
export function parseStateUrl(url: string, schemaOverride?: string): { connectionString: string; where: string; schema: string; password: string | undefined } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FerryError('USAGE', 'the PostgreSQL state URL is not a valid URL', { hint: 'use postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME]' });
  }
  const schema = schemaOverride ?? u.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new FerryError('USAGE', `"${schema}" is not a schema name ferry uses for its state`, { hint: 'letters, digits and _, starting with a letter or _' });
  }
  u.searchParams.delete('schema');
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const connectionString = u.toString();
  const shown = new URL(connectionString);
  if (shown.password) shown.password = '';
  const where = `${shown.toString()}${shown.search ? '&' : '?'}schema=${schema}`;
  return { connectionString, where, schema, password };
}

const toPositional = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export class PgDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' FOR NO KEY UPDATE';
  readonly skipLocked = ' FOR NO KEY UPDATE SKIP LOCKED';
  private readonly sqlCache = new Map<string, string>();

  private constructor(
    private readonly pool: pg.Pool,
    readonly where: string,
    readonly schema: string,
    private readonly password: string | undefined,
  ) {}

  /** Connect, create the schema and migrate it (once across processes), and check the connection works. */
  static async open(url: string, opts: PgDriverOptions = {}): Promise<PgDriver> {
    const { connectionString, where, schema, password } = parseStateUrl(url, opts.schema);
    const pool = new pg.Pool({
      connectionString,
      max: Math.max(1, Math.floor(opts.poolSize ?? 4)),
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      application_name: 'ferry-state',
      options: `-c search_path="${schema}"`,
      // Totals and epoch milliseconds are BIGINT: numbers, exact below 2^53.
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text'))) as typeof pg.types.getTypeParser },
    });
    // An idle connection dropped by the server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const driver = new PgDriver(pool, where, schema, password);
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      await migratePg(client, schema, where, undefined, opts.nowIso);
    } catch (e) {
      client?.release();
      client = undefined;
      await pool.end().catch(() => {});
      throw pgStateError(e, 'open', where, password);
    } finally {
      client?.release();
    }
    return driver;
  }

  private sql(text: string): string {
    let s = this.sqlCache.get(text);
    if (s === undefined) {
      s = toPositional(text);
      this.sqlCache.set(text, s);
    }
    return s;
  }

  private queryOf(c: pg.Pool | pg.PoolClient): SqlQuery {
    return {
      all: async <T>(sql: string, args: readonly unknown[] = []) => (await c.query(this.sql(sql), [...args])).rows as T[],
      get: async <T>(sql: string, args: readonly unknown[] = []) => (await c.query(this.sql(sql), [...args])).rows[0] as T | undefined,
      run: async (sql: string, args: readonly unknown[] = []) => ({ changes: (await c.query(this.sql(sql), [...args])).rowCount ?? 0 }),
    };
  }

  all<T>(sql: string, args?: readonly unknown[]): Promise<T[]> {
    return this.read('query', (q) => q.all<T>(sql, args));
  }

  get<T>(sql: string, args?: readonly unknown[]): Promise<T | undefined> {
    return this.read('query', (q) => q.get<T>(sql, args));
  }

  run(sql: string, args?: readonly unknown[]): Promise<{ changes: number }> {
    return this.tx('write', (q) => q.run(sql, args));
  }

  /** A deadlock (40P01) or serialisation failure (40001) is retried a few times: the transaction is whole or absent. */
  async tx<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        const out = await fn(this.queryOf(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        if (client) await client.query('ROLLBACK').catch(() => {});
        const sqlstate = e instanceof pg.DatabaseError ? e.code : undefined;
        if ((sqlstate === '40P01' || sqlstate === '40001') && attempt < 4) continue;
        throw pgStateError(e, what, this.where, this.password);
      } finally {
        client?.release();
      }
    }
  }

  async read<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T> {
    try {
      return await fn(this.queryOf(this.pool));
    } catch (e) {
      throw pgStateError(e, what, this.where, this.password);
    }
  }

  async lockKey(q: SqlQuery, key: string): Promise<void> {
    await q.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', [`ferry:${this.schema}:${key}`]);
  }

  async schemaVersion(): Promise<number> {
    const client = await this.pool.connect();
    try {
      return await currentPgSchemaVersion(client, this.schema);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
