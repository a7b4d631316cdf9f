/**
 * A job's life as every front end runs it (the CLI today; a worker or a scheduler next), so that none of them
 * re-decides it: a new job of a plan is refused while one of the plan runs or is unfinished, and recorded only once
 * both connectors opened (an unreachable store leaves no job behind); a resume is refused for a finished job or one
 * a live runner holds, and re-reads the plan stored with the job; a failed run never leaves its job `running`: it is
 * `failed`, which is resumable. Printing, signals and verification reports stay with the caller.
 */
import type { CheckpointStore, JobRecord } from '../core/checkpoint.js';
import type { ConnectorContext } from '../core/connector.js';
import { FerryError, isFerryError, redact } from '../errors.js';
import { loadJobPlan, loadPlanText, type LoadedPlan } from '../plan/index.js';
import { planRunningError } from '../core/state-errors.js';
import type { JobSummary, ProgressEvent } from './events.js';
import type { OpenConnectors } from './open-connectors.js';
import { runJob } from './runner.js';

type Env = Record<string, string | undefined>;

export function jobNotFound(id: string): FerryError {
  return new FerryError('JOB_NOT_FOUND', `no job "${id}" in this state database`, {
    hint: '`ferry jobs` lists the jobs; pass --state PATH if the job ran with another state database',
  });
}

export function unfinishedJobError(job: JobRecord, planFile: string): FerryError {
  return new FerryError('USAGE', `plan "${job.planName}" has an unfinished job ${job.id} (${job.status}, started ${job.createdAt})`, {
    hint: `continue it with \`ferry resume ${job.id}\`, or start over with \`ferry run ${planFile} --new\``,
  });
}

/**
 * How to create a new job of `loaded`, after checking that it may be created: refused (PLAN_RUNNING) while a job of
 * the plan holds a live runner, and (USAGE) while one is unfinished unless `allowNew`. The job itself is created,
 * with this process's runner lock, by calling the result — `runPlanJob` does that once the connectors are open;
 * `createJob` refuses atomically again, should another run have started in between.
 */
export async function newJobOf(store: CheckpointStore, loaded: LoadedPlan, opts: { planFile: string; allowNew: boolean }): Promise<() => Promise<JobRecord>> {
  const unfinished = await store.findUnfinishedJob(loaded.plan.name, loaded.hash);
  const holder = unfinished ? await store.runnerOf(unfinished.id) : undefined;
  if (unfinished && holder) throw planRunningError(unfinished, holder);
  if (unfinished && !opts.allowNew) throw unfinishedJobError(unfinished, opts.planFile);
  return () =>
    store.createJob(
      { planName: loaded.plan.name, planHash: loaded.hash, planPath: loaded.path ?? opts.planFile, kind: loaded.plan.kind, planText: loaded.storedText },
      { claim: true },
    );
}

/**
 * A job record for workers to run (`ferry job create`, the one-off step before `ferry worker`s start): refused like
 * a new run while the plan has a running or unfinished job (unless `allowNew`), planned for `workers` workers. A
 * chosen `id` that exists already with this plan is given back as it is, so a retried create is harmless.
 */
export async function createWorkerJob(
  store: CheckpointStore,
  loaded: LoadedPlan,
  opts: { planFile: string; allowNew: boolean; workers: number; id?: string },
): Promise<{ job: JobRecord; existed: boolean }> {
  if (opts.id !== undefined) {
    const existing = await store.getJob(opts.id);
    if (existing && existing.planHash === loaded.hash) return { job: existing, existed: true };
    if (existing) {
      throw new FerryError('USAGE', `job ${opts.id} exists already, for another plan or version ("${existing.planName}", ${existing.planHash.slice(0, 19)})`, {
        hint: 'choose another id, or leave --id out',
      });
    }
  }
  const unfinished = await store.findUnfinishedJob(loaded.plan.name, loaded.hash);
  const holder = unfinished ? await store.runnerOf(unfinished.id) : undefined;
  if (unfinished && holder) throw planRunningError(unfinished, holder);
  if (unfinished && !opts.allowNew) throw unfinishedJobError(unfinished, opts.planFile);
  const job = await store.createJob({
    planName: loaded.plan.name,
    planHash: loaded.hash,
    planPath: loaded.path ?? opts.planFile,
    kind: loaded.plan.kind,
    planText: loaded.storedText,
    workers: opts.workers,
    ...(opts.id !== undefined ? { id: opts.id } : {}),
  });
  return { job, existed: false };
}

/**
 * The job `jobId` and its plan, ready to resume: JOB_NOT_FOUND, JOB_FINISHED (it succeeded) or JOB_LOCKED (a live
 * runner has it) before anything connects. The plan is the text stored with the job, `${env:...}` expanded from `env`.
 * `shared` (a worker joining other workers): live workers do not refuse it; the state refuses it beside an exclusive
 * runner when it joins.
 */
export async function resumableJob(store: CheckpointStore, jobId: string, env: Env, opts: { shared?: boolean } = {}): Promise<{ job: JobRecord; loaded: LoadedPlan }> {
  const job = await store.getJob(jobId);
  if (!job) throw jobNotFound(jobId);
  if (job.status === 'succeeded') {
    throw new FerryError('JOB_FINISHED', `job ${job.id} already succeeded; there is nothing to resume`, {
      hint: `start a new job with \`ferry run ${job.planPath ?? 'PLAN'} --new\``,
    });
  }
  const holder = opts.shared ? undefined : await store.runnerOf(job.id);
  if (holder) {
    const by = holder.shared ? `workers, among them pid ${holder.pid} on host ${holder.host}` : `pid ${holder.pid} on host ${holder.host} since ${holder.since}`;
    throw new FerryError('JOB_LOCKED', `job ${job.id} is being run by ${by}`, {
      hint: holder.shared
        ? `add a worker with \`ferry worker ${job.id}\`, or wait for the workers to finish`
        : "wait for it to finish, or stop that process (Ctrl-C); a killed runner's lock is taken over automatically",
    });
  }
  const text = await store.getPlanText(job.id);
  if (text === undefined) throw new FerryError('STATE', `job ${job.id} has no stored plan`, { hint: 'start a new job with `ferry run PLAN`' });
  return { job, loaded: await loadJobPlan(job, text, env, loadPlanText) };
}

export interface RunPlanJobInput {
  loaded: LoadedPlan;
  store: CheckpointStore;
  /** The job, or how to create it (`newJobOf`): created only once both connectors opened. */
  job: JobRecord | (() => Promise<JobRecord>);
  openConnectors: (plan: LoadedPlan['plan'], ctx: ConnectorContext) => Promise<OpenConnectors>;
  connectorCtx: ConnectorContext;
  onEvent?: (e: ProgressEvent) => void;
  /** Graceful stop: in-flight batches finish and checkpoint. */
  stopSignal?: AbortSignal;
  /** Hard abort: the job stays resumable from its last checkpoint. */
  abortSignal?: AbortSignal;
  /** Told the job as soon as it exists (before the run). */
  onJob?: (job: JobRecord) => void;
  /**
   * After a run that succeeded and that finished the job (a worker whose part is done while another finishes skips
   * it), with the connectors still open: verification. Its failure is `afterFailure`.
   */
  after?: (job: JobRecord, summary: JobSummary, conns: OpenConnectors) => Promise<void>;
  /** Run as one of several workers (`ferry worker`). */
  shared?: boolean;
  /** Runner lease time-to-live (default 30 s): how long a dead worker's segments wait before another takes them. */
  leaseTtlMs?: number;
}

export interface RunPlanJobResult {
  job: JobRecord;
  /** The run's summary when it succeeded (runJob throws for every other end: failed, interrupted, lease lost). */
  summary?: JobSummary;
  /** What ended a run that did not succeed. */
  failure?: unknown;
  /** What `after` threw, the run itself having summarised. */
  afterFailure?: unknown;
}

/**
 * Open the connectors, create (or take) the job, run it, run `after`, close the connectors, and mark a job that a
 * failed run left `running` (the state failing under it) as `failed`, which is resumable, unless another runner owns
 * the job. Throws only when nothing ran:
 * the connectors or the job could not be opened.
 */
export async function runPlanJob(input: RunPlanJobInput): Promise<RunPlanJobResult> {
  const { loaded, store } = input;
  const conns = await input.openConnectors(loaded.plan, input.connectorCtx);
  let job: JobRecord;
  try {
    job = typeof input.job === 'function' ? await input.job() : input.job;
  } catch (e) {
    await conns[Symbol.asyncDispose]();
    throw e;
  }
  input.onJob?.(job);
  const result: RunPlanJobResult = { job };
  try {
    result.summary = await runJob({
      plan: loaded,
      store,
      job,
      source: conns.source,
      sink: conns.sink,
      ...(input.stopSignal ? { stopSignal: input.stopSignal } : {}),
      ...(input.abortSignal ? { abortSignal: input.abortSignal } : {}),
      ...(input.onEvent ? { onEvent: input.onEvent } : {}),
      ...(input.shared ? { shared: true } : {}),
      ...(input.leaseTtlMs !== undefined ? { leaseTtlMs: input.leaseTtlMs } : {}),
    });
    if (input.after && result.summary.finishedHere !== false) {
      try {
        await input.after(job, result.summary, conns);
      } catch (e) {
        result.afterFailure = e;
      }
    }
  } catch (e) {
    result.failure = e;
  } finally {
    await conns[Symbol.asyncDispose]();
  }
  if (result.summary === undefined) await markFailed(store, job, result.failure);
  return result;
}

/**
 * A run that failed with its job still `running` leaves it `failed` (resumable), unless the job is another runner's,
 * or the run was interrupted: the runner recorded that itself, and a worker leaving early leaves the others running.
 */
async function markFailed(store: CheckpointStore, job: JobRecord, failure: unknown): Promise<void> {
  const theirs = ['JOB_LOCKED', 'JOB_FINISHED', 'JOB_FAILED', 'INTERRUPTED'];
  if (isFerryError(failure) && theirs.includes(failure.code)) return;
  try {
    if ((await store.getJob(job.id))?.status === 'running') {
      await store.setJobStatus(job.id, 'failed', redact(failure instanceof Error ? failure.message : String(failure)));
    }
  } catch {
    // The state itself is what failed: the job stays `running` there, and a resume takes its lease over.
  }
}
