/** The SQLite state's rows as better-sqlite3 returns them, and the records the contract speaks in. */
import type { JobRecord, JobStatus, RunnerHolder, SegmentState, SegmentStatus } from '../../core/checkpoint.js';

export interface JobRow {
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

export interface SegmentRow {
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

export interface LockRow {
  job_id: string;
  token: string;
  pid: number;
  host: string;
  since: string;
  expires_at: number;
}

export interface DeadLetterRow {
  id: number;
  job_id: string;
  segment_id: string;
  stream: string;
  key: string;
  reason: string;
  payload: string | null;
  created_at: string;
}

export interface CheckpointRow {
  job_id: string;
  segment_id: string;
  seq: number;
  cursor: string | null;
  items: number;
  bytes: number;
  rejected: number;
  at_ms: number;
}

export const JOB_COLUMNS =
  'id, plan_name, plan_hash, plan_path, kind, status, created_at, updated_at, finished_at, error';

export function toJob(r: JobRow): JobRecord {
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

export function toSegment(r: SegmentRow): SegmentState {
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

export function toHolder(r: LockRow): RunnerHolder {
  return { pid: r.pid, host: r.host, since: r.since };
}
