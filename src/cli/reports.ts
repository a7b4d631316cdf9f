/**
 * `ferry reports [--plan NAME] [--kind dry-run|verify] [--limit N]` lists what the state DB keeps of dry runs and
 * verifications, newest first; `ferry reports show ID [--format text|md|json|html] [--out FILE]` prints one again
 * with the renderers of the command that made it. Ids: `dr-…` a dry run, `vr-…` a `ferry verify PLAN` run, a job
 * id the job's verification (its latest result per stream and verifier: job results carry no run id).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { renderReport } from '../dry-run/render.js';
import type { DryRunReport } from '../dry-run/report.js';
import { EXIT, FerryError } from '../errors.js';
import type { StateStore, StoredReportSummary } from '../core/state-store.js';
import { isJobId } from '../state/index.js';
import { withStore } from './store.js';
import { overallOutcome, renderVerifyReport, type StreamVerifyResult, type VerifyReport, type VerifyReportMeta } from '../verify/index.js';
import { handler, wantsJson, type CliContext, type GlobalArgs } from './context.js';
import { table, usageError } from './output.js';

export type ShowFormat = 'text' | 'md' | 'json' | 'html';
const SHOW_FORMATS: readonly ShowFormat[] = ['text', 'md', 'json', 'html'];
export const DEFAULT_LIMIT = 50;

interface ListArgs extends GlobalArgs {
  plan?: string;
  kind?: 'dry-run' | 'verify';
  limit?: number;
}

interface ShowArgs extends GlobalArgs {
  id: string;
  format?: ShowFormat;
  out?: string;
}

/** A listed report as one JSON line: plain fields, absent rather than null where they do not apply. */
export interface ReportLine {
  id: string;
  at: string;
  kind: 'dry-run' | 'verify';
  plan: string;
  /** Dry run: `ready` or `blocked`; verify: `match`, `differ` or `inconclusive`. */
  outcome: string;
  blockers?: number;
  warnings?: number;
  streams: number;
  checks?: number;
  job?: string;
}

export function reportLine(s: StoredReportSummary): ReportLine {
  return {
    id: s.id,
    at: s.at,
    kind: s.kind,
    plan: s.planName,
    outcome: s.outcome,
    ...(s.blockers !== undefined ? { blockers: s.blockers } : {}),
    ...(s.warnings !== undefined ? { warnings: s.warnings } : {}),
    streams: s.streams,
    ...(s.checks !== undefined ? { checks: s.checks } : {}),
    ...(s.jobId !== undefined ? { job: s.jobId } : {}),
  };
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** `ok`, `ok, 2 warnings`, `3 blockers, 1 warning`; verifications: their outcome. */
export function outcomeText(r: ReportLine): string {
  if (r.kind !== 'dry-run') return r.outcome;
  const warnings = r.warnings ? `, ${plural(r.warnings, 'warning')}` : '';
  // A blocked report without a counted blocker should not read `ok`: say the verdict.
  if (r.outcome === 'blocked') return `${r.blockers ? plural(r.blockers, 'blocker') : 'blocked'}${warnings}`;
  return `ok${warnings}`;
}

/** The terminal listing: a header and one line per report. */
export function reportsTable(lines: readonly ReportLine[]): string {
  return table([
    ['id', 'when', 'kind', 'plan', 'outcome', 'streams'],
    ...lines.map((r) => [
      r.id,
      r.at,
      r.job !== undefined ? 'verify (job)' : r.kind,
      r.plan,
      outcomeText(r),
      r.checks !== undefined ? `${r.streams} (${plural(r.checks, 'check')})` : String(r.streams),
    ]),
  ]);
}

/**
 * A verification report rebuilt from its stored results (each result is stored whole). The overall duration is not
 * stored: it is given as the sum of the results' durations (streams are verified one after another, so it falls
 * short only by the time spent listing streams).
 */
export function verifyReportFromResults(results: readonly { report: unknown }[]): VerifyReport {
  const rs = results.map((r) => r.report as StreamVerifyResult);
  return { outcome: overallOutcome(rs), results: rs, durationMs: rs.reduce((a, r) => a + (r.durationMs ?? 0), 0) };
}

export function reportNotFound(id: string, why?: string): FerryError {
  return new FerryError('NOT_FOUND', `no stored report "${id}" in this state database${why ? `: ${why}` : ''}`, {
    hint: '`ferry reports` lists the ids; pass --state PATH if it was stored in another state database',
  });
}

/** The stored report `id` rendered in `format`; NOT_FOUND if there is none. */
export async function renderStoredReport(store: StateStore | undefined, id: string, format: ShowFormat): Promise<string> {
  if (!store) throw reportNotFound(id);
  if (id.startsWith('dr-')) {
    const row = await store.getDryRunReport(id);
    if (!row) throw reportNotFound(id);
    return renderReport(row.report as DryRunReport, format);
  }
  if (id.startsWith('vr-')) {
    const rows = await store.planVerifyResults({ runId: id });
    const last = rows[rows.length - 1];
    if (!last) throw reportNotFound(id);
    const meta: VerifyReportMeta = { plan: last.planName, ...(last.planPath !== undefined ? { planPath: last.planPath } : {}), at: last.at };
    return renderVerifyReport(format, verifyReportFromResults(rows), meta);
  }
  if (isJobId(id)) {
    const job = await store.getJob(id);
    if (!job) throw reportNotFound(id);
    const rows = await store.latestVerifyResults(id);
    const last = rows.reduce<string | undefined>((a, r) => (a === undefined || r.at > a ? r.at : a), undefined);
    if (last === undefined) {
      throw new FerryError('NOT_FOUND', `job ${id} has no stored verification`, {
        hint: `\`ferry verify ${id}\` verifies it; \`ferry reports\` lists the stored reports`,
      });
    }
    return renderVerifyReport(format, verifyReportFromResults(rows), { plan: job.planName, jobId: id, at: last });
  }
  throw reportNotFound(id, 'ids look like dr-…, vr-… or a job id');
}

export function reportsCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'reports',
    describe: 'list stored dry-run reports and verification results, newest first (`reports show ID` prints one again)',
    // The listing is the default subcommand, so its filters are not offered to `show` (and `show` gets its own help).
    builder: (y: Argv<GlobalArgs>) =>
      y
        .command<ListArgs>({
          command: '$0',
          describe: 'list stored reports, newest first: id, when, kind, plan, outcome, streams',
          builder: (yy) =>
            yy
              .option('plan', { type: 'string', describe: 'only the reports of this plan (its name)' })
              .option('kind', { type: 'string', choices: ['dry-run', 'verify'], describe: 'only dry runs, or only verifications' })
              .option('limit', { type: 'number', describe: `at most N reports (default ${DEFAULT_LIMIT})` }) as Argv<ListArgs>,
          handler: handler<ListArgs>(ctx, (args) => list(ctx, args)),
        })
        .command<ShowArgs>({
          command: 'show <id>',
          describe: 'print a stored report again, as the command that made it did',
          builder: (yy) =>
            yy
              .positional('id', { type: 'string', demandOption: true, describe: 'report id (dr-…, vr-… or a job id), from `ferry reports`' })
              .option('format', { type: 'string', choices: SHOW_FORMATS as ShowFormat[], describe: 'report format (default: text on a terminal, json when piped)' })
              .option('out', { type: 'string', describe: 'write the report to this file instead of stdout' }) as Argv<ShowArgs>,
          handler: handler<ShowArgs>(ctx, (args) => show(ctx, args)),
        }),
    handler: () => undefined,
  };
}

async function list(ctx: CliContext, args: ListArgs): Promise<number> {
  const limit = args.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit must be a whole number of 1 or more, got ${String(args.limit)}`, 'e.g. `--limit 20`');
  // One more than asked, to tell whether there are more.
  const found = await withStore(ctx, args, { create: false }, async (store) =>
    store ? await store.listStoredReports({ ...(args.plan !== undefined ? { planName: args.plan } : {}), ...(args.kind ? { kind: args.kind } : {}), limit: limit + 1 }) : [],
  );
  const lines = found.slice(0, limit).map(reportLine);
  if (wantsJson(ctx, args)) for (const l of lines) ctx.io.out(JSON.stringify(l));
  else if (lines.length === 0) ctx.io.out('no stored reports; `ferry plan dry-run PLAN` and `ferry verify PLAN|JOB` store them');
  else ctx.io.out(reportsTable(lines));
  if (found.length > limit) ctx.io.err(`ferry: showing the newest ${limit}; \`--limit N\` shows more`);
  return EXIT.OK;
}

async function show(ctx: CliContext, args: ShowArgs): Promise<number> {
  const format: ShowFormat = args.format ?? (wantsJson(ctx, args) ? 'json' : 'text');
  if (args.out !== undefined && args.out.trim() === '') throw usageError('--out needs a file name');
  const text = await withStore(ctx, args, { create: false }, (store) => renderStoredReport(store, args.id, format));
  if (args.out === undefined) {
    ctx.io.out(text);
    return EXIT.OK;
  }
  const file = path.resolve(ctx.io.cwd, args.out);
  try {
    fs.writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
  } catch (e) {
    throw usageError(`--out ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, 'choose a file in a directory that exists and is writable');
  }
  ctx.io.err(`ferry: report ${args.id} (${format}) written to ${file}`);
  return EXIT.OK;
}
