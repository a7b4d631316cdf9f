import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { printJson, table } from './output.js';
import { jobNotFound } from './status.js';
import { withStore } from './store.js';

interface DeadLetterArgs extends GlobalArgs {
  job: string;
  limit: number;
}

/** `ferry dead-letters JOB`: items the target refused for good, with the reason and the source key. */
export function deadLettersCommand(ctx: CliContext): CommandModule<GlobalArgs, DeadLetterArgs> {
  return {
    command: 'dead-letters <job>',
    describe: 'list the items a job could not write, with the reason',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('job', { type: 'string', demandOption: true, describe: 'job id' })
        .option('limit', { type: 'number', default: 1000, describe: 'at most this many' }) as Argv<DeadLetterArgs>,
    handler: handler<DeadLetterArgs>(ctx, (args) =>
      withStore(ctx, args, { create: false }, (store) => {
        if (!store || !store.getJob(args.job)) throw jobNotFound(args.job);
        const rows = store.deadLetters(args.job, { limit: args.limit });
        if (args.json) printJson(ctx.io, rows);
        else if (rows.length === 0) ctx.io.out(`job ${args.job} has no dead letters`);
        else {
          const total = store.countDeadLetters(args.job);
          ctx.io.out(table([['stream', 'key', 'reason'], ...rows.map((r) => [r.stream, r.key, r.reason])]));
          if (total > rows.length) ctx.io.out(`… ${total - rows.length} more; raise --limit or use --json`);
        }
        return EXIT.OK;
      }),
    ),
  };
}
