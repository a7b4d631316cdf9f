/**
 * `npm run bench -- pg-dynamodb`: how fast ferry moves a PostgreSQL table into DynamoDB, against the same DynamoDB
 * server's raw ceiling and a naive loop. Every run writes the same N rows into a fresh table, which is counted
 * (`Select: COUNT` scan) and deleted afterwards; a run that lost or added an item fails the bench.
 *
 * Order: a short warm-up (so no run pays the server's JIT warm-up), raw ceiling at each writer count, ferry,
 * naive loop. The ferry number is the job's own duration (`job.done`), which like the baselines excludes process
 * start-up; the child's wall clock is reported too.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PgDynamoDbOptions } from './args.js';
import { isInterrupted, loadItemPool, naiveLoop, rawCeiling, type Interrupted } from './baselines.js';
import { ensureDataset, QUALIFIED_TABLE, type DatasetInfo } from './dataset.js';
import { benchClient, countItems, createTable, dropTable, TABLE_PREFIX } from './dynamo.js';
import { runFerryChild, type FerryChildResult } from './ferry-child.js';
import { readCpuSeconds, readMemory } from './proc.js';
import type { BenchServers } from './servers.js';

export type RunId = 'ceiling' | 'ferry' | 'naive';

export interface RunOutcome {
  id: RunId;
  /** 1, 2, ... with --repeat. */
  round: number;
  label: string;
  table: string;
  /** Writer count (ceiling), segments × batch (ferry), 1 (naive). */
  setup: string;
  expected: number;
  counted: number | undefined;
  seconds: number | undefined;
  itemsPerSecond: number | undefined;
  /** CPU seconds of the DynamoDB server during the run (when its pid is known). */
  serverCpuSeconds: number | undefined;
  /** CPU seconds of the writing process (the bench for baselines, the ferry child for ferry). */
  clientCpuSeconds: number | undefined;
  /** Seconds the CPU shares are computed over. */
  cpuWindowSeconds: number | undefined;
  /** Resident memory of the DynamoDB server right after the run. */
  serverRssBytes?: number | undefined;
  ok: boolean;
  error?: string;
  ferry?: FerryChildResult;
}

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
    runs: {
      id: RunId;
      round: number;
      label: string;
      items_per_s: number | null;
      seconds: number | null;
      counted: number | null;
      ok: boolean;
      error?: string;
      server_cpu_pct: number | null;
      client_cpu_pct: number | null;
      peak_rss_mb?: number;
      /** The DynamoDB server's resident memory right after the run. */
      server_rss_mb: number | null;
    }[];
    dataset: { table: string; avg_row_bytes: number; reused: boolean };
    /** The DynamoDB server process, when the services script knows it. */
    server: { pid: number | null; rss_mb_start: number | null; rss_mb_end: number | null };
    machine: { cpus: number; load_avg_1m: number; node: string };
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

const round = (n: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function runPgDynamoDb(opts: PgDynamoDbOptions, ctx: PgDynamoDbContext): Promise<PgDynamoDbResult> {
  const { servers, log } = ctx;
  const notes: string[] = [...servers.notes];
  const loadAvg = os.loadavg()[0] ?? 0;
  const cpus = os.availableParallelism?.() ?? os.cpus().length;

  const dataset: DatasetInfo = await ensureDataset(servers.pgUrl, opts.rows, log);
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
    const pool = await loadItemPool(servers.pgUrl, Math.min(POOL_ITEMS, opts.rows));

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

    let round = 0;
    let rounds = '';
    const serverCpu = (): number | undefined => (servers.dynamodbPid ? readCpuSeconds(servers.dynamodbPid) : undefined);

    /** Run one measured write into a fresh table, then count and delete the table. */
    const measure = async (
      id: RunId,
      label: string,
      setup: string,
      table: string,
      body: () => Promise<{ seconds: number | undefined; clientCpuSeconds: number | undefined; cpuWindowSeconds: number | undefined; ferry?: FerryChildResult; error?: string }>,
    ): Promise<RunOutcome> => {
      if (fresh) await freshServer();
      used = true;
      if (!tables.includes(table)) tables.push(table);
      log(`${label}${rounds}: writing ${opts.rows.toLocaleString('en-US')} items into ${table}`);
      const out: RunOutcome = {
        id,
        round,
        label,
        setup,
        table,
        expected: opts.rows,
        counted: undefined,
        seconds: undefined,
        itemsPerSecond: undefined,
        serverCpuSeconds: undefined,
        clientCpuSeconds: undefined,
        cpuWindowSeconds: undefined,
        ok: false,
      };
      try {
        const cpu0 = serverCpu();
        const r = await body();
        const cpu1 = serverCpu();
        out.seconds = r.seconds;
        out.clientCpuSeconds = r.clientCpuSeconds;
        out.cpuWindowSeconds = r.cpuWindowSeconds;
        if (r.ferry) out.ferry = r.ferry;
        if (cpu0 !== undefined && cpu1 !== undefined) out.serverCpuSeconds = cpu1 - cpu0;
        if (r.error) out.error = r.error;
        out.serverRssBytes = serverRss();
        out.counted = await countItems(client, table);
        if (out.counted !== opts.rows && !out.error) {
          out.error = `${table} holds ${out.counted.toLocaleString('en-US')} items after the run, not ${opts.rows.toLocaleString('en-US')}`;
        }
        out.ok = out.error === undefined;
        if (out.ok && out.seconds) out.itemsPerSecond = opts.rows / out.seconds;
      } catch (e) {
        if (isInterrupted(e) || ctx.interrupted()) throw e;
        out.error = message(e);
      }
      await dropTable(client, table).catch((e: unknown) => log(`could not delete ${table}: ${message(e)}`));
      runs.push(out);
      const rate = out.itemsPerSecond ? `${Math.round(out.itemsPerSecond).toLocaleString('en-US')} items/s` : 'FAILED';
      log(`${label}${rounds}: ${rate}${out.error ? ` (${out.error})` : ''}`);
      return out;
    };

    // Raw ceiling at each writer count.
    const ceilingStep = async (): Promise<void> => {
      for (const writers of opts.ceiling) {
        const table = `${TABLE_PREFIX}ceiling_${writers}`;
        await measure('ceiling', `raw ceiling, ${writers} writers`, `${writers} writers`, table, async () => {
          await createTable(client, table);
          const s = await rawCeiling(client, table, pool, opts.rows, writers, ctx.interrupted);
          return { seconds: s.seconds, clientCpuSeconds: s.clientCpuSeconds, cpuWindowSeconds: s.seconds };
        });
      }
    };

    // ferry, as an operator runs it.
    const ferryStep = async (): Promise<void> => {
      const ferryTable = `${TABLE_PREFIX}ferry`;
      await measure('ferry', 'ferry run', `${opts.concurrency} segments, batch ${opts.batchSize}`, ferryTable, async () => {
        await dropTable(client, ferryTable); // the plan's `create: true` makes it
        const r = await runFerryChild({
          root: ctx.root,
          env: servers.env,
          from: QUALIFIED_TABLE,
          to: ferryTable,
          concurrency: opts.concurrency,
          batchSize: opts.batchSize,
          ...(opts.cpuProf ? { cpuProfDir: opts.cpuProf } : {}),
          onSpawn: (child) => ctx.onChild?.(child),
        });
        ctx.onChild?.(undefined);
        if (ctx.interrupted()) throw new Error('interrupted');
        let error: string | undefined;
        if (r.exitCode !== 0 || r.status !== 'succeeded') {
          const how = r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode}`;
          error = `ferry ${how}${r.status ? ` (job ${r.status})` : ''}: ${r.stderrTail.join(' | ') || 'no message'}`;
        } else if (r.items !== opts.rows) {
          error = `ferry reports ${r.items ?? 'no'} items written, not ${opts.rows}`;
        }
        return { seconds: r.jobSeconds ?? r.wallSeconds, clientCpuSeconds: r.cpuSeconds, cpuWindowSeconds: r.wallSeconds, ferry: r, ...(error ? { error } : {}) };
      });
    };

    // The naive loop.
    const naiveStep = async (): Promise<void> => {
      const table = `${TABLE_PREFIX}naive`;
      await measure('naive', 'naive loop', '1 writer', table, async () => {
        await createTable(client, table);
        const s = await naiveLoop(servers.pgUrl, client, table, ctx.interrupted);
        return { seconds: s.seconds, clientCpuSeconds: s.clientCpuSeconds, cpuWindowSeconds: s.seconds };
      });
    };

    // Each round starts one step later (ceiling, ferry, naive / ferry, naive, ceiling / ...): a server that slows
    // down as it fills (dynalite does) then weighs on every kind of run alike.
    const steps = [ceilingStep, ferryStep, ...(opts.skipNaive ? [] : [naiveStep])];
    for (round = 1; round <= opts.repeat; round++) {
      rounds = opts.repeat > 1 ? ` (round ${round}/${opts.repeat})` : '';
      const shift = (round - 1) % steps.length;
      for (const step of [...steps.slice(shift), ...steps.slice(0, shift)]) await step();
    }
    serverRssEnd = serverRss();
  } finally {
    for (const t of tables) await dropTable(client, t).catch(() => {});
    client.destroy();
  }

  // Results: medians over rounds (one round: the run itself).
  const okRates = (rs: readonly RunOutcome[]): number[] => rs.filter((r) => r.ok && r.itemsPerSecond).map((r) => r.itemsPerSecond!);
  const ceilings = runs.filter((r) => r.id === 'ceiling');
  const ceilingBy = opts.ceiling.map((w) => ({ writers: w, rate: median(okRates(ceilings.filter((r) => r.setup === `${w} writers`))) }));
  const best = ceilingBy.filter((c) => c.rate !== undefined).sort((x, y) => y.rate! - x.rate!)[0];
  const ferries = runs.filter((r) => r.id === 'ferry');
  const naives = runs.filter((r) => r.id === 'naive');
  const ferryMedian = median(okRates(ferries));
  const naiveMedian = median(okRates(naives));
  const ferryRate = ferryMedian === undefined ? null : round(ferryMedian);
  const ceilingRate = best ? round(best.rate!) : null;
  const naiveRate = naiveMedian === undefined ? null : round(naiveMedian);
  const children = ferries.flatMap((r) => (r.ferry ? [r.ferry] : []));
  const peaks = children.flatMap((c) => (c.peakRssBytes === undefined ? [] : [c.peakRssBytes]));
  const peakRssMb = peaks.length > 0 ? round(Math.max(...peaks) / 2 ** 20, 1) : null;
  const wallMedian = median(ferries.filter((r) => r.ok && r.ferry).map((r) => opts.rows / r.ferry!.wallSeconds));
  const jobSeconds = median(children.flatMap((c) => (c.jobSeconds === undefined ? [] : [c.jobSeconds])));
  const wallSeconds = median(children.map((c) => c.wallSeconds));
  const ferryCpu = median(children.flatMap((c) => (c.cpuSeconds === undefined ? [] : [c.cpuSeconds])));
  const fmt = (v: number | undefined | null): string => (v === undefined || v === null ? 'n/a' : Math.round(v).toLocaleString('en-US'));

  notes.push(
    `${cpus} CPUs, 1-minute load ${loadAvg.toFixed(2)} at start; the DynamoDB server runs on this machine, so the writer (ferry child or this process) and the server compete for the same cores`,
  );
  if (servers.dynamodbServer.startsWith('dynalite')) notes.push('dynalite is a single-threaded Node.js process: its ceiling is one core of CPU');
  if (opts.repeat > 1) notes.push(`${opts.repeat} rounds, interleaved (ceiling, ferry, naive, ceiling, ...): items/s are medians, peak RSS the largest`);
  notes.push(
    `ferry items/s uses the job's own duration (job.done, which like the baselines excludes process start-up); with the child's wall clock it is ${fmt(wallMedian)} items/s`,
  );
  notes.push(`ferry ran with checkpoints on: ${children[0]?.checkpoints ?? 0} commits per run to a SQLite state DB in a temp dir; verification off (verify: [])`);
  if (best) notes.push(`raw ceiling best at ${best.writers} writers (${ceilingBy.map((c) => `${c.writers}: ${fmt(c.rate)}`).join(', ')})`);
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
  if (peakRssMb === null && ferries.length > 0) notes.push('peak RSS unknown: /proc is not readable here');

  const pct = (cpu: number | undefined, secs: number | undefined): number | null => (cpu !== undefined && secs ? round((100 * cpu) / secs) : null);
  const orNull = (v: number | undefined, digits = 0): number | null => (v === undefined ? null : round(v, digits));
  return {
    rows: opts.rows,
    ferry_items_per_s: ferryRate,
    naive_items_per_s: naiveRate,
    ceiling_items_per_s: ceilingRate,
    ratio_ceiling: ferryRate !== null && ceilingRate ? round(ferryRate / ceilingRate, 3) : null,
    ratio_naive: ferryRate !== null && naiveRate ? round(ferryRate / naiveRate, 3) : null,
    peak_rss_mb: peakRssMb,
    dynamodb_server: servers.dynamodbServer,
    notes,
    ok: runs.length > 0 && runs.every((r) => r.ok),
    details: {
      ferry: {
        concurrency: opts.concurrency,
        batch_size: opts.batchSize,
        job_seconds: orNull(jobSeconds, 2),
        wall_seconds: orNull(wallSeconds, 2),
        wall_items_per_s: orNull(wallMedian),
        checkpoints: children[0]?.checkpoints ?? null,
        cpu_seconds: orNull(ferryCpu, 2),
        command: children[0]?.command ?? null,
      },
      ceiling_by_writers: Object.fromEntries(ceilingBy.map((c) => [String(c.writers), orNull(c.rate)])),
      ceiling_writers: best?.writers ?? null,
      rounds: opts.repeat,
      runs: runs.map((r) => ({
        id: r.id,
        round: r.round,
        label: r.label,
        items_per_s: r.ok && r.itemsPerSecond ? round(r.itemsPerSecond) : null,
        seconds: orNull(r.seconds, 2),
        counted: r.counted ?? null,
        ok: r.ok,
        ...(r.error ? { error: r.error } : {}),
        server_cpu_pct: pct(r.serverCpuSeconds, r.cpuWindowSeconds),
        client_cpu_pct: pct(r.clientCpuSeconds, r.cpuWindowSeconds),
        ...(r.ferry?.peakRssBytes === undefined ? {} : { peak_rss_mb: round(r.ferry.peakRssBytes / 2 ** 20, 1) }),
        server_rss_mb: r.serverRssBytes === undefined ? null : round(r.serverRssBytes / 2 ** 20),
      })),
      dataset: { table: QUALIFIED_TABLE, avg_row_bytes: dataset.avgRowBytes, reused: dataset.reused },
      server: {
        pid: servers.dynamodbPid ?? null,
        rss_mb_start: serverRssStart === undefined ? null : mb(serverRssStart),
        rss_mb_end: serverRssEnd === undefined ? null : mb(serverRssEnd),
      },
      machine: { cpus, load_avg_1m: round(loadAvg, 2), node: process.version },
      ferry_commit: ferryCommit(ctx.root),
    },
  };
}

/** The commit the ferry under test was built from, `+dirty` when src/ has uncommitted changes. */
function ferryCommit(root: string): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

/** The human table. */
export function formatPgDynamoDb(r: PgDynamoDbResult): string {
  const n = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
  const rows: string[][] = [['run', 'items/s', 'seconds', 'items counted', 'server CPU', 'writer CPU', '']];
  for (const run of r.details.runs) {
    rows.push([
      r.details.rounds > 1 ? `${run.label} #${run.round}` : run.label,
      run.ok ? n(run.items_per_s) : 'FAILED',
      run.seconds === null ? '-' : run.seconds.toFixed(1),
      n(run.counted),
      run.server_cpu_pct === null ? '-' : `${run.server_cpu_pct}%`,
      run.client_cpu_pct === null ? '-' : `${run.client_cpu_pct}%`,
      run.error ?? '',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row.map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const ratio = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
  const out = [
    `pg-dynamodb: ${r.rows.toLocaleString('en-US')} rows, PostgreSQL ${r.details.dataset.table} → ${r.dynamodb_server}`,
    '',
    line(rows[0]!),
    ...rows.slice(1).map(line),
    'CPU: % of one core during the run; server = the DynamoDB server process, writer = the ferry child (ferry) or the bench process (baselines)',
    '',
    `${r.details.rounds > 1 ? 'medians: ' : ''}ferry ${n(r.ferry_items_per_s)} items/s · ceiling ${n(r.ceiling_items_per_s)} items/s (${r.details.ceiling_writers ?? '-'} writers) · naive ${n(r.naive_items_per_s)} items/s`,
    `ratio_ceiling = ferry / ceiling = ${ratio(r.ratio_ceiling)}   (goal ≥ 0.85)`,
    `ratio_naive   = ferry / naive   = ${ratio(r.ratio_naive)}`,
    `peak RSS of the ferry child: ${r.peak_rss_mb === null ? 'unknown' : `${r.peak_rss_mb.toFixed(1)} MB`}`,
    '',
    ...r.notes.map((t) => `- ${t}`),
    '',
    r.ok ? 'all runs complete: every table held exactly the rows written' : 'FAILED: at least one run did not complete or lost items',
  ];
  return out.join('\n');
}
