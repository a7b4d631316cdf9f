import type { Argv, CommandModule } from 'yargs';
import { connectors } from '../connectors/registry.js';
import { EXIT } from '../errors.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { printJson, table } from './output.js';

/** `ferry connectors`: the store types a plan may name, and which can be a source or a target today. */
export function connectorsCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'connectors',
    describe: 'list the store types and whether each can be a source or a target',
    builder: (y: Argv<GlobalArgs>) => y,
    handler: handler(ctx, (args) => {
      const rows = connectors.map((c) => ({
        type: c.type,
        title: c.title,
        kind: c.kind,
        source: Boolean(c.createSource),
        target: Boolean(c.createSink),
        rateUnits: c.rateUnits ?? [],
      }));
      if (args.json) printJson(ctx.io, rows);
      else
        ctx.io.out(
          table([
            ['type', 'store', 'kind', 'source', 'target'],
            ...rows.map((r) => [r.type, r.title, r.kind, r.source ? 'yes' : 'not yet', r.target ? 'yes' : 'not yet']),
          ]),
        );
      return EXIT.OK;
    }),
  };
}
