/**
 * `npm run bench -- pg-dynamodb`: how fast ferry moves a PostgreSQL table into DynamoDB, against the same DynamoDB
 * server's raw ceiling and a naive loop. Every run writes the same N rows into a fresh table, which is counted
 * (`Select: COUNT` scan) and deleted afterwards; a run that lost or added an item fails the bench.
 *
 * Order: a short warm-up (so no run pays the server's JIT warm-up), raw ceiling at each writer count, ferry,
 * naive loop. The ferry number is the job's own duration (`job.done`), which like the baselines excludes process
 * start-up; the child's wall clock is reported too.
 */
import type { ChildProcess } from 'node:child_process';
import type { PgDynamoDbOptions } from './args.js';
import { loadItemPool, naiveLoop, rawCeiling, type Interrupted } from './baselines.js';
import { ensureDataset, QUALIFIED_TABLE, type DatasetInfo } from './dataset.js';
import { benchClient, countItems, createTable, dropTable, TABLE_PREFIX } from './dynamo.js';
import { benchPlanYaml, runFerryChild } from './ferry-child.js';
import { readMemory } from './proc.js';
import {
  cpuOf,
  ferryCommit,
  ferryRunError,
  formatTable,
  machine,
  measureRun,
  n,
  orNull,
  ratioText,
  round,
  runJson,
  runRounds,
  runRows,
  summarize,
  type Machine,
  type RunBodyResult,
  type RunId,
  type RunJson,
  type RunOutcome,
} from './runs.js';
import type { BenchServers } from './servers.js';

export { median } from './runs.js';
export type { RunId, RunOutcome } from './runs.js';

/** The JSON of `--json`: the issue's fields, then `details`. */
export interface PgDynamoDbResult {
  rows: number;
  ferry_items_per_s: number | null;
  naive_items_per_s: number | null;
  ceiling_items_per_s: number | null;
  ratio_ceiling: number | null;
  ratio_naive: number | null;
  peak_rss_mb: number | null;
  dynamodb_server: string;
  notes: string[];
  ok: boolean;
  details: {
    ferry: {
      concurrency: number;
      batch_size: number;
      job_seconds: number | null;
      wall_seconds: number | null;
      wall_items_per_s: number | null;
      checkpoints: number | null;
      cpu_seconds: number | null;
      command: string | null;
    };
    ceiling_by_writers: Record<string, number | null>;
    ceiling_writers: number | null;
    rounds: number;
    runs: RunJson[];
    dataset: { table: string; avg_row_bytes: number; reused: boolean };
    /** The DynamoDB server process, when the services script knows it. */
    server: { pid: number | null; rss_mb_start: number | null; rss_mb_end: number | null };
    machine: Machine;
    ferry_commit: string | null;
  };
}

export interface PgDynamoDbContext {
  root: string;
  servers: BenchServers;
  log: (line: string) => void;
  interrupted: Interrupted;
  onChild?: (child: ChildProcess | undefined) => void;
}

const WARMUP_ITEMS = 5_000;
const POOL_ITEMS = 5_000;

export async function runPgDynamoDb(opts: PgDynamoDbOptions, ctx: PgDynamoDbContext): Promise<PgDynamoDbResult> {
  const { servers, log } = ctx;
  const pgUrl = servers.pgUrl;
  if (!pgUrl) throw new Error('pg-dynamodb needs PostgreSQL (PGURL)');
  const notes: string[] = [...servers.notes];
  const mach = machine();

  const dataset: DatasetInfo = await ensureDataset(pgUrl, opts.rows, log);
  let client = benchClient(servers.dynamodbEndpoint, servers.env);
  const runs: RunOutcome[] = [];
  const tables: string[] = [];
  const serverRss = (): number | undefined => (servers.dynamodbPid ? readMemory(servers.dynamodbPid)?.rss : undefined);
  const serverRssStart = serverRss();
  let serverRssEnd: number | undefined;
  // A DynamoDB server the bench started is restarted before every run: dynalite keeps the memory of deleted items
  // and slows down as it grows, which would put every later run at a disadvantage.
  const fresh = servers.restartDynamoDb !== undefined;
  let used = false;
  try {
    const pool = await loadItemPool(pgUrl, Math.min(POOL_ITEMS, opts.rows));

    // Warm-up: the server's JIT and allocator, the SDK's connections. Not reported.
    const warmUp = async (): Promise<void> => {
      const warm = `${TABLE_PREFIX}warmup`;
      if (!tables.includes(warm)) tables.push(warm);
      log(`warming up the DynamoDB server (${Math.min(WARMUP_ITEMS, opts.rows).toLocaleString('en-US')} items)`);
      await createTable(client, warm);
      await rawCeiling(client, warm, pool, Math.min(WARMUP_ITEMS, opts.rows), 8, ctx.interrupted);
      await dropTable(client, warm);
    };
    const freshServer = async (): Promise<void> => {
      if (!used) return;
      log('restarting the DynamoDB server (a fresh one for each run)');
      client.destroy();
      await servers.restartDynamoDb!();
      client = benchClient(servers.dynamodbEndpoint, servers.env);
      await warmUp();
    };
    await warmUp();

    /** Run one measured write into a fresh table, then count and delete the table. */
    const measure = async (round: number, suffix: string, id: RunId, label: string, setup: string, table: string, body: () => Promise<RunBodyResult>): Promise<void> => {
      if (fresh) await freshServer();
      used = true;
      if (!tables.includes(table)) tables.push(table);
      runs.push(
        await measureRun({
          id,
          round,
          label,
          setup,
          target: table,
          expected: opts.rows,
          serverCpu: () => cpuOf(servers.dynamodbPid),
          serverRss,
          body,
          count: () => countItems(client, table),
          cleanup: () => dropTable(client, table),
          interrupted: ctx.interrupted,
          log,
          suffix,
        }),
      );
    };

    // Raw ceiling at each writer count.
    const ceilingStep = async (round: number, suffix: string): Promise<void> => {
      for (const writers of opts.ceiling) {
        const table = `${TABLE_PREFIX}ceiling_${writers}`;
        await measure(round, suffix, 'ceiling', `raw ceiling, ${writers} writers`, `${writers} writers`, table, async () => {
          await createTable(client, table);
          const s = await rawCeiling(client, table, pool, opts.rows, writers, ctx.interrupted);
          return { seconds: s.seconds, clientCpuSeconds: s.clientCpuSeconds, cpuWindowSeconds: s.seconds };
        });
      }
    };

    // ferry, as an operator runs it.
    const ferryStep = async (round: number, suffix: string): Promise<void> => {
      const ferryTable = `${TABLE_PREFIX}ferry`;
      await measure(round, suffix, 'ferry', 'ferry run', `${opts.concurrency} segments, batch ${opts.batchSize}`, ferryTable, async () => {
        await dropTable(client, ferryTable); // the plan's `create: true` makes it
        const r = await runFerryChild({
          plan: benchPlanYaml({ from: QUALIFIED_TABLE, to: ferryTable, concurrency: opts.concurrency, batchSize: opts.batchSize }),
          root: ctx.root,
          env: servers.env,
          ...(opts.cpuProf ? { cpuProfDir: opts.cpuProf } : {}),
          onSpawn: (child) => ctx.onChild?.(child),
        });
        ctx.onChild?.(undefined);
        if (ctx.interrupted()) throw new Error('interrupted');
        const error = ferryRunError(r, opts.rows);
        return { seconds: r.jobSeconds ?? r.wallSeconds, clientCpuSeconds: r.cpuSeconds, cpuWindowSeconds: r.wallSeconds, ferry: r, ...(error ? { error } : {}) };
      });
    };

    // The naive loop.
    const naiveStep = async (round: number, suffix: string): Promise<void> => {
      const table = `${TABLE_PREFIX}naive`;
      await measure(round, suffix, 'naive', 'naive loop', '1 writer', table, async () => {
        await createTable(client, table);
        const s = await naiveLoop(pgUrl, client, table, ctx.interrupted);
        return { seconds: s.seconds, clientCpuSeconds: s.clientCpuSeconds, cpuWindowSeconds: s.seconds };
      });
    };

    // Each round starts one step later (ceiling, ferry, naive / ferry, naive, ceiling / ...): a server that slows
    // down as it fills (dynalite does) then weighs on every kind of run alike.
    await runRounds([ceilingStep, ferryStep, ...(opts.skipNaive ? [] : [naiveStep])], opts.repeat);
    serverRssEnd = serverRss();
  } finally {
    for (const t of tables) await dropTable(client, t).catch(() => {});
    client.destroy();
  }

  // Results: medians over rounds (one round: the run itself).
  const sum = summarize(runs, opts.ceiling, (w) => `${w} writers`);
  const { ferryRate, ceilingRate, naiveRate, best, children } = sum;

  notes.push(
    `${mach.cpus} CPUs, 1-minute load ${mach.load_avg_1m.toFixed(2)} at start; the DynamoDB server runs on this machine, so the writer (ferry child or this process) and the server compete for the same cores`,
  );
  if (servers.dynamodbServer.startsWith('dynalite')) notes.push('dynalite is a single-threaded Node.js process: its ceiling is one core of CPU');
  if (opts.repeat > 1) notes.push(`${opts.repeat} rounds, interleaved (ceiling, ferry, naive, ceiling, ...): items/s are medians, peak RSS the largest`);
  notes.push(
    `ferry items/s uses the job's own duration (job.done, which like the baselines excludes process start-up); with the child's wall clock it is ${n(sum.wallRate)} items/s`,
  );
  notes.push(`ferry ran with checkpoints on: ${children[0]?.checkpoints ?? 0} commits per run to a SQLite state DB in a temp dir; verification off (verify: [])`);
  if (best) notes.push(`raw ceiling best at ${best.level} writers (${sum.ceilingBy.map((c) => `${c.level}: ${n(c.rate)}`).join(', ')})`);
  notes.push(`a ${Math.min(WARMUP_ITEMS, opts.rows).toLocaleString('en-US')}-item warm-up of the server ran before ${fresh ? 'each measured run' : 'the measured runs'}`);
  notes.push(`source ${QUALIFIED_TABLE}: ${opts.rows.toLocaleString('en-US')} rows, ${dataset.avgRowBytes} bytes a row as text, ${dataset.reused ? 'reused' : `generated in ${dataset.seconds.toFixed(1)} s`}`);
  if (opts.skipNaive) notes.push('naive loop skipped (--skip-naive)');
  const mb = (b: number): number => round(b / 2 ** 20);
  if (fresh) notes.push('the bench started the DynamoDB server itself, and restarted it before every run: each run had a fresh, warmed-up server');
  if (!fresh && serverRssStart !== undefined && serverRssEnd !== undefined && serverRssEnd > 1.5 * serverRssStart && serverRssEnd - serverRssStart > 256 * 2 ** 20) {
    notes.push(
      `the DynamoDB server grew from ${mb(serverRssStart)} to ${mb(serverRssEnd)} MB resident during the bench although every table was deleted` +
        ' (dynalite keeps memory of deleted items and slows down as it grows): later runs are at a disadvantage; for numbers comparable between benches, start each on a fresh server',
    );
  }
  if (ferryRate !== null && ceilingRate !== null && ferryRate / ceilingRate < 0.85) notes.push('ferry is below the goal of 0.85 of the ceiling');
  if (sum.peakRssMb === null && children.length > 0) notes.push('peak RSS unknown: /proc is not readable here');

  return {
    rows: opts.rows,
    ferry_items_per_s: ferryRate,
    naive_items_per_s: naiveRate,
    ceiling_items_per_s: ceilingRate,
    ratio_ceiling: ferryRate !== null && ceilingRate ? round(ferryRate / ceilingRate, 3) : null,
    ratio_naive: ferryRate !== null && naiveRate ? round(ferryRate / naiveRate, 3) : null,
    peak_rss_mb: sum.peakRssMb,
    dynamodb_server: servers.dynamodbServer,
    notes,
    ok: runs.length > 0 && runs.every((r) => r.ok),
    details: {
      ferry: {
        concurrency: opts.concurrency,
        batch_size: opts.batchSize,
        job_seconds: orNull(sum.jobSeconds, 2),
        wall_seconds: orNull(sum.wallSeconds, 2),
        wall_items_per_s: orNull(sum.wallRate),
        checkpoints: children[0]?.checkpoints ?? null,
        cpu_seconds: orNull(sum.ferryCpu, 2),
        command: children[0]?.command ?? null,
      },
      ceiling_by_writers: Object.fromEntries(sum.ceilingBy.map((c) => [String(c.level), orNull(c.rate)])),
      ceiling_writers: best?.level ?? null,
      rounds: opts.repeat,
      runs: runs.map((r) => runJson(r)),
      dataset: { table: QUALIFIED_TABLE, avg_row_bytes: dataset.avgRowBytes, reused: dataset.reused },
      server: {
        pid: servers.dynamodbPid ?? null,
        rss_mb_start: serverRssStart === undefined ? null : mb(serverRssStart),
        rss_mb_end: serverRssEnd === undefined ? null : mb(serverRssEnd),
      },
      machine: mach,
      ferry_commit: ferryCommit(ctx.root),
    },
  };
}

/** The human table. */
export function formatPgDynamoDb(r: PgDynamoDbResult): string {
  const out = [
    `pg-dynamodb: ${r.rows.toLocaleString('en-US')} rows, PostgreSQL ${r.details.dataset.table} → ${r.dynamodb_server}`,
    '',
    ...formatTable(runRows(r.details.runs, r.details.rounds)),
    'CPU: % of one core during the run; server = the DynamoDB server process, writer = the ferry child (ferry) or the bench process (baselines)',
    '',
    `${r.details.rounds > 1 ? 'medians: ' : ''}ferry ${n(r.ferry_items_per_s)} items/s · ceiling ${n(r.ceiling_items_per_s)} items/s (${r.details.ceiling_writers ?? '-'} writers) · naive ${n(r.naive_items_per_s)} items/s`,
    `ratio_ceiling = ferry / ceiling = ${ratioText(r.ratio_ceiling)}   (goal ≥ 0.85)`,
    `ratio_naive   = ferry / naive   = ${ratioText(r.ratio_naive)}`,
    `peak RSS of the ferry child: ${r.peak_rss_mb === null ? 'unknown' : `${r.peak_rss_mb.toFixed(1)} MB`}`,
    '',
    ...r.notes.map((t) => `- ${t}`),
    '',
    r.ok ? 'all runs complete: every table held exactly the rows written' : 'FAILED: at least one run did not complete or lost items',
  ];
  return out.join('\n');
}
