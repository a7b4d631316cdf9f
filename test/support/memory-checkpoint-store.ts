/**
 * An in-memory CheckpointStore with the same semantics as the SQL one where the engine can tell: commits refuse
 * a runner lease that is gone, a fence that grew and a done segment, `ensureSegments` keeps existing progress, leases expire on the store's
 * clock. The data lives in a separate object so a "restarted process" (a new store over the same data) sees what
 * the crashed one committed, and nothing else.
 */
import type {
  CheckpointStore,
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
} from '../../src/core/checkpoint.js';
import type { Segment } from '../../src/core/stream.js';
import type { PartialUpload } from '../../src/core/upload-ledger.js';
import { FerryError } from '../../src/errors.js';
import type { CrashSwitch } from './memory-crash.js';
import { planRunningError } from '../../src/state/records.js';

interface Runner {
  jobId: string;
  token: string;
  holder: RunnerHolder;
  expiresAt: number;
  shared: boolean;
}

type MemorySegment = SegmentState & { owner: string | undefined };

export class MemoryStoreData {
  jobs = new Map<string, JobRecord & { planText: string }>();
  segments = new Map<string, Map<string, MemorySegment>>();
  /** Runner leases by token. */
  runners = new Map<string, Runner>();
  /** Job steps by `${jobId}\u0000${step}`. */
  steps = new Map<string, { owner: string; done: boolean }>();
  deadLetters: DeadLetterRecord[] = [];
  outputs: { jobId: string; segmentId: string; data: string }[] = [];
  events: JobEvent[] = [];
  verify: { jobId: string; stream: string; verifier: string; outcome: string; report: unknown; at: string }[] = [];
  /** Every successful commit, in order (tests replay and audit them). */
  commits: { segmentId: string; input: CommitInput }[] = [];
  uploads: { store: string; name: string; id: string; jobId: string; owner: string; startedAt: string }[] = [];
  seq = 0;

  /** A new running job, at once (what createJob does; the world's constructor needs it synchronously). */
  addJob(job: NewJob, at: string): JobRecord {
    const id = job.id ?? `job-${++this.seq}`;
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
      workers: job.workers ?? 1,
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

  private live(r: Runner, now = this.now()): boolean {
    return r.expiresAt > now;
  }

  private runnersOfJob(jobId: string): Runner[] {
    return [...this.data.runners.values()].filter((r) => r.jobId === jobId);
  }

  private lost(lease: RunnerLease, doing: string): FerryError {
    return new FerryError('JOB_LOCKED', `cannot ${doing}: the lease on job ${lease.jobId} is gone`);
  }

  async createJob(job: NewJob, opts: { claim?: boolean; ttlMs?: number } = {}): Promise<JobRecord> {
    this.op('createJob');
    const now = this.now();
    if (opts.claim === true) {
      for (const r of this.data.runners.values()) {
        const other = this.data.jobs.get(r.jobId);
        if (other && other.planName === job.planName && (other.status === 'running' || other.status === 'interrupted') && this.live(r, now)) {
          const { planText: _p, ...rec } = other;
          throw planRunningError(rec, { ...r.holder });
        }
      }
    }
    if (job.id !== undefined && this.data.jobs.has(job.id)) throw new FerryError('USAGE', `a job ${job.id} already exists`);
    const rec = this.data.addJob(job, this.iso(now));
    if (opts.claim === true) {
      const token = `t${++this.data.seq}`;
      this.data.runners.set(token, { jobId: rec.id, token, holder: { pid: this.pid, host: this.host, since: this.iso(now) }, expiresAt: now + (opts.ttlMs ?? 30_000), shared: false });
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
    this.writeStatus(jobId, status, error);
  }

  private writeStatus(jobId: string, status: JobStatus, error?: string): void {
    const j = this.job(jobId);
    j.status = status;
    j.error = error;
    j.updatedAt = this.iso();
    j.finishedAt = status === 'succeeded' || status === 'failed' ? j.updatedAt : undefined;
  }

  async acquireRunner(jobId: string, ttlMs: number, opts: { shared?: boolean } = {}): Promise<RunnerLease> {
    this.op('acquireRunner');
    this.job(jobId);
    const shared = opts.shared === true;
    const now = this.now();
    const rows = this.runnersOfJob(jobId);
    const mine = rows.find((r) => r.holder.pid === this.pid && r.holder.host === this.host);
    const live = rows.filter((r) => r !== mine && this.live(r, now));
    const blocking = shared ? live.find((r) => !r.shared) : live[0];
    if (blocking) {
      const by = blocking.shared ? 'is being run by workers, among them' : 'is being run by';
      throw new FerryError('JOB_LOCKED', `job ${jobId} ${by} pid ${blocking.holder.pid} on host ${blocking.holder.host}`);
    }
    for (const r of rows) if (r !== mine && !this.live(r, now)) this.data.runners.delete(r.token);
    const token = mine?.token ?? `t${++this.data.seq}`;
    const next: Runner = { jobId, token, holder: mine?.holder ?? { pid: this.pid, host: this.host, since: this.iso(now) }, expiresAt: now + ttlMs, shared };
    next.holder = { ...next.holder, shared };
    this.data.runners.set(token, next);
    return { jobId, token, holder: clone(next.holder), expiresAt: next.expiresAt, shared };
  }

  async renewRunner(lease: RunnerLease, ttlMs: number): Promise<RunnerLease> {
    this.op('renewRunner');
    this.opts.onRenew?.(lease);
    const r = this.data.runners.get(lease.token);
    if (!r) throw this.lost(lease, 'renew the lease');
    r.expiresAt = this.now() + ttlMs;
    return { ...lease, expiresAt: r.expiresAt };
  }

  async releaseRunner(lease: RunnerLease, end?: RunnerEnd): Promise<void> {
    this.op('releaseRunner');
    if (!this.data.runners.delete(lease.token)) return;
    for (const s of this.data.segments.get(lease.jobId)?.values() ?? []) {
      if (s.owner !== lease.token) continue;
      s.owner = undefined;
      if (s.status === 'running') s.status = 'pending';
    }
    if (!end) return;
    if (end.onlyIfLast && (this.job(lease.jobId).status !== 'running' || this.runnersOfJob(lease.jobId).some((r) => this.live(r)))) return;
    this.writeStatus(lease.jobId, end.status, end.error);
  }

  async runnerOf(jobId: string): Promise<RunnerHolder | undefined> {
    return (await this.runnersOf(jobId))[0];
  }

  async runnersOf(jobId: string): Promise<RunnerHolder[]> {
    this.op('runnerOf');
    return this.runnersOfJob(jobId)
      .filter((r) => this.live(r))
      .map((r) => ({ ...r.holder }));
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
        fence: 0,
        holder: undefined,
        owner: undefined,
      });
    }
  }

  private view(s: MemorySegment): SegmentState {
    const { owner, ...rest } = clone(s);
    const r = owner === undefined ? undefined : this.data.runners.get(owner);
    return { ...rest, holder: r && this.live(r) ? { ...r.holder } : undefined };
  }

  async listSegments(jobId: string): Promise<SegmentState[]> {
    this.op('listSegments');
    const map = this.data.segments.get(jobId);
    if (!map) return [];
    return [...map.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.index - b.index)).map((s) => this.view(s));
  }

  async claimSegment(lease: RunnerLease, opts: { skip?: readonly string[] } = {}): Promise<ClaimedSegment | undefined> {
    this.op('claimSegment');
    if (!this.data.runners.has(lease.token)) throw this.lost(lease, 'claim a segment');
    const now = this.now();
    const free = (s: MemorySegment): boolean => {
      if (s.status === 'done' || opts.skip?.includes(s.id)) return false;
      if (s.owner === undefined || s.owner === lease.token) return s.owner === undefined;
      const r = this.data.runners.get(s.owner);
      return !r || !this.live(r, now);
    };
    const all = [...(this.data.segments.get(lease.jobId)?.values() ?? [])].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.index - b.index));
    const s = all.find(free);
    if (!s) return undefined;
    const owner = s.owner;
    const previous = owner === undefined ? undefined : this.data.runners.get(owner);
    s.owner = lease.token;
    s.fence += 1;
    s.status = 'running';
    return { lease: { ...lease, segmentId: s.id, fence: s.fence }, segment: this.view(s), ...(owner !== undefined ? { takeover: previous ? { from: { ...previous.holder } } : {} } : {}) };
  }

  async releaseSegment(lease: SegmentLease, status: Exclude<SegmentStatus, 'done' | 'running'>): Promise<void> {
    this.op('releaseSegment');
    const s = this.data.segments.get(lease.jobId)?.get(lease.segmentId);
    if (!s || s.owner !== lease.token || s.fence !== lease.fence || s.status === 'done') return;
    s.owner = undefined;
    s.status = status;
  }

  async commit(lease: SegmentLease, input: CommitInput): Promise<void> {
    this.op('commit');
    const { segmentId } = lease;
    if (!this.data.runners.has(lease.token)) throw new FerryError('JOB_LOCKED', `stale lease: cannot commit ${segmentId}`);
    const s = this.data.segments.get(lease.jobId)?.get(segmentId);
    if (!s) throw new FerryError('NOT_FOUND', `job ${lease.jobId} has no segment ${segmentId}`);
    if (s.status === 'done') throw new FerryError('INTERNAL', `segment ${segmentId} is already done; refusing a commit`);
    if (s.fence !== lease.fence || s.owner !== lease.token) {
      throw new FerryError('JOB_LOCKED', `segment ${segmentId} was claimed by another runner`, { details: { fenced: true, segmentId } });
    }
    if (input.cursor !== undefined) s.cursor = input.cursor;
    s.items += input.items;
    s.bytes += input.bytes;
    s.rejected += input.deadLetters.length;
    s.status = input.done ? 'done' : 'running';
    if (input.done) s.owner = undefined;
    const at = this.iso();
    s.updatedAt = at;
    for (const d of input.deadLetters) {
      this.data.deadLetters.push({ ...d, id: this.data.deadLetters.length + 1, jobId: lease.jobId, segmentId, createdAt: at });
    }
    for (const o of input.outputs ?? []) this.data.outputs.push({ jobId: lease.jobId, segmentId, data: JSON.stringify(o) });
    this.data.commits.push({ segmentId, input: clone(input) });
    this.opts.onCommit?.(segmentId, input);
  }

  async claimStep(lease: RunnerLease, step: JobStep): Promise<'claimed' | 'done' | 'busy'> {
    this.op('claimStep');
    if (!this.data.runners.has(lease.token)) throw this.lost(lease, `claim the ${step} step`);
    const key = `${lease.jobId}\u0000${step}`;
    const row = this.data.steps.get(key);
    if (row?.done) return 'done';
    if (row && row.owner !== lease.token) {
      const owner = this.data.runners.get(row.owner);
      if (owner && this.live(owner)) return 'busy';
    }
    this.data.steps.set(key, { owner: lease.token, done: false });
    return 'claimed';
  }

  async completeStep(lease: RunnerLease, step: JobStep): Promise<void> {
    this.op('completeStep');
    const row = this.data.steps.get(`${lease.jobId}\u0000${step}`);
    if (!row || row.owner !== lease.token) throw this.lost(lease, `complete the ${step} step`);
    row.done = true;
  }

  async deadLetters(jobId: string, opts: { limit?: number; segmentId?: string; afterId?: number } = {}): Promise<DeadLetterRecord[]> {
    this.op('deadLetters');
    const all = this.data.deadLetters.filter(
      (d) => d.jobId === jobId && (opts.afterId === undefined || d.id > opts.afterId) && (opts.segmentId === undefined || d.segmentId === opts.segmentId),
    );
    return opts.limit === undefined ? all : all.slice(0, opts.limit);
  }

  async segmentOutputs(jobId: string): Promise<SegmentOutput[]> {
    this.op('segmentOutputs');
    const segs = this.data.segments.get(jobId);
    return this.data.outputs
      .filter((o) => o.jobId === jobId)
      .map((o) => {
        const s = segs?.get(o.segmentId);
        return { segmentId: o.segmentId, stream: s?.stream ?? '', target: s?.target ?? '', data: JSON.parse(o.data) as unknown };
      });
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
    if (!this.data.runners.has(lease.token)) throw this.lost(lease, 'record a partial upload');
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
        const r = this.data.runners.get(u.owner);
        return !r || !this.live(r, now);
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
