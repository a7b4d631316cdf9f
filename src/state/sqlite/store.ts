/**
 * The SQLite state store (better-sqlite3): jobs, segments, checkpoints, dead letters, verify results, events and the
 * runner lock. One connection per store; several stores (processes) may share a file — readers and writers wait
 * for each other's short transactions (`busy_timeout`; a rollback journal, see the constructor), and every state change is one
 * `BEGIN IMMEDIATE` transaction, so a check-then-write (lease checks, takeovers) cannot interleave with another
 * process.
 *
 * Runner lock semantics (see `acquireRunner`, `renewRunner`, `commit`):
 * - the lock is a lease: holder (token, pid, host, since) + `expires_at`; the runner renews it while it works;
 * - acquire succeeds when there is no lease, the lease has expired, the holder is this very process (same pid and
 *   host: idempotent, the token is kept), or the holder is a process on this host that no longer exists (a killed
 *   runner: no need to wait for the expiry). Taking over another holder's lease records a `runner.takeover` event
 *   naming it;
 * - renew and commit only check the token. A lease that has expired but that nobody took over is still ours: the
 *   runner was merely slow (a GC pause, a long flush) and nobody else can have written meanwhile. A token mismatch
 *   (taken over, or released) is fatal: JOB_LOCKED, and nothing is written.
 *
 * Secrets: the plan text is stored as given (the caller passes the raw YAML with `${env:...}` unexpanded); error
 * strings, dead-letter reasons and string values in event data pass through `redact()`.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FerryError, redact } from '../../errors.js';
import type {
  CommitInput,
  DeadLetterRecord,
  JobEvent,
  JobRecord,
  JobStatus,
  NewJob,
  RunnerHolder,
  RunnerLease,
  SegmentState,
  SegmentStatus,
} from '../../core/checkpoint.js';
import type {
  CheckpointRecord,
  DryRunReportRecord,
  JobTotals,
  PlanVerifyResultRecord,
  PlanVerifyRun,
  StateStore,
  StoredReportSummary,
} from '../../core/state-store.js';
import type { Segment } from '../../core/stream.js';
import type { PartialUpload } from '../../core/upload-ledger.js';
import { newJobId, newToken } from '../ids.js';
import { currentSchemaVersion, migrate } from './migrate.js';
import { stateError } from './errors.js';
import { SqliteReports } from './reports.js';
import { JOB_COLUMNS, toHolder, toJob, toSegment, type CheckpointRow, type DeadLetterRow, type JobRow, type LockRow, type SegmentRow } from './rows.js';
import { defaultIsProcessAlive, planRunningError, redactDeep, toJson, truncatePayload } from '../records.js';

export type { CheckpointRecord, DryRunReportRecord, JobTotals, PlanVerifyResultRecord, PlanVerifyRun, StoredReportSummary };

/** Where the state DB lives unless `--state PATH` says otherwise; relative to the working directory. */
export const DEFAULT_STATE_PATH = 'state/ferry.db';

/** How long the runner lock taken with a new job binds before its runner's first renewal. */
export const DEFAULT_CLAIM_TTL_MS = 30_000;

export interface StateStoreOptions {
  /** Clock in ms since the epoch; injectable for lease tests. Default `Date.now`. */
  now?: () => number;
  /** Identity of this runner in the lock; default this process's pid and `os.hostname()`. */
  pid?: number;
  host?: string;
  /**
   * Whether a process on this host is alive; used to take over the lock of a killed local runner before its lease
   * expires. Default: `process.kill(pid, 0)` (ESRCH = gone; EPERM = exists).
   */
  isProcessAlive?: (pid: number) => boolean;
  /** How long a writer waits for another connection's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Checkpoint history rows kept per segment (older ones are pruned by each commit). Default 500. */
  checkpointHistory?: number;
  /** Refuse to create the DB when the file does not exist (for read-only commands such as `ferry status`). */
  mustExist?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------

export class SqliteStateStore implements StateStore {
  /** The file path as opened (absolute), or `:memory:`. */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly pid: number;
  private readonly host: string;
  private readonly isProcessAlive: (pid: number) => boolean;
  private readonly historyKeep: number;
  private closed = false;
  private readonly reports: SqliteReports;

  constructor(path: string = DEFAULT_STATE_PATH, opts: StateStoreOptions = {}) {
    const memory = path === ':memory:';
    this.path = memory ? path : resolve(path);
    this.now = opts.now ?? Date.now;
    this.pid = opts.pid ?? process.pid;
    this.host = opts.host ?? hostname();
    this.isProcessAlive = opts.isProcessAlive ?? defaultIsProcessAlive;
    this.historyKeep = Math.max(1, Math.floor(opts.checkpointHistory ?? 500));
    const busy = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000));

    if (!memory) {
      if (opts.mustExist && !existsSync(this.path)) {
        throw new FerryError('STATE', `state database ${this.path} does not exist`, {
          hint: 'no job has run with this state file; check --state, or run a plan first',
        });
      }
      try {
        mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
        // Owner-only from the first byte: the state holds job history, keys and dead-letter payloads. SQLite gives
        // its journal the mode of the database file.
        if (!existsSync(this.path)) closeSync(openSync(this.path, 'a', 0o600));
      } catch (e) {
        throw new FerryError('STATE', `cannot create the directory of the state database ${this.path}`, {
          hint: 'choose a writable path with --state',
          cause: e,
        });
      }
    }

    let db: Database.Database | undefined;
    try {
      db = new Database(this.path, { timeout: busy });
      db.pragma(`busy_timeout = ${busy}`);
      // A rollback journal, not WAL: WAL's index is a shared-memory mapping of the -shm file, and a state file
      // truncated or on a full tmpfs under a running job then kills the process with SIGBUS: no message, no resume
      // line. With the journal every fault is an error SQLite returns (stateError). No mmap of the file either.
      // Readers (ferry status) wait out a commit through the busy timeout. FULL: a commit survives a power cut.
      if (!memory) db.pragma('journal_mode = TRUNCATE');
      db.pragma('mmap_size = 0');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, this.path, undefined, () => this.iso());
    } catch (e) {
      try {
        db?.close();
      } catch {
        /* already failing */
      }
      throw stateError(e, 'open', this.path);
    }
    this.db = db;
    this.reports = new SqliteReports({
      db,
      now: () => this.now(),
      iso: (ms) => this.iso(ms),
      read: (what, fn) => this.read(what, fn),
      tx: (what, fn) => this.tx(what, fn),
    });
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private iso(ms: number = this.now()): string {
    return new Date(ms).toISOString();
  }

  /** Run `fn` in a BEGIN IMMEDIATE transaction, mapping SQLite errors to FerryError STATE. */
  private tx<T>(what: string, fn: () => T): T {
    this.assertOpen();
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      throw stateError(e, what, this.path);
    }
  }

  private read<T>(what: string, fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (e) {
      throw stateError(e, what, this.path);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new FerryError('INTERNAL', `state database ${this.path} is closed`);
  }

  private requireJob(jobId: string): JobRow {
    const row = this.db.prepare<[string], JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(jobId);
    if (!row) {
      throw new FerryError('JOB_NOT_FOUND', `no job ${jobId} in ${this.path}`, {
        hint: 'list jobs with `ferry status`; check --state',
      });
    }
    return row;
  }

  private lockRow(jobId: string): LockRow | undefined {
    return this.db.prepare<[string], LockRow>('SELECT * FROM runner_locks WHERE job_id = ?').get(jobId);
  }

  /** Whether a lock row still binds other runners: unexpired, and not held by a dead process on this host. */
  private isLive(row: LockRow, now: number): boolean {
    if (row.expires_at <= now) return false;
    if (row.host === this.host && row.pid !== this.pid && !this.isProcessAlive(row.pid)) return false;
    return true;
  }

  private insertEvent(jobId: string, type: string, data: Record<string, unknown>): void {
    this.db
      .prepare('INSERT INTO events (job_id, at, type, data) VALUES (?, ?, ?, ?)')
      .run(jobId, this.iso(), type, toJson(redactDeep(data)));
  }

  private lostLease(lease: RunnerLease, row: LockRow | undefined, doing: string): FerryError {
    const by = row
      ? `it was taken over by pid ${row.pid} on host ${row.host} since ${row.since}`
      : 'it was released or taken over and released';
    return new FerryError('JOB_LOCKED', `cannot ${doing}: this runner lost the lock of job ${lease.jobId}; ${by}`, {
      hint: 'another runner owns the job now; this one must stop without writing more',
      details: { lease: { token: lease.token, holder: lease.holder }, holder: row ? toHolder(row) : undefined },
    });
  }

  // ---- jobs ----------------------------------------------------------------------------------------------------

  /**
   * Creates a job. With `claim` (what `ferry run` does), in the same transaction: refused (PLAN_RUNNING, naming the
   * job and its runner) while another job of the same plan name holds a live runner lock, and the new job's lock is
   * taken for this process — so two `ferry run` started together, or `--new` beside a running job, cannot both run.
   */
  async createJob(job: NewJob, opts: { claim?: boolean; ttlMs?: number } = {}): Promise<JobRecord> {
    return this.tx('create job', () => {
      const now = this.now();
      const at = this.iso(now);
      const running = opts.claim !== true ? undefined : this.db
        .prepare<[string], LockRow>(
          `SELECT l.* FROM runner_locks l JOIN jobs j ON j.id = l.job_id
           WHERE j.plan_name = ? AND j.status IN ('running', 'interrupted') ORDER BY l.since`,
        )
        .all(job.planName)
        .find((row) => this.isLive(row, now));
      if (running) throw planRunningError(toJob(this.requireJob(running.job_id)), toHolder(running));
      const insert = this.db.prepare(
        `INSERT INTO jobs (id, plan_name, plan_hash, plan_path, kind, plan_text, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?) ON CONFLICT (id) DO NOTHING`,
      );
      for (let attempt = 0; attempt < 20; attempt++) {
        const id = newJobId(now);
        const r = insert.run(id, job.planName, job.planHash, job.planPath ?? null, job.kind, job.planText, at, at);
        if (r.changes === 1) {
          if (opts.claim !== true) return toJob(this.requireJob(id));
          // The runner lock of this process: its own acquireRunner keeps this token (same pid and host).
          this.db
            .prepare('INSERT INTO runner_locks (job_id, token, pid, host, since, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
            .run(id, newToken(), this.pid, this.host, at, now + Math.max(1, Math.floor(opts.ttlMs ?? DEFAULT_CLAIM_TTL_MS)));
          return toJob(this.requireJob(id));
        }
      }
      throw new FerryError('INTERNAL', 'could not allocate a unique job id');
    });
  }

  async findUnfinishedJob(planName: string, planHash: string): Promise<JobRecord | undefined> {
    return this.read('find job', () => {
      const row = this.db
        .prepare<[string, string], JobRow>(
          `SELECT ${JOB_COLUMNS} FROM jobs WHERE plan_name = ? AND plan_hash = ? AND status <> 'succeeded'
           ORDER BY created_at DESC, id DESC LIMIT 1`,
        )
        .get(planName, planHash);
      return row ? toJob(row) : undefined;
    });
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.read('get job', () => {
      const row = this.db.prepare<[string], JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(jobId);
      return row ? toJob(row) : undefined;
    });
  }

  async getPlanText(jobId: string): Promise<string | undefined> {
    return this.read('get plan', () =>
      this.db.prepare<[string], { plan_text: string }>('SELECT plan_text FROM jobs WHERE id = ?').get(jobId)
        ?.plan_text,
    );
  }

  /** Newest first. Optional filters beyond the contract: plan name, status, and a row limit. */
  async listJobs(opts: { planName?: string; status?: JobStatus; limit?: number } = {}): Promise<JobRecord[]> {
    return this.read('list jobs', () => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (opts.planName !== undefined) {
        where.push('plan_name = ?');
        args.push(opts.planName);
      }
      if (opts.status !== undefined) {
        where.push('status = ?');
        args.push(opts.status);
      }
      const sql =
        `SELECT ${JOB_COLUMNS} FROM jobs` +
        (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
        ' ORDER BY created_at DESC, id DESC' +
        (opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '');
      return this.db.prepare<unknown[], JobRow>(sql).all(...args).map(toJob);
    });
  }

  /**
   * `finished_at` is set when the status becomes `succeeded` or `failed` and cleared when it goes back to
   * `running`/`interrupted`. `error` is replaced by the given one (redacted), or cleared when none is given.
   */
  async setJobStatus(jobId: string, status: JobStatus, error?: string): Promise<void> {
    this.tx('set job status', () => {
      this.requireJob(jobId);
      const at = this.iso();
      const finished = status === 'succeeded' || status === 'failed' ? at : null;
      this.db
        .prepare('UPDATE jobs SET status = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?')
        .run(status, error === undefined ? null : redact(error), at, finished, jobId);
    });
  }

  // ---- runner lock ---------------------------------------------------------------------------------------------

  async acquireRunner(jobId: string, ttlMs: number): Promise<RunnerLease> {
    return this.tx('acquire runner lock', () => {
      this.requireJob(jobId);
      const now = this.now();
      const expiresAt = now + Math.max(1, Math.floor(ttlMs));
      const row = this.lockRow(jobId);

      if (row && row.pid === this.pid && row.host === this.host) {
        // This very process already holds it: keep the token, extend the lease.
        this.db.prepare('UPDATE runner_locks SET expires_at = ? WHERE job_id = ?').run(expiresAt, jobId);
        return { jobId, token: row.token, holder: toHolder(row), expiresAt };
      }
      if (row && this.isLive(row, now)) {
        const holder = toHolder(row);
        const inS = Math.max(1, Math.ceil((row.expires_at - now) / 1000));
        throw new FerryError(
          'JOB_LOCKED',
          `job ${jobId} is being run by pid ${holder.pid} on host ${holder.host} since ${holder.since}`,
          {
            hint:
              `wait for it to finish, or stop it; a killed runner's lock expires after ${inS} s ` +
              `(at ${this.iso(row.expires_at)}), or at once for a runner on this host that is gone`,
            details: { holder, expiresAt: row.expires_at },
          },
        );
      }

      const token = newToken();
      const since = this.iso(now);
      this.db
        .prepare(
          `INSERT INTO runner_locks (job_id, token, pid, host, since, expires_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (job_id) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
             since = excluded.since, expires_at = excluded.expires_at`,
        )
        .run(jobId, token, this.pid, this.host, since, expiresAt);
      if (row) {
        this.insertEvent(jobId, 'runner.takeover', {
          previous: toHolder(row),
          reason: row.expires_at <= now ? 'expired' : 'holder-gone',
          expiredAt: this.iso(row.expires_at),
          by: { pid: this.pid, host: this.host },
        });
      }
      return { jobId, token, holder: { pid: this.pid, host: this.host, since }, expiresAt };
    });
  }

  async renewRunner(lease: RunnerLease, ttlMs: number): Promise<RunnerLease> {
    return this.tx('renew runner lock', () => {
      const row = this.lockRow(lease.jobId);
      if (!row || row.token !== lease.token) throw this.lostLease(lease, row, 'renew the lock');
      const expiresAt = this.now() + Math.max(1, Math.floor(ttlMs));
      this.db.prepare('UPDATE runner_locks SET expires_at = ? WHERE job_id = ?').run(expiresAt, lease.jobId);
      return { ...lease, holder: toHolder(row), expiresAt };
    });
  }

  /** Drops the lock if this lease still holds it; a no-op otherwise (releasing is never an error). */
  async releaseRunner(lease: RunnerLease): Promise<void> {
    this.tx('release runner lock', () => {
      this.db.prepare('DELETE FROM runner_locks WHERE job_id = ? AND token = ?').run(lease.jobId, lease.token);
    });
  }

  /** The holder, if the lock binds: unexpired, and not left by a dead process on this host. */
  async runnerOf(jobId: string): Promise<RunnerHolder | undefined> {
    return this.read('read runner lock', () => {
      const row = this.lockRow(jobId);
      return row && this.isLive(row, this.now()) ? toHolder(row) : undefined;
    });
  }

  // ---- segments ------------------------------------------------------------------------------------------------

  async ensureSegments(jobId: string, segments: readonly (Segment & { target: string })[]): Promise<void> {
    this.tx('record segments', () => {
      this.requireJob(jobId);
      const at = this.iso();
      const insert = this.db.prepare(
        `INSERT INTO segments (job_id, id, stream, target, seg_index, seg_total, spec, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, id) DO NOTHING`,
      );
      for (const s of segments) {
        insert.run(jobId, s.id, s.stream, s.target, s.index, s.total, toJson(s.spec), at, at);
      }
    });
  }

  /** In stream order, then segment index. */
  async listSegments(jobId: string): Promise<SegmentState[]> {
    return this.read('list segments', () =>
      this.db
        .prepare<[string], SegmentRow>(
          'SELECT * FROM segments WHERE job_id = ? ORDER BY stream, seg_index, id',
        )
        .all(jobId)
        .map(toSegment),
    );
  }

  async setSegmentStatus(jobId: string, segmentId: string, status: SegmentStatus): Promise<void> {
    this.tx('set segment status', () => {
      const r = this.db
        .prepare('UPDATE segments SET status = ?, updated_at = ? WHERE job_id = ? AND id = ?')
        .run(status, this.iso(), jobId, segmentId);
      if (r.changes === 0) {
        throw new FerryError('NOT_FOUND', `job ${jobId} has no segment ${segmentId}`);
      }
    });
  }

  /**
   * One transaction: check the lease token, move the cursor (an undefined cursor keeps the previous one), add the
   * totals (`rejected` grows by the number of dead letters), insert the dead letters, mark the segment done when
   * `done` (else running), append a history row and prune the history to the last N rows of this segment.
   * Refuses a token mismatch (JOB_LOCKED) and a commit to a segment already done (INTERNAL: it would count twice).
   */
  async commit(lease: RunnerLease, segmentId: string, input: CommitInput): Promise<void> {
    this.tx('commit checkpoint', () => {
      const { jobId } = lease;
      const lock = this.lockRow(jobId);
      if (!lock || lock.token !== lease.token) throw this.lostLease(lease, lock, `commit segment ${segmentId}`);
      const seg = this.db
        .prepare<[string, string], SegmentRow>('SELECT * FROM segments WHERE job_id = ? AND id = ?')
        .get(jobId, segmentId);
      if (!seg) throw new FerryError('NOT_FOUND', `job ${jobId} has no segment ${segmentId}`);
      if (seg.status === 'done') {
        throw new FerryError('INTERNAL', `segment ${segmentId} of job ${jobId} is already done; refusing a commit`);
      }

      const now = this.now();
      const at = this.iso(now);
      const rejected = input.deadLetters.length;
      const seq = seg.commits + 1;
      this.db
        .prepare(
          `UPDATE segments SET cursor = coalesce(?, cursor), items = items + ?, bytes = bytes + ?,
             rejected = rejected + ?, status = ?, commits = ?, updated_at = ?
           WHERE job_id = ? AND id = ?`,
        )
        .run(
          input.cursor ?? null,
          input.items,
          input.bytes,
          rejected,
          input.done ? 'done' : 'running',
          seq,
          at,
          jobId,
          segmentId,
        );

      if (rejected > 0) {
        const insert = this.db.prepare(
          `INSERT INTO dead_letters (job_id, segment_id, stream, key, reason, payload, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const d of input.deadLetters) {
          insert.run(jobId, segmentId, d.stream, d.key, redact(d.reason), truncatePayload(d.payload), at);
        }
      }

      this.db
        .prepare(
          `INSERT INTO checkpoints (job_id, segment_id, seq, cursor, items, bytes, rejected, at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(jobId, segmentId, seq, input.cursor ?? null, input.items, input.bytes, rejected, now);
      if (seq > this.historyKeep) {
        this.db
          .prepare('DELETE FROM checkpoints WHERE job_id = ? AND segment_id = ? AND seq <= ?')
          .run(jobId, segmentId, seq - this.historyKeep);
      }
      this.db.prepare('UPDATE jobs SET updated_at = ? WHERE id = ?').run(at, jobId);
    });
  }

  /** Checkpoint history (oldest first), for audit and rates; only the last N rows per segment are kept. */
  async checkpoints(jobId: string, opts: { segmentId?: string; sinceMs?: number; limit?: number } = {}): Promise<CheckpointRecord[]> {
    return this.read('read checkpoints', () => {
      const where = ['job_id = ?'];
      const args: unknown[] = [jobId];
      if (opts.segmentId !== undefined) {
        where.push('segment_id = ?');
        args.push(opts.segmentId);
      }
      if (opts.sinceMs !== undefined) {
        where.push('at_ms >= ?');
        args.push(opts.sinceMs);
      }
      const limit = opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '';
      return this.db
        .prepare<unknown[], CheckpointRow>(
          `SELECT * FROM checkpoints WHERE ${where.join(' AND ')} ORDER BY at_ms, segment_id, seq${limit}`,
        )
        .all(...args)
        .map((r) => ({
          jobId: r.job_id,
          segmentId: r.segment_id,
          seq: r.seq,
          cursor: r.cursor ?? undefined,
          items: r.items,
          bytes: r.bytes,
          rejected: r.rejected,
          at: this.iso(r.at_ms),
          atMs: r.at_ms,
        }));
    });
  }

  /** Segment counts by status and summed totals, for `ferry status`. */
  async jobTotals(jobId: string): Promise<JobTotals> {
    return this.read('sum segments', () => {
      const r = this.db
        .prepare<[string], Record<keyof JobTotals, number | null>>(
          `SELECT count(*) AS segments,
             sum(status = 'pending') AS pending, sum(status = 'running') AS running,
             sum(status = 'done') AS done, sum(status = 'failed') AS failed,
             sum(items) AS items, sum(bytes) AS bytes, sum(rejected) AS rejected
           FROM segments WHERE job_id = ?`,
        )
        .get(jobId);
      return {
        segments: r?.segments ?? 0,
        pending: r?.pending ?? 0,
        running: r?.running ?? 0,
        done: r?.done ?? 0,
        failed: r?.failed ?? 0,
        items: r?.items ?? 0,
        bytes: r?.bytes ?? 0,
        rejected: r?.rejected ?? 0,
      };
    });
  }

  // ---- dead letters, events, verify results ----------------------------------------------------------------------

  /** Oldest first. */
  /** Oldest first; `afterId` pages through them (the id of the last row of the page before). */
  async deadLetters(jobId: string, opts: { limit?: number; segmentId?: string; afterId?: number } = {}): Promise<DeadLetterRecord[]> {
    return this.read('read dead letters', () => {
      const args: unknown[] = [jobId];
      let sql = 'SELECT * FROM dead_letters WHERE job_id = ?';
      if (opts.afterId !== undefined) {
        sql += ' AND id > ?';
        args.push(opts.afterId);
      }
      if (opts.segmentId !== undefined) {
        sql += ' AND segment_id = ?';
        args.push(opts.segmentId);
      }
      sql += ' ORDER BY id';
      if (opts.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(opts.limit))}`;
      return this.db
        .prepare<unknown[], DeadLetterRow>(sql)
        .all(...args)
        .map((r) => ({
          id: r.id,
          jobId: r.job_id,
          segmentId: r.segment_id,
          stream: r.stream,
          key: r.key,
          reason: r.reason,
          ...(r.payload === null ? {} : { payload: r.payload }),
          createdAt: r.created_at,
        }));
    });
  }

  async countDeadLetters(jobId: string): Promise<number> {
    return this.read('count dead letters', () =>
      this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM dead_letters WHERE job_id = ?').get(jobId)
        ?.n ?? 0,
    );
  }

  /** String values anywhere in `data` are redacted before they are stored. */
  async appendEvent(jobId: string, type: string, data: Record<string, unknown>): Promise<void> {
    this.tx('append event', () => {
      this.requireJob(jobId);
      this.insertEvent(jobId, type, data);
    });
  }

  /** Oldest first; `afterId` to follow a running job. */
  async events(jobId: string, opts: { afterId?: number; limit?: number } = {}): Promise<JobEvent[]> {
    return this.read('read events', () => {
      const limit = opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '';
      return this.db
        .prepare<[string, number], { id: number; job_id: string; at: string; type: string; data: string }>(
          `SELECT * FROM events WHERE job_id = ? AND id > ? ORDER BY id${limit}`,
        )
        .all(jobId, opts.afterId ?? 0)
        .map((r) => ({
          id: r.id,
          jobId: r.job_id,
          at: r.at,
          type: r.type,
          data: JSON.parse(r.data) as Record<string, unknown>,
        }));
    });
  }

  /** The report is stored as JSON as given (it holds record keys, which redaction could mangle). */
  async saveVerifyResult(jobId: string, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void> {
    this.tx('save verify result', () => {
      this.requireJob(jobId);
      this.db
        .prepare('INSERT INTO verify_results (job_id, stream, verifier, outcome, report, at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(jobId, result.stream, result.verifier, result.outcome, toJson(result.report), this.iso());
    });
  }

  /** Oldest first. */
  async verifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]> {
    return this.read('read verify results', () =>
      this.db
        .prepare<[string], { stream: string; verifier: string; outcome: string; report: string; at: string }>(
          'SELECT stream, verifier, outcome, report, at FROM verify_results WHERE job_id = ? ORDER BY id',
        )
        .all(jobId)
        .map((r) => ({ ...r, report: JSON.parse(r.report) as unknown })),
    );
  }

  // ---- partial uploads -----------------------------------------------------------------------------------------

  /** Records an upload the holder of `lease` started; refuses a lease that no longer holds the job. */
  async recordUpload(lease: RunnerLease, store: string, upload: PartialUpload): Promise<void> {
    this.tx('record a partial upload', () => {
      const row = this.lockRow(lease.jobId);
      if (!row || row.token !== lease.token) throw this.lostLease(lease, row, 'record a partial upload');
      this.db
        .prepare(
          `INSERT INTO partial_uploads (store, name, upload_id, job_id, owner, started_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (store, name, upload_id) DO UPDATE SET job_id = excluded.job_id, owner = excluded.owner`,
        )
        .run(store, upload.name, upload.id, lease.jobId, lease.token, this.iso());
    });
  }

  async forgetUpload(store: string, upload: PartialUpload): Promise<void> {
    this.tx('forget a partial upload', () => {
      this.db.prepare('DELETE FROM partial_uploads WHERE store = ? AND name = ? AND upload_id = ?').run(store, upload.name, upload.id);
    });
  }

  /**
   * Uploads recorded under `prefix` of `store`, by any job of this state, whose owner no longer holds a live runner
   * lock (the process died, or its lease expired and was taken over): those nobody will finish. Oldest first.
   */
  async orphanUploads(store: string, prefix: string): Promise<(PartialUpload & { jobId: string; startedAt: string; siblings: string[] })[]> {
    return this.read('read partial uploads', () => {
      const now = this.now();
      const rows = this.db
        .prepare<[string, string, string], { name: string; upload_id: string; job_id: string; owner: string; started_at: string }>(
          `SELECT name, upload_id, job_id, owner, started_at FROM partial_uploads
           WHERE store = ? AND substr(name, 1, length(?)) = ? ORDER BY started_at, name`,
        )
        .all(store, prefix, prefix);
      const siblings = this.db.prepare<[string, string, string], { upload_id: string }>(
        'SELECT upload_id FROM partial_uploads WHERE store = ? AND name = ? AND upload_id <> ?',
      );
      return rows
        .filter((r) => {
          const lock = this.lockRow(r.job_id);
          return !lock || lock.token !== r.owner || !this.isLive(lock, now);
        })
        .map((r) => ({
          name: r.name,
          id: r.upload_id,
          jobId: r.job_id,
          startedAt: r.started_at,
          siblings: siblings.all(store, r.name, r.upload_id).map((x) => x.upload_id),
        }));
    });
  }

  // ---- reports (reports.ts) ----------------------------------------------------------------------------------

  newPlanVerifyRunId(): Promise<string> {
    return this.reports.newPlanVerifyRunId();
  }

  savePlanVerifyResult(run: PlanVerifyRun, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void> {
    return this.reports.savePlanVerifyResult(run, result);
  }

  planVerifyResults(filter: { planName?: string; runId?: string } = {}): Promise<PlanVerifyResultRecord[]> {
    return this.reports.planVerifyResults(filter);
  }

  saveDryRunReport(input: { planName: string; planHash: string; verdict: 'ready' | 'blocked'; report: unknown }): Promise<DryRunReportRecord> {
    return this.reports.saveDryRunReport(input);
  }

  listDryRunReports(opts: { planName?: string; limit?: number } = {}): Promise<DryRunReportRecord[]> {
    return this.reports.listDryRunReports(opts);
  }

  getDryRunReport(id: string): Promise<(DryRunReportRecord & { report: unknown }) | undefined> {
    return this.reports.getDryRunReport(id);
  }

  listStoredReports(opts: { planName?: string; kind?: 'dry-run' | 'verify'; limit?: number } = {}): Promise<StoredReportSummary[]> {
    return this.reports.listStoredReports(opts);
  }

  latestVerifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]> {
    return this.reports.latestVerifyResults(jobId);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------------------

  /** Schema version of the open DB. */
  async schemaVersion(): Promise<number> {
    return this.read('read schema version', () => currentSchemaVersion(this.db));
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/**
 * Open (creating it and its directory if needed) and migrate the state DB. `path` defaults to `state/ferry.db`
 * relative to the working directory; `:memory:` gives a private in-memory store (tests).
 */
export function openStateStore(path: string = DEFAULT_STATE_PATH, opts: StateStoreOptions = {}): SqliteStateStore {
  return new SqliteStateStore(path, opts);
}
