import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { jobView } from './job-view.js';
import { formatCount, printJson, table } from './output.js';
import { withStore } from './store.js';

/** `ferry jobs`: every job in the state database, newest first. */
export function jobsCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'jobs',
    describe: 'list all jobs, newest first',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: handler(ctx, (args) =>
      withStore(ctx, args, { create: false }, async (store) => {
        const views = store ? await Promise.all((await store.listJobs()).map((j) => jobView(store, j))) : [];
        if (args.json) printJson(ctx.io, views);
        else if (views.length === 0) ctx.io.out('no jobs yet; start one with `ferry run PLAN`');
        else
          ctx.io.out(
            table([
              ['job', 'plan', 'status', 'segments', 'items', 'dead letters', 'created'],
              ...views.map((v) => [
                v.id,
                v.plan,
                v.status,
                `${v.segments.done}/${v.segments.total}`,
                formatCount(v.items),
                formatCount(v.deadLetters),
                v.createdAt,
              ]),
            ]),
          );
        return EXIT.OK;
      }),
    ),
  };
}
