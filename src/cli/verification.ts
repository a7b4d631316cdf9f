import fs from 'node:fs';
import path from 'node:path';
import type { ConnectorContext } from '../core/connector.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { EXIT, FerryError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { StateStore } from '../core/state-store.js';
import { verifyJob } from '../engine/index.js';
import {
  formatVerifyReport,
  renderVerifyReport,
  type VerifyReport,
  type VerifyReportFormat,
  type VerifyReportMeta,
} from '../verify/index.js';
import type { CliContext } from './context.js';
import type { Reporter } from './progress.js';

export interface VerificationInput {
  plan: Plan;
  /** Needed with a job, and to keep a plan verification's results. */
  store?: StateStore;
  /** The job whose dead letters are expected absent, and under which results are stored. */
  jobId?: string;
  /** A plan verified without a job (`ferry verify PLAN`): its results are stored as a plan verification. */
  planRun?: { path: string | undefined; hash: string };
  source: Source<FerryRecord>;
  sink: Sink<FerryRecord>;
  connectorCtx: ConnectorContext;
  reporter: Reporter;
  /** stdout gets the `verify.done` JSON line (pipes, --json) rather than text. */
  json: boolean;
  /** What stdout gets; default JSON when `json`, else text. `md` and `html` print the rendered report. */
  stdoutFormat?: VerifyReportFormat;
  /** Also write the report to this file, in this format. */
  out?: { path: string; format: VerifyReportFormat };
  /** Keys listed per kind (`--max-diffs`); default 100. */
  maxDiffs?: number;
  /** `--read-all`: ferry reads and hashes every record itself. */
  readAll?: boolean;
  /** A backup plan's set to compare with the source (`ferry backup verify PLAN SET --source`). */
  targetSet?: string;
}

/**
 * Verify a plan's streams (the plan's `verify:` list), store the results (with the job, or as a plan verification),
 * print the report and write it to a file if asked. Returns the report and the exit code it implies: 0 on match, 1
 * on differ or inconclusive (unproven is not proven).
 */
export async function runVerification(ctx: CliContext, input: VerificationInput): Promise<{ report: VerifyReport; code: number }> {
  const { plan, store, jobId, reporter } = input;
  // Fail on an unwritable --out before reading anything, not after an hour of verification.
  const outPath = input.out ? path.resolve(ctx.io.cwd, input.out.path) : undefined;
  if (outPath) checkWritable(outPath);
  reporter.note(`verifying: ${(plan.verify ?? []).map((v) => (typeof v === 'string' ? v : `sample(${v.sample})`)).join(', ')}`);
  const { report, run } = await verifyJob({
    plan,
    ...(store ? { store } : {}),
    ...(jobId ? { jobId } : {}),
    ...(input.planRun ? { planRun: { hash: input.planRun.hash, ...(input.planRun.path ? { path: path.resolve(ctx.io.cwd, input.planRun.path) } : {}) } } : {}),
    source: input.source,
    sink: input.sink,
    openTargetSource: ctx.openTargetSource,
    connectorCtx: input.connectorCtx,
    ...(input.maxDiffs !== undefined ? { maxDiffs: input.maxDiffs } : {}),
    ...(input.readAll ? { readAll: true } : {}),
    ...(input.targetSet ? { targetSet: input.targetSet } : {}),
  });

  const meta: VerifyReportMeta = {
    plan: plan.name,
    ...(input.planRun?.path ? { planPath: input.planRun.path } : {}),
    ...(jobId ? { jobId } : {}),
    source: plan.source.type,
    target: plan.target.type,
    at: new Date().toISOString(),
    maxDiffs: input.maxDiffs ?? 100,
  };
  if (outPath && input.out) fs.writeFileSync(outPath, renderVerifyReport(input.out.format, report, meta));

  const stdoutFormat = input.stdoutFormat ?? (input.json || !ctx.io.isTTY ? 'json' : 'text');
  if (stdoutFormat === 'json') {
    ctx.io.out(
      JSON.stringify({ type: 'verify.done', at: Date.now(), ...(jobId ? { jobId } : {}), ...(run ? { runId: run.runId } : {}), ...(outPath ? { out: outPath } : {}), report }),
    );
  } else if (stdoutFormat === 'text') {
    ctx.io.out(formatVerifyReport(report));
    if (outPath) ctx.io.out(`report written to ${outPath}`);
  } else {
    ctx.io.out(renderVerifyReport(stdoutFormat, report, meta));
  }
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

/** Throw a USAGE error now if `file` cannot be written (its directory missing, a directory in its place). */
function checkWritable(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new FerryError('USAGE', `--out ${file}: the directory ${dir} does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new FerryError('USAGE', `--out ${file} is a directory`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new FerryError('USAGE', `--out ${file}: cannot write in ${dir}`);
  }
}
