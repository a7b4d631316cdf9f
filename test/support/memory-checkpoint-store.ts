/**
 * An in-memory CheckpointStore with the same semantics as the SQLite one where the engine can tell: commits refuse
 * a stale lease token and a done segment, `ensureSegments` keeps existing progress, leases expire on the store's
 * clock. The data lives in a separate object so a "restarted process" (a new store over the same data) sees what
 * the crashed one committed, and nothing else.
 */
import type {
  CheckpointStore,
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
} from '../../src/core/checkpoint.js';
import type { Segment } from '../../src/core/stream.js';
import type { PartialUpload } from '../../src/core/upload-ledger.js';
import { FerryError } from '../../src/errors.js';
import type { CrashSwitch } from './memory-crash.js';
import { planRunningError } from '../../src/state/records.js';

interface Lock {
  token: string;
  holder: RunnerHolder;
  expiresAt: number;
}

export class MemoryStoreData {
  jobs = new Map<string, JobRecord & { planText: string }>();
  segments = new Map<string, Map<string, SegmentState>>();
  locks = new Map<string, Lock>();
  deadLetters: DeadLetterRecord[] = [];
  events: JobEvent[] = [];
  verify: { jobId: string; stream: string; verifier: string; outcome: string; report: unknown; at: string }[] = [];
  /** Every successful commit, in order (tests replay and audit them). */
  commits: { segmentId: string; input: CommitInput }[] = [];
  uploads: { store: string; name: string; id: string; jobId: string; owner: string; startedAt: string }[] = [];
  seq = 0;

  /** A new running job, at once (what createJob does; the world's constructor needs it synchronously). */
  addJob(job: NewJob, at: string): JobRecord {
    const id = `job-${++this.seq}`;
    const rec = {
      id,
      planName: job.planName,
      planHash: job.planHash,
      planPath: job.planPath,
      kind: job.kind,
      status: 'running' as JobStatus,
      createdAt: at,
      updatedAt: at,
      finishedAt: undefined,
      error: undefined,
      planText: job.planText,
    };
    this.jobs.set(id, rec);
    this.segments.set(id, new Map());
    const { planText: _p, ...out } = rec;
    return out;
  }
}

export interface MemoryStoreOptions {
  data?: MemoryStoreData;
  now?: () => number;
  pid?: number;
  host?: string;
  crash?: CrashSwitch;
  /** Called after each successful commit. */
  onCommit?: (segmentId: string, input: CommitInput) => void;
  /** Called before a renewal; throw to simulate a lost lease or a broken store. */
  onRenew?: (lease: RunnerLease) => void;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly data: MemoryStoreData;
  private readonly now: () => number;
  private readonly pid: number;
  private readonly host: string;
  private readonly crash: CrashSwitch | undefined;
  private readonly opts: MemoryStoreOptions;
  /** Operation names in call order (for tests). */
  readonly calls: string[] = [];

  constructor(opts: MemoryStoreOptions = {}) {
    this.opts = opts;
    this.data = opts.data ?? new MemoryStoreData();
    this.now = opts.now ?? Date.now;
    this.pid = opts.pid ?? process.pid;
    this.host = opts.host ?? 'memory';
    this.crash = opts.crash;
  }

  private op(name: string): void {
    this.calls.push(name);
    this.crash?.tick(`store.${name}`);
  }

  private iso(t = this.now()): string {
    return new Date(t).toISOString();
  }

  private job(jobId: string): JobRecord & { planText: string } {
    const j = this.data.jobs.get(jobId);
    if (!j) throw new FerryError('JOB_NOT_FOUND', `no job ${jobId}`);
    return j;
  }

  async createJob(job: NewJob, opts: { claim?: boolean; ttlMs?: number } = {}): Promise<JobRecord> {
    this.op('createJob');
    const now = this.now();
    if (opts.claim === true) {
      for (const [jobId, lock] of this.data.locks) {
        const other = this.data.jobs.get(jobId);
        if (other && other.planName === job.planName && (other.status === 'running' || other.status === 'interrupted') && lock.expiresAt > now) {
          const { planText: _p, ...rec } = other;
          throw planRunningError(rec, { ...lock.holder });
        }
      }
    }
    const rec = this.data.addJob(job, this.iso(now));
    if (opts.claim === true) {
      this.data.locks.set(rec.id, { token: `t${++this.data.seq}`, holder: { pid: this.pid, host: this.host, since: this.iso(now) }, expiresAt: now + (opts.ttlMs ?? 30_000) });
    }
    return rec;
  }

  async findUnfinishedJob(planName: string, planHash: string): Promise<JobRecord | undefined> {
    this.op('findUnfinishedJob');
    return [...this.data.jobs.values()].reverse().find((j) => j.planName === planName && j.planHash === planHash && j.status !== 'succeeded');
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    this.op('getJob');
    const j = this.data.jobs.get(jobId);
    if (!j) return undefined;
    const { planText: _p, ...out } = j;
    return { ...out };
  }

  async getPlanText(jobId: string): Promise<string | undefined> {
    this.op('getPlanText');
    return this.data.jobs.get(jobId)?.planText;
  }

  async listJobs(): Promise<JobRecord[]> {
    this.op('listJobs');
    return [...this.data.jobs.values()].map(({ planText: _p, ...out }) => ({ ...out }));
  }

  async setJobStatus(jobId: string, status: JobStatus, error?: string): Promise<void> {
    this.op('setJobStatus');
    const j = this.job(jobId);
    j.status = status;
    j.error = error;
    j.updatedAt = this.iso();
    j.finishedAt = status === 'succeeded' || status === 'failed' ? j.updatedAt : undefined;
  }

  async acquireRunner(jobId: string, ttlMs: number): Promise<RunnerLease> {
    this.op('acquireRunner');
    this.job(jobId);
    const now = this.now();
    const lock = this.data.locks.get(jobId);
    if (lock && lock.expiresAt > now && !(lock.holder.pid === this.pid && lock.holder.host === this.host)) {
      throw new FerryError('JOB_LOCKED', `job ${jobId} is being run by pid ${lock.holder.pid} on host ${lock.holder.host}`);
    }
    const token = lock && lock.holder.pid === this.pid && lock.holder.host === this.host ? lock.token : `t${++this.data.seq}`;
    const holder = lock?.token === token ? lock.holder : { pid: this.pid, host: this.host, since: this.iso(now) };
    const next = { token, holder, expiresAt: now + ttlMs };
    this.data.locks.set(jobId, next);
    return { jobId, ...clone(next) };
  }

  async renewRunner(lease: RunnerLease, ttlMs: number): Promise<RunnerLease> {
    this.op('renewRunner');
    this.opts.onRenew?.(lease);
    const lock = this.data.locks.get(lease.jobId);
    if (!lock || lock.token !== lease.token) throw new FerryError('JOB_LOCKED', `lease of job ${lease.jobId} was taken over`);
    lock.expiresAt = this.now() + ttlMs;
    return { ...lease, expiresAt: lock.expiresAt };
  }

  async releaseRunner(lease: RunnerLease): Promise<void> {
    this.op('releaseRunner');
    const lock = this.data.locks.get(lease.jobId);
    if (lock?.token === lease.token) this.data.locks.delete(lease.jobId);
  }

  async runnerOf(jobId: string): Promise<RunnerHolder | undefined> {
    this.op('runnerOf');
    const lock = this.data.locks.get(jobId);
    return lock && lock.expiresAt > this.now() ? { ...lock.holder } : undefined;
  }

  async ensureSegments(jobId: string, segments: readonly (Segment & { target: string })[]): Promise<void> {
    this.op('ensureSegments');
    this.job(jobId);
    const map = this.data.segments.get(jobId)!;
    for (const s of segments) {
      if (map.has(s.id)) continue;
      map.set(s.id, {
        jobId,
        id: s.id,
        stream: s.stream,
        target: s.target,
        index: s.index,
        total: s.total,
        spec: clone(s.spec),
        cursor: undefined,
        status: 'pending',
        items: 0,
        bytes: 0,
        rejected: 0,
        updatedAt: this.iso(),
      });
    }
  }

  async listSegments(jobId: string): Promise<SegmentState[]> {
    this.op('listSegments');
    const map = this.data.segments.get(jobId);
    if (!map) return [];
    return [...map.values()]
      .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.index - b.index))
      .map((s) => clone(s));
  }

  async setSegmentStatus(jobId: string, segmentId: string, status: SegmentStatus): Promise<void> {
    this.op('setSegmentStatus');
    const s = this.data.segments.get(jobId)?.get(segmentId);
    if (!s) throw new FerryError('NOT_FOUND', `job ${jobId} has no segment ${segmentId}`);
    s.status = status;
  }

  async commit(lease: RunnerLease, segmentId: string, input: CommitInput): Promise<void> {
    this.op('commit');
    const lock = this.data.locks.get(lease.jobId);
    if (!lock || lock.token !== lease.token) throw new FerryError('JOB_LOCKED', `stale lease: cannot commit ${segmentId}`);
    const s = this.data.segments.get(lease.jobId)?.get(segmentId);
    if (!s) throw new FerryError('NOT_FOUND', `job ${lease.jobId} has no segment ${segmentId}`);
    if (s.status === 'done') throw new FerryError('INTERNAL', `segment ${segmentId} is already done; refusing a commit`);
    if (input.cursor !== undefined) s.cursor = input.cursor;
    s.items += input.items;
    s.bytes += input.bytes;
    s.rejected += input.deadLetters.length;
    s.status = input.done ? 'done' : 'running';
    const at = this.iso();
    s.updatedAt = at;
    for (const d of input.deadLetters) {
      this.data.deadLetters.push({ ...d, id: this.data.deadLetters.length + 1, jobId: lease.jobId, segmentId, createdAt: at });
    }
    this.data.commits.push({ segmentId, input: clone(input) });
    this.opts.onCommit?.(segmentId, input);
  }

  async deadLetters(jobId: string, opts: { limit?: number; segmentId?: string; afterId?: number } = {}): Promise<DeadLetterRecord[]> {
    this.op('deadLetters');
    const all = this.data.deadLetters.filter(
      (d) => d.jobId === jobId && (opts.afterId === undefined || d.id > opts.afterId) && (opts.segmentId === undefined || d.segmentId === opts.segmentId),
    );
    return opts.limit === undefined ? all : all.slice(0, opts.limit);
  }

  async countDeadLetters(jobId: string): Promise<number> {
    this.op('countDeadLetters');
    return this.data.deadLetters.filter((d) => d.jobId === jobId).length;
  }

  async appendEvent(jobId: string, type: string, data: Record<string, unknown>): Promise<void> {
    this.op('appendEvent');
    this.data.events.push({ id: this.data.events.length + 1, jobId, at: this.iso(), type, data: clone(data) });
  }

  async events(jobId: string, opts: { afterId?: number; limit?: number } = {}): Promise<JobEvent[]> {
    this.op('events');
    const all = this.data.events.filter((e) => e.jobId === jobId && e.id > (opts.afterId ?? 0));
    return opts.limit === undefined ? all : all.slice(0, opts.limit);
  }

  async recordUpload(lease: RunnerLease, store: string, upload: PartialUpload): Promise<void> {
    this.op('recordUpload');
    const lock = this.data.locks.get(lease.jobId);
    if (!lock || lock.token !== lease.token) throw new FerryError('JOB_LOCKED', `lease of job ${lease.jobId} was taken over`);
    this.data.uploads = this.data.uploads.filter((u) => !(u.store === store && u.name === upload.name && u.id === upload.id));
    this.data.uploads.push({ store, ...upload, jobId: lease.jobId, owner: lease.token, startedAt: this.iso() });
  }

  async forgetUpload(store: string, upload: PartialUpload): Promise<void> {
    this.data.uploads = this.data.uploads.filter((u) => !(u.store === store && u.name === upload.name && u.id === upload.id));
  }

  async orphanUploads(store: string, prefix: string): Promise<(PartialUpload & { jobId: string; startedAt: string; siblings: string[] })[]> {
    this.op('orphanUploads');
    const now = this.now();
    return this.data.uploads
      .filter((u) => u.store === store && u.name.startsWith(prefix))
      .filter((u) => {
        const lock = this.data.locks.get(u.jobId);
        return !lock || lock.token !== u.owner || lock.expiresAt <= now;
      })
      .map((u) => ({
        name: u.name,
        id: u.id,
        jobId: u.jobId,
        startedAt: u.startedAt,
        siblings: this.data.uploads.filter((o) => o.store === store && o.name === u.name && o.id !== u.id).map((o) => o.id),
      }));
  }

  async saveVerifyResult(jobId: string, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void> {
    this.op('saveVerifyResult');
    this.data.verify.push({ jobId, ...result, at: this.iso() });
  }

  async verifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]> {
    this.op('verifyResults');
    return this.data.verify.filter((v) => v.jobId === jobId).map(({ jobId: _j, ...r }) => r);
  }

  async close(): Promise<void> {}
}
