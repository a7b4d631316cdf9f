import type { CheckpointStore } from '../core/checkpoint.js';
import type { ConnectorContext } from '../core/connector.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { EXIT } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { deadLettersByStream, formatVerifyReport, verifyRecordOf, verifyStreams, type VerifyReport } from '../verify/index.js';
import type { CliContext } from './context.js';
import type { Reporter } from './progress.js';

export interface VerificationInput {
  plan: Plan;
  /** Needed with a job. */
  store?: CheckpointStore;
  /** The job whose dead letters are expected absent, and under which results are stored. */
  jobId?: string;
  source: Source<FerryRecord>;
  sink: Sink<FerryRecord>;
  connectorCtx: ConnectorContext;
  reporter: Reporter;
  json: boolean;
}

/**
 * Verify a plan's streams (the plan's `verify:` list), store the results with the job, print the report.
 * Returns the report and the exit code it implies: 0 on match, 1 on differ or inconclusive (unproven is not proven).
 */
export async function runVerification(ctx: CliContext, input: VerificationInput): Promise<{ report: VerifyReport; code: number }> {
  const { plan, store, jobId, reporter } = input;
  await using targetSource = await ctx.openTargetSource(plan, input.connectorCtx);
  reporter.note(`verifying: ${(plan.verify ?? []).map((v) => (typeof v === 'string' ? v : `sample(${v.sample})`)).join(', ')}`);
  const report = await verifyStreams({
    plan,
    source: input.source,
    targetSource,
    sink: input.sink,
    ...(jobId && store ? { deadLettersByStream: deadLettersByStream(store.deadLetters(jobId)) } : {}),
    signal: input.connectorCtx.signal,
    onResult: (r) => {
      if (jobId && store) store.saveVerifyResult(jobId, verifyRecordOf(r));
    },
  });
  if (input.json || !ctx.io.isTTY) ctx.io.out(JSON.stringify({ type: 'verify.done', at: Date.now(), ...(jobId ? { jobId } : {}), report }));
  else ctx.io.out(formatVerifyReport(report));
  if (report.outcome !== 'match') {
    const what = report.outcome === 'differ' ? 'found differences' : 'was inconclusive';
    ctx.io.err(`ferry: verification${jobId ? ` of job ${jobId}` : ''} ${what}`);
    ctx.io.err(
      report.outcome === 'differ'
        ? `  fix: the report names the keys; after repairing them, \`ferry verify ${jobId ?? 'PLAN'}\` checks again`
        : '  fix: the report says what could not be checked; fix that (a server, credentials) and verify again',
    );
  }
  return { report, code: report.outcome === 'match' ? EXIT.OK : EXIT.FAILED };
}
