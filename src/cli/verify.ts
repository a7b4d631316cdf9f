import fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { FerryError } from '../errors.js';
import { loadJobPlan, loadPlanFile, loadPlanText, type LoadedPlan } from '../plan/index.js';
import type { VerifySpec } from '../plan/types.js';
import { DEFAULT_REPORT_KEYS, VERIFY_REPORT_FORMATS, type VerifyReportFormat } from '../verify/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { cliLogger } from './execute.js';
import { usageError } from './output.js';
import { reporterFor, type Reporter } from './progress.js';
import { jobNotFound } from '../engine/index.js';
import { runVerification } from './verification.js';
import type { StateStore } from '../core/state-store.js';
import { isFerryError } from '../errors.js';
import { openStore } from './store.js';

interface VerifyArgs extends GlobalArgs {
  target: string;
  with?: string[];
  checksum?: boolean;
  sample?: number;
  maxDiffs?: number;
  readAll?: boolean;
  format?: VerifyReportFormat;
  out?: string;
}

const ORDER: Record<string, number> = { count: 0, checksum: 1, sample: 2 };

function specKey(v: VerifySpec): string {
  return typeof v === 'string' ? v : `sample:${v.sample}`;
}

/**
 * The verifiers a `ferry verify` runs: `--with` and the shortcuts (`--checksum` = count + checksum, `--sample N` =
 * count + a sample of about N records) together, each once, count first; none of them → the plan's `verify:`, or
 * count + checksum when it has none.
 */
export function verifiersFromArgs(args: Pick<VerifyArgs, 'with' | 'checksum' | 'sample'>, planVerify: readonly VerifySpec[] | undefined): VerifySpec[] {
  const chosen: VerifySpec[] = [...((args.with ?? []) as VerifySpec[])];
  if (args.checksum) chosen.push('count', 'checksum');
  if (args.sample !== undefined) chosen.push('count', { sample: args.sample });
  if (chosen.length === 0) return planVerify && planVerify.length > 0 ? [...planVerify] : ['count', 'checksum'];
  const seen = new Set<string>();
  const unique: VerifySpec[] = [];
  for (const v of chosen) {
    if (seen.has(specKey(v))) continue;
    seen.add(specKey(v));
    unique.push(v);
  }
  return unique.sort((a, b) => ORDER[typeof a === 'string' ? a : 'sample']! - ORDER[typeof b === 'string' ? b : 'sample']!);
}

/**
 * The state DB for a verification: a job's must exist; a plan verified without a job keeps its results there too,
 * so the DB is created if need be — and if it cannot be opened (a read-only directory, a DB from a newer ferry), the
 * plan is verified all the same and a note says the results are not kept.
 */
async function withVerifyStore<T>(ctx: CliContext, args: VerifyArgs, isPlan: boolean, fn: (store: StateStore | undefined) => Promise<T>): Promise<T> {
  let store: StateStore | undefined;
  if (!isPlan) store = await openStore(ctx, args, { create: false });
  else {
    try {
      store = await openStore(ctx, args, { create: true });
    } catch (e) {
      if (!isFerryError(e) || e.code !== 'STATE') throw e;
      ctx.io.err(`ferry: note: the results are not kept in the state DB: ${e.message}`);
    }
  }
  try {
    return await fn(store);
  } finally {
    await store?.close();
  }
}

/** Notes to stderr, nothing else: stdout carries a Markdown or HTML report that a progress line would spoil. */
class StderrNotes implements Reporter {
  constructor(private readonly ctx: CliContext) {}
  onEvent(): void {}
  note(text: string): void {
    this.ctx.io.err(text);
  }
  stop(): void {}
}

/**
 * `ferry verify JOB|PLAN`: compare source and target again (after a repair, before a cutover). With a job, its dead
 * letters are expected absent and the results are stored with it; with a plan file, the results are stored as a
 * plan verification in the state DB (created if need be).
 */
export function verifyCommand(ctx: CliContext): CommandModule<GlobalArgs, VerifyArgs> {
  return {
    command: 'verify <target>',
    describe: 'verify a job (or a plan file) again: counts, checksums, the differing keys and fields',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('target', { type: 'string', demandOption: true, describe: 'job id, or a plan file' })
        .option('with', {
          type: 'string',
          array: true,
          choices: ['count', 'checksum', 'sample'],
          describe: "verifiers to run instead of the plan's `verify:`",
        })
        .option('checksum', { type: 'boolean', describe: 'count and checksum every record (with --with / --sample: in addition)' })
        .option('sample', { type: 'number', describe: 'count, and compare a random sample of about N records' })
        .option('max-diffs', {
          type: 'number',
          describe: `keys listed per kind (missing, extra, changed; changed ones with their differing fields); the totals are always exact (default ${DEFAULT_REPORT_KEYS})`,
        })
        .option('read-all', {
          type: 'boolean',
          describe: 'ferry reads and hashes every record itself: no digests computed by a store, no store-selected buckets, no point reads (slower; trusts no store computation)',
        })
        .option('format', {
          type: 'string',
          choices: VERIFY_REPORT_FORMATS as VerifyReportFormat[],
          describe: 'report format: text (default on a terminal), json (default when piped), md, html (one self-contained file)',
        })
        .option('out', { type: 'string', describe: 'write the report to FILE in --format (stdout keeps the usual text or JSON)' }) as Argv<VerifyArgs>,
    handler: handler<VerifyArgs>(ctx, async (args) => {
      if (args.sample !== undefined && !(Number.isInteger(args.sample) && args.sample >= 1)) {
        throw usageError(`--sample must be a whole number of records (1 or more), not ${String(args.sample)}`);
      }
      if (args.maxDiffs !== undefined && !(Number.isInteger(args.maxDiffs) && args.maxDiffs >= 0)) {
        throw usageError(`--max-diffs must be a whole number (0 or more), not ${String(args.maxDiffs)}`);
      }
      if (args.out !== undefined && args.out.trim() === '') throw usageError('--out needs a file name');
      const isPlan = /\.ya?ml$/i.test(args.target) || fs.existsSync(args.target);
      return withVerifyStore(ctx, args, isPlan, async (store) => {
        let loaded: LoadedPlan;
        let jobId: string | undefined;
        if (isPlan) {
          loaded = await loadPlanFile(args.target, ctx.io.env);
        } else {
          const job = await store?.getJob(args.target);
          if (!store || !job) throw jobNotFound(args.target);
          const text = await store.getPlanText(job.id);
          if (text === undefined) throw new FerryError('STATE', `job ${job.id} has no stored plan`);
          loaded = await loadJobPlan(job, text, ctx.io.env, loadPlanText);
          jobId = job.id;
        }
        const plan = { ...loaded.plan, verify: verifiersFromArgs(args, loaded.plan.verify) };
        const json = Boolean(args.json) || !ctx.io.isTTY;
        const format: VerifyReportFormat = args.format ?? (json ? 'json' : 'text');
        // stdout gets the report in --format unless it goes to a file; then stdout keeps the usual text or JSON.
        const stdoutFormat: VerifyReportFormat = args.out !== undefined ? (json ? 'json' : 'text') : format;
        const reporter = stdoutFormat === 'md' || stdoutFormat === 'html' ? new StderrNotes(ctx) : reporterFor(ctx.io, stdoutFormat === 'json');
        const logger = cliLogger(reporter, Boolean(args.debug));
        const abort = new AbortController();
        const onSignal = (): void => abort.abort();
        process.once('SIGINT', onSignal);
        try {
          await using conns = await ctx.openConnectors(plan, { signal: abort.signal, logger });
          const { code } = await runVerification(ctx, {
            plan,
            ...(store ? { store } : {}),
            ...(jobId ? { jobId } : {}),
            ...(isPlan ? { planRun: { path: loaded.path, hash: loaded.hash } } : {}),
            source: conns.source,
            sink: conns.sink,
            connectorCtx: { signal: abort.signal, logger },
            reporter,
            json: stdoutFormat === 'json',
            stdoutFormat,
            ...(args.out !== undefined ? { out: { path: args.out, format } } : {}),
            ...(args.maxDiffs !== undefined ? { maxDiffs: args.maxDiffs } : {}),
            ...(args.readAll ? { readAll: true } : {}),
          });
          return code;
        } finally {
          process.off('SIGINT', onSignal);
          reporter.stop();
        }
      });
    }),
  };
}
