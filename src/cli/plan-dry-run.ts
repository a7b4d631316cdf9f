/**
 * `ferry plan dry-run PLAN [--sample N] [--format text|md|json|html] [--out FILE] [--bandwidth MB/s]`: open the
 * plan's stores, collect the report (src/dry-run/collect.ts: nothing is written to them), store it as one row in the
 * state DB (no job), render it, and exit 0 when ready, 1 when blocked, 2 for usage or plan errors.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { collectDryRun, DEFAULT_SAMPLE, failedDryRun } from '../dry-run/collect.js';
import { isReportFormat, renderReport, REPORT_FORMATS, type ReportFormat } from '../dry-run/render.js';
import type { DryRunReport } from '../dry-run/report.js';
import { EXIT, FerryError, isFerryError } from '../errors.js';
import { formatDiagnostics, loadPlanFile } from '../plan/index.js';
import { withStore } from './store.js';
import type { CliContext, GlobalArgs } from './context.js';
import { cliLogger } from './execute.js';
import { usageError } from './output.js';

export interface DryRunArgs extends GlobalArgs {
  plan: string;
  sample?: number;
  format?: string;
  out?: string;
  bandwidth?: number;
}

export const MAX_SAMPLE = 1000;

export async function planDryRun(ctx: CliContext, args: DryRunArgs): Promise<number> {
  const { io } = ctx;
  const sample = args.sample ?? DEFAULT_SAMPLE;
  if (!Number.isInteger(sample) || sample < 0 || sample > MAX_SAMPLE) {
    throw usageError(`--sample must be a whole number from 0 to ${MAX_SAMPLE}, got ${String(args.sample)}`, 'e.g. `--sample 10`');
  }
  const format: string = args.format ?? (args.json || !io.isTTY ? 'json' : 'text');
  if (!isReportFormat(format)) throw usageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  if (args.bandwidth !== undefined && !(Number.isFinite(args.bandwidth) && args.bandwidth > 0)) {
    throw usageError(`--bandwidth must be a positive number of MB/s, got ${String(args.bandwidth)}`, 'e.g. `--bandwidth 50`');
  }

  const loaded = await loadPlanFile(path.resolve(io.cwd, args.plan), io.env);
  if (loaded.warnings.length > 0) io.err(formatDiagnostics(loaded.warnings));

  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const logger = cliLogger({ onEvent: () => {}, note: (t) => io.err(t), stop: () => {} }, Boolean(args.debug));
  const common = { sample, now: new Date() };
  let report: DryRunReport;
  try {
    let conns;
    try {
      conns = await ctx.openConnectors(loaded.plan, { signal: abort.signal, logger });
    } catch (e) {
      if (abort.signal.aborted || (isFerryError(e) && e.code === 'INTERRUPTED')) throw e;
      report = failedDryRun(loaded, `opening ${loaded.plan.source.type} → ${loaded.plan.target.type}`, e, common);
    }
    if (conns) {
      try {
        report = await collectDryRun(loaded, conns.source, conns.sink, {
          ...common,
          signal: abort.signal,
          ...(args.bandwidth !== undefined ? { bandwidth: args.bandwidth * 1e6 } : {}),
        });
      } finally {
        await conns[Symbol.asyncDispose]();
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (abort.signal.aborted) throw new FerryError('INTERRUPTED', 'dry run interrupted; nothing was written');
  report = report!;

  // The one thing a dry run writes: its report, as a row of the state DB.
  const saved = report;
  const id = await withStore(ctx, args, { create: true }, async (store) => (await store!.saveDryRunReport({ planName: loaded.plan.name, planHash: loaded.hash, verdict: saved.verdict, report: saved })).id);

  const text = renderReport(report, format as ReportFormat);
  if (args.out !== undefined) {
    const file = path.resolve(io.cwd, args.out);
    writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
    io.err(`ferry: dry-run report (${format}) written to ${file}`);
  } else {
    io.out(text);
  }
  const blockers = report.findings.filter((f) => f.severity === 'blocker').length;
  const warnings = report.findings.length - blockers;
  io.err(
    `ferry: dry run of "${loaded.plan.name}": ${report.verdict}` +
      ` (${blockers} blocker${blockers === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}); report ${id} saved; nothing was written to the source or the target`,
  );
  return report.verdict === 'blocked' ? EXIT.FAILED : EXIT.OK;
}
