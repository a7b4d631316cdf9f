/**
 * The state store over SQL, once for every SQL backend (SQLite embedded, PostgreSQL shared): jobs, segments and their
 * leases, checkpoints, dead letters, events, verify results, partial uploads, reports. The driver (driver.ts) runs
 * the SQL and serialises transactions; every state change here is one transaction.
 *
 * Leases (core/checkpoint.ts):
 * - a runner (one process taking part in a job) holds a lease: a `runners` row with an expiry it renews. It is live
 *   until it expires, or at once when it was a process on this host that no longer exists (a killed runner);
 * - a segment is claimed by a runner: `lease_owner` names the runner, `fence` grows by one at every claim. A segment
 *   whose owner is not live is free to claim; no separate expiry, the runner's heartbeat keeps all its segments;
 * - a commit carries the runner token and the fence taken at claim: a token whose row is gone (released, taken over)
 *   or a fence that grew since (the segment was claimed again) is refused, JOB_LOCKED, nothing written. A lease that
 *   merely expired, with nobody taking over, still commits: the runner was slow and nobody else wrote meanwhile;
 * - job steps (prepare, finish) are rows claimed the same way, done once.
 *
 * Secrets: the plan text is stored as given (the caller passes the YAML with `${env:...}` unexpanded); error
 * strings, dead-letter reasons and string values in event data pass through `redact()`.
 */
import { hostname } from 'node:os';
import type {
  ClaimedSegment,
  CommitInput,
  DeadLetterRecord,
  JobEvent,
  JobRecord,
  JobStatus,
  JobStep,
  NewJob,
  RunnerEnd,
  RunnerHolder,
  RunnerLease,
  SegmentLease,
  SegmentOutput,
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
import { FerryError, redact } from '../../errors.js';
import { JOB_ID_PATTERN, newJobId, newToken } from '../ids.js';
import { defaultIsProcessAlive, planRunningError, redactDeep, toJson, truncatePayload } from '../records.js';
import type { SqlDriver, SqlQuery } from './driver.js';
import { SqlReports } from './reports.js';
import { SqlScheduleSlots } from './schedule.js';
import type { ScheduleSlots } from '../../core/schedule-store.js';
import {
  HELD_SEGMENT_COLUMNS,
  holderRow,
  JOB_COLUMNS,
  toHolder,
  toJob,
  toSegment,
  type CheckpointRow,
  type DeadLetterRow,
  type HeldSegmentRow,
  type JobRow,
  type RunnerRow,
  type SegmentRow,
} from './rows.js';

/** How long the runner lease taken with a new job binds before its runner's first renewal. */
export const DEFAULT_CLAIM_TTL_MS = 30_000;

export interface SqlStoreOptions {
  /** Clock in ms since the epoch; injectable for lease tests. Default `Date.now`. */
  now?: () => number;
  /** Identity of this runner in its lease; default this process's pid and `os.hostname()`. */
  pid?: number;
  host?: string;
  /**
   * Whether a process on this host is alive; used to take over the lease of a killed local runner before it
   * expires. Default: `process.kill(pid, 0)` (ESRCH = gone; EPERM = exists).
   */
  isProcessAlive?: (pid: number) => boolean;
  /** Checkpoint history rows kept per segment (older ones are pruned by each commit). Default 500. */
  checkpointHistory?: number;
}

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export class SqlStateStore implements StateStore {
  /** Where the state is, as messages name it (a file path, or a URL without its password). */
  readonly path: string;
  private readonly now: () => number;
  private readonly pid: number;
  private readonly host: string;
  private readonly isProcessAlive: (pid: number) => boolean;
  private readonly historyKeep: number;
  private readonly reports: SqlReports;
  private closed = false;

  constructor(
    private readonly db: SqlDriver,
    opts: SqlStoreOptions = {},
  ) {
    this.path = db.where;
    this.now = opts.now ?? Date.now;
    this.pid = opts.pid ?? process.pid;
    this.host = opts.host ?? hostname();
    this.isProcessAlive = opts.isProcessAlive ?? defaultIsProcessAlive;
    this.historyKeep = Math.max(1, Math.floor(opts.checkpointHistory ?? 500));
    this.reports = new SqlReports({ db, now: () => this.now(), iso: (ms) => this.iso(ms) });
  }

  /** Scheduled slots (`ferry schedule`), in the same database. */
  scheduleSlots(): ScheduleSlots {
    return new SqlScheduleSlots(this.db, () => this.now());
  }

  /** `sqlite` or `postgres`. */
  get dialect(): SqlDriver['dialect'] {
    return this.db.dialect;
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private iso(ms: number = this.now()): string {
    return new Date(ms).toISOString();
  }

  private tx<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.db.tx(what, fn);
  }

  private read<T>(what: string, fn: (q: SqlQuery) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.db.read(what, fn);
  }

  private assertOpen(): void {
    if (this.closed) throw new FerryError('INTERNAL', `state database ${this.path} is closed`);
  }

  /** The job's row, locked for this transaction where the dialect locks rows: job-wide decisions take turns. */
  private async lockJob(q: SqlQuery, jobId: string): Promise<JobRow> {
    const row = await q.get<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?${this.db.forUpdate}`, [jobId]);
    if (!row) throw this.noJob(jobId);
    return row;
  }

  private async requireJob(q: SqlQuery, jobId: string): Promise<JobRow> {
    const row = await q.get<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, [jobId]);
    if (!row) throw this.noJob(jobId);
    return row;
  }

  private noJob(jobId: string): FerryError {
    return new FerryError('JOB_NOT_FOUND', `no job ${jobId} in ${this.path}`, { hint: 'list jobs with `ferry jobs`; check --state' });
  }

  private runners(q: SqlQuery, jobId: string): Promise<RunnerRow[]> {
    return q.all<RunnerRow>('SELECT * FROM runners WHERE job_id = ? ORDER BY since, token', [jobId]);
  }

  private runnerRow(q: SqlQuery, token: string): Promise<RunnerRow | undefined> {
    return q.get<RunnerRow>('SELECT * FROM runners WHERE token = ?', [token]);
  }

  /** Whether a runner still binds others: unexpired, and not a dead process on this host. */
  private isLive(row: RunnerRow, now: number): boolean {
    if (Number(row.expires_at) <= now) return false;
    if (row.host === this.host && row.pid !== this.pid && !this.isProcessAlive(row.pid)) return false;
    return true;
  }

  private isMine(row: RunnerRow): boolean {
    return row.pid === this.pid && row.host === this.host;
  }

  private async insertEvent(q: SqlQuery, jobId: string, type: string, data: Record<string, unknown>): Promise<void> {
    await q.run('INSERT INTO events (job_id, at, type, data) VALUES (?, ?, ?, ?)', [jobId, this.iso(), type, toJson(redactDeep(data))]);
  }

  /** JOB_LOCKED for a lease whose row is gone, naming who runs the job now. */
  private async lostLease(q: SqlQuery, lease: RunnerLease, doing: string): Promise<FerryError> {
    const now = this.now();
    const live = (await this.runners(q, lease.jobId)).filter((r) => this.isLive(r, now));
    const by = live[0]
      ? `it was taken over by pid ${live[0].pid} on host ${live[0].host} since ${live[0].since}`
      : 'it was released, or taken over after it lapsed';
    return new FerryError('JOB_LOCKED', `cannot ${doing}: this runner lost its lease on job ${lease.jobId}; ${by}`, {
      hint: 'another runner may own the work now; this one must stop without writing more',
      details: { lease: { token: lease.token, holder: lease.holder }, holder: live[0] ? toHolder(live[0]) : undefined },
    });
  }

  private lockedBy(jobId: string, row: RunnerRow, now: number): FerryError {
    const holder = toHolder(row);
    const inS = Math.max(1, Math.ceil((Number(row.expires_at) - now) / 1000));
    const what = row.shared === 1 ? 'is being run by workers, among them' : 'is being run by';
    return new FerryError('JOB_LOCKED', `job ${jobId} ${what} pid ${holder.pid} on host ${holder.host} since ${holder.since}`, {
      hint:
        (row.shared === 1 ? 'add a worker with `ferry worker`, or wait for the workers to finish' : 'wait for it to finish, or stop it') +
        `; a killed runner's lease expires after ${inS} s (at ${this.iso(Number(row.expires_at))}), or at once for a runner on this host that is gone`,
      details: { holder, expiresAt: Number(row.expires_at) },
    });
  }

  // ---- jobs ----------------------------------------------------------------------------------------------------

  /**
   * Creates a job. With `claim` (what `ferry run` does), in the same transaction: refused (PLAN_RUNNING, naming the
   * job and its runner) while another job of the same plan name has a live runner, and this process joins the new
   * job as its exclusive runner — so two `ferry run` started together, or `--new` beside a running job, cannot both
   * run. A chosen `id` that exists is refused (USAGE).
   */
  async createJob(job: NewJob, opts: { claim?: boolean; ttlMs?: number } = {}): Promise<JobRecord> {
    if (job.id !== undefined && !JOB_ID_PATTERN.test(job.id)) {
      throw new FerryError('USAGE', `"${job.id}" is not a job id (YYYYMMDD-HHMMSS-xxxxxx)`, { hint: 'leave the id out for a new one' });
    }
    return this.tx('create job', async (q) => {
      const now = this.now();
      const at = this.iso(now);
      if (opts.claim === true) {
        await this.db.lockKey(q, `plan:${job.planName}`);
        const rows = await q.all<RunnerRow>(
          `SELECT r.* FROM runners r JOIN jobs j ON j.id = r.job_id
           WHERE j.plan_name = ? AND j.status IN ('running', 'interrupted') ORDER BY r.since`,
          [job.planName],
        );
        const running = rows.find((row) => this.isLive(row, now));
        if (running) throw planRunningError(toJob(await this.requireJob(q, running.job_id)), toHolder(running));
      }
      const workers = Math.max(1, Math.floor(job.workers ?? 1));
      for (let attempt = 0; attempt < 20; attempt++) {
        const id = job.id ?? newJobId(now);
        const r = await q.run(
          `INSERT INTO jobs (id, plan_name, plan_hash, plan_path, kind, plan_text, status, created_at, updated_at, workers)
           VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          [id, job.planName, job.planHash, job.planPath ?? null, job.kind, job.planText, at, at, workers],
        );
        if (r.changes === 0 && job.id !== undefined) {
          throw new FerryError('USAGE', `a job ${job.id} already exists in ${this.path}`, { hint: 'choose another id, or leave it out' });
        }
        if (r.changes === 1) {
          if (opts.claim === true) {
            // This process's exclusive runner: its own acquireRunner keeps this token (same pid and host).
            await q.run('INSERT INTO runners (token, job_id, pid, host, since, expires_at, heartbeat_at, shared) VALUES (?, ?, ?, ?, ?, ?, ?, 0)', [
              newToken(),
              id,
              this.pid,
              this.host,
              at,
              now + Math.max(1, Math.floor(opts.ttlMs ?? DEFAULT_CLAIM_TTL_MS)),
              at,
            ]);
          }
          return toJob(await this.requireJob(q, id));
        }
      }
      throw new FerryError('INTERNAL', 'could not allocate a unique job id');
    });
  }

  async findUnfinishedJob(planName: string, planHash: string): Promise<JobRecord | undefined> {
    return this.read('find job', async (q) => {
      const row = await q.get<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM jobs WHERE plan_name = ? AND plan_hash = ? AND status <> 'succeeded'
         ORDER BY created_at DESC, id DESC LIMIT 1`,
        [planName, planHash],
      );
      return row ? toJob(row) : undefined;
    });
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.read('get job', async (q) => {
      const row = await q.get<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, [jobId]);
      return row ? toJob(row) : undefined;
    });
  }

  async getPlanText(jobId: string): Promise<string | undefined> {
    return this.read('get plan', async (q) => (await q.get<{ plan_text: string }>('SELECT plan_text FROM jobs WHERE id = ?', [jobId]))?.plan_text);
  }

  /** Newest first. Optional filters: plan name, status, and a row limit. */
  async listJobs(opts: { planName?: string; status?: JobStatus; limit?: number } = {}): Promise<JobRecord[]> {
    return this.read('list jobs', async (q) => {
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
      return (await q.all<JobRow>(sql, args)).map(toJob);
    });
  }

  /**
   * `finished_at` is set when the status becomes `succeeded` or `failed` and cleared when it goes back to
   * `running`/`interrupted`. `error` is replaced by the given one (redacted), or cleared when none is given.
   */
  async setJobStatus(jobId: string, status: JobStatus, error?: string): Promise<void> {
    await this.tx('set job status', async (q) => {
      await this.lockJob(q, jobId);
      await this.writeStatus(q, jobId, status, error);
    });
  }

  private async writeStatus(q: SqlQuery, jobId: string, status: JobStatus, error: string | undefined): Promise<void> {
    const at = this.iso();
    const finished = status === 'succeeded' || status === 'failed' ? at : null;
    await q.run('UPDATE jobs SET status = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?', [
      status,
      error === undefined ? null : redact(error),
      at,
      finished,
      jobId,
    ]);
  }

  // ---- runners -------------------------------------------------------------------------------------------------

  /**
   * Join the job (see core/checkpoint.ts). Runners that are no longer live are removed on the way, each with a
   * `runner.takeover` event naming it: their segments become free, their uploads orphans.
   */
  async acquireRunner(jobId: string, ttlMs: number, opts: { shared?: boolean } = {}): Promise<RunnerLease> {
    const shared = opts.shared === true;
    return this.tx('acquire runner lease', async (q) => {
      await this.lockJob(q, jobId);
      const now = this.now();
      const at = this.iso(now);
      const expiresAt = now + Math.max(1, Math.floor(ttlMs));
      const rows = await this.runners(q, jobId);

      const mine = rows.find((r) => this.isMine(r));
      const others = rows.filter((r) => r !== mine);
      const live = others.filter((r) => this.isLive(r, now));
      const blocking = shared ? live.find((r) => r.shared !== 1) : live[0];
      if (blocking) throw this.lockedBy(jobId, blocking, now);

      for (const dead of others.filter((r) => !this.isLive(r, now))) {
        await q.run('DELETE FROM runners WHERE token = ?', [dead.token]);
        await this.insertEvent(q, jobId, 'runner.takeover', {
          previous: toHolder(dead),
          reason: Number(dead.expires_at) <= now ? 'expired' : 'holder-gone',
          expiredAt: this.iso(Number(dead.expires_at)),
          by: { pid: this.pid, host: this.host },
        });
      }
      if (mine) {
        // This very process already takes part (a job created with claim): keep the token, extend the lease.
        await q.run('UPDATE runners SET expires_at = ?, heartbeat_at = ?, shared = ? WHERE token = ?', [expiresAt, at, shared ? 1 : 0, mine.token]);
        return { jobId, token: mine.token, holder: { ...toHolder(mine), heartbeatAt: at, shared }, expiresAt, shared };
      }
      const token = newToken();
      await q.run('INSERT INTO runners (token, job_id, pid, host, since, expires_at, heartbeat_at, shared) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        token,
        jobId,
        this.pid,
        this.host,
        at,
        expiresAt,
        at,
        shared ? 1 : 0,
      ]);
      return { jobId, token, holder: { pid: this.pid, host: this.host, since: at, heartbeatAt: at, shared }, expiresAt, shared };
    });
  }

  async renewRunner(lease: RunnerLease, ttlMs: number): Promise<RunnerLease> {
    return this.tx('renew runner lease', async (q) => {
      const now = this.now();
      const at = this.iso(now);
      const expiresAt = now + Math.max(1, Math.floor(ttlMs));
      const r = await q.run('UPDATE runners SET expires_at = ?, heartbeat_at = ? WHERE token = ? AND job_id = ?', [expiresAt, at, lease.token, lease.jobId]);
      if (r.changes === 0) throw await this.lostLease(q, lease, 'renew the lease');
      return { ...lease, holder: { ...lease.holder, heartbeatAt: at }, expiresAt };
    });
  }

  async releaseRunner(lease: RunnerLease, end?: RunnerEnd): Promise<void> {
    await this.tx('release runner lease', async (q) => {
      const job = await this.lockJob(q, lease.jobId);
      const gone = await q.run('DELETE FROM runners WHERE token = ?', [lease.token]);
      if (gone.changes === 0) return;
      await q.run(`UPDATE segments SET status = 'pending', lease_owner = NULL WHERE job_id = ? AND lease_owner = ? AND status = 'running'`, [
        lease.jobId,
        lease.token,
      ]);
      await q.run('UPDATE segments SET lease_owner = NULL WHERE job_id = ? AND lease_owner = ?', [lease.jobId, lease.token]);
      if (!end) return;
      if (end.onlyIfLast) {
        const now = this.now();
        if (job.status !== 'running' || (await this.runners(q, lease.jobId)).some((r) => this.isLive(r, now))) return;
      }
      await this.writeStatus(q, lease.jobId, end.status, end.error);
    });
  }

  async runnerOf(jobId: string): Promise<RunnerHolder | undefined> {
    return (await this.runnersOf(jobId))[0];
  }

  async runnersOf(jobId: string): Promise<RunnerHolder[]> {
    return this.read('read runners', async (q) => {
      const now = this.now();
      return (await this.runners(q, jobId)).filter((r) => this.isLive(r, now)).map(toHolder);
    });
  }

  // ---- segments ------------------------------------------------------------------------------------------------

  async ensureSegments(jobId: string, segments: readonly (Segment & { target: string })[]): Promise<void> {
    await this.tx('record segments', async (q) => {
      await this.requireJob(q, jobId);
      const at = this.iso();
      for (const s of segments) {
        await q.run(
          `INSERT INTO segments (job_id, id, stream, target, seg_index, seg_total, spec, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, id) DO NOTHING`,
          [jobId, s.id, s.stream, s.target, s.index, s.total, toJson(s.spec), at, at],
        );
      }
    });
  }

  /** In stream order, then segment index; each with its holder when a live runner holds it. */
  async listSegments(jobId: string): Promise<SegmentState[]> {
    return this.read('list segments', async (q) => {
      const now = this.now();
      const rows = await q.all<HeldSegmentRow>(
        `SELECT ${HELD_SEGMENT_COLUMNS} FROM segments s LEFT JOIN runners r ON r.token = s.lease_owner
         WHERE s.job_id = ? ORDER BY s.stream, s.seg_index, s.id`,
        [jobId],
      );
      return rows.map((row) => {
        const runner = holderRow(row);
        return toSegment(row, runner && this.isLive(runner, now) ? toHolder(runner) : undefined);
      });
    });
  }

  async claimSegment(lease: RunnerLease, opts: { skip?: readonly string[] } = {}): Promise<ClaimedSegment | undefined> {
    return this.tx('claim a segment', async (q) => {
      const me = await this.runnerRow(q, lease.token);
      if (!me) throw await this.lostLease(q, lease, 'claim a segment');
      const now = this.now();
      const runners = await this.runners(q, lease.jobId);
      const live = runners.filter((r) => r.token === lease.token || this.isLive(r, now)).map((r) => r.token);
      const skip = opts.skip ?? [];
      const row = await q.get<SegmentRow>(
        `SELECT * FROM segments WHERE job_id = ? AND status <> 'done'
           AND (lease_owner IS NULL OR lease_owner NOT IN (${placeholders(live.length)}))
           ${skip.length ? `AND id NOT IN (${placeholders(skip.length)})` : ''}
         ORDER BY stream, seg_index, id LIMIT 1${this.db.skipLocked}`,
        [lease.jobId, ...live, ...skip],
      );
      if (!row) return undefined;
      const at = this.iso(now);
      const fence = Number(row.fence) + 1;
      await q.run(`UPDATE segments SET lease_owner = ?, fence = ?, status = 'running', updated_at = ? WHERE job_id = ? AND id = ?`, [
        lease.token,
        fence,
        at,
        lease.jobId,
        row.id,
      ]);
      const previous = row.lease_owner === null ? undefined : runners.find((r) => r.token === row.lease_owner);
      if (row.lease_owner !== null) {
        await this.insertEvent(q, lease.jobId, 'segment.takeover', {
          segmentId: row.id,
          fence,
          ...(previous ? { previous: toHolder(previous) } : {}),
          by: { pid: this.pid, host: this.host },
        });
      }
      const holder = toHolder(me);
      return {
        lease: { ...lease, segmentId: row.id, fence },
        segment: toSegment({ ...row, fence, lease_owner: lease.token, status: 'running', updated_at: at }, holder),
        ...(row.lease_owner !== null ? { takeover: previous ? { from: toHolder(previous) } : {} } : {}),
      };
    });
  }

  async releaseSegment(lease: SegmentLease, status: Exclude<SegmentStatus, 'done' | 'running'>): Promise<void> {
    await this.tx('release a segment', async (q) => {
      await q.run(
        `UPDATE segments SET status = ?, lease_owner = NULL, updated_at = ?
         WHERE job_id = ? AND id = ? AND lease_owner = ? AND fence = ? AND status <> 'done'`,
        [status, this.iso(), lease.jobId, lease.segmentId, lease.token, lease.fence],
      );
    });
  }

  /**
   * One transaction: check the runner token and the fence, move the cursor (an undefined cursor keeps the previous
   * one), add the totals (`rejected` grows by the number of dead letters), insert the dead letters, mark the segment
   * done when `done` (and free its lease), append a history row and prune the history to the last N rows of this
   * segment. Refuses a commit to a segment already done (INTERNAL: it would count twice).
   */
  async commit(lease: SegmentLease, input: CommitInput): Promise<void> {
    const { jobId, segmentId } = lease;
    await this.tx('commit checkpoint', async (q) => {
      // Job row first, then the segment's: every transaction that takes both takes them in this order.
      const at = this.iso();
      await q.run('UPDATE jobs SET updated_at = ? WHERE id = ?', [at, jobId]);
      if (!(await this.runnerRow(q, lease.token))) throw await this.lostLease(q, lease, `commit segment ${segmentId}`);
      const seg = await q.get<SegmentRow>(`SELECT * FROM segments WHERE job_id = ? AND id = ?${this.db.forUpdate}`, [jobId, segmentId]);
      if (!seg) throw new FerryError('NOT_FOUND', `job ${jobId} has no segment ${segmentId}`);
      if (seg.status === 'done') {
        throw new FerryError('INTERNAL', `segment ${segmentId} of job ${jobId} is already done; refusing a commit`);
      }
      if (Number(seg.fence) !== lease.fence || seg.lease_owner !== lease.token) {
        throw new FerryError(
          'JOB_LOCKED',
          `cannot commit segment ${segmentId} of job ${jobId}: another runner claimed it after this one's lease lapsed (fence ${seg.fence}, this runner's ${lease.fence})`,
          {
            hint: 'nothing of this batch was recorded; the segment continues from its owner\'s cursor',
            details: { fenced: true, segmentId, fence: Number(seg.fence), leaseFence: lease.fence },
          },
        );
      }

      const now = this.now();
      const rejected = input.deadLetters.length;
      const seq = Number(seg.commits) + 1;
      await q.run(
        `UPDATE segments SET cursor = coalesce(?, cursor), items = items + ?, bytes = bytes + ?,
           rejected = rejected + ?, status = ?, commits = ?, updated_at = ?, lease_owner = ?
         WHERE job_id = ? AND id = ?`,
        [input.cursor ?? null, input.items, input.bytes, rejected, input.done ? 'done' : 'running', seq, at, input.done ? null : lease.token, jobId, segmentId],
      );
      for (const d of input.deadLetters) {
        await q.run(
          `INSERT INTO dead_letters (job_id, segment_id, stream, key, reason, payload, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [jobId, segmentId, d.stream, d.key, redact(d.reason), truncatePayload(d.payload), at],
        );
      }
      for (const o of input.outputs ?? []) {
        await q.run('INSERT INTO segment_outputs (job_id, segment_id, data, created_at) VALUES (?, ?, ?, ?)', [jobId, segmentId, JSON.stringify(o), at]);
      }
      await q.run(
        `INSERT INTO checkpoints (job_id, segment_id, seq, cursor, items, bytes, rejected, at_ms, fence)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [jobId, segmentId, seq, input.cursor ?? null, input.items, input.bytes, rejected, now, lease.fence],
      );
      if (seq > this.historyKeep) {
        await q.run('DELETE FROM checkpoints WHERE job_id = ? AND segment_id = ? AND seq <= ?', [jobId, segmentId, seq - this.historyKeep]);
      }
    });
  }

  // ---- job steps -----------------------------------------------------------------------------------------------

  async claimStep(lease: RunnerLease, step: JobStep): Promise<'claimed' | 'done' | 'busy'> {
    return this.tx(`claim the ${step} step`, async (q) => {
      await this.lockJob(q, lease.jobId);
      if (!(await this.runnerRow(q, lease.token))) throw await this.lostLease(q, lease, `claim the ${step} step`);
      const row = await q.get<{ owner: string | null; done_at: string | null }>('SELECT owner, done_at FROM job_steps WHERE job_id = ? AND step = ?', [
        lease.jobId,
        step,
      ]);
      if (row?.done_at) return 'done';
      if (row && row.owner !== null && row.owner !== lease.token) {
        const owner = await this.runnerRow(q, row.owner);
        if (owner && this.isLive(owner, this.now())) return 'busy';
      }
      await q.run(
        `INSERT INTO job_steps (job_id, step, owner, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (job_id, step) DO UPDATE SET owner = excluded.owner, claimed_at = excluded.claimed_at`,
        [lease.jobId, step, lease.token, this.iso()],
      );
      return 'claimed';
    });
  }

  async completeStep(lease: RunnerLease, step: JobStep): Promise<void> {
    await this.tx(`complete the ${step} step`, async (q) => {
      const r = await q.run('UPDATE job_steps SET done_at = ? WHERE job_id = ? AND step = ? AND owner = ?', [this.iso(), lease.jobId, step, lease.token]);
      if (r.changes === 0) throw await this.lostLease(q, lease, `complete the ${step} step`);
    });
  }

  // ---- history and totals --------------------------------------------------------------------------------------

  /** Checkpoint history (oldest first), for audit and rates; only the last N rows per segment are kept. */
  async checkpoints(jobId: string, opts: { segmentId?: string; sinceMs?: number; limit?: number } = {}): Promise<CheckpointRecord[]> {
    return this.read('read checkpoints', async (q) => {
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
      const rows = await q.all<CheckpointRow>(`SELECT * FROM checkpoints WHERE ${where.join(' AND ')} ORDER BY at_ms, segment_id, seq${limit}`, args);
      return rows.map((r) => ({
        jobId: r.job_id,
        segmentId: r.segment_id,
        seq: Number(r.seq),
        cursor: r.cursor ?? undefined,
        items: Number(r.items),
        bytes: Number(r.bytes),
        rejected: Number(r.rejected),
        at: this.iso(Number(r.at_ms)),
        atMs: Number(r.at_ms),
        fence: Number(r.fence ?? 0),
      }));
    });
  }

  /** Segment counts by status and summed totals, for `ferry status`. */
  async jobTotals(jobId: string): Promise<JobTotals> {
    return this.read('sum segments', async (q) => {
      const n = (s: string): string => `sum(CASE WHEN status = '${s}' THEN 1 ELSE 0 END) AS ${s}`;
      const r = await q.get<Record<keyof JobTotals, number | string | null>>(
        `SELECT count(*) AS segments, ${n('pending')}, ${n('running')}, ${n('done')}, ${n('failed')},
           sum(items) AS items, sum(bytes) AS bytes, sum(rejected) AS rejected
         FROM segments WHERE job_id = ?`,
        [jobId],
      );
      const v = (k: keyof JobTotals): number => Number(r?.[k] ?? 0);
      return {
        segments: v('segments'),
        pending: v('pending'),
        running: v('running'),
        done: v('done'),
        failed: v('failed'),
        items: v('items'),
        bytes: v('bytes'),
        rejected: v('rejected'),
      };
    });
  }

  // ---- dead letters, events, verify results ----------------------------------------------------------------------

  /** Oldest first; `afterId` pages through them (the id of the last row of the page before). */
  async deadLetters(jobId: string, opts: { limit?: number; segmentId?: string; afterId?: number } = {}): Promise<DeadLetterRecord[]> {
    return this.read('read dead letters', async (q) => {
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
      return (await q.all<DeadLetterRow>(sql, args)).map((r) => ({
        id: Number(r.id),
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

  async segmentOutputs(jobId: string): Promise<SegmentOutput[]> {
    return this.read('read segment outputs', async (q) => {
      const rows = await q.all<{ segment_id: string; stream: string; target: string; data: string }>(
        `SELECT o.segment_id, s.stream, s.target, o.data FROM segment_outputs o
           JOIN segments s ON s.job_id = o.job_id AND s.id = o.segment_id
         WHERE o.job_id = ? ORDER BY o.id`,
        [jobId],
      );
      return rows.map((r) => ({ segmentId: r.segment_id, stream: r.stream, target: r.target, data: JSON.parse(r.data) as unknown }));
    });
  }

  async countDeadLetters(jobId: string): Promise<number> {
    return this.read('count dead letters', async (q) => Number((await q.get<{ n: number }>('SELECT count(*) AS n FROM dead_letters WHERE job_id = ?', [jobId]))?.n ?? 0));
  }

  /** String values anywhere in `data` are redacted before they are stored. */
  async appendEvent(jobId: string, type: string, data: Record<string, unknown>): Promise<void> {
    await this.tx('append event', async (q) => {
      await this.requireJob(q, jobId);
      await this.insertEvent(q, jobId, type, data);
    });
  }

  /** Oldest first; `afterId` to follow a running job. */
  async events(jobId: string, opts: { afterId?: number; limit?: number } = {}): Promise<JobEvent[]> {
    return this.read('read events', async (q) => {
      const limit = opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '';
      const rows = await q.all<{ id: number; job_id: string; at: string; type: string; data: string }>(
        `SELECT * FROM events WHERE job_id = ? AND id > ? ORDER BY id${limit}`,
        [jobId, opts.afterId ?? 0],
      );
      return rows.map((r) => ({ id: Number(r.id), jobId: r.job_id, at: r.at, type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
    });
  }

  /** The report is stored as JSON as given (it holds record keys, which redaction could mangle). */
  async saveVerifyResult(jobId: string, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void> {
    await this.tx('save verify result', async (q) => {
      await this.requireJob(q, jobId);
      await q.run('INSERT INTO verify_results (job_id, stream, verifier, outcome, report, at) VALUES (?, ?, ?, ?, ?, ?)', [
        jobId,
        result.stream,
        result.verifier,
        result.outcome,
        toJson(result.report),
        this.iso(),
      ]);
    });
  }

  /** Oldest first. */
  async verifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]> {
    return this.read('read verify results', async (q) =>
      (
        await q.all<{ stream: string; verifier: string; outcome: string; report: string; at: string }>(
          'SELECT stream, verifier, outcome, report, at FROM verify_results WHERE job_id = ? ORDER BY id',
          [jobId],
        )
      ).map((r) => ({ ...r, report: JSON.parse(r.report) as unknown })),
    );
  }

  // ---- partial uploads -----------------------------------------------------------------------------------------

  /** Records an upload the holder of `lease` started; refuses a lease that is gone. */
  async recordUpload(lease: RunnerLease, store: string, upload: PartialUpload): Promise<void> {
    await this.tx('record a partial upload', async (q) => {
      if (!(await this.runnerRow(q, lease.token))) throw await this.lostLease(q, lease, 'record a partial upload');
      await q.run(
        `INSERT INTO partial_uploads (store, name, upload_id, job_id, owner, started_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (store, name, upload_id) DO UPDATE SET job_id = excluded.job_id, owner = excluded.owner`,
        [store, upload.name, upload.id, lease.jobId, lease.token, this.iso()],
      );
    });
  }

  async forgetUpload(store: string, upload: PartialUpload): Promise<void> {
    await this.tx('forget a partial upload', (q) => q.run('DELETE FROM partial_uploads WHERE store = ? AND name = ? AND upload_id = ?', [store, upload.name, upload.id]));
  }

  /**
   * Uploads recorded under `prefix` of `store`, by any job of this state, whose owner is no longer a live runner
   * (the process died, or its lease lapsed or was taken over): those nobody will finish. Oldest first.
   */
  async orphanUploads(store: string, prefix: string): Promise<(PartialUpload & { jobId: string; startedAt: string; siblings: string[] })[]> {
    return this.read('read partial uploads', async (q) => {
      const now = this.now();
      const rows = await q.all<{ name: string; upload_id: string; job_id: string; owner: string; started_at: string }>(
        `SELECT name, upload_id, job_id, owner, started_at FROM partial_uploads
         WHERE store = ? AND substr(name, 1, ?) = ? ORDER BY started_at, name`,
        [store, prefix.length, prefix],
      );
      const out: (PartialUpload & { jobId: string; startedAt: string; siblings: string[] })[] = [];
      for (const r of rows) {
        const owner = await this.runnerRow(q, r.owner);
        if (owner && this.isLive(owner, now)) continue;
        const siblings = await q.all<{ upload_id: string }>('SELECT upload_id FROM partial_uploads WHERE store = ? AND name = ? AND upload_id <> ?', [
          store,
          r.name,
          r.upload_id,
        ]);
        out.push({ name: r.name, id: r.upload_id, jobId: r.job_id, startedAt: r.started_at, siblings: siblings.map((x) => x.upload_id) });
      }
      return out;
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

  /** Schema version of the open state. */
  schemaVersion(): Promise<number> {
    this.assertOpen();
    return this.db.schemaVersion();
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}
