import type { Argv, CommandModule } from 'yargs';
import { createWorkerJob } from '../engine/index.js';
import { EXIT, FerryError } from '../errors.js';
import { formatDiagnostics, loadPlanFile } from '../plan/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { printJson } from './output.js';
import { withStore } from './store.js';

interface JobCreateArgs extends GlobalArgs {
  plan: string;
  workers?: number;
  id?: string;
  new?: boolean;
}

/** `--workers N`, checked. */
export function workersOf(n: number | undefined): number {
  if (n === undefined) return 1;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new FerryError('USAGE', `--workers must be a whole number from 1 to 1000, got ${n}`);
  return n;
}

/**
 * `ferry job create PLAN`: record a job for workers to run, and print its id. The one-off step before `ferry
 * worker`s start (the Kubernetes manifests run it as its own Job); with `--id`, repeating it is harmless.
 */
export function jobCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'job <command>',
    describe: 'manage job records (job create PLAN)',
    builder: (y: Argv<GlobalArgs>) => y.command(jobCreateCommand(ctx)).demandCommand(1, 'name a job command: create'),
    handler: () => {},
  };
}

function jobCreateCommand(ctx: CliContext): CommandModule<GlobalArgs, JobCreateArgs> {
  return {
    command: 'create <plan>',
    describe: 'record a new job of a plan for `ferry worker`s to run, and print its id',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML)' })
        .option('workers', { type: 'number', describe: 'workers the job is planned for (segments per stream = concurrency × workers)' })
        .option('id', { type: 'string', describe: 'the job id to use (YYYYMMDD-HHMMSS-xxxxxx); an existing job of this plan with it is kept' })
        .option('new', { type: 'boolean', describe: 'create it even if the plan has an unfinished job' }) as Argv<JobCreateArgs>,
    handler: handler<JobCreateArgs>(ctx, async (args) => {
      const workers = workersOf(args.workers);
      const loaded = await loadPlanFile(args.plan, ctx.io.env);
      if (loaded.warnings.length > 0) ctx.io.err(formatDiagnostics(loaded.warnings));
      return withStore(ctx, args, { create: true }, async (store) => {
        const { job, existed } = await createWorkerJob(store!, loaded, {
          planFile: args.plan,
          allowNew: Boolean(args.new),
          workers,
          ...(args.id !== undefined ? { id: args.id } : {}),
        });
        if (args.json || !ctx.io.isTTY) printJson(ctx.io, { id: job.id, plan: job.planName, workers: job.workers, existed });
        else {
          ctx.io.out(job.id);
          ctx.io.err(`ferry: job ${job.id} of plan "${job.planName}" ${existed ? 'exists already' : 'created'} for ${job.workers} worker(s); start them with \`ferry worker ${job.id}\``);
        }
        return EXIT.OK;
      });
    }),
  };
}
