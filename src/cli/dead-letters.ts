import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { table, usageError } from './output.js';
import { jobNotFound } from '../engine/index.js';
import { withStore } from './store.js';

interface DeadLetterArgs extends GlobalArgs {
  job: string;
  limit?: number;
}

/** Rows a terminal shows unless --limit says otherwise; --json lists every one unless --limit says otherwise. */
const SHOWN = 1000;
const PAGE = 1000;

/** `ferry dead-letters JOB`: items the target refused for good, with the reason and the source key. */
export function deadLettersCommand(ctx: CliContext): CommandModule<GlobalArgs, DeadLetterArgs> {
  return {
    command: 'dead-letters <job>',
    describe: 'list the items a job could not write, with the reason',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('job', { type: 'string', demandOption: true, describe: 'job id' })
        .option('limit', { type: 'number', describe: `at most this many (default ${SHOWN} on a terminal; --json lists all)` }) as Argv<DeadLetterArgs>,
    handler: handler<DeadLetterArgs>(ctx, (args) =>
      withStore(ctx, args, { create: false }, async (store) => {
        if (!store || !(await store.getJob(args.job))) throw jobNotFound(args.job);
        if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 0)) throw usageError(`--limit must be a whole number (0 or more), not ${String(args.limit)}`);
        if (args.json) {
          // A JSON array written a page at a time: every dead letter (or --limit of them), in bounded memory.
          let left = args.limit ?? Number.POSITIVE_INFINITY;
          let afterId: number | undefined;
          let first = true;
          ctx.io.out('[');
          while (left > 0) {
            const page = await store.deadLetters(args.job, { limit: Math.min(PAGE, left), ...(afterId === undefined ? {} : { afterId }) });
            for (const r of page) {
              ctx.io.out(`${first ? '' : ','}${JSON.stringify(r)}`);
              first = false;
            }
            if (page.length === 0) break;
            left -= page.length;
            afterId = page[page.length - 1]!.id;
          }
          ctx.io.out(']');
          return EXIT.OK;
        }
        const rows = await store.deadLetters(args.job, { limit: args.limit ?? SHOWN });
        if (rows.length === 0) ctx.io.out(`job ${args.job} has no dead letters`);
        else {
          const total = await store.countDeadLetters(args.job);
          ctx.io.out(table([['stream', 'key', 'reason'], ...rows.map((r) => [r.stream, r.key, r.reason])]));
          if (total > rows.length) ctx.io.out(`… ${total - rows.length} more; raise --limit, or --json lists every one`);
        }
        return EXIT.OK;
      }),
    ),
  };
}
