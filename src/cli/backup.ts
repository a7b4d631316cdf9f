/**
 * `ferry backup list|verify|prune PLAN`: a backup plan's sets, read from the object store alone (any machine can
 * list, verify or prune them; nothing here needs the state DB of the machine that wrote them). The work is in
 * src/backup/; this parses, calls and prints.
 */
import type { Argv, CommandModule } from 'yargs';
import { catalog, policyOf, prune, type SetSummary } from '../backup/catalog.js';
import { parseSubset, SubsetError } from '../backup/read-subset.js';
import { listSets, pickSet, setsOfPlan, type SetLocation } from '../backup/sets.js';
import { recordVerification, verifySet, type SetVerifyResult } from '../backup/verify-set.js';
import type { ConnectorContext } from '../core/connector.js';
import { backupEncodings, openObjectStore } from '../engine/index.js';
import { EXIT } from '../errors.js';
import { loadPlanFile } from '../plan/index.js';
import type { Plan, RetentionSpec } from '../plan/types.js';
import { handler, wantsJson, type CliContext, type GlobalArgs } from './context.js';
import { cliLogger } from './execute.js';
import { formatCount, formatDuration, printJson, table, usageError } from './output.js';
import { reporterFor } from './progress.js';
import { runVerification } from './verification.js';

interface BackupArgs extends GlobalArgs {
  plan: string;
}

interface VerifyArgs extends BackupArgs {
  set?: string;
  readSubset?: string;
  maxBytes?: number;
  maxTime?: number;
  source?: boolean;
  record?: boolean;
}

interface PruneArgs extends BackupArgs {
  dryRun?: boolean;
  ifRetention?: boolean;
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  minAge?: string;
  incompleteAfter?: string;
}

/** `--keep-daily 7 …` as restic takes them: when any is given they replace the plan's `retention:` for this prune. */
function retentionFlags(args: PruneArgs): RetentionSpec | undefined {
  const r: RetentionSpec = {
    ...(args.keepLast !== undefined ? { keep_last: args.keepLast } : {}),
    ...(args.keepDaily !== undefined ? { keep_daily: args.keepDaily } : {}),
    ...(args.keepWeekly !== undefined ? { keep_weekly: args.keepWeekly } : {}),
    ...(args.keepMonthly !== undefined ? { keep_monthly: args.keepMonthly } : {}),
    ...(args.keepYearly !== undefined ? { keep_yearly: args.keepYearly } : {}),
    ...(args.minAge !== undefined ? { min_age: args.minAge } : {}),
    ...(args.incompleteAfter !== undefined ? { incomplete_after: args.incompleteAfter } : {}),
  };
  for (const [k, v] of Object.entries(r)) if (k !== 'min_age' && k !== 'incomplete_after' && !(Number.isInteger(v) && (v as number) >= 0)) throw usageError(`--${k.replace('_', '-')} must be a whole number ≥ 0, not ${String(v)}`);
  return Object.keys(r).length ? r : undefined;
}

async function withSets<T>(ctx: CliContext, args: BackupArgs, fn: (loc: SetLocation, plan: Plan, c: ConnectorContext) => Promise<T>): Promise<T> {
  const { plan } = await loadPlanFile(args.plan, ctx.io.env);
  const where = setsOfPlan(plan);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  const c: ConnectorContext = { signal: abort.signal, logger: cliLogger(reporterFor(ctx.io, wantsJson(ctx, args)), Boolean(args.debug)) };
  try {
    await using store = await openObjectStore(where.block, c, plan.kind === 'backup' ? 'target' : 'source');
    await store.check(abort.signal);
    return await fn({ store, prefix: where.prefix, plan: where.plan }, plan, c);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function age(ms: number): string {
  return formatDuration(Math.max(0, ms));
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function summaryJson(s: SetSummary): Record<string, unknown> {
  return {
    id: s.id,
    set: s.prefix,
    createdAt: s.createdAt.toISOString(),
    ageMs: s.ageMs,
    state: s.state,
    objects: s.objects,
    bytes: s.bytes,
    ...(s.records !== undefined ? { records: s.records, streams: s.streams } : {}),
    ...(s.verified ? { verified: { at: s.verified.at.toISOString(), outcome: s.verified.outcome } } : {}),
    ...(s.problem ? { problem: s.problem } : {}),
  };
}

function listCommand(ctx: CliContext): CommandModule<GlobalArgs, BackupArgs> {
  return {
    command: 'list <plan>',
    describe: "a backup plan's sets, newest first: state, size, records, age, last verification; and the RPO achieved",
    builder: (y: Argv<GlobalArgs>) => y.positional('plan', { type: 'string', demandOption: true, describe: 'the backup plan file (or a restore plan: the sets it reads)' }) as Argv<BackupArgs>,
    handler: handler<BackupArgs>(ctx, (args) =>
      withSets(ctx, args, async (loc, _plan, c) => {
        const cat = await catalog(loc, c.signal);
        if (wantsJson(ctx, args)) {
          printJson(ctx.io, { plan: loc.plan, location: `${loc.store.url}/${loc.prefix}`, sets: cat.sets.map(summaryJson), ...(cat.rpo ? { rpo: cat.rpo } : {}) });
          return EXIT.OK;
        }
        if (cat.sets.length === 0) {
          ctx.io.out(`no backup sets of ${loc.plan} in ${loc.store.url}${loc.prefix ? `/${loc.prefix}` : ''}`);
          return EXIT.OK;
        }
        const rows = [['SET', 'CREATED (UTC)', 'AGE', 'STATE', 'RECORDS', 'SIZE', 'VERIFIED']];
        for (const s of cat.sets) {
          rows.push([
            s.prefix.replace(/\/$/, '').split('/').pop()!,
            s.createdAt.toISOString().replace('.000Z', 'Z'),
            age(s.ageMs),
            s.state,
            s.records === undefined ? '-' : formatCount(s.records),
            bytes(s.bytes),
            s.verified ? `${s.verified.outcome} ${age(Date.now() - s.verified.at.getTime())} ago` : 'never',
          ]);
        }
        ctx.io.out(table(rows));
        ctx.io.out(cat.rpo ? `RPO achieved: the newest verified set is ${age(cat.rpo.ageMs)} old (${cat.rpo.set})` : 'RPO achieved: none — no set has been verified (`ferry backup verify PLAN`)');
        for (const s of cat.sets) if (s.problem) ctx.io.out(`  ${s.id}: ${s.problem}`);
        return EXIT.OK;
      }),
    ),
  };
}

function verifyCommand(ctx: CliContext): CommandModule<GlobalArgs, VerifyArgs> {
  return {
    command: 'verify <plan> [set]',
    describe: 'check a set against its manifest (every file present at its size; the chosen slice read and hashed), and against the live source with --source',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'the backup plan file' })
        .positional('set', { type: 'string', describe: 'a set id or directory (default: the newest complete set)' })
        .option('read-subset', { type: 'string', describe: 'files read whole: all (default), n/t (slice n of t, by a hash of each path), auto/t (the slice of the UTC day: everything every t days)' })
        .option('max-bytes', { type: 'number', describe: 'read at most about this many bytes of the slice (the rest is listed as skipped)' })
        .option('max-time', { type: 'number', describe: 'stop reading after this many seconds (the rest is listed as skipped)' })
        .option('source', { type: 'boolean', describe: 'also compare the set with the live source: count and checksum per stream' })
        .option('record', { type: 'boolean', default: true, describe: 'record the outcome in the set (verify/<time>-<outcome>.json), for list and prune' }) as Argv<VerifyArgs>,
    handler: handler<VerifyArgs>(ctx, async (args) => {
      let subset;
      try {
        subset = args.readSubset === undefined ? undefined : parseSubset(args.readSubset);
      } catch (e) {
        if (e instanceof SubsetError) throw usageError(e.message);
        throw e;
      }
      for (const [name, v] of [['--max-bytes', args.maxBytes], ['--max-time', args.maxTime]] as const) {
        if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw usageError(`${name} must be a positive number, not ${String(v)}`);
      }
      const json = wantsJson(ctx, args);
      return withSets(ctx, args, async (loc, plan, c) => {
        if (args.source && plan.kind !== 'backup') throw usageError('--source compares a set with the source of its backup plan; pass the backup plan, not the restore plan');
        const { sets, objects } = await listSets(loc, c.signal);
        const set = pickSet(sets, args.set, `${loc.store.url}/${loc.prefix}`);
        const result = await verifySet(loc.store, set, objects.get(set.prefix) ?? [], {
          ...(subset ? { subset } : {}),
          ...(args.maxBytes !== undefined ? { maxBytes: args.maxBytes } : {}),
          ...(args.maxTime !== undefined ? { maxMs: args.maxTime * 1000 } : {}),
          encodings: backupEncodings,
          signal: c.signal,
        });
        const readNothing = result.outcome === 'ok' && result.read.files === 0 && result.listed > 0;
        let code: number = result.outcome === 'ok' && !readNothing ? EXIT.OK : EXIT.FAILED;
        let sourceOutcome: string | undefined;
        if (args.source && plan.kind === 'backup' && result.outcome === 'ok') {
          const reporter = reporterFor(ctx.io, json);
          await using conns = await ctx.openConnectors({ ...plan, verify: ['count', 'checksum'] }, c);
          const v = await runVerification(ctx, { plan: { ...plan, verify: ['count', 'checksum'] }, source: conns.source, sink: conns.sink, connectorCtx: c, reporter, json, targetSet: set.prefix });
          reporter.stop();
          sourceOutcome = v.report.outcome;
          if (v.code !== EXIT.OK) code = v.code;
        }
        if (args.record !== false && !readNothing) {
          // A set that differs from the live source is not damaged: the source may have changed since its snapshot.
          await recordVerification(loc.store, { ...result, ...(sourceOutcome ? { source: sourceOutcome } : {}) }, c.signal);
        }
        printVerify(ctx, json, result, readNothing, sourceOutcome);
        return code;
      });
    }),
  };
}

function printVerify(ctx: CliContext, json: boolean, r: SetVerifyResult, readNothing: boolean, sourceOutcome: string | undefined): void {
  if (json) {
    ctx.io.out(JSON.stringify({ type: 'backup.verify', ...r, ...(readNothing ? { outcome: 'unproven' } : {}), ...(sourceOutcome ? { source: sourceOutcome } : {}) }));
    return;
  }
  const slice = r.subset.of > 1 ? ` (slice ${r.subset.slice}/${r.subset.of})` : '';
  ctx.io.out(`set ${r.set}: ${r.listed} file(s) present at their size; ${r.read.files} read and proved${slice}: ${formatCount(r.read.records)} records, ${bytes(r.read.bytes)}`);
  if (r.streamsProved.length > 0) ctx.io.out(`  streams proved whole (count and digest): ${r.streamsProved.join(', ')}`);
  if (r.skipped.files > 0) ctx.io.out(`  skipped ${r.skipped.files} file(s) of the slice, ${bytes(r.skipped.bytes)}: ${r.skipped.reason}`);
  for (const n of r.notes) ctx.io.out(`  note: ${n}`);
  for (const p of r.problems) ctx.io.out(`  DAMAGED: ${p.problem}`);
  if (sourceOutcome) ctx.io.out(`  against the live source: ${sourceOutcome}${sourceOutcome === 'match' ? '' : ' (the source may have changed since the set was taken; the report above names the keys)'}`);
  if (readNothing) ctx.io.out('ferry: the check read no file, so it proves nothing; raise --max-bytes / --max-time or pick another --read-subset');
  else ctx.io.out(r.outcome === 'ok' ? 'ok' : `damaged: ${r.problems.length} problem(s)`);
}

function pruneCommand(ctx: CliContext): CommandModule<GlobalArgs, PruneArgs> {
  return {
    command: 'prune <plan>',
    describe: "delete the sets the plan's retention does not keep, each with its reason (--dry-run: only say)",
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'the backup plan file' })
        .option('dry-run', { type: 'boolean', describe: 'list what would be kept and deleted, delete nothing' })
        .option('if-retention', { type: 'boolean', describe: 'do nothing (exit 0) when neither the plan nor the flags give a retention (scheduled backups)' })
        .option('keep-last', { type: 'number', describe: 'keep the N newest complete sets (with any --keep-*: instead of the plan\'s retention)' })
        .option('keep-daily', { type: 'number', describe: 'keep the newest set of each of the last N days' })
        .option('keep-weekly', { type: 'number', describe: '… of each of the last N ISO weeks' })
        .option('keep-monthly', { type: 'number', describe: '… of each of the last N months' })
        .option('keep-yearly', { type: 'number', describe: '… of each of the last N years' })
        .option('min-age', { type: 'string', describe: 'keep every set younger than this (36h, 7d)' })
        .option('incomplete-after', { type: 'string', describe: 'delete a set without a manifest once this old (default 24h)' }) as Argv<PruneArgs>,
    handler: handler<PruneArgs>(ctx, (args) =>
      withSets(ctx, args, async (loc, plan, c) => {
        if (plan.kind !== 'backup') throw usageError('prune takes the backup plan (its `retention:` decides)');
        const retention = retentionFlags(args) ?? plan.retention;
        if (args.ifRetention && !retention) return EXIT.OK;
        const policy = policyOf(retention);
        const out = await prune(loc, policy, { dryRun: Boolean(args.dryRun), signal: c.signal });
        if (wantsJson(ctx, args)) {
          printJson(ctx.io, {
            dryRun: Boolean(args.dryRun),
            decisions: out.decisions.map((d) => ({ ...summaryJson(d.set), keep: d.keep, reasons: d.reasons })),
            deleted: out.deleted,
          });
          return EXIT.OK;
        }
        const rows = [['SET', 'STATE', 'AGE', args.dryRun ? 'WOULD' : 'DONE', 'WHY']];
        for (const d of out.decisions) {
          rows.push([d.set.prefix.replace(/\/$/, '').split('/').pop()!, d.set.state, age(d.set.ageMs), d.keep ? 'keep' : 'delete', d.reasons.join('; ')]);
        }
        ctx.io.out(table(rows));
        const n = out.decisions.filter((d) => !d.keep).length;
        ctx.io.out(args.dryRun ? `dry run: ${n} set(s) would be deleted; nothing was` : `deleted ${out.deleted.sets} set(s): ${out.deleted.objects} objects, ${bytes(out.deleted.bytes)}`);
        return EXIT.OK;
      }),
    ),
  };
}

export function backupCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'backup <command>',
    describe: "a backup plan's sets: list, verify, prune (a backup itself runs with `ferry run PLAN`)",
    builder: (y: Argv<GlobalArgs>) =>
      y
        .command(listCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .command(verifyCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .command(pruneCommand(ctx) as unknown as CommandModule<GlobalArgs, GlobalArgs>)
        .demandCommand(1, 'name a backup command: list, verify or prune'),
    handler: () => {},
  };
}
