import type { Cursor, Segment } from './stream.js';
import type { PartialUpload } from './upload-ledger.js';

export type JobStatus = 'running' | 'interrupted' | 'failed' | 'succeeded';
export type SegmentStatus = 'pending' | 'running' | 'done' | 'failed';

export interface JobRecord {
  id: string;
  planName: string;
  planHash: string;
  planPath: string | undefined;
  kind: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | undefined;
  error: string | undefined;
  /** Workers the job was planned for (1 unless created for several). */
  workers: number;
}

export interface SegmentState {
  jobId: string;
  id: string;
  stream: string;
  /** Where this segment writes (target stream name). */
  target: string;
  index: number;
  total: number;
  spec: unknown;
  cursor: Cursor | undefined;
  status: SegmentStatus;
  items: number;
  bytes: number;
  rejected: number;
  updatedAt: string;
  /** Grows by one at every claim of the segment: the fencing token of its current lease (0: never claimed). */
  fence: number;
  /** The live runner holding the segment's lease, if any. */
  holder: RunnerHolder | undefined;
}

export interface RunnerHolder {
  pid: number;
  host: string;
  since: string;
  /** The holder's last renewal (ISO 8601): when it last reported. */
  heartbeatAt?: string;
  /** A worker (`ferry worker`) that shares the job with other workers, rather than its only runner. */
  shared?: boolean;
}

/**
 * A runner's lease on a job: one process taking part in it. An exclusive runner (`ferry run`, `ferry resume`) is the
 * job's only one; shared runners (`ferry worker`) take part together, any number on any machines.
 */
export interface RunnerLease {
  jobId: string;
  token: string;
  holder: RunnerHolder;
  expiresAt: number;
  shared: boolean;
}

/**
 * A segment claimed by a runner. The segment's lease lives as long as its runner's lease; `fence` is the value the
 * segment's fencing token took at this claim, and every commit must carry it: after a take-over the token has grown,
 * so a stalled runner's late commit is refused even if that same runner claimed the segment again since.
 */
export interface SegmentLease extends RunnerLease {
  segmentId: string;
  fence: number;
}

export interface ClaimedSegment {
  lease: SegmentLease;
  /** The segment as claimed: its committed cursor and totals. */
  segment: SegmentState;
  /**
   * Set when this claim took the segment over from a runner whose lease had lapsed; `from` is that runner while its
   * record is still there (a runner joining the job removes the records of lapsed ones).
   */
  takeover?: { from?: RunnerHolder };
}

/**
 * Job-wide steps done exactly once whatever the number of runners: `prepare` (split streams into segments, prepare
 * targets: a `replace` wipes a target once, never under another worker's writes) and `finish` (whole-stream work once
 * every segment is done, verification, the final status).
 */
export type JobStep = 'prepare' | 'finish';

/** How a runner leaves a job (`releaseRunner`). */
export interface RunnerEnd {
  status: JobStatus;
  error?: string;
  /** Set the status only if no other live runner remains and the job is still `running` (a worker that drains). */
  onlyIfLast?: boolean;
}

/** Dead-letter payloads longer than this (in characters) are truncated, with a marker: by the engine and by every state. */
export const MAX_DEAD_LETTER_PAYLOAD = 64 * 1024;

export interface DeadLetter {
  stream: string;
  key: string;
  reason: string;
  /** JSON text of the item as it was handed to the sink (after mapping); may be truncated for huge items. */
  payload?: string;
}

export interface DeadLetterRecord extends DeadLetter {
  id: number;
  jobId: string;
  segmentId: string;
  createdAt: string;
}

export interface CommitInput {
  cursor: Cursor | undefined;
  /** Items made durable since the previous commit (added to the segment's totals). */
  items: number;
  bytes: number;
  deadLetters: readonly DeadLetter[];
  done: boolean;
  /**
   * What the batch left in the target that the job must remember until it finishes (a backup's data files: name,
   * records, hashes), JSON values from the sink's `WriteResult.outputs`; recorded in the commit's transaction, so
   * an output is known exactly when the cursor after its records is.
   */
  outputs?: readonly unknown[];
}

/** One recorded output of a committed batch (`CommitInput.outputs`), in commit order. */
export interface SegmentOutput {
  segmentId: string;
  /** The segment's source stream and target stream. */
  stream: string;
  target: string;
  data: unknown;
}

export interface JobEvent {
  id: number;
  jobId: string;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

export interface NewJob {
  planName: string;
  planHash: string;
  planPath?: string;
  kind: string;
  /** The plan as compiled, secrets left as `${env:...}` references, so resume can re-read it. */
  planText: string;
  /** How many workers the job is planned for (segments per stream = concurrency × workers). Default 1. */
  workers?: number;
  /** A chosen job id in the usual form (`ferry deploy k8s` names the job in its manifests); default a new one. */
  id?: string;
}

/**
 * Durable job state, asynchronous so that a backend may be a server (the shared PostgreSQL state) as well as a file
 * (SQLite, the embedded default); the engine's unit tests use an in-memory one. Every method that changes state is
 * one transaction. The reports the CLI reads are in `StateReports` (state-store.ts).
 */
export interface CheckpointStore {
  /**
   * `claim`: refuse (PLAN_RUNNING) while another job of the plan holds a live runner lock, and take the new job's lock
   * for this process, in the same transaction (one running job per plan on a state).
   */
  createJob(job: NewJob, opts?: { claim?: boolean; ttlMs?: number }): Promise<JobRecord>;
  /** The latest job of this plan name + hash that has not succeeded, if any. */
  findUnfinishedJob(planName: string, planHash: string): Promise<JobRecord | undefined>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  getPlanText(jobId: string): Promise<string | undefined>;
  listJobs(opts?: { planName?: string; status?: JobStatus; limit?: number }): Promise<JobRecord[]>;
  setJobStatus(jobId: string, status: JobStatus, error?: string): Promise<void>;

  /**
   * Join the job as a runner. Exclusive (the default): refused (JOB_LOCKED, naming the holder) while any other live
   * runner takes part; shared: refused while a live exclusive runner has it. The same process acquiring again keeps
   * its token. A runner is live until its lease expires, or at once when it was a process on this host that is gone.
   */
  acquireRunner(jobId: string, ttlMs: number, opts?: { shared?: boolean }): Promise<RunnerLease>;
  /** Extend the lease (and the leases of the segments it holds); JOB_LOCKED if the lease was released. */
  renewRunner(lease: RunnerLease, ttlMs: number): Promise<RunnerLease>;
  /**
   * Leave the job: its segments go back to `pending` for others to claim, and `end` (if given) sets the job's status
   * in the same transaction. A no-op for a lease that is gone (releasing is never an error).
   */
  releaseRunner(lease: RunnerLease, end?: RunnerEnd): Promise<void>;
  /** The first live runner, if any. */
  runnerOf(jobId: string): Promise<RunnerHolder | undefined>;
  /** Every live runner of the job, oldest first. */
  runnersOf(jobId: string): Promise<RunnerHolder[]>;

  /** Record the job's segments once; later calls with the same ids keep existing progress. */
  ensureSegments(jobId: string, segments: readonly (Segment & { target: string })[]): Promise<void>;
  listSegments(jobId: string): Promise<SegmentState[]>;
  /**
   * Claim one segment that is not done and whose lease is free (never claimed, released, or its runner's lease
   * lapsed), in stream and index order, skipping `skip`; its fencing token grows by one. Undefined when none is
   * claimable now (all done, or held by live runners). On PostgreSQL `FOR UPDATE SKIP LOCKED`: claims never wait.
   */
  claimSegment(lease: RunnerLease, opts?: { skip?: readonly string[] }): Promise<ClaimedSegment | undefined>;
  /** Give a segment back (`pending`, or `failed`), if this lease still holds it. */
  releaseSegment(lease: SegmentLease, status: Exclude<SegmentStatus, 'done' | 'running'>): Promise<void>;
  /**
   * Cursor, totals and dead letters of one flushed batch, in one transaction; refused (JOB_LOCKED, details.fenced)
   * when the segment's fencing token is no longer the lease's: another runner took the segment over.
   */
  commit(lease: SegmentLease, input: CommitInput): Promise<void>;

  /** Take a job step (exactly once across runners): `claimed`, `done` already, or `busy` with another live runner. */
  claimStep(lease: RunnerLease, step: JobStep): Promise<'claimed' | 'done' | 'busy'>;
  /** Mark a step this lease claimed done. */
  completeStep(lease: RunnerLease, step: JobStep): Promise<void>;

  /** Every output committed batches recorded (`CommitInput.outputs`), in commit order. */
  segmentOutputs(jobId: string): Promise<SegmentOutput[]>;

  deadLetters(jobId: string, opts?: { limit?: number; segmentId?: string; afterId?: number }): Promise<DeadLetterRecord[]>;
  countDeadLetters(jobId: string): Promise<number>;

  appendEvent(jobId: string, type: string, data: Record<string, unknown>): Promise<void>;
  events(jobId: string, opts?: { afterId?: number; limit?: number }): Promise<JobEvent[]>;

  /** Partial uploads a run started (core/upload-ledger.ts): recorded before the first part, owned by the lease. */
  recordUpload(lease: RunnerLease, store: string, upload: PartialUpload): Promise<void>;
  forgetUpload(store: string, upload: PartialUpload): Promise<void>;
  /** Recorded uploads under `prefix` of `store` whose owner's lease is gone (any job of this state). */
  orphanUploads(store: string, prefix: string): Promise<(PartialUpload & { jobId: string; startedAt: string; siblings: string[] })[]>;

  saveVerifyResult(jobId: string, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void>;
  verifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]>;

  close(): Promise<void>;
}
