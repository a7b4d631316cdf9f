import type { Argv, CommandModule } from 'yargs';
import { jobNotFound, resumableJob } from '../engine/index.js';
import { FerryError } from '../errors.js';
import { sleep } from '../engine/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { executeJob } from './execute.js';
import { LEASE_TTL_OPTION, leaseTtlOf } from './lease-ttl.js';
import { withStore } from './store.js';

interface WorkerArgs extends GlobalArgs {
  job: string;
  wait?: number;
  'lease-ttl'?: number;
}

/**
 * `ferry worker JOB`: take part in a job beside any number of other workers, on any machines sharing the state:
 * claim segments until none is left, each checkpointed under its own lease. The same command is what `ferry run
 * --workers N` starts locally and what a Kubernetes Indexed Job runs (`ferry deploy k8s`).
 */
export function workerCommand(ctx: CliContext): CommandModule<GlobalArgs, WorkerArgs> {
  return {
    command: 'worker <job>',
    describe: 'run segments of a job beside other workers (shared state: --state postgres://…)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('job', { type: 'string', demandOption: true, describe: 'job id (from `ferry job create` or `ferry run --workers`)' })
        .option('wait', { type: 'number', describe: 'seconds to wait for the job record to appear (a worker started beside its create step)' })
        .option('lease-ttl', LEASE_TTL_OPTION) as Argv<WorkerArgs>,
    handler: handler<WorkerArgs>(ctx, (args) =>
      withStore(ctx, args, { create: args.wait !== undefined }, async (store) => {
        if (!store) throw jobNotFound(args.job);
        const leaseTtlMs = leaseTtlOf(args['lease-ttl']);
        const deadline = Date.now() + Math.max(0, args.wait ?? 0) * 1000;
        while (!(await store.getJob(args.job)) && Date.now() < deadline) await sleep(1000);
        if (args.wait !== undefined && !(await store.getJob(args.job))) {
          throw new FerryError('JOB_NOT_FOUND', `no job "${args.job}" appeared in the state within ${args.wait} s`, {
            hint: 'create it first (`ferry job create PLAN --id ID`), and check that every worker uses the same --state',
          });
        }
        const { job, loaded } = await resumableJob(store, args.job, ctx.io.env, { shared: true });
        ctx.io.err(`ferry: worker pid ${process.pid} joining job ${job.id} of plan "${job.planName}"`);
        return executeJob(ctx, {
          loaded,
          store,
          job,
          json: Boolean(args.json) || !ctx.io.isTTY,
          debug: Boolean(args.debug),
          shared: true,
          ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
        });
      }),
    ),
  };
}
