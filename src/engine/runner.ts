/**
 * The job runner, one per process taking part in a job: lease → prepare (once per job) → claim segments and run
 * them, `concurrency` at a time → finish (once per job) → status. Alone (`ferry run`, `ferry resume`: an exclusive
 * runner) or as one of several workers (`shared`, `ferry worker`) on any machines: the state decides who prepares,
 * who runs which segment (a claim with a fencing token) and who finishes, so each happens once.
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
 *   rejects JOB_LOCKED. A segment taken over by another worker (this one stalled past its lease) is dropped: its late
 *   commit was refused by the fence, the rest of the run goes on;
 * - a worker whose job another worker failed stops gracefully; rejects JOB_FAILED. A worker that stops while others
 *   still run leaves the job `running` to them; the last one out sets the status.
 * In every case the `job.done` event carries the summary, and `ferry resume` continues exactly where the committed
 * cursors say. The caller owns the source and sink (and disposes them).
 */
import { setMaxListeners } from 'node:events';
import type { CheckpointStore, DeadLetter, JobRecord, RunnerEnd, SegmentLease, SegmentState } from '../core/checkpoint.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink, SinkRun, SinkRunReport } from '../core/sink.js';
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
  /** Join as one of several workers (`ferry worker`) rather than as the job's only runner. */
  shared?: boolean;
  /** How often a runner with nothing to claim looks again while other runners hold segments. Default min(ttl/3, 2 s). */
  pollMs?: number;
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
  const ttlMs = opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const pollMs = opts.pollMs ?? Math.max(50, Math.min(2000, Math.floor(ttlMs / 3)));
  const shared = opts.shared === true;

  if (job.status === 'succeeded') {
    throw new FerryError('JOB_FINISHED', `job ${job.id} already succeeded`, { hint: 'start a new job with `ferry run`' });
  }
  if (opts.abortSignal?.aborted) throw new FerryError('INTERRUPTED', `job ${job.id} aborted before it started`);

  // Hard abort: the caller's, or ours when the lease is lost.
  const hard = linkedAbort(opts.abortSignal);
  let stopReason: 'graceful' | 'failed' | undefined;
  let failure: unknown;
  // Another worker failed the job: read from the state at every renewal, and this worker drains.
  let failedElsewhere: FerryError | undefined;
  const onRenewed = async (): Promise<void> => {
    if (!shared || failedElsewhere || failure !== undefined) return;
    const now = await store.getJob(job.id);
    if (now?.status === 'failed') {
      failedElsewhere = new FerryError('JOB_FAILED', `job ${job.id} was failed by another worker${now.error ? `: ${now.error}` : ''}; this worker stopped`, {
        hint: `see \`ferry status ${job.id}\`; once the cause is fixed, \`ferry worker ${job.id}\` (or \`ferry resume\`) continues`,
      });
      stopReason ??= 'graceful';
    }
  };
  // Lease first: nothing (not even listing streams) happens for a job another runner holds.
  let keeper: LeaseKeeper;
  try {
    keeper = await LeaseKeeper.acquire(store, job.id, ttlMs, (e) => hard.abort(e), now, { shared, onRenewed });
  } catch (e) {
    hard.dispose();
    throw e;
  }

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
  let finish: 'here' | 'elsewhere' | undefined;
  /** This runner holds the finish step's claim (and completes it); `done` means an earlier run finished it. */
  let finishClaimed = false;
  /** Leaves the work when stopped while another runner prepares: the outcome below says `interrupted`. */
  const stoppedWaiting = new Error('stopped while waiting for the prepare step');

  const tooManyError = (rejected: number, lastKey: string | undefined): FerryError =>
    new FerryError('TOO_MANY_REJECTED', `${rejected} ${rejected === 1 ? 'item' : 'items'} rejected, over on_error.max_rejected (${maxRejected})`, {
      hint: `inspect them with \`ferry dead-letters ${job.id}\`; if they are acceptable, \`ferry resume ${job.id} --max-rejected N\``,
      details: { rejected, maxRejected, lastKey },
    });

  try {
    await store.setJobStatus(job.id, 'running');
    const resumed = (await store.listSegments(job.id)).length > 0;
    deadLettersBefore = await store.countDeadLetters(job.id);
    if (deadLettersBefore > maxRejected) {
      throw new FerryError('TOO_MANY_REJECTED', `job ${job.id} already has ${deadLettersBefore} dead letters, over on_error.max_rejected (${maxRejected})`, {
        hint: 'inspect them with `ferry dead-letters`, raise on_error.max_rejected if they are acceptable, then `ferry resume`',
      });
    }

    // Prepare, once per job: split the streams and prepare the targets (a `replace` wipes a target only here, before
    // any worker writes). The other runners wait for it, then plan from the recorded segments and prepare their sink
    // for writing without wiping.
    const sinkRun: SinkRun = {
      uploads: stateUploadLedger(store, () => keeper.lease),
      job: { id: job.id, createdAt: job.createdAt, planName: job.planName, planHash: job.planHash },
      outputs: () => store.segmentOutputs(job.id),
    };
    let prepareHere = false;
    for (;;) {
      const step = await store.claimStep(keeper.lease, 'prepare');
      if (step !== 'busy') {
        prepareHere = step === 'claimed';
        break;
      }
      if (stopReason !== undefined || hard.signal.aborted) break;
      await sleep(pollMs, hard.signal);
    }
    if (stopReason !== undefined && !prepareHere) throw stoppedWaiting;

    const works = await planStreams({
      plan,
      store,
      jobId: job.id,
      source,
      sink,
      desiredSegments: concurrency * Math.max(1, job.workers ?? 1),
      signal: hard.signal,
      targetName: opts.targetName,
    });
    for (const work of works) {
      const totals = work.segments.reduce<Totals>((t, s) => addTotals(t, { items: s.items, bytes: s.bytes, rejected: s.rejected }), { ...ZERO });
      Object.assign(jobTotals, addTotals(jobTotals, totals));
      tallies.push({ work, totals, run: { ...ZERO }, count: undefined, doneSegments: work.segments.filter((s) => s.status === 'done').length });
    }
    const tallyOf = new Map(tallies.map((t) => [t.work, t]));
    const pairKey = (stream: string, target: string): string => `${stream}\u0000${target}`;
    const workOf = new Map(works.map((w) => [pairKey(w.source.name, w.target), w]));
    const todo = tallies.filter((t) => t.doneSegments < t.work.segments.length);

    await store.appendEvent(job.id, 'job.started', {
      resumed,
      pid: process.pid,
      ...(shared ? { worker: true } : {}),
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

    // Each target prepared once by this runner; a target that already holds progress is never wiped.
    const prepared = new Set<string>();
    for (const t of todo) {
      if (prepared.has(t.work.target)) continue;
      prepared.add(t.work.target);
      const all = tallies.filter((x) => x.work.target === t.work.target).flatMap((x) => x.work.segments);
      await sink.prepare(t.work.targetRef, effectiveMode(t.work.mode, !prepareHere || hasProgress(all)), hard.signal, sinkRun);
    }
    if (prepareHere) await store.completeStep(keeper.lease, 'prepare');

    // The plan's rates are the target's, for the whole job: each of N workers takes its share.
    const share = shared ? Math.max(1, job.workers ?? 1) : 1;
    const rates = Object.fromEntries(Object.entries(rateLimitsOf(limits)).map(([unit, v]) => [unit, v / share]));
    const rl = new RateLimiter({
      limits: rates,
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
        if (deadLetters.length === 0 || tooMany) return;
        const lastKey = deadLetters[deadLetters.length - 1]!.key;
        const rejected = deadLettersBefore + runTotals.rejected;
        if (rejected > maxRejected) {
          tooMany = tooManyError(rejected, lastKey);
          fail(tooMany);
        } else if (shared) {
          // The limit is the job's: count every worker's dead letters in the state.
          store.countDeadLetters(job.id).then(
            (n) => {
              if (n > maxRejected && !tooMany) {
                tooMany = tooManyError(n, lastKey);
                fail(tooMany);
              }
            },
            () => {},
          );
        }
      },
    };

    // Claim, run, repeat: `concurrency` slots. A slot with nothing to claim waits while another runner holds
    // unfinished segments (they come free if it dies), and ends once every segment is done or none is held.
    const failedHere = new Set<string>();
    const othersHoldWork = async (): Promise<boolean> =>
      (await store.listSegments(job.id)).some((s) => s.status !== 'done' && s.holder !== undefined && !failedHere.has(s.id) && !isMe(s.holder, keeper));
    const slot = async (): Promise<void> => {
      while (stopReason === undefined && !hard.signal.aborted) {
        const claimed = await store.claimSegment(keeper.lease, { skip: [...failedHere] });
        if (!claimed) {
          if (!(await othersHoldWork())) return;
          await sleep(pollMs, hard.signal).catch(() => {});
          continue;
        }
        const work = workOf.get(pairKey(claimed.segment.stream, claimed.segment.target));
        if (!work) {
          failedHere.add(claimed.segment.id);
          await store.releaseSegment(claimed.lease, 'pending').catch(() => {});
          fail(new FerryError('NOT_FOUND', `segment ${claimed.segment.id} belongs to no stream this plan lists now`, { hint: 'the plan or the source changed since the job started; start a new job' }));
          return;
        }
        if (claimed.takeover) {
          const from = claimed.takeover.from;
          const whose = from ? `pid ${from.pid} on ${from.host}, whose lease lapsed` : 'a runner whose lease lapsed';
          emit({ type: 'segment.lease', segmentId: claimed.segment.id, stream: work.source.name, target: work.target, change: 'takeover', fence: claimed.lease.fence, reason: `took the segment over from ${whose}` });
        }
        await runClaimed(claimed.segment, claimed.lease, work);
      }
    };
    const runClaimed = async (seg: SegmentState, lease: SegmentLease, work: StreamWork): Promise<void> => {
      const t = tallyOf.get(work)!;
      // The claim's view is the latest committed one (another worker may have moved it): re-base the tallies on it.
      const known = work.segments.find((s) => s.id === seg.id);
      if (known) {
        const delta = { items: seg.items - known.items, bytes: seg.bytes - known.bytes, rejected: seg.rejected - known.rejected };
        t.totals = addTotals(t.totals, delta);
        Object.assign(jobTotals, addTotals(jobTotals, delta));
        Object.assign(known, { items: seg.items, bytes: seg.bytes, rejected: seg.rejected, cursor: seg.cursor });
      }
      const live = { ...seg };
      const wrapped: SegmentContext = {
        ...ctx,
        committed: (w, _s, delta, dls) => {
          live.items += delta.items;
          live.bytes += delta.bytes;
          live.rejected += delta.rejected;
          if (known) Object.assign(known, { items: live.items, bytes: live.bytes, rejected: live.rejected });
          ctx.committed(w, live, delta, dls);
        },
      };
      try {
        const outcome = await runSegment(wrapped, work, live, lease);
        if (outcome === 'done') {
          t.doneSegments += 1;
          if (known) known.status = 'done';
        } else await releaseSegment(store, keeper, lease, 'pending');
      } catch (e) {
        if (isFenced(e) && !hard.signal.aborted) {
          // This runner stalled past its lease and another took the segment over: its late batch was refused.
          emit({ type: 'segment.lease', segmentId: seg.id, stream: work.source.name, target: work.target, change: 'lost', fence: lease.fence, reason: 'another runner took the segment over while this one stalled; its last batch was not committed' });
          await store.appendEvent(job.id, 'segment.lost', { segmentId: seg.id, fence: lease.fence, pid: process.pid }).catch(() => {});
          return;
        }
        failedHere.add(seg.id);
        fail(e);
        await releaseSegment(store, keeper, lease, hard.signal.aborted ? 'pending' : 'failed');
      }
    };
    await Promise.all(Array.from({ length: concurrency }, slot));

    const segments = await store.listSegments(job.id);
    allDone = stopReason === undefined && !hard.signal.aborted && segments.length > 0 && segments.every((s) => s.status === 'done');
    if (allDone) {
      const step = await store.claimStep(keeper.lease, 'finish');
      if (step === 'claimed') {
        // Whole-stream work (an object mirror's deletes) once every segment of every stream is durable.
        if (sink.finishStream) {
          for (const t of tallies) await sink.finishStream(t.work.targetRef, { source, stream: t.work.source }, hard.signal);
        }
        await sink.finishJob?.(sinkRun, hard.signal);
        finish = 'here';
        finishClaimed = true;
      } else if (step === 'done' && (await store.getJob(job.id))?.status !== 'succeeded') {
        // A runner finished the whole-stream work and died before the status: this one records it (and verifies).
        finish = 'here';
      } else {
        // Another runner finishes (busy) or finished (done, status recorded): it verifies, not this one.
        finish = 'elsewhere';
      }
      // Totals as the state has them: every worker's.
      const fresh = new Map(segments.map((s) => [s.id, s]));
      Object.assign(jobTotals, ZERO);
      for (const t of tallies) {
        t.totals = t.work.segments.reduce<Totals>((sum, s) => {
          const f = fresh.get(s.id) ?? s;
          return addTotals(sum, { items: f.items, bytes: f.bytes, rejected: f.rejected });
        }, { ...ZERO });
        t.doneSegments = t.work.segments.length;
        Object.assign(jobTotals, addTotals(jobTotals, t.totals));
      }
    }
  } catch (e) {
    if (e !== stoppedWaiting) fail(e);
  } finally {
    opts.stopSignal?.removeEventListener('abort', onStop);
    countAbort.abort();
    await limiter?.stop();
  }

  // Decide the outcome.
  const lost = keeper.lost;
  hard.dispose();
  let status: JobSummary['status'];
  let error: unknown;
  if (lost) {
    status = 'failed';
    error = lost;
  } else if (failure !== undefined) {
    status = 'failed';
    error = failure;
  } else if (failedElsewhere) {
    status = 'failed';
    error = failedElsewhere;
  } else if (allDone) {
    status = 'succeeded';
  } else if (opts.abortSignal?.aborted || stopReason === 'graceful' || hard.signal.aborted) {
    status = 'interrupted';
    error = new FerryError('INTERRUPTED', `job ${job.id} interrupted; \`ferry resume ${job.id}\` continues where it stopped`);
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
    ...(status === 'succeeded' ? { finishedHere: finish === 'here' } : {}),
  };
  const targetReport = safeReport(sink);
  if (targetReport) summary.target = targetReport;

  if (!lost) {
    // The status this runner leaves: a success only from the finisher; a failure always (the other workers read it
    // and drain); an interruption only from the last runner out, unless the job was failed meanwhile.
    const end: RunnerEnd | undefined =
      status === 'succeeded'
        ? finish === 'here'
          ? { status: 'succeeded' }
          : undefined
        : failedElsewhere
          ? undefined
          : status === 'failed'
            ? { status: 'failed', error: errorInfo(error).message }
            : { status: 'interrupted', error: errorInfo(error).message, onlyIfLast: shared };
    try {
      // The event first, the status last: if the process dies in between, the job is still resumable and the
      // resume writes both again, instead of a `succeeded` job with no record of how it ended.
      await store.appendEvent(job.id, end ? 'job.finished' : 'worker.finished', {
        status,
        items: summary.items,
        bytes: summary.bytes,
        rejected: summary.rejected,
        run: summary.run,
        durationMs: summary.durationMs,
        ...(shared ? { pid: process.pid } : {}),
        ...(summary.error ? { error: summary.error } : {}),
        ...(summary.target ? { target: summary.target.data } : {}),
      });
      // The status before the step's `done`: a runner that finds the step done knows the job's end is recorded.
      if (finishClaimed) {
        await store.setJobStatus(job.id, 'succeeded');
        await store.completeStep(keeper.lease, 'finish');
      }
      await keeper.release(end);
    } catch (e) {
      // The state store failing now leaves the job `running` with a stale lease: resumable, and the original
      // outcome is the more useful error. A success that cannot be recorded is not a success.
      await keeper.release().catch(() => {});
      if (error === undefined) error = e;
    }
  } else {
    await keeper.release();
  }
  emit({ type: 'job.done', summary });
  if (error !== undefined) throw error;
  return summary;
}

function isMe(holder: { pid: number; host: string }, keeper: LeaseKeeper): boolean {
  return holder.pid === keeper.lease.holder.pid && holder.host === keeper.lease.holder.host;
}

function isFenced(e: unknown): boolean {
  return isFerryError(e) && e.code === 'JOB_LOCKED' && e.details?.['fenced'] === true;
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

async function releaseSegment(store: CheckpointStore, keeper: LeaseKeeper, lease: SegmentLease, status: 'pending' | 'failed'): Promise<void> {
  if (keeper.lost) return;
  try {
    await store.releaseSegment(lease, status);
  } catch {
    // The lease lapses with the runner's; a claim then finds the segment free anyway.
  }
}
