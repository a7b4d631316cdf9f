import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_STATE_PATH,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  currentSchemaVersion,
  migrate,
  openStateStore,
  type Migration,
} from '../../../src/state/index.js';
import { caught, newJob, rejection, tempDir } from './helpers.js';


describe('state migrations', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('are numbered in increasing order, starting at 1', () => {
    expect(MIGRATIONS[0]?.version).toBe(1);
    MIGRATIONS.forEach((m, i) => i > 0 && expect(m.version).toBeGreaterThan(MIGRATIONS[i - 1]!.version));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
  });

  it('apply to a fresh file DB, creating parent directories, with a rollback journal (no shared memory) and foreign keys', async () => {
    const path = join(dir, 'a', 'b', 'ferry.db');
    const store = openStateStore(path);
    expect(store.path).toBe(path);
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    const modes = ['', '-journal'].map((suffix) => statSync(path + suffix).mode & 0o777);
    // No WAL index: a mapped -shm file truncated under a running job would kill it with SIGBUS.
    expect(existsSync(`${path}-shm`)).toBe(false);
    const own = (store as unknown as { db: { database: Database.Database } }).db.database;
    expect([own.pragma('journal_mode', { simple: true }), own.pragma('synchronous', { simple: true }), own.pragma('mmap_size', { simple: true })]).toEqual(['truncate', 2, 0]);
    await store.close();
    expect(existsSync(path)).toBe(true);
    // Owner-only, whatever the umask: the state holds job history and dead-letter payloads.
    expect(modes).toEqual([0o600, 0o600]);
    expect(statSync(join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);

    const db = new Database(path);
    // Not WAL (which a file would keep): a rollback journal is chosen per connection.
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    for (const t of ['jobs', 'segments', 'checkpoints', 'dead_letters', 'verify_results', 'events', 'runners']) {
      expect(tables).toContain(t);
    }
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    db.close();
  });

  it('are idempotent on reopen and keep the data', async () => {
    const path = join(dir, 'ferry.db');
    const s1 = openStateStore(path);
    const job = await s1.createJob(newJob());
    await s1.close();
    const before = new Database(path).prepare('SELECT * FROM schema_migrations').all();

    const s2 = openStateStore(path);
    expect(await s2.getJob(job.id)).toEqual(job);
    expect(await s2.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await s2.close();
    const after = new Database(path).prepare('SELECT * FROM schema_migrations').all();
    expect(after).toEqual(before);
  });

  it('turn foreign keys on and set a busy timeout for the connection', async () => {
    const store = openStateStore(join(dir, 'ferry.db'), { busyTimeoutMs: 1234 });
    const db = (store as unknown as { db: { database: Database.Database } }).db.database;
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    await store.close();
  });

  it('refuse a DB written by a newer ferry, naming both versions', () => {
    const path = join(dir, 'ferry.db');
    openStateStore(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from-the-future', '2030-01-01')")
      .run(LATEST_SCHEMA_VERSION + 41);
    db.close();

    const e = caught(() => openStateStore(path));
    expect(e.code).toBe('STATE');
    expect(e.message).toContain(`schema version ${LATEST_SCHEMA_VERSION + 41}`);
    expect(e.message).toContain(`up to ${LATEST_SCHEMA_VERSION}`);
    expect(e.message).toContain(path);
    expect(e.hint).toMatch(/newer ferry/);
  });

  it('upgrade an older DB with the pending migrations only, each in a transaction', () => {
    const db = new Database(':memory:');
    const v1: Migration[] = [{ version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER)' }];
    expect(migrate(db, 'mem', v1)).toEqual([1]);
    db.prepare('INSERT INTO a VALUES (7)').run();

    const broken: Migration[] = [
      ...v1,
      { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER); CREATE TABLE a (dup INTEGER)' },
    ];
    expect(() => migrate(db, 'mem', broken)).toThrow(/already exists/);
    expect(currentSchemaVersion(db)).toBe(1);
    // The failed migration left nothing behind: table b was rolled back with it.
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);

    const v2: Migration[] = [...v1, { version: 2, name: 'two', sql: 'ALTER TABLE a ADD COLUMN y TEXT' }];
    expect(migrate(db, 'mem', v2)).toEqual([2]);
    expect(migrate(db, 'mem', v2)).toEqual([]);
    expect(db.prepare('SELECT x FROM a').pluck().get()).toBe(7);
    db.close();
  });

  it('upgrade a version-4 state (one runner lock per job) to worker leases: the lock becomes a runner, segments keep their cursors', async () => {
    const path = join(dir, 'v4.db');
    const db = new Database(path);
    expect(migrate(db, path, MIGRATIONS.filter((m) => m.version <= 4))).toEqual([1, 2, 3, 4]);
    const at = new Date().toISOString();
    db.prepare(`INSERT INTO jobs (id, plan_name, plan_hash, kind, plan_text, status, created_at, updated_at) VALUES ('job-v4', 'p', 'h', 'migration', 'x', 'running', ?, ?)`).run(at, at);
    db.prepare(`INSERT INTO segments (job_id, id, stream, target, seg_index, seg_total, spec, cursor, status, items, created_at, updated_at)
                VALUES ('job-v4', 's#0/1', 's', 't', 0, 1, '{}', 'k42', 'running', 42, ?, ?)`).run(at, at);
    db.prepare(`INSERT INTO runner_locks (job_id, token, pid, host, since, expires_at) VALUES ('job-v4', 'tok-v4', 4242, 'old-host', ?, ?)`).run(at, Date.now() + 3_600_000);
    db.close();

    const store = openStateStore(path);
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect((await store.runnersOf('job-v4')).map((r) => [r.pid, r.host, r.shared])).toEqual([[4242, 'old-host', false]]);
    expect(await store.getJob('job-v4')).toMatchObject({ status: 'running', workers: 1 });
    const [seg] = await store.listSegments('job-v4');
    expect(seg).toMatchObject({ id: 's#0/1', cursor: 'k42', items: 42, fence: 0, holder: undefined });
    // The old runner still holds the job: a new exclusive runner is refused by its name.
    expect((await rejection(() => store.acquireRunner('job-v4', 10_000))).message).toMatch(/pid 4242 on host old-host/);
    await store.close();
  });

  it('refuse a file that is not a SQLite database, with a clear STATE error', () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'this is not a database, just some text that is long enough to have a header '.repeat(20));
    const e = caught(() => openStateStore(path));
    expect(e.code).toBe('STATE');
    expect(e.message).toContain(path);
  });

  it('with mustExist, refuse to create a missing DB', () => {
    const path = join(dir, 'missing', 'ferry.db');
    const e = caught(() => openStateStore(path, { mustExist: true }));
    expect(e.code).toBe('STATE');
    expect(existsSync(path)).toBe(false);
  });

  it('default to state/ferry.db relative to the working directory', async () => {
    const cwd = process.cwd();
    try {
      process.chdir(dir);
    } catch {
      return; // a worker thread cannot chdir; the path logic is still covered by the explicit-path tests
    }
    try {
      const store = openStateStore();
      expect(store.path).toBe(resolve(dir, DEFAULT_STATE_PATH));
      await store.close();
      expect(existsSync(join(dir, 'state', 'ferry.db'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});
