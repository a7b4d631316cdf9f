/**
 * What the CLI reads and stores besides checkpoints: checkpoint history, job totals, plan verifications, dry-run
 * reports and their listing. Every state backend implements it with `CheckpointStore`; the two together are a
 * `StateStore`, which is what the CLI opens.
 */
import type { CheckpointStore } from './checkpoint.js';

/** One `ferry verify PLAN` run: the plan verified without a job. */
export interface PlanVerifyRun {
  runId: string;
  planName: string;
  planHash: string;
  planPath?: string;
}

/** A stored result of a plan verification. */
export interface PlanVerifyResultRecord extends PlanVerifyRun {
  stream: string;
  verifier: string;
  outcome: string;
  report: unknown;
  at: string;
}

/** A stored `ferry plan dry-run` report (its JSON apart). */
export interface DryRunReportRecord {
  id: string;
  planName: string;
  planHash: string;
  createdAt: string;
  verdict: 'ready' | 'blocked';
}

/**
 * One stored report as `ferry reports` lists it: a dry run (`dr-…`), a plan verification run (`vr-…`, its rows
 * together), or a job's verification (the job id: its latest result per stream and verifier, as `ferry status`
 * combines them, since a job's results carry no run id to group them by).
 */
export interface StoredReportSummary {
  id: string;
  kind: 'dry-run' | 'verify';
  /** Job verifications only: the job verified. */
  jobId?: string;
  planName: string;
  /** When it was stored (ISO-8601, UTC): a dry run's save, a verification's last result. */
  at: string;
  /** Dry run: `ready` or `blocked`; verify: `match`, `differ` or `inconclusive`. */
  outcome: string;
  /** Dry runs: findings by severity. */
  blockers?: number;
  warnings?: number;
  /** Streams in the report (verify: distinct source streams verified). */
  streams: number;
  /** Verify: results (one per stream and verifier). */
  checks?: number;
}

/** One row of the checkpoint history: what one commit added. */
export interface CheckpointRecord {
  jobId: string;
  segmentId: string;
  /** 1, 2, 3... per segment. */
  seq: number;
  cursor: string | undefined;
  /** Added by this commit (not totals). */
  items: number;
  bytes: number;
  rejected: number;
  at: string;
  atMs: number;
  /** The fence of the lease that made this commit (core/checkpoint.ts SegmentLease). */
  fence: number;
}

export interface JobTotals {
  segments: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
  items: number;
  bytes: number;
  rejected: number;
}

export interface StateReports {
  /** Checkpoint history (oldest first), for audit and rates; only the last N rows per segment are kept. */
  checkpoints(jobId: string, opts?: { segmentId?: string; sinceMs?: number; limit?: number }): Promise<CheckpointRecord[]>;
  jobTotals(jobId: string): Promise<JobTotals>;

  newPlanVerifyRunId(): Promise<string>;
  savePlanVerifyResult(run: PlanVerifyRun, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void>;
  planVerifyResults(filter?: { planName?: string; runId?: string }): Promise<PlanVerifyResultRecord[]>;
  /** A job's latest verify result of each stream and verifier (what `ferry status` combines), oldest first. */
  latestVerifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]>;

  saveDryRunReport(input: { planName: string; planHash: string; verdict: 'ready' | 'blocked'; report: unknown }): Promise<DryRunReportRecord>;
  listDryRunReports(opts?: { planName?: string; limit?: number }): Promise<DryRunReportRecord[]>;
  getDryRunReport(id: string): Promise<(DryRunReportRecord & { report: unknown }) | undefined>;
  listStoredReports(opts?: { planName?: string; kind?: 'dry-run' | 'verify'; limit?: number }): Promise<StoredReportSummary[]>;

  /** Schema version of the open state. */
  schemaVersion(): Promise<number>;
}

/** A state backend: checkpoints and leases for the engine, reports for the CLI. */
export type StateStore = CheckpointStore & StateReports;
