import { setMaxListeners } from 'node:events';
import os from 'node:os';
import type { JobRecord } from '../core/checkpoint.js';
import type { StateStore } from '../core/state-store.js';
import type { Logger } from '../core/connector.js';
import { runJob, type JobSummary } from '../engine/index.js';
import { EXIT, FerryError, isFerryError, redact } from '../errors.js';
import type { LoadedPlan } from '../plan/index.js';
import type { CliContext } from './context.js';
import { formatCount, formatDuration, reportError } from './output.js';
import { reporterFor, type Reporter } from './progress.js';
import { runVerification } from './verification.js';

/**
 * Run or resume one job from the CLI: connectors, signals (first Ctrl-C drains, second aborts), progress, summary.
 * Returns the exit code.
 */
export async function executeJob(
  ctx: CliContext,
  opts: {
    loaded: LoadedPlan;
    store: StateStore;
    /** The job, or how to create it: a new job is recorded only once both connectors opened. */
    job: JobRecord | (() => Promise<JobRecord>);
    json: boolean;
    debug: boolean;
  },
): Promise<number> {
  const { io } = ctx;
  const { loaded, store } = opts;
  // Opening the connectors first means a plan whose store is unreachable or unsupported leaves no job behind.
  const logger = cliLogger({ onEvent: () => {}, note: (t) => io.err(t), stop: () => {} }, opts.debug);
  const conns = await ctx.openConnectors(loaded.plan, { signal: new AbortController().signal, logger });
  let job: JobRecord;
  try {
    job = typeof opts.job === 'function' ? await opts.job() : opts.job;
  } catch (e) {
    await conns[Symbol.asyncDispose]();
    throw e;
  }
  const reporter: Reporter = reporterFor(io, opts.json);
  const stop = new AbortController();
  const abort = new AbortController();
  // Every concurrent read, write and wait listens on these; dozens at once are normal, not a leak.
  setMaxListeners(0, stop.signal, abort.signal);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      reporter.note(`${sig}: finishing in-flight batches and checkpointing; press Ctrl-C again to abort now`);
      stop.abort();
    } else {
      reporter.note(`${sig}: aborting now; the job stays resumable from its last checkpoint`);
      abort.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let summary: JobSummary | undefined;
  let failure: unknown;
  let verifyCode: number | undefined;
  try {
    summary = await runJob({
      plan: loaded,
      store,
      job,
      source: conns.source,
      sink: conns.sink,
      stopSignal: stop.signal,
      abortSignal: abort.signal,
      onEvent: (e) => reporter.onEvent(e),
    });
    reporter.stop();
    if (!opts.json && io.isTTY) io.out(describeSummary(summary));
    // Verification belongs to the run: a load is not done until it is proven (`verify: []` turns it off).
    if (summary.status === 'succeeded' && (loaded.plan.verify ?? []).length > 0 && !stop.signal.aborted) {
      const v = await runVerification(ctx, {
        plan: loaded.plan,
        store,
        jobId: job.id,
        source: conns.source,
        sink: conns.sink,
        // The first Ctrl-C stops a verification at once: it has nothing to checkpoint.
        connectorCtx: { signal: AbortSignal.any([stop.signal, abort.signal]), logger },
        reporter,
        json: opts.json,
      });
      verifyCode = v.code;
    }
  } catch (e) {
    failure = e;
  } finally {
    await conns[Symbol.asyncDispose]();
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (summary && summary.status === 'succeeded' && failure !== undefined) {
    // The load succeeded; only verification failed or was interrupted.
    const code = reportError(io, failure, opts.debug);
    io.err(`  then: \`ferry verify ${job.id}\` verifies the job again`);
    return code;
  }
  if (summary) {
    if (summary.status === 'succeeded') return verifyCode ?? EXIT.OK;
    if (summary.status === 'interrupted') {
      io.err(`ferry: job ${job.id} interrupted; nothing is lost`);
      io.err(`  fix: continue it with \`ferry resume ${job.id}\``);
      return EXIT.INTERRUPTED;
    }
    const err = summary.error;
    io.err(redact(`ferry: job ${job.id} failed: ${err?.message ?? 'unknown error'}`));
    if (err?.hint) io.err(redact(`  fix: ${err.hint}`));
    io.err(`  then: \`ferry resume ${job.id}\` continues from the last checkpoint`);
    return err?.code === 'INTERRUPTED' ? EXIT.INTERRUPTED : EXIT.FAILED;
  }
  const code = reportError(io, failure, opts.debug);
  const locked = isFerryError(failure) && (failure.code === 'JOB_LOCKED' || failure.code === 'JOB_FINISHED');
  if (!locked) {
    // The job did not run to the end: leave it resumable, and say how unless the message already did.
    try {
      if ((await store.getJob(job.id))?.status === 'running') await store.setJobStatus(job.id, 'failed', messageOf(failure));
    } catch {
      // The state itself is what failed: the job stays `running` there, and resume takes its lease over.
    }
    const said = isFerryError(failure) && `${failure.message} ${failure.hint ?? ''}`.includes(`ferry resume ${job.id}`);
    if (!said) io.err(`  then: \`ferry resume ${job.id}\` continues from the last checkpoint`);
  }
  return code;
}

function messageOf(e: unknown): string {
  return redact(e instanceof Error ? e.message : String(e));
}

export function describeSummary(s: JobSummary): string {
  const lines = [
    '',
    `job ${s.jobId} ${s.status} in ${formatDuration(s.durationMs)}`,
    `  items ${formatCount(s.items)} (this run ${formatCount(s.run.items)}), dead letters ${formatCount(s.rejected)}`,
  ];
  for (const st of s.streams) {
    const count = st.count === undefined ? '' : ` of ${formatCount(st.count)}`;
    lines.push(
      `  ${st.stream} → ${st.target}: ${formatCount(st.totals.items)}${count} items, ` +
        `${st.doneSegments}/${st.segments} segments, ${formatCount(st.totals.rejected)} dead letters`,
    );
  }
  for (const line of s.target?.lines ?? []) lines.push(`  ${line}`);
  if (s.rejected > 0) lines.push(`  dead letters: \`ferry dead-letters ${s.jobId}\``);
  return lines.join('\n');
}

export function cliLogger(reporter: Reporter, debug: boolean): Logger {
  return {
    debug: (msg) => {
      if (debug) reporter.note(redact(msg));
    },
    info: (msg) => reporter.note(redact(msg)),
    warn: (msg) => reporter.note(redact(`warning: ${msg}`)),
  };
}

/** Who runs a job, for messages. */
export function runnerName(): string {
  return `pid ${process.pid} on ${os.hostname()}`;
}

export function unfinishedJobError(job: JobRecord, planFile: string): FerryError {
  return new FerryError('USAGE', `plan "${job.planName}" has an unfinished job ${job.id} (${job.status}, started ${job.createdAt})`, {
    hint: `continue it with \`ferry resume ${job.id}\`, or start over with \`ferry run ${planFile} --new\``,
  });
}
