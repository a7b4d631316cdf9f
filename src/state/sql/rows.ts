/** The SQL state's rows as the drivers return them, and the records the contract speaks in. */
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
  workers: number;
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
  fence: number;
  lease_owner: string | null;
}

/** A segment with its lease holder's runner row (LEFT JOIN: null columns when unheld). */
export interface HeldSegmentRow extends SegmentRow {
  r_token: string | null;
  r_pid: number | null;
  r_host: string | null;
  r_since: string | null;
  r_expires_at: number | null;
  r_heartbeat_at: string | null;
  r_shared: number | null;
}

export interface RunnerRow {
  token: string;
  job_id: string;
  pid: number;
  host: string;
  since: string;
  expires_at: number;
  heartbeat_at: string | null;
  shared: number;
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
  fence: number;
}

export const JOB_COLUMNS =
  'id, plan_name, plan_hash, plan_path, kind, status, created_at, updated_at, finished_at, error, workers';

/** The segment columns and its holder's, for `FROM segments s LEFT JOIN runners r ON r.token = s.lease_owner`. */
export const HELD_SEGMENT_COLUMNS =
  's.*, r.token AS r_token, r.pid AS r_pid, r.host AS r_host, r.since AS r_since, r.expires_at AS r_expires_at, ' +
  'r.heartbeat_at AS r_heartbeat_at, r.shared AS r_shared';

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
    workers: Number(r.workers ?? 1),
  };
}

export function toSegment(r: SegmentRow, holder?: RunnerHolder): SegmentState {
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
    fence: Number(r.fence ?? 0),
    holder,
  };
}

export function toHolder(r: RunnerRow): RunnerHolder {
  return { pid: r.pid, host: r.host, since: r.since, ...(r.heartbeat_at ? { heartbeatAt: r.heartbeat_at } : {}), shared: r.shared === 1 };
}

/** The runner row of a held segment (HELD_SEGMENT_COLUMNS), if it has one. */
export function holderRow(r: HeldSegmentRow): RunnerRow | undefined {
  if (r.r_token === null || r.r_pid === null || r.r_host === null || r.r_since === null || r.r_expires_at === null) return undefined;
  return { token: r.r_token, job_id: r.job_id, pid: r.r_pid, host: r.r_host, since: r.r_since, expires_at: r.r_expires_at, heartbeat_at: r.r_heartbeat_at, shared: r.r_shared ?? 0 };
}
