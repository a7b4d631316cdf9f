import type { Argv, CommandModule } from 'yargs';
import { runDemo } from '../demo/run-demo.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { executeJob } from './execute.js';

/** `ferry demo`: a Postgres → DynamoDB migration of the Chinook database on embedded servers, verified. */
export function demoCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'demo',
    describe: 'migrate a sample database from PostgreSQL to DynamoDB on embedded servers, and verify it',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: handler(ctx, (args) =>
      runDemo(
        {
          say: (t) => ctx.io.err(`ferry demo: ${t}`),
          env: process.env,
          execute: ({ loaded, store }) =>
            executeJob(ctx, {
              loaded,
              store,
              job: () =>
                store.createJob({
                  planName: loaded.plan.name,
                  planHash: loaded.hash,
                  planPath: loaded.path,
                  kind: loaded.plan.kind,
                  planText: loaded.storedText,
                }, { claim: true }),
              json: Boolean(args.json) || !ctx.io.isTTY,
              debug: Boolean(args.debug),
            }),
        },
        args.state ? { statePath: args.state } : {},
      ),
    ),
  };
}
