import type { CheckpointStore, JobRecord, RunnerHolder, SegmentState } from '../core/checkpoint.js';

/** What `ferry status` and `ferry jobs` show of a job, in JSON and on a terminal. */
export interface JobView {
  id: string;
  plan: string;
  kind: string;
  status: string;
  /** The (first) live runner, if the job is running; absent when the runner is gone (killed). */
  runner?: RunnerHolder;
  /** Every live runner: one for `ferry run`, one per worker for a job run by `ferry worker`s. */
  runners?: RunnerHolder[];
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  error?: string;
  segments: { total: number; done: number; running: number; failed: number };
  items: number;
  bytes: number;
  deadLetters: number;
  /** Outcome of the latest verification of each stream and verifier, combined; absent if never verified. */
  verification?: 'match' | 'differ' | 'inconclusive';
  next?: string;
}

export async function jobView(store: CheckpointStore, job: JobRecord, segs?: SegmentState[]): Promise<JobView> {
  const segments = segs ?? (await store.listSegments(job.id));
  const runners = await store.runnersOf(job.id);
  const runner = runners[0];
  const view: JobView = {
    id: job.id,
    plan: job.planName,
    kind: job.kind,
    // A job marked running whose runner lock has expired was killed: say so, it is resumable.
    status: job.status === 'running' && !runner ? 'stalled' : job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    segments: {
      total: segments.length,
      done: segments.filter((s) => s.status === 'done').length,
      running: segments.filter((s) => s.status === 'running').length,
      failed: segments.filter((s) => s.status === 'failed').length,
    },
    items: segments.reduce((a, s) => a + s.items, 0),
    bytes: segments.reduce((a, s) => a + s.bytes, 0),
    deadLetters: await store.countDeadLetters(job.id),
  };
  if (runner) {
    view.runner = runner;
    view.runners = runners;
  }
  const verification = await latestVerification(store, job.id);
  if (verification) view.verification = verification;
  if (job.finishedAt) view.finishedAt = job.finishedAt;
  if (job.error) view.error = job.error;
  if (view.status !== 'succeeded' && view.status !== 'running') view.next = `ferry resume ${job.id}`;
  return view;
}

/** The latest result per (stream, verifier) decides: a repaired and re-verified job shows `match`. */
async function latestVerification(store: CheckpointStore, jobId: string): Promise<JobView['verification']> {
  const latest = new Map<string, string>();
  for (const r of await store.verifyResults(jobId)) latest.set(`${r.stream}\u0000${r.verifier}`, r.outcome);
  if (latest.size === 0) return undefined;
  const outcomes = [...latest.values()];
  if (outcomes.includes('differ')) return 'differ';
  if (outcomes.includes('inconclusive')) return 'inconclusive';
  return 'match';
}
