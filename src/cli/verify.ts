import fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { FerryError } from '../errors.js';
import { loadPlanFile, loadPlanText, type LoadedPlan } from '../plan/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { cliLogger } from './execute.js';
import { reporterFor } from './progress.js';
import { jobNotFound } from './status.js';
import { runVerification } from './verification.js';
import { withStore } from './store.js';

interface VerifyArgs extends GlobalArgs {
  target: string;
  with?: string[];
}

/**
 * `ferry verify JOB|PLAN`: compare source and target again (after a repair, before a cutover). With a job, its dead
 * letters are expected absent and the results are stored with it; with a plan file, nothing is stored.
 */
export function verifyCommand(ctx: CliContext): CommandModule<GlobalArgs, VerifyArgs> {
  return {
    command: 'verify <target>',
    describe: 'verify a job (or a plan file) again: counts, checksums, the differing keys',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('target', { type: 'string', demandOption: true, describe: 'job id, or a plan file' })
        .option('with', {
          type: 'string',
          array: true,
          choices: ['count', 'checksum', 'sample'],
          describe: "verifiers to run instead of the plan's `verify:`",
        }) as Argv<VerifyArgs>,
    handler: handler<VerifyArgs>(ctx, async (args) => {
      const isPlan = /\.ya?ml$/i.test(args.target) || fs.existsSync(args.target);
      return withStore(ctx, args, { create: false }, async (store) => {
        let loaded: LoadedPlan;
        let jobId: string | undefined;
        if (isPlan) {
          loaded = await loadPlanFile(args.target, ctx.io.env);
        } else {
          const job = store?.getJob(args.target);
          if (!store || !job) throw jobNotFound(args.target);
          const text = store.getPlanText(job.id);
          if (text === undefined) throw new FerryError('STATE', `job ${job.id} has no stored plan`);
          loaded = loadPlanText(text, job.planPath ?? `<job ${job.id}>`, ctx.io.env);
          jobId = job.id;
        }
        const plan = { ...loaded.plan, verify: args.with && args.with.length > 0 ? (args.with as ('count' | 'checksum' | 'sample')[]) : loaded.plan.verify?.length ? loaded.plan.verify : ['count' as const, 'checksum' as const] };
        const json = Boolean(args.json) || !ctx.io.isTTY;
        const reporter = reporterFor(ctx.io, json);
        const logger = cliLogger(reporter, Boolean(args.debug));
        const abort = new AbortController();
        const onSignal = (): void => abort.abort();
        process.once('SIGINT', onSignal);
        try {
          await using conns = await ctx.openConnectors(plan, { signal: abort.signal, logger });
          const { code } = await runVerification(ctx, {
            plan,
            ...(store ? { store } : {}),
            ...(jobId ? { jobId } : {}),
            source: conns.source,
            sink: conns.sink,
            connectorCtx: { signal: abort.signal, logger },
            reporter,
            json,
          });
          return code;
        } finally {
          process.off('SIGINT', onSignal);
          reporter.stop();
        }
      });
    }),
  };
}

