import type { Argv, CommandModule } from 'yargs';
import { FerryError } from '../errors.js';
import { loadJobPlan, loadPlanText } from '../plan/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { executeJob } from './execute.js';
import { jobNotFound } from './status.js';
import { withStore } from './store.js';

interface ResumeArgs extends GlobalArgs {
  job: string;
  maxRejected?: number;
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
      }) as Argv<ResumeArgs>,
    handler: handler<ResumeArgs>(ctx, (args) =>
      withStore(ctx, args, { create: false }, async (store) => {
        const job = await store?.getJob(args.job);
        if (!store || !job) throw jobNotFound(args.job);
        if (job.status === 'succeeded') {
          throw new FerryError('JOB_FINISHED', `job ${job.id} already succeeded; there is nothing to resume`, {
            hint: `start a new job with \`ferry run ${job.planPath ?? 'PLAN'} --new\``,
          });
        }
        // Refuse before connecting to anything: another runner has it.
        const holder = await store.runnerOf(job.id);
        if (holder) {
          throw new FerryError('JOB_LOCKED', `job ${job.id} is being run by pid ${holder.pid} on host ${holder.host} since ${holder.since}`, {
            hint: 'wait for it to finish, or stop that process (Ctrl-C); a killed runner\'s lock is taken over automatically',
          });
        }
        const text = await store.getPlanText(job.id);
        if (text === undefined) throw new FerryError('STATE', `job ${job.id} has no stored plan`, { hint: 'start a new job with `ferry run PLAN`' });
        const loaded = await loadJobPlan(job, text, ctx.io.env, loadPlanText);
        if (args.maxRejected !== undefined) {
          if (!Number.isInteger(args.maxRejected) || args.maxRejected < 0)
            throw new FerryError('USAGE', `--max-rejected must be a whole number ≥ 0, got ${args.maxRejected}`);
          loaded.plan.on_error = { ...loaded.plan.on_error, max_rejected: args.maxRejected };
        }
        ctx.io.err(`ferry: resuming job ${job.id} of plan "${job.planName}"`);
        return executeJob(ctx, { loaded, store, job, json: Boolean(args.json) || !ctx.io.isTTY, debug: Boolean(args.debug) });
      }),
    ),
  };
}
