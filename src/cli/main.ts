import yargs from 'yargs';
import { EXIT } from '../errors.js';
import { processIo, reportError, type Io } from './output.js';
import { defaultOpenConnectors, defaultOpenTargetSource, type CliContext } from './context.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { resumeCommand } from './resume.js';
import { statusCommand } from './status.js';
import { jobsCommand } from './jobs.js';
import { deadLettersCommand } from './dead-letters.js';
import { demoCommand } from './demo.js';
import { connectorsCommand } from './connectors.js';
import { verifyCommand } from './verify.js';
import { reportsCommand } from './reports.js';
import { workerCommand } from './worker.js';
import { jobCommand } from './job.js';
import { deployCommand } from './deploy.js';
import { backupCommand } from './backup.js';
import { scheduleCommand } from './schedule.js';

/** Parse and run one ferry command; returns the process exit code (0, 1, 2 or 130). */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  deps: Partial<Pick<CliContext, 'openConnectors' | 'openTargetSource'>> = {},
): Promise<number> {
  const ctx: CliContext = {
    io,
    exitCode: EXIT.OK,
    openConnectors: deps.openConnectors ?? defaultOpenConnectors,
    openTargetSource: deps.openTargetSource ?? defaultOpenTargetSource,
  };
  const debug = argv.includes('--debug');
  let usageFailure: { msg: string | undefined; err: Error | undefined } | undefined;
  const parser = yargs([...argv])
    .scriptName('ferry')
    .usage('$0 <command> [options]\n\nMove data between stores, resumably, and prove nothing was lost.')
    .option('state', { type: 'string', describe: 'state database (default: $FERRY_STATE or state/ferry.db)', global: true })
    .option('json', { type: 'boolean', describe: 'machine-readable output (default when stdout is not a terminal)', global: true })
    .option('debug', { type: 'boolean', describe: 'print stack traces on errors', global: true })
    .command(planCommand(ctx))
    .command(runCommand(ctx))
    .command(resumeCommand(ctx))
    .command(workerCommand(ctx))
    .command(jobCommand(ctx))
    .command(deployCommand(ctx))
    .command(verifyCommand(ctx))
    .command(backupCommand(ctx))
    .command(scheduleCommand(ctx))
    .command(statusCommand(ctx))
    .command(jobsCommand(ctx))
    .command(reportsCommand(ctx))
    .command(deadLettersCommand(ctx))
    .command(connectorsCommand(ctx))
    .command(demoCommand(ctx))
    .demandCommand(1, 'name a command; `ferry --help` lists them')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue(
      'Exit codes: 0 success, 1 job failed or verification found differences, 2 invalid usage or plan, 130 interrupted (resumable).',
    )
    .exitProcess(false)
    .fail((msg, err) => {
      usageFailure = { msg: msg ?? undefined, err: err ?? undefined };
    })
    .showHelpOnFail(false);
  // yargs prints help/version itself; route its output through io so in-process tests can read it.
  let printed = '';
  try {
    await parser.parseAsync(argv as string[], {}, (_err, _argv, output) => {
      printed = output;
    });
  } catch (e) {
    if (!usageFailure) return reportError(io, e, debug);
  }
  if (printed) io.out(printed);
  if (usageFailure) {
    if (usageFailure.err) return reportError(io, usageFailure.err, debug);
    io.err(`ferry: ${usageFailure.msg ?? 'invalid usage'}`);
    io.err('  fix: see `ferry --help`');
    return EXIT.USAGE;
  }
  return ctx.exitCode;
}
