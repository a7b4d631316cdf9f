import { setMaxListeners } from 'node:events';
import os from 'node:os';
import type { JobRecord } from '../core/checkpoint.js';
import type { StateStore } from '../core/state-store.js';
import type { Logger } from '../core/connector.js';
import { runPlanJob, type JobSummary, type RunPlanJobResult } from '../engine/index.js';
import { EXIT, isFerryError, redact } from '../errors.js';
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
    /** Told the job once it exists (a new job is created only after both connectors opened). */
    onJob?: (job: JobRecord) => void;
    json: boolean;
    debug: boolean;
    /** One of several workers (`ferry worker`). */
    shared?: boolean;
    leaseTtlMs?: number;
  },
): Promise<number> {
  const { io } = ctx;
  const { loaded, store } = opts;
  const reporter: Reporter = reporterFor(io, opts.json);
  const logger = cliLogger(reporter, opts.debug);
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

  let verifyCode: number | undefined;
  let result: RunPlanJobResult;
  try {
    result = await runPlanJob({
      loaded,
      store,
      job: opts.job,
      openConnectors: ctx.openConnectors,
      connectorCtx: { signal: new AbortController().signal, logger },
      stopSignal: stop.signal,
      abortSignal: abort.signal,
      onEvent: (e) => reporter.onEvent(e),
      ...(opts.onJob ? { onJob: opts.onJob } : {}),
      ...(opts.shared ? { shared: true } : {}),
      ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {}),
      after: async (job, summary, conns) => {
        reporter.stop();
        if (!opts.json && io.isTTY) io.out(describeSummary(summary));
        // Verification belongs to the run: a load is not done until it is proven (`verify: []` turns it off).
        if ((loaded.plan.verify ?? []).length === 0 || stop.signal.aborted) return;
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
      },
    });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const { job, summary } = result;
  if (summary && result.afterFailure !== undefined) {
    // The load succeeded; only verification failed or was interrupted.
    const code = reportError(io, result.afterFailure, opts.debug);
    io.err(`  then: \`ferry verify ${job.id}\` verifies the job again`);
    return code;
  }
  // runJob returns a summary only for a job that succeeded; every other end is a failure, reported below.
  if (summary?.finishedHere === false) {
    io.err(`ferry: every segment of job ${job.id} is done; another worker finishes the job and verifies it (\`ferry status ${job.id}\`)`);
  }
  if (summary) return verifyCode ?? EXIT.OK;
  const failure = result.failure;
  const code = reportError(io, failure, opts.debug);
  const locked = isFerryError(failure) && (failure.code === 'JOB_LOCKED' || failure.code === 'JOB_FINISHED');
  // The job did not run to the end and was left resumable (runPlanJob): say how, unless the message already did.
  const said = isFerryError(failure) && `${failure.message} ${failure.hint ?? ''}`.includes(`ferry resume ${job.id}`);
  if (!locked && !said) io.err(`  then: \`ferry resume ${job.id}\` continues from the last checkpoint`);
  return code;
}

export function describeSummary(s: JobSummary): string {
  const lines = [
    '',
    `job ${s.jobId} ${s.status} in ${formatDuration(s.durationMs)}`,
    `  items ${formatCount(s.items)} (this run ${formatCount(s.run.items)}, ${formatCount(Math.round(s.run.items / Math.max(0.001, s.durationMs / 1000)))} items/s), dead letters ${formatCount(s.rejected)}`,
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
