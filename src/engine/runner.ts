import { setMaxListeners } from 'node:events';
/**
 * The job runner: lease → plan segments → prepare targets → run segments in parallel → final status.
 *
 * Outcomes (the job's status in the store, and what `runJob` does):
 * - every segment done → `succeeded`, resolves with the summary;
 * - graceful stop (`stopSignal`) → in-flight batches finish, flush and commit; `interrupted`; rejects INTERRUPTED;
 * - hard abort (`abortSignal`) → in-flight source/sink calls are aborted and nothing unflushed is committed;
 *   `interrupted`; rejects INTERRUPTED;
 * - `on_error.max_rejected` exceeded → the other segments stop gracefully, everything flushed is committed
 *   (dead letters included); `failed`; rejects TOO_MANY_REJECTED (a resume with a raised limit continues);
 * - any other failure → the other segments stop gracefully; `failed`; rejects with the error;
 * - runner lease lost → stops at once, writes nothing more to the store (the job is someone else's now);
 *   rejects JOB_LOCKED.
 * In every case the `job.done` event carries the summary, and `ferry resume` continues exactly where the committed
 * cursors say. The caller owns the source and sink (and disposes them).
 */
import type { CheckpointStore, DeadLetter, JobRecord, SegmentState } from '../core/checkpoint.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink, SinkRunReport } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { FerryError, isFerryError, redact } from '../errors.js';
import { PLAN_DEFAULTS } from '../plan/defaults.js';
import type { LoadedPlan, Plan } from '../plan/types.js';
import { DEFAULT_BACKOFF, sleep as defaultSleep, type BackoffOptions, type Sleep } from './backoff.js';
import { BatchWriter, DEFAULT_MAX_RETRIES } from './batch-writer.js';
import { addTotals, safeEmitter, ZERO, type JobSummary, type ProgressEvent, type StreamInfo, type Totals } from './events.js';
import { DEFAULT_LEASE_TTL_MS, LeaseKeeper } from './lease-keeper.js';
import { linkedAbort } from './linked-abort.js';
import { RateLimiter, rateLimitsOf, type RateLimiterOptions } from './rate-limiter.js';
import { runPool } from './segment-scheduler.js';
import { runSegment, type SegmentContext, type SegmentOutcome } from './segment-runner.js';
import { stateUploadLedger } from './upload-ledger.js';
import { effectiveMode, hasProgress, planStreams, type StreamWork, type TargetNamer } from './stream-plan.js';

export const DEFAULT_CONCURRENCY = 4;
/** The plan's default (PLAN_DEFAULTS), for library callers that pass a plan without one. */
export const DEFAULT_BATCH_SIZE = PLAN_DEFAULTS.batch_size;
export const DEFAULT_MAX_REJECTED = 0;

export interface RunJobOptions {
  /** The plan (a loaded one or a bare one; bare plans get the engine's defaults). */
  plan: Plan | LoadedPlan;
  store: CheckpointStore;
  /** The job to run or resume (from `store.createJob` / `store.findUnfinishedJob`). */
  job: JobRecord;
  source: Source<FerryRecord>;
  sink: Sink<FerryRecord>;
  /** Graceful stop (first Ctrl-C): pull no new batch, finish, flush and commit what is in flight. */
  stopSignal?: AbortSignal;
  /** Hard abort (second Ctrl-C): cancel in-flight calls, commit nothing more. */
  abortSignal?: AbortSignal;
  onEvent?: (event: ProgressEvent) => void;
  /** Runner lease time-to-live; renewed every ttl/3. Default 30 s. */
  leaseTtlMs?: number;
  /** Target naming (default: `to:`, else the source name without schema); the CLI may pass the connector's. */
  targetName?: TargetNamer;
  /** Retry backoff of writes and flushes (tests: `random: () => 0`). */
  backoff?: Partial<BackoffOptions>;
  sleep?: Sleep;
  now?: () => number;
  /** AIMD tuning of the rate limiter. */
  aimd?: Omit<RateLimiterOptions, 'limits' | 'now' | 'onChange'>;
}

function isLoaded(p: Plan | LoadedPlan): p is LoadedPlan {
  return typeof (p as LoadedPlan).hash === 'string' && typeof (p as LoadedPlan).plan === 'object';
}

function positive(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.floor(v) : fallback;
}

function errorInfo(e: unknown): { code: string; message: string; hint?: string } {
  if (isFerryError(e)) return { code: e.code, message: redact(e.message), ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'INTERNAL', message: redact(e instanceof Error ? e.message : String(e)) };
}

interface StreamTally {
  work: StreamWork;
  totals: Totals;
  run: Totals;
  count: number | undefined;
  doneSegments: number;
}

export async function runJob(opts: RunJobOptions): Promise<JobSummary> {
  const plan = isLoaded(opts.plan) ? opts.plan.plan : opts.plan;
  const { store, job, source, sink } = opts;
  const now = opts.now ?? Date.now;
  const started = now();
  const emit = safeEmitter(job.id, now, opts.onEvent);
  const limits = plan.limits ?? {};
  const concurrency = positive(limits.concurrency, DEFAULT_CONCURRENCY);
  const batchSize = positive(limits.batch_size, DEFAULT_BATCH_SIZE);
  const maxRetries = typeof limits.max_retries === 'number' && limits.max_retries >= 0 ? Math.floor(limits.max_retries) : DEFAULT_MAX_RETRIES;
  const maxRejected = typeof plan.on_error?.max_rejected === 'number' ? plan.on_error.max_rejected : DEFAULT_MAX_REJECTED;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const sleep = opts.sleep ?? defaultSleep;

  if (job.status === 'succeeded') {
    throw new FerryError('JOB_FINISHED', `job ${job.id} already succeeded`, { hint: 'start a new job with `ferry run`' });
  }
  if (opts.abortSignal?.aborted) throw new FerryError('INTERRUPTED', `job ${job.id} aborted before it started`);

  // Hard abort: the caller's, or ours when the lease is lost.
  const hard = linkedAbort(opts.abortSignal);
  // Lease first: nothing (not even listing streams) happens for a job another runner holds.
  let keeper: LeaseKeeper;
  try {
    keeper = await LeaseKeeper.acquire(store, job.id, opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, (e) => hard.abort(e));
  } catch (e) {
    hard.dispose();
    throw e;
  }

  let stopReason: 'graceful' | 'failed' | undefined;
  let failure: unknown;
  const fail = (e: unknown): void => {
    // Errors raised by an abort are its consequence, not a failure of their own.
    if (failure === undefined && !hard.signal.aborted) failure = e;
    stopReason ??= 'failed';
  };
  const onStop = (): void => {
    stopReason ??= 'graceful';
  };
  if (opts.stopSignal?.aborted) onStop();
  opts.stopSignal?.addEventListener('abort', onStop, { once: true });

  const tallies: StreamTally[] = [];
  const jobTotals: Totals = { ...ZERO };
  const runTotals: Totals = { ...ZERO };
  let deadLettersBefore = 0;
  let tooMany: FerryError | undefined;
  const countAbort = new AbortController();
  setMaxListeners(0, countAbort.signal);
  let limiter: RateLimiter | undefined;
  let allDone = false;

  try {
    await store.setJobStatus(job.id, 'running');
    const resumed = (await store.listSegments(job.id)).length > 0;
    deadLettersBefore = await store.countDeadLetters(job.id);
    if (deadLettersBefore > maxRejected) {
      throw new FerryError('TOO_MANY_REJECTED', `job ${job.id} already has ${deadLettersBefore} dead letters, over on_error.max_rejected (${maxRejected})`, {
        hint: 'inspect them with `ferry dead-letters`, raise on_error.max_rejected if they are acceptable, then `ferry resume`',
      });
    }

    const works = await planStreams({ plan, store, jobId: job.id, source, sink, desiredSegments: concurrency, signal: hard.signal, targetName: opts.targetName });
    for (const work of works) {
      const totals = work.segments.reduce<Totals>((t, s) => addTotals(t, { items: s.items, bytes: s.bytes, rejected: s.rejected }), { ...ZERO });
      Object.assign(jobTotals, addTotals(jobTotals, totals));
      tallies.push({ work, totals, run: { ...ZERO }, count: undefined, doneSegments: work.segments.filter((s) => s.status === 'done').length });
    }
    const tallyOf = new Map(tallies.map((t) => [t.work, t]));
    const todo = tallies.filter((t) => t.doneSegments < t.work.segments.length);

    await store.appendEvent(job.id, 'job.started', {
      resumed,
      pid: process.pid,
      streams: works.length,
      segments: works.reduce((n, w) => n + w.segments.length, 0),
      doneSegments: tallies.reduce((n, t) => n + t.doneSegments, 0),
    });
    emit({ type: 'job.start', resumed, streams: tallies.map(streamInfo), totals: { ...jobTotals } });

    // Exact counts for progress bars, in parallel with the run; a count that fails only costs the ETA.
    if (source.capabilities.exactCount && source.count) {
      for (const t of todo) {
        source.count(t.work.source, countAbort.signal).then(
          (n) => {
            t.count = n;
            emit({ type: 'stream.count', stream: t.work.source.name, target: t.work.target, count: n });
          },
          () => {},
        );
      }
    }

    // Prepare each target once; a target that already holds this job's progress is never wiped.
    const prepared = new Set<string>();
    const sinkRun = { uploads: stateUploadLedger(store, () => keeper.lease) };
    for (const t of todo) {
      if (prepared.has(t.work.target)) continue;
      prepared.add(t.work.target);
      const all = tallies.filter((x) => x.work.target === t.work.target).flatMap((x) => x.work.segments);
      await sink.prepare(t.work.targetRef, effectiveMode(t.work.mode, hasProgress(all)), hard.signal, sinkRun);
    }

    const rl = new RateLimiter({
      limits: rateLimitsOf(limits),
      now,
      onChange: (c) => emit({ type: 'throttle', ...c }),
      ...opts.aimd,
    });
    limiter = rl;
    const writer = new BatchWriter({ sink, limiter: rl, maxRetries, backoff, sleep, now, emit });

    const ctx: SegmentContext = {
      jobId: job.id,
      store,
      source,
      sink,
      writer,
      batchSize,
      maxRetries,
      backoff,
      sleep,
      lease: () => keeper.lease,
      stopping: () => stopReason !== undefined,
      hard: hard.signal,
      emit,
      committed: (work: StreamWork, seg: SegmentState, delta: Totals, deadLetters: readonly DeadLetter[]) => {
        const t = tallyOf.get(work)!;
        t.totals = addTotals(t.totals, delta);
        t.run = addTotals(t.run, delta);
        Object.assign(jobTotals, addTotals(jobTotals, delta));
        Object.assign(runTotals, addTotals(runTotals, delta));
        const ref = { segmentId: seg.id, stream: work.source.name, target: work.target };
        for (const d of deadLetters) emit({ type: 'dead-letter', ...ref, key: d.key, reason: d.reason });
        emit({
          type: 'batch',
          ...ref,
          ...delta,
          segmentTotals: { items: seg.items, bytes: seg.bytes, rejected: seg.rejected },
          streamTotals: { ...t.totals },
          jobTotals: { ...jobTotals },
          ...(t.count === undefined ? {} : { streamCount: t.count }),
        });
        const rejected = deadLettersBefore + runTotals.rejected;
        if (rejected > maxRejected && !tooMany) {
          tooMany = new FerryError('TOO_MANY_REJECTED', `${rejected} ${rejected === 1 ? 'item' : 'items'} rejected, over on_error.max_rejected (${maxRejected})`, {
            hint: `inspect them with \`ferry dead-letters ${job.id}\`; if they are acceptable, \`ferry resume ${job.id} --max-rejected N\``,
            details: { rejected, maxRejected, lastKey: deadLetters.length ? deadLetters[deadLetters.length - 1]!.key : undefined },
          });
          fail(tooMany);
        }
      },
    };

    const tasks = todo.flatMap((t) => t.work.segments.filter((s) => s.status !== 'done').map((seg) => ({ t, seg })));
    // Segment totals in events are cumulative: keep a live copy per segment.
    const results = await runPool(
      tasks,
      concurrency,
      async ({ t, seg }): Promise<SegmentOutcome> => {
        const live = { ...seg };
        const wrapped: SegmentContext = {
          ...ctx,
          committed: (work, _s, delta, dls) => {
            live.items += delta.items;
            live.bytes += delta.bytes;
            live.rejected += delta.rejected;
            ctx.committed(work, live, delta, dls);
          },
        };
        try {
          const outcome = await runSegment(wrapped, t.work, live);
          if (outcome === 'done') t.doneSegments += 1;
          else await markSegment(store, keeper, job.id, seg.id, 'pending');
          return outcome;
        } catch (e) {
          fail(e);
          await markSegment(store, keeper, job.id, seg.id, hard.signal.aborted ? 'pending' : 'failed');
          throw e;
        }
      },
      () => stopReason === undefined && !hard.signal.aborted,
    );
    allDone = results.length === tasks.length && results.every((r) => r.status === 'fulfilled' && r.value === 'done');
    // Whole-stream work (an object mirror's deletes) once every segment of every stream is durable.
    if (allDone && sink.finishStream) {
      for (const t of tallies) await sink.finishStream(t.work.targetRef, { source, stream: t.work.source }, hard.signal);
    }
  } catch (e) {
    fail(e);
  } finally {
    opts.stopSignal?.removeEventListener('abort', onStop);
    countAbort.abort();
    await limiter?.stop();
  }

  // Decide the outcome.
  const lost = keeper.lost;
  await keeper.release();
  hard.dispose();
  let status: JobSummary['status'];
  let error: unknown;
  if (lost) {
    status = 'failed';
    error = lost;
  } else if (failure !== undefined) {
    status = 'failed';
    error = failure;
  } else if (opts.abortSignal?.aborted || (stopReason === 'graceful' && !allDone) || (!allDone && hard.signal.aborted)) {
    status = 'interrupted';
    error = new FerryError('INTERRUPTED', `job ${job.id} interrupted; \`ferry resume ${job.id}\` continues where it stopped`);
  } else if (allDone) {
    status = 'succeeded';
  } else {
    status = 'failed';
    error = new FerryError('INTERNAL', `job ${job.id} ended with unfinished segments and no error`);
  }

  const summary: JobSummary = {
    jobId: job.id,
    status,
    ...jobTotals,
    run: { ...runTotals },
    durationMs: now() - started,
    streams: tallies.map((t) => ({ ...streamInfo(t), run: { ...t.run } })),
    ...(error === undefined ? {} : { error: errorInfo(error) }),
  };
  const targetReport = safeReport(sink);
  if (targetReport) summary.target = targetReport;

  if (!lost) {
    try {
      // The event first, the status last: if the process dies in between, the job is still resumable and the
      // resume writes both again, instead of a `succeeded` job with no record of how it ended.
      await store.appendEvent(job.id, 'job.finished', {
        status,
        items: summary.items,
        bytes: summary.bytes,
        rejected: summary.rejected,
        run: summary.run,
        durationMs: summary.durationMs,
        ...(summary.error ? { error: summary.error } : {}),
        ...(summary.target ? { target: summary.target.data } : {}),
      });
      await store.setJobStatus(job.id, status, error === undefined ? undefined : errorInfo(error).message);
    } catch (e) {
      // The state store failing now leaves the job `running` with a stale lease: resumable, and the original
      // outcome is the more useful error. A success that cannot be recorded is not a success.
      if (error === undefined) error = e;
    }
  }
  emit({ type: 'job.done', summary });
  if (error !== undefined) throw error;
  return summary;
}

/** The sink's account of this run; a sink that fails to give one must not turn a finished job into a failed one. */
function safeReport(sink: Sink<FerryRecord>): SinkRunReport | undefined {
  try {
    return sink.report?.();
  } catch {
    return undefined;
  }
}

function streamInfo(t: StreamTally): StreamInfo {
  return {
    stream: t.work.source.name,
    target: t.work.target,
    segments: t.work.segments.length,
    doneSegments: t.doneSegments,
    ...(t.count === undefined ? {} : { count: t.count }),
    totals: { ...t.totals },
  };
}

async function markSegment(store: CheckpointStore, keeper: LeaseKeeper, jobId: string, segmentId: string, status: 'pending' | 'failed'): Promise<void> {
  if (keeper.lost) return;
  try {
    await store.setSegmentStatus(jobId, segmentId, status);
  } catch {
    // Informational only: resume looks at `done`, not at this.
  }
}

