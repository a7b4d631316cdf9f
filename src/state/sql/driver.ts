/**
 * What the SQL state store (store.ts) needs of a database: queries with `?` placeholders, transactions that serialise
 * the check-then-write steps (lease checks, claims, take-overs), and the few phrases where the dialects differ. The
 * store's SQL is written once, in the subset SQLite and PostgreSQL share; each backend's folder adapts it.
 */

export interface SqlQuery {
  all<T>(sql: string, args?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, args?: readonly unknown[]): Promise<T | undefined>;
  run(sql: string, args?: readonly unknown[]): Promise<{ changes: number }>;
}

export interface SqlDriver extends SqlQuery {
  readonly dialect: 'sqlite' | 'postgres';
  /** The state as messages name it: a file path, or a URL without its password. */
  readonly where: string;
  /**
   * One transaction. SQLite: `BEGIN IMMEDIATE` (writers take turns). PostgreSQL: READ COMMITTED, the store locking
   * the rows it checks (`forUpdate`) or a key (`lockKey`). A failure rolls back and is mapped to FerryError STATE.
   */
  tx<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T>;
  /** Reads outside a transaction, with the same error mapping. */
  read<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T>;
  /** Inside `tx`: wait for other transactions holding `key` (PostgreSQL advisory lock); SQLite's tx already excludes. */
  lockKey(q: SqlQuery, key: string): Promise<void>;
  /** Appended to a SELECT inside `tx` that locks the rows it reads: ' FOR UPDATE', or '' on SQLite. */
  readonly forUpdate: string;
  /** As `forUpdate`, skipping rows another transaction locked: claims never queue behind each other. */
  readonly skipLocked: string;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
