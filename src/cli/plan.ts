import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import { formatDiagnostics, loadPlanFile, planJsonSchema, PlanError } from '../plan/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { printJson } from './output.js';
import { planDryRun, type DryRunArgs } from './plan-dry-run.js';

interface CheckArgs extends GlobalArgs {
  files: string[];
}

/** `ferry plan check FILE...`, `ferry plan schema` and `ferry plan dry-run PLAN`: look at plans without running them. */
export function planCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'plan <command>',
    describe: 'check plans, dry-run them, print the plan JSON Schema',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .command<CheckArgs>({
          command: 'check <files..>',
          describe: 'validate plan files (exit 0 if all are valid, 2 with FILE:LINE:COLUMN: path: problem otherwise)',
          builder: (yy) => yy.positional('files', { type: 'string', array: true, demandOption: true }) as Argv<CheckArgs>,
          handler: handler<CheckArgs>(ctx, async (args) => {
            let code: number = EXIT.OK;
            const results: unknown[] = [];
            for (const file of args.files) {
              try {
                const loaded = await loadPlanFile(file, ctx.io.env);
                const p = loaded.plan;
                results.push({ file, ok: true, name: p.name, kind: p.kind, hash: loaded.hash, warnings: loaded.warnings });
                if (!args.json && loaded.warnings.length > 0) ctx.io.err(formatDiagnostics(loaded.warnings));
                if (!args.json)
                  ctx.io.out(
                    `${file}: ok — ${p.kind} "${p.name}", ${p.source.type} → ${p.target.type}, ` +
                      `${p.streams.length} stream${p.streams.length === 1 ? '' : 's'}`,
                  );
              } catch (e) {
                if (!(e instanceof PlanError)) throw e;
                code = EXIT.USAGE;
                results.push({ file, ok: false, errors: e.diagnostics });
                if (!args.json) ctx.io.err(e.format());
              }
            }
            if (args.json) printJson(ctx.io, results);
            return code;
          }),
        })
        .command<DryRunArgs>({
          command: 'dry-run <plan>',
          describe:
            'read the source, map samples, check the target and estimate time and cost, writing nothing (exit 0 ready, 1 blocked, 2 plan errors)',
          builder: (yy) =>
            yy
              .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML)' })
              .option('sample', { type: 'number', describe: 'records sampled per stream (default 5)' })
              .option('format', { type: 'string', choices: ['text', 'md', 'json', 'html'], describe: 'report format (default: text on a terminal, json when piped)' })
              .option('out', { type: 'string', describe: 'write the report to this file instead of stdout' })
              .option('bandwidth', { type: 'number', describe: 'network bandwidth to assume, MB/s (default 100)' }) as Argv<DryRunArgs>,
          handler: handler<DryRunArgs>(ctx, (args) => planDryRun(ctx, args)),
        })
        .command<GlobalArgs>({
          command: 'schema',
          describe: 'print the JSON Schema of plans (for editors: yaml-language-server, VS Code)',
          handler: handler<GlobalArgs>(ctx, () => {
            printJson(ctx.io, planJsonSchema());
            return EXIT.OK;
          }),
        })
        .demandCommand(1, 'name a plan command: check, dry-run or schema'),
    handler: () => undefined,
  };
}
