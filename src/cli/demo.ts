import type { Argv, CommandModule } from 'yargs';
import { FerryError } from '../errors.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';

/** `ferry demo`: the main job on embedded servers. The Postgres → DynamoDB connectors it needs come next. */
export function demoCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'demo',
    describe: 'run a Postgres → DynamoDB migration on embedded servers and verify it',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: handler(ctx, () => {
      throw new FerryError('UNSUPPORTED', 'the demo needs the Postgres source and DynamoDB sink, which are not built yet', {
        hint: 'until then, `ferry plan check plans/*.yaml` shows the plan format',
      });
    }),
  };
}
