import type { Argv, CommandModule } from 'yargs';
import { loadPlanFile } from '../plan/index.js';
import { handler, statePath, type CliContext, type GlobalArgs } from './context.js';
import { workersOf } from './job.js';
import { LEASE_TTL_OPTION, leaseTtlOf } from './lease-ttl.js';
import { runLocalWorkers } from './local-workers.js';
import { dryRun } from './dry-run.js';
import { createWorkerJob, newJobOf, resumableJob } from '../engine/index.js';
import { executeJob } from './execute.js';
import { withStore } from './store.js';
import { formatDiagnostics } from '../plan/index.js';

interface RunArgs extends GlobalArgs {
  plan: string;
  new?: boolean;
  continue?: boolean;
  'dry-run'?: boolean;
  workers?: number;
  'lease-ttl'?: number;
}

/** `ferry run PLAN`: validate the plan, refuse to silently restart an unfinished job, run a new one. */
export function runCommand(ctx: CliContext): CommandModule<GlobalArgs, RunArgs> {
  return {
    command: 'run <plan>',
    describe: 'run a plan as a new job',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML)' })
        .option('new', { type: 'boolean', describe: 'start a new job even if this plan has an unfinished one' })
        .option('continue', { type: 'boolean', describe: 'resume the plan\'s unfinished job if it has one, else start one (scheduled runs)' })
        .option('dry-run', { type: 'boolean', describe: 'print what would be copied, skipped or deleted; change nothing (object plans)' })
        .option('workers', { type: 'number', describe: 'run the job with N local `ferry worker` processes (as N machines would)' })
        .option('lease-ttl', LEASE_TTL_OPTION) as Argv<RunArgs>,
    handler: handler<RunArgs>(ctx, async (args) => {
      const loaded = await loadPlanFile(args.plan, ctx.io.env);
      if (loaded.warnings.length > 0) ctx.io.err(formatDiagnostics(loaded.warnings));
      if (args['dry-run']) return dryRun(ctx, loaded, Boolean(args.json) || !ctx.io.isTTY, Boolean(args.debug));
      const workers = workersOf(args.workers);
      const leaseTtlMs = leaseTtlOf(args['lease-ttl']);
      return withStore(ctx, args, { create: true }, async (store) => {
        if (workers > 1) {
          const { job } = await createWorkerJob(store!, loaded, { planFile: args.plan, allowNew: Boolean(args.new), workers });
          ctx.io.err(`ferry: job ${job.id} created for plan "${job.planName}"`);
          return runLocalWorkers(ctx, {
            store: store!,
            job,
            workers,
            state: statePath(ctx, args),
            json: Boolean(args.json) || !ctx.io.isTTY,
            ...(args['lease-ttl'] !== undefined ? { leaseTtlSeconds: args['lease-ttl'] } : {}),
          });
        }
        if (args.continue && !args.new) {
          // A scheduled run after a slot whose run died: that job continues from its checkpoints.
          const unfinished = await store!.findUnfinishedJob(loaded.plan.name, loaded.hash);
          if (unfinished && !(await store!.runnerOf(unfinished.id))) {
            const { job, loaded: stored } = await resumableJob(store!, unfinished.id, ctx.io.env);
            ctx.io.err(`ferry: resuming job ${job.id} of plan "${job.planName}" (unfinished)`);
            return executeJob(ctx, { loaded: stored, store: store!, job, json: Boolean(args.json) || !ctx.io.isTTY, debug: Boolean(args.debug), ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}) });
          }
        }
        const createJob = await newJobOf(store!, loaded, { planFile: args.plan, allowNew: Boolean(args.new) });
        return executeJob(ctx, {
          loaded,
          store: store!,
          job: createJob,
          onJob: (job) => ctx.io.err(`ferry: job ${job.id} started for plan "${job.planName}"`),
          json: Boolean(args.json) || !ctx.io.isTTY,
          debug: Boolean(args.debug),
          ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
        });
      });
    }),
  };
}
