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
import { FerryError, isFerryError, redact } from '../errors.js';
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
} from '../core/checkpoint.js';
import type {
  CheckpointRecord,
  DryRunReportRecord,
  JobTotals,
  PlanVerifyResultRecord,
  PlanVerifyRun,
  StateStore,
  StoredReportSummary,
} from '../core/state-store.js';
import type { Segment } from '../core/stream.js';
import type { PartialUpload } from '../core/upload-ledger.js';
import { newJobId, newToken } from './ids.js';
import { currentSchemaVersion, migrate } from './migrations.js';

export type { CheckpointRecord, DryRunReportRecord, JobTotals, PlanVerifyResultRecord, PlanVerifyRun, StoredReportSummary };

/** Where the state DB lives unless `--state PATH` says otherwise; relative to the working directory. */
export const DEFAULT_STATE_PATH = 'state/ferry.db';

/** How long the runner lock taken with a new job binds before its runner's first renewal. */
export const DEFAULT_CLAIM_TTL_MS = 30_000;

/** Dead-letter payloads longer than this (in characters) are truncated, with a marker. */
export const MAX_DEAD_LETTER_PAYLOAD = 64 * 1024;

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

interface JobRow {
  id: string;
  plan_name: string;
  plan_hash: string;
  plan_path: string | null;
  kind: string;
  status: JobStatus;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  error: string | null;
}

interface SegmentRow {
  job_id: string;
  id: string;
  stream: string;
  target: string;
  seg_index: number;
  seg_total: number;
  spec: string;
  cursor: string | null;
  status: SegmentStatus;
  items: number;
  bytes: number;
  rejected: number;
  commits: number;
  updated_at: string;
}

interface LockRow {
  job_id: string;
  token: string;
  pid: number;
  host: string;
  since: string;
  expires_at: number;
}

interface DeadLetterRow {
  id: number;
  job_id: string;
  segment_id: string;
  stream: string;
  key: string;
  reason: string;
  payload: string | null;
  created_at: string;
}

interface CheckpointRow {
  job_id: string;
  segment_id: string;
  seq: number;
  cursor: string | null;
  items: number;
  bytes: number;
  rejected: number;
  at_ms: number;
}

const JOB_COLUMNS =
  'id, plan_name, plan_hash, plan_path, kind, status, created_at, updated_at, finished_at, error';

function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    planName: r.plan_name,
    planHash: r.plan_hash,
    planPath: r.plan_path ?? undefined,
    kind: r.kind,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at ?? undefined,
    error: r.error ?? undefined,
  };
}

function toSegment(r: SegmentRow): SegmentState {
  return {
    jobId: r.job_id,
    id: r.id,
    stream: r.stream,
    target: r.target,
    index: r.seg_index,
    total: r.seg_total,
    spec: JSON.parse(r.spec) as unknown,
    cursor: r.cursor ?? undefined,
    status: r.status,
    items: r.items,
    bytes: r.bytes,
    rejected: r.rejected,
    updatedAt: r.updated_at,
  };
}

function toHolder(r: LockRow): RunnerHolder {
  return { pid: r.pid, host: r.host, since: r.since };
}

/** JSON text that survives bigint (as a decimal string) and rejects nothing else silently. */
function toJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Redact every string inside a JSON-like value (keys are left alone). */
function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out;
  }
  return value;
}

function truncatePayload(payload: string | undefined): string | null {
  if (payload === undefined) return null;
  if (payload.length <= MAX_DEAD_LETTER_PAYLOAD) return payload;
  return `${payload.slice(0, MAX_DEAD_LETTER_PAYLOAD)}…[truncated, ${payload.length} chars]`;
}

function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Translate a SQLite failure into the taxonomy; FerryErrors pass through. */
function stateError(e: unknown, what: string, where: string): FerryError {
  if (isFerryError(e)) return e;
  const code = (e as { code?: unknown }).code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new FerryError('STATE', `state database ${where} is busy (${what}): ${msg}`, {
      retry: 'transient',
      hint: 'another process holds it locked (another ferry, or a tool reading the file): let it finish, then retry',
      cause: e,
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new FerryError('STATE', `${where} is not a usable ferry state database (${what}): ${msg}`, {
      hint: 'point --state at a ferry state file, or at a new path to start afresh',
      cause: e,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new FerryError('STATE', `the disk holding the state database ${where} is full (${what}); nothing after the last checkpoint was recorded`, {
      hint: 'free space on that disk (or move the state with --state to a disk with room)',
      cause: e,
    });
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR')) {
    return new FerryError('STATE', `the state database ${where} could not be read or written (${what}: ${code}): ${redact(msg)}`, {
      hint: 'check the disk and the file (was it removed, truncated, or made unwritable while the job ran?)',
      cause: e,
    });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new FerryError('STATE', `cannot write the state database ${where} (${what}): ${msg}`, {
      hint: 'check that the directory exists and is writable, or choose another path with --state',
      cause: e,
    });
  }
  return new FerryError('STATE', `state database ${where}: ${what} failed: ${redact(msg)}`, { cause: e });
}

/** A second job of a plan refused while one runs (exit 2), naming the running job and its runner. */
export function planRunningError(job: JobRecord, holder: RunnerHolder): FerryError {
  return new FerryError(
    'PLAN_RUNNING',
    `plan "${job.planName}" is already running as job ${job.id} (pid ${holder.pid} on host ${holder.host}, since ${holder.since}); ferry runs one job of a plan at a time on a state`,
    {
      hint: `watch it with \`ferry status ${job.id}\`, or stop that runner first (Ctrl-C); a killed runner's lock is taken over at once on its host, else when its lease expires`,
      details: { jobId: job.id, holder },
    },
  );
}

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

  // ---- plan verifications (no job) ------------------------------------------------------------------------------

  /** A new id for one `ferry verify PLAN` run: `vr-` + a job-style id. */
  async newPlanVerifyRunId(): Promise<string> {
    return `vr-${newJobId(this.now())}`;
  }

  /** One result of `ferry verify PLAN` (a plan verified without a job), under its run. */
  async savePlanVerifyResult(run: PlanVerifyRun, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void> {
    this.tx('save plan verify result', () => {
      this.db
        .prepare(
          'INSERT INTO plan_verify_results (run_id, plan_name, plan_hash, plan_path, stream, verifier, outcome, report, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(run.runId, run.planName, run.planHash, run.planPath ?? null, result.stream, result.verifier, result.outcome, toJson(result.report), this.iso());
    });
  }

  /** Results of plan verifications, oldest first: of one plan, or of one run. */
  async planVerifyResults(filter: { planName?: string; runId?: string } = {}): Promise<PlanVerifyResultRecord[]> {
    return this.read('read plan verify results', () => {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.planName !== undefined) {
        where.push('plan_name = ?');
        params.push(filter.planName);
      }
      if (filter.runId !== undefined) {
        where.push('run_id = ?');
        params.push(filter.runId);
      }
      return this.db
        .prepare<
          string[],
          { run_id: string; plan_name: string; plan_hash: string; plan_path: string | null; stream: string; verifier: string; outcome: string; report: string; at: string }
        >(
          `SELECT run_id, plan_name, plan_hash, plan_path, stream, verifier, outcome, report, at FROM plan_verify_results ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
        )
        .all(...params)
        .map((r) => ({
          runId: r.run_id,
          planName: r.plan_name,
          planHash: r.plan_hash,
          ...(r.plan_path !== null ? { planPath: r.plan_path } : {}),
          stream: r.stream,
          verifier: r.verifier,
          outcome: r.outcome,
          report: JSON.parse(r.report) as unknown,
          at: r.at,
        }));
    });
  }

  // ---- dry runs -------------------------------------------------------------------------------------------------

  /**
   * Record one `ferry plan dry-run` report (the only row a dry run writes: no job). The report is stored as JSON as
   * given; the caller keeps secrets out of it. Returns the row's id (`dr-` + a job-style id).
   */
  async saveDryRunReport(input: { planName: string; planHash: string; verdict: 'ready' | 'blocked'; report: unknown }): Promise<DryRunReportRecord> {
    return this.tx('save dry-run report', () => {
      const createdAt = this.iso();
      for (let attempt = 0; ; attempt++) {
        const id = `dr-${newJobId(this.now())}`;
        const taken = this.db.prepare('SELECT 1 FROM dry_run_reports WHERE id = ?').get(id);
        if (taken && attempt < 5) continue;
        this.db
          .prepare('INSERT INTO dry_run_reports (id, plan_name, plan_hash, created_at, verdict, report_json) VALUES (?, ?, ?, ?, ?, ?)')
          .run(id, input.planName, input.planHash, createdAt, input.verdict, toJson(input.report));
        return { id, planName: input.planName, planHash: input.planHash, createdAt, verdict: input.verdict };
      }
    });
  }

  /** Dry-run reports, newest first (without their JSON), optionally of one plan. */
  async listDryRunReports(opts: { planName?: string; limit?: number } = {}): Promise<DryRunReportRecord[]> {
    return this.read('list dry-run reports', () => {
      const where = opts.planName !== undefined ? 'WHERE plan_name = ?' : '';
      const params: unknown[] = opts.planName !== undefined ? [opts.planName] : [];
      params.push(Math.max(1, Math.floor(opts.limit ?? 1000)));
      return this.db
        .prepare<unknown[], { id: string; plan_name: string; plan_hash: string; created_at: string; verdict: 'ready' | 'blocked' }>(
          `SELECT id, plan_name, plan_hash, created_at, verdict FROM dry_run_reports ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
        )
        .all(...params)
        .map((r) => ({ id: r.id, planName: r.plan_name, planHash: r.plan_hash, createdAt: r.created_at, verdict: r.verdict }));
    });
  }

  /** One stored dry-run report with its JSON, or undefined. */
  async getDryRunReport(id: string): Promise<(DryRunReportRecord & { report: unknown }) | undefined> {
    return this.read('read dry-run report', () => {
      const r = this.db
        .prepare<[string], { id: string; plan_name: string; plan_hash: string; created_at: string; verdict: 'ready' | 'blocked'; report_json: string }>(
          'SELECT id, plan_name, plan_hash, created_at, verdict, report_json FROM dry_run_reports WHERE id = ?',
        )
        .get(id);
      if (!r) return undefined;
      return { id: r.id, planName: r.plan_name, planHash: r.plan_hash, createdAt: r.created_at, verdict: r.verdict, report: JSON.parse(r.report_json) as unknown };
    });
  }

  // ---- stored reports (ferry reports) ---------------------------------------------------------------------------

  /**
   * Dry runs, plan verification runs and job verifications in one list, newest first (ties: id descending), so
   * `--limit` cuts the merged list rather than each kind. The outcome of a verification combines its results as
   * `overallOutcome` does (differ, else inconclusive, else match).
   */
  async listStoredReports(opts: { planName?: string; kind?: 'dry-run' | 'verify'; limit?: number } = {}): Promise<StoredReportSummary[]> {
    return this.read('list stored reports', () => {
      const combined = `CASE WHEN sum(outcome = 'differ') > 0 THEN 'differ' WHEN sum(outcome = 'inconclusive') > 0 THEN 'inconclusive' ELSE 'match' END`;
      const parts: string[] = [];
      if (opts.kind === undefined || opts.kind === 'dry-run') {
        parts.push(`SELECT id, 'dry-run' AS kind, NULL AS job_id, plan_name, created_at AS at, verdict AS outcome,
            (SELECT count(*) FROM json_each(report_json, '$.findings') WHERE json_extract(value, '$.severity') = 'blocker') AS blockers,
            (SELECT count(*) FROM json_each(report_json, '$.findings') WHERE json_extract(value, '$.severity') = 'warning') AS warnings,
            coalesce(json_array_length(report_json, '$.streams'), 0) AS streams, NULL AS checks
          FROM dry_run_reports`);
      }
      if (opts.kind === undefined || opts.kind === 'verify') {
        parts.push(`SELECT run_id AS id, 'verify' AS kind, NULL AS job_id, min(plan_name) AS plan_name, max(at) AS at, ${combined} AS outcome,
            NULL AS blockers, NULL AS warnings, count(DISTINCT stream) AS streams, count(*) AS checks
          FROM plan_verify_results GROUP BY run_id`);
        // A job's current state: the newest row of each (stream, verifier), as a re-verification replaces it.
        parts.push(`SELECT l.job_id AS id, 'verify' AS kind, l.job_id AS job_id, j.plan_name AS plan_name, max(l.at) AS at, ${combined} AS outcome,
            NULL AS blockers, NULL AS warnings, count(DISTINCT l.stream) AS streams, count(*) AS checks
          FROM (SELECT job_id, stream, outcome, at,
                  row_number() OVER (PARTITION BY job_id, stream, verifier ORDER BY id DESC) AS rn
                FROM verify_results) l
          JOIN jobs j ON j.id = l.job_id
          WHERE l.rn = 1 GROUP BY l.job_id, j.plan_name`);
      }
      const params: unknown[] = [];
      let where = '';
      if (opts.planName !== undefined) {
        where = 'WHERE plan_name = ?';
        params.push(opts.planName);
      }
      params.push(Math.max(1, Math.floor(opts.limit ?? 1000)));
      return this.db
        .prepare<unknown[], { id: string; kind: 'dry-run' | 'verify'; job_id: string | null; plan_name: string; at: string; outcome: string; blockers: number | null; warnings: number | null; streams: number; checks: number | null }>(
          `SELECT * FROM (${parts.join('\n UNION ALL \n')}) ${where} ORDER BY at DESC, id DESC LIMIT ?`,
        )
        .all(...params)
        .map((r) => ({
          id: r.id,
          kind: r.kind,
          ...(r.job_id !== null ? { jobId: r.job_id } : {}),
          planName: r.plan_name,
          at: r.at,
          outcome: r.outcome,
          ...(r.blockers !== null ? { blockers: r.blockers } : {}),
          ...(r.warnings !== null ? { warnings: r.warnings } : {}),
          streams: r.streams,
          ...(r.checks !== null ? { checks: r.checks } : {}),
        }));
    });
  }

  /** A job's latest verify result of each stream and verifier (what `ferry status` combines), oldest first. */
  async latestVerifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]> {
    return this.read('read latest verify results', () =>
      this.db
        .prepare<[string], { stream: string; verifier: string; outcome: string; report: string; at: string }>(
          `SELECT stream, verifier, outcome, report, at FROM verify_results v
           WHERE job_id = ? AND id = (SELECT max(id) FROM verify_results w WHERE w.job_id = v.job_id AND w.stream = v.stream AND w.verifier = v.verifier)
           ORDER BY id`,
        )
        .all(jobId)
        .map((r) => ({ ...r, report: JSON.parse(r.report) as unknown })),
    );
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
