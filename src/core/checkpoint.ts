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
}

export interface RunnerHolder {
  pid: number;
  host: string;
  since: string;
}

export interface RunnerLease {
  jobId: string;
  token: string;
  holder: RunnerHolder;
  expiresAt: number;
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

  /** Take the job's runner lock; throws FerryError JOB_LOCKED naming the holder if a live runner has it. */
  acquireRunner(jobId: string, ttlMs: number): Promise<RunnerLease>;
  /** Extend the lock; throws JOB_LOCKED if it was taken over (our lease expired). */
  renewRunner(lease: RunnerLease, ttlMs: number): Promise<RunnerLease>;
  releaseRunner(lease: RunnerLease): Promise<void>;
  /** Current holder, if the lock is live. */
  runnerOf(jobId: string): Promise<RunnerHolder | undefined>;

  /** Record the job's segments once; later calls with the same ids keep existing progress. */
  ensureSegments(jobId: string, segments: readonly (Segment & { target: string })[]): Promise<void>;
  listSegments(jobId: string): Promise<SegmentState[]>;
  setSegmentStatus(jobId: string, segmentId: string, status: SegmentStatus): Promise<void>;
  /** Cursor, totals and dead letters of one flushed batch, in one transaction; refuses a stale lease. */
  commit(lease: RunnerLease, segmentId: string, input: CommitInput): Promise<void>;

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
