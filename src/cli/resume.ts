import type { Argv, CommandModule } from 'yargs';
import { FerryError } from '../errors.js';
import { jobNotFound, resumableJob } from '../engine/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { executeJob } from './execute.js';
import { LEASE_TTL_OPTION, leaseTtlOf } from './lease-ttl.js';
import { withStore } from './store.js';

interface ResumeArgs extends GlobalArgs {
  job: string;
  maxRejected?: number;
  'lease-ttl'?: number;
}

/**
 * `ferry resume JOB`: continue from the last checkpoints. The plan is re-read from the text stored with the job, so
 * an edited plan file cannot change a half-done job; `${env:...}` is expanded again from today's environment.
 */
export function resumeCommand(ctx: CliContext): CommandModule<GlobalArgs, ResumeArgs> {
  return {
    command: 'resume <job>',
    describe: 'continue an interrupted, failed or killed job',
    builder: (y: Argv<GlobalArgs>) =>
      y.positional('job', { type: 'string', demandOption: true, describe: 'job id' }).option('max-rejected', {
        type: 'number',
        describe: "raise the job's on_error.max_rejected (the plan stored with the job is otherwise used as it was)",
      }).option('lease-ttl', LEASE_TTL_OPTION) as Argv<ResumeArgs>,
    handler: handler<ResumeArgs>(ctx, (args) =>
      withStore(ctx, args, { create: false }, async (store) => {
        if (!store) throw jobNotFound(args.job);
        const { job, loaded } = await resumableJob(store, args.job, ctx.io.env);
        if (args.maxRejected !== undefined) {
          if (!Number.isInteger(args.maxRejected) || args.maxRejected < 0)
            throw new FerryError('USAGE', `--max-rejected must be a whole number ≥ 0, got ${args.maxRejected}`);
          loaded.plan.on_error = { ...loaded.plan.on_error, max_rejected: args.maxRejected };
        }
        ctx.io.err(`ferry: resuming job ${job.id} of plan "${job.planName}"`);
        const leaseTtlMs = leaseTtlOf(args['lease-ttl']);
        return executeJob(ctx, { loaded, store, job, json: Boolean(args.json) || !ctx.io.isTTY, debug: Boolean(args.debug), ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}) });
      }),
    ),
  };
}
