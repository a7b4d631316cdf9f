/**
 * `ferry schedule check|tick|run|status`: scheduled jobs (`jobs/*.yaml`) run exactly once per slot from any trigger.
 * The work is in src/schedule/; this parses, calls and prints.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { EXIT, FerryError } from '../errors.js';
import { formatDiagnostics, isPlanError, loadPlanFile } from '../plan/index.js';
import { jobStatus, type JobStatus } from '../schedule/status.js';
import { cronJobs, crontab, systemdUnits, type ExportOptions } from '../schedule/export.js';
import { JOB_SPEC_SCHEMA, loadJobSpecFile, type LoadedJobSpec } from '../schedule/job-spec.js';
import { stringify } from 'yaml';
import { nextSlot, slotKey } from '../schedule/slots.js';
import { FERRY_BIN, runSlot, tick, type TickContext } from '../schedule/tick.js';
import { openState } from '../state/index.js';
import { handler, statePath, wantsJson, type CliContext, type GlobalArgs } from './context.js';
import { formatDuration, printJson, table, usageError } from './output.js';

interface ScheduleArgs extends GlobalArgs {
  jobs?: string;
}

interface TickArgs extends ScheduleArgs {
  now?: string;
}

interface RunArgs extends ScheduleArgs {
  job: string;
  slot?: string;
}

/** The job files: `--jobs DIR|FILE`, default `jobs/`. Every problem in every file is reported before anything runs. */
async function loadJobs(ctx: CliContext, args: ScheduleArgs): Promise<LoadedJobSpec[]> {
  const where = path.resolve(ctx.io.cwd, args.jobs ?? 'jobs');
  if (!fs.existsSync(where)) throw usageError(`no jobs at ${where}`, 'write job specs in jobs/*.yaml, or point --jobs at them');
  const files = fs.statSync(where).isDirectory()
    ? fs.readdirSync(where).filter((f) => /\.ya?ml$/i.test(f)).sort().map((f) => path.join(where, f))
    : [where];
  const loaded: LoadedJobSpec[] = [];
  const problems: string[] = [];
  for (const f of files) {
    try {
      loaded.push(await loadJobSpecFile(f));
    } catch (e) {
      if (!isPlanError(e)) throw e;
      problems.push(formatDiagnostics(e.diagnostics));
    }
  }
  const dup = loaded.map((j) => j.spec.name).find((n, i, all) => all.indexOf(n) !== i);
  if (dup) problems.push(`two job files name the job "${dup}"; job names must be unique (slots are recorded by name)`);
  if (problems.length) throw new FerryError('PLAN_INVALID', problems.join('\n'));
  return loaded;
}

async function withSlots<T>(ctx: CliContext, args: GlobalArgs, fn: (t: Omit<TickContext, 'now'>) => Promise<T>): Promise<T> {
  const state = statePath(ctx, args);
  const store = await openState(state);
  try {
    return await fn({
      slots: store.scheduleSlots(),
      state,
      env: ctx.io.env,
      log: (line) => ctx.io.err(`ferry: ${line}`),
    });
  } finally {
    await store.close();
  }
}

function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw usageError(`--now wants an ISO 8601 instant (2026-12-08T02:00:00Z), not "${text}"`);
  return d;
}

const JOBS_OPTION = { type: 'string' as const, describe: 'job spec files: a directory (default jobs/) or one file' };

function checkCommand(ctx: CliContext): CommandModule<GlobalArgs, ScheduleArgs> {
  return {
    command: 'check',
    describe: 'validate the job specs (and the plans they name); nothing runs',
    builder: (y: Argv<GlobalArgs>) => y.option('jobs', JOBS_OPTION) as Argv<ScheduleArgs>,
    handler: handler<ScheduleArgs>(ctx, async (args) => {
      const jobs = await loadJobs(ctx, args);
      for (const j of jobs) {
        await loadPlanFile(j.planPath, ctx.io.env);
        ctx.io.out(`${path.relative(ctx.io.cwd, j.file)}: ok — ${j.spec.name}, ${j.spec.action ?? 'default action'} of ${path.relative(ctx.io.cwd, j.planPath)}, next ${slotKey(nextSlot(j.spec.schedule, new Date())!)}`);
      }
      return EXIT.OK;
    }),
  };
}

function schemaCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'schema',
    describe: 'print the JSON Schema of job specs, for editors (`# yaml-language-server: $schema=...`)',
    handler: handler<GlobalArgs>(ctx, () => {
      printJson(ctx.io, { $schema: 'http://json-schema.org/draft-07/schema#', ...JOB_SPEC_SCHEMA });
      return EXIT.OK;
    }),
  };
}

function tickCommand(ctx: CliContext): CommandModule<GlobalArgs, TickArgs> {
  return {
    command: 'tick',
    describe: 'run every slot that is due and not yet taken, once across any number of ticks and machines; record missed slots. Safe every minute',
    builder: (y: Argv<GlobalArgs>) => y.option('jobs', JOBS_OPTION).option('now', { type: 'string', describe: 'tick as if it were this instant (ISO 8601), for tests and catch-up' }) as Argv<TickArgs>,
    handler: handler<TickArgs>(ctx, async (args) => {
      const now = parseNow(args.now);
      const jobs = await loadJobs(ctx, args);
      const outcomes = await withSlots(ctx, args, (t) => tick(jobs, { ...t, now: () => now }));
      for (const o of outcomes) ctx.io.out(wantsJson(ctx, args) ? JSON.stringify({ type: 'slot', ...o }) : `${o.job} ${o.slot}: ${o.outcome}${o.detail ? ` — ${o.detail}` : ''}`);
      return outcomes.some((o) => o.outcome === 'failed') ? EXIT.FAILED : EXIT.OK;
    }),
  };
}

function runCommand(ctx: CliContext): CommandModule<GlobalArgs, RunArgs> {
  return {
    command: 'run <job>',
    describe: "run one job's slot now (what exported CronJobs, timers and crontab lines call); a slot already taken is not run again",
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('job', { type: 'string', demandOption: true, describe: 'the job name (or its file)' })
        .option('jobs', JOBS_OPTION)
        .option('slot', { type: 'string', describe: 'the slot (ISO 8601 instant); default the latest slot at or before now' }) as Argv<RunArgs>,
    handler: handler<RunArgs>(ctx, async (args) => {
      const jobs = await loadJobs(ctx, args);
      const job = jobs.find((j) => j.spec.name === args.job || path.resolve(ctx.io.cwd, args.job) === j.file);
      if (!job) throw usageError(`no job "${args.job}" in ${args.jobs ?? 'jobs/'}`, `known: ${jobs.map((j) => j.spec.name).join(', ') || 'none'}`);
      const slot = args.slot !== undefined ? slotKey(parseNow(args.slot)) : slotKey(latestSlot(job, new Date()));
      const late = Date.now() - Date.parse(slot) > job.spec.window * 60_000;
      const o = await withSlots(ctx, args, async (t) => {
        // A trigger that fired after the slot's window (a CronJob started late, a timer after a long boot) runs nothing.
        if (!late) return runSlot(job, slot, { ...t, now: () => new Date() });
        const detail = `started after its ${job.spec.window}-minute window`;
        await t.slots.note(job.spec.name, slot, 'missed', detail);
        return { job: job.spec.name, slot, outcome: 'missed' as const, detail };
      });
      ctx.io.out(wantsJson(ctx, args) ? JSON.stringify({ type: 'slot', ...o }) : `${o.job} ${o.slot}: ${o.outcome}${o.detail ? ` — ${o.detail}` : ''}`);
      return o.outcome === 'failed' || o.outcome === 'missed' ? EXIT.FAILED : EXIT.OK;
    }),
  };
}

/** The newest slot at or before `now` (within the last year). */
function latestSlot(job: LoadedJobSpec, now: Date): Date {
  let best: Date | undefined;
  let d: Date | undefined = new Date(now.getTime() - 366 * 86_400_000);
  for (;;) {
    d = nextSlot(job.spec.schedule, d);
    if (!d || d.getTime() > now.getTime()) break;
    best = d;
  }
  if (!best) throw usageError(`job ${job.spec.name} had no slot in the last year; pass --slot`);
  return best;
}

function statusCommand(ctx: CliContext): CommandModule<GlobalArgs, ScheduleArgs> {
  return {
    command: 'status',
    describe: 'per job: the last run and its outcome, the next slot, missed slots, and for backups the RPO achieved against `rpo`; exit 1 when a target is breached or the last run failed',
    builder: (y: Argv<GlobalArgs>) => y.option('jobs', JOBS_OPTION) as Argv<ScheduleArgs>,
    handler: handler<ScheduleArgs>(ctx, async (args) => {
      const jobs = await loadJobs(ctx, args);
      const now = new Date();
      const rows = await withSlots(ctx, args, async (t) => {
        const out: JobStatus[] = [];
        for (const j of jobs) out.push(await jobStatus(j, t.slots, ctx.io.env, now));
        return out;
      });
      const bad = rows.some((r) => r.rpo?.breached || r.last?.status === 'failed');
      if (wantsJson(ctx, args)) printJson(ctx.io, { jobs: rows, ok: !bad });
      else {
        const lines = [['JOB', 'LAST SLOT', 'OUTCOME', 'NEXT', 'MISSED', 'RPO']];
        for (const r of rows) {
          lines.push([
            r.job,
            r.last?.slot ?? '-',
            r.last?.status ?? 'never ran',
            r.next,
            String(r.missed),
            r.rpo ? `${r.rpo.achievedMs === undefined ? 'no verified set' : formatDuration(r.rpo.achievedMs)} / ${formatDuration(r.rpo.targetMs)}${r.rpo.breached ? ' BREACHED' : ''}` : '-',
          ]);
        }
        ctx.io.out(table(lines));
      }
      return bad ? EXIT.FAILED : EXIT.OK;
    }),
  };
}

interface ExportArgs extends ScheduleArgs {
  format: 'k8s' | 'systemd' | 'crontab';
  names?: string[];
  image?: string;
  namespace?: string;
  secret?: string;
  stateKey?: string;
  ferry?: string;
  envFile?: string;
  out?: string;
}

function exportCommand(ctx: CliContext): CommandModule<GlobalArgs, ExportArgs> {
  return {
    command: 'export [names..]',
    describe: 'print the jobs for the scheduler you run: Kubernetes CronJobs, systemd service + timer units, or crontab lines; each calls `ferry schedule run JOB`',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('names', { type: 'string', array: true, describe: 'jobs to export (default all)' })
        .option('jobs', JOBS_OPTION)
        .option('format', { type: 'string', choices: ['k8s', 'systemd', 'crontab'], demandOption: true, describe: 'k8s (CronJob YAML), systemd (units), crontab (lines)' })
        .option('image', { type: 'string', describe: 'k8s: the ferry image', default: 'ghcr.io/acme/ferry:latest' })
        .option('namespace', { type: 'string', describe: 'k8s: namespace of the manifests' })
        .option('secret', { type: 'string', describe: 'k8s: Secret with FERRY_STATE (key --state-key) and the cloud credentials', default: 'ferry' })
        .option('state-key', { type: 'string', describe: 'k8s: key of the state URL in the Secret', default: 'state' })
        .option('ferry', { type: 'string', describe: 'systemd, crontab: the command that runs ferry (default: this Node.js and this ferry, by absolute path)' })
        .option('env-file', { type: 'string', describe: 'systemd: EnvironmentFile= with FERRY_STATE and credentials (mode 0600)' })
        .option('out', { type: 'string', describe: 'systemd: write the unit files into this directory instead of printing them' }) as Argv<ExportArgs>,
    handler: handler<ExportArgs>(ctx, async (args) => {
      const all = await loadJobs(ctx, args);
      const names = args.names ?? [];
      const unknown = names.filter((n) => !all.some((j) => j.spec.name === n));
      if (unknown.length) throw usageError(`no job ${unknown.join(', ')}`, `known: ${all.map((j) => j.spec.name).join(', ')}`);
      const jobs = names.length ? all.filter((j) => names.includes(j.spec.name)) : all;
      const jobsDir = path.resolve(ctx.io.cwd, args.jobs ?? 'jobs');
      const o: ExportOptions = {
        jobsDir,
        ferry: args.ferry ?? `${process.execPath} ${FERRY_BIN}`,
        image: args.image ?? 'ghcr.io/acme/ferry:latest',
        ...(args.namespace ? { namespace: args.namespace } : {}),
        secret: args.secret ?? 'ferry',
        stateKey: args.stateKey ?? 'state',
        configMap: 'ferry-scheduled-jobs',
        ...(args.envFile ? { envFile: args.envFile } : {}),
        workDir: ctx.io.cwd,
        // The state comes from the environment (FERRY_STATE): a path or URL in a unit file would hold a password.
      };
      if (args.format === 'crontab') ctx.io.out(crontab(jobs, o).trimEnd());
      else if (args.format === 'systemd') {
        const units = systemdUnits(jobs, o);
        if (args.out) {
          fs.mkdirSync(path.resolve(ctx.io.cwd, args.out), { recursive: true });
          for (const [name, text] of Object.entries(units)) fs.writeFileSync(path.join(path.resolve(ctx.io.cwd, args.out), name), text);
          ctx.io.out(`wrote ${Object.keys(units).join(', ')} to ${args.out}; install them with systemctl link / enable --now <name>.timer`);
        } else for (const [name, text] of Object.entries(units)) ctx.io.out(`# --- ${name}\n${text}`);
      } else {
        ctx.io.out(cronJobs(jobs, o, (f) => fs.readFileSync(f, 'utf8')).map((m) => stringify(m, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n').trimEnd());
      }
      return EXIT.OK;
    }),
  };
}

interface ServeArgs extends ScheduleArgs {
  every?: number;
}

function serveCommand(ctx: CliContext): CommandModule<GlobalArgs, ServeArgs> {
  return {
    command: 'serve',
    describe: 'tick at the start of every minute until SIGTERM or Ctrl-C (for a VM or a container); a running slot finishes first',
    builder: (y: Argv<GlobalArgs>) => y.option('jobs', JOBS_OPTION) as Argv<ServeArgs>,
    handler: handler<ServeArgs>(ctx, async (args) => {
      const stop = new AbortController();
      const onSignal = (): void => {
        if (!stop.signal.aborted) ctx.io.err('ferry: stopping after the current tick');
        stop.abort();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        await withSlots(ctx, args, async (t) => {
          while (!stop.signal.aborted) {
            // Job files are read at every tick: an edited job takes effect without a restart.
            const jobs = await loadJobs(ctx, args).catch((e: unknown) => {
              ctx.io.err(`ferry: the job specs do not load, nothing runs this minute: ${e instanceof Error ? e.message : String(e)}`);
              return [] as LoadedJobSpec[];
            });
            for (const o of await tick(jobs, { ...t, now: () => new Date() })) {
              ctx.io.out(JSON.stringify({ type: 'slot', at: new Date().toISOString(), ...o }));
            }
            const wait = 60_000 - (Date.now() % 60_000) + 200;
            await new Promise<void>((r) => {
              const timer = setTimeout(r, wait);
              stop.signal.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
            });
          }
        });
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      return EXIT.OK;
    }),
  };
}

export function scheduleCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'schedule <command>',
    describe: 'scheduled jobs (jobs/*.yaml): check, tick, run, status, export, serve',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .command(checkCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .command(schemaCommand(ctx))
        .command(tickCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .command(runCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .command(statusCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .command(exportCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .command(serveCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .demandCommand(1, 'name a schedule command: check, schema, tick, run, status, export or serve'),
    handler: () => {},
  };
}
