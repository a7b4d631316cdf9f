/**
 * The SQL driver (../sql/driver.ts) over better-sqlite3: one connection per store; several stores (processes) may
 * share a file — readers and writers wait for each other's short transactions (`busy_timeout`), and every state
 * change is one `BEGIN IMMEDIATE` transaction, so a check-then-write cannot interleave with another process. Within
 * this process, transactions on one file take turns (a queue per file): the store's steps are async, and a second
 * connection's BEGIN would otherwise wait, blocking the thread, on a lock the first can no longer release.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import type { SqlDriver, SqlQuery } from '../sql/driver.js';
import { stateError } from './errors.js';
import { currentSchemaVersion, migrate } from './migrate.js';

export interface SqliteDriverOptions {
  /** How long a writer waits for another connection's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Refuse to create the DB when the file does not exist (for read-only commands such as `ferry status`). */
  mustExist?: boolean;
  nowIso?: () => string;
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly where: string;
  readonly forUpdate = '';
  readonly skipLocked = '';
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** The transaction queue of each file this process opened (`:memory:` databases are private: their own). */
  private static readonly queues = new Map<string, { tail: Promise<unknown>; users: number }>();
  private readonly queueKey: string;
  private readonly q: SqlQuery;

  constructor(path: string, opts: SqliteDriverOptions = {}) {
    const memory = path === ':memory:';
    this.where = memory ? path : resolve(path);
    const busy = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000));
    if (!memory) {
      if (opts.mustExist && !existsSync(this.where)) {
        throw new FerryError('STATE', `state database ${this.where} does not exist`, {
          hint: 'no job has run with this state file; check --state, or run a plan first',
        });
      }
      try {
        mkdirSync(dirname(this.where), { recursive: true, mode: 0o700 });
        // Owner-only from the first byte: the state holds job history, keys and dead-letter payloads. SQLite gives
        // its journal the mode of the database file.
        if (!existsSync(this.where)) closeSync(openSync(this.where, 'a', 0o600));
      } catch (e) {
        throw new FerryError('STATE', `cannot create the directory of the state database ${this.where}`, { hint: 'choose a writable path with --state', cause: e });
      }
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(this.where, { timeout: busy });
      db.pragma(`busy_timeout = ${busy}`);
      // A rollback journal, not WAL: WAL's index is a shared-memory mapping of the -shm file, and a state file
      // truncated or on a full tmpfs under a running job then kills the process with SIGBUS: no message, no resume
      // line. With the journal every fault is an error SQLite returns (stateError). No mmap of the file either.
      // Readers (ferry status) wait out a commit through the busy timeout. FULL: a commit survives a power cut.
      if (!memory) db.pragma('journal_mode = TRUNCATE');
      db.pragma('mmap_size = 0');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, this.where, undefined, opts.nowIso);
    } catch (e) {
      try {
        db?.close();
      } catch {
        /* already failing */
      }
      throw stateError(e, 'open', this.where);
    }
    this.db = db;
    this.queueKey = memory ? `:memory:${Math.random()}` : this.where;
    const queue = SqliteDriver.queues.get(this.queueKey) ?? { tail: Promise.resolve(), users: 0 };
    queue.users += 1;
    SqliteDriver.queues.set(this.queueKey, queue);
    this.q = {
      all: async <T>(sql: string, args: readonly unknown[] = []) => this.stmt(sql).all(...args) as T[],
      get: async <T>(sql: string, args: readonly unknown[] = []) => this.stmt(sql).get(...args) as T | undefined,
      run: async (sql: string, args: readonly unknown[] = []) => ({ changes: this.stmt(sql).run(...args).changes }),
    };
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
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

  tx<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (e) {
        throw stateError(e, what, this.where);
      }
      try {
        const out = await fn(this.q);
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        try {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
        } catch {
          /* the failure below is the one to report */
        }
        throw stateError(e, what, this.where);
      }
    };
    const queue = SqliteDriver.queues.get(this.queueKey)!;
    const next = queue.tail.then(run, run);
    queue.tail = next.catch(() => {});
    return next;
  }

  async read<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T> {
    try {
      return await fn(this.q);
    } catch (e) {
      throw stateError(e, what, this.where);
    }
  }

  async lockKey(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }

  async schemaVersion(): Promise<number> {
    return this.read('read schema version', async () => currentSchemaVersion(this.db));
  }

  /** The better-sqlite3 connection (tests inspect its pragmas). */
  get database(): Database.Database {
    return this.db;
  }

  async close(): Promise<void> {
    const queue = SqliteDriver.queues.get(this.queueKey);
    if (queue) {
      await queue.tail;
      queue.users -= 1;
      if (queue.users === 0) SqliteDriver.queues.delete(this.queueKey);
    }
    this.db.close();
  }
}
