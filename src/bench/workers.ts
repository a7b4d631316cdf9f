/**
 * `npm run bench -- workers`: the same PostgreSQL → DynamoDB job run by 1, 2 and 4 `ferry worker` processes on the
 * shared PostgreSQL state, side by side in one run, beside `ferry run` on its SQLite state (one process, the
 * embedded default). Each worker keeps the plan's `limits.concurrency`, as a machine of a cluster would. On a
 * machine with few cores the workers, the DynamoDB server and PostgreSQL share the same CPUs, so the ratios show
 * the coordination's overhead rather than a cluster's scaling; the notes say what a cluster would reach and why.
 *
 * A run's time is the wall clock from the first worker's start to the last one's exit (process start-up included,
 * for every row alike); every run writes a fresh table that is counted and must hold exactly the rows.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { WorkersOptions } from './args.js';
import { loadItemPool, rawCeiling, type Interrupted } from './baselines.js';
import { ensureDataset, QUALIFIED_TABLE } from './dataset.js';
import { benchClient, countItems, createTable, dropTable, TABLE_PREFIX } from './dynamo.js';
import { benchPlanYaml, runFerryChild } from './ferry-child.js';
import { ProcessSampler } from './proc.js';
import { ferryCommit, formatTable, machine, median, n, ratioText, round, type Machine } from './runs.js';
import type { BenchServers } from './servers.js';

export interface WorkersRun {
  /** `run` (one process, SQLite state) or the number of workers on the PostgreSQL state. */
  setup: 'run' | number;
  round: number;
  seconds: number;
  items_per_s: number;
  counted: number;
  checkpoints: number;
  cpu_seconds: number | null;
  ok: boolean;
  error?: string;
}

export interface WorkersResult {
  rows: number;
  /** items/s by setup (medians over rounds): `run`, `1`, `2`, `4`. */
  items_per_s: Record<string, number | null>;
  /** items/s of N workers over 1 worker. */
  ratio_to_one: Record<string, number | null>;
  /** 1 worker on the PostgreSQL state over `ferry run` on SQLite. */
  ratio_shared_state: number | null;
  notes: string[];
  ok: boolean;
  details: { concurrency: number; batch_size: number; rounds: number; runs: WorkersRun[]; dynamodb_server: string; machine: Machine; ferry_commit: string | null };
}

export interface WorkersContext {
  root: string;
  servers: BenchServers;
  log: (line: string) => void;
  interrupted: Interrupted;
  onChild?: (child: ChildProcess | undefined) => void;
}

interface Spawned {
  code: number | null;
  checkpoints: number;
  cpu: number | undefined;
  stderr: string;
}

function spawnWorker(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, onChild?: (c: ChildProcess) => void): Promise<Spawned> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  onChild?.(child);
  const sampler = child.pid ? new ProcessSampler(child.pid, 200) : undefined;
  let checkpoints = 0;
  let pending = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      if (pending.slice(0, i).includes('"type":"batch"')) checkpoints += 1;
      pending = pending.slice(i + 1);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, checkpoints, cpu: sampler?.stop().cpuSeconds, stderr }));
  });
}

export async function runWorkers(opts: WorkersOptions, ctx: WorkersContext): Promise<WorkersResult> {
  const { servers, log } = ctx;
  const pgUrl = servers.pgUrl;
  if (!pgUrl) throw new Error('workers needs PostgreSQL (PGURL)');
  const bin = path.join(ctx.root, 'bin', 'ferry.js');
  const mach = machine();
  const notes = [...servers.notes];
  await ensureDataset(pgUrl, opts.rows, log);
  let client = benchClient(servers.dynamodbEndpoint, servers.env);
  const pool = await loadItemPool(pgUrl, Math.min(5_000, opts.rows));
  const runs: WorkersRun[] = [];
  const fresh = servers.restartDynamoDb !== undefined;

  const warmServer = async (): Promise<void> => {
    if (fresh) {
      client.destroy();
      await servers.restartDynamoDb!();
      client = benchClient(servers.dynamodbEndpoint, servers.env);
    }
    const warm = `${TABLE_PREFIX}workers_warmup`;
    await createTable(client, warm);
    await rawCeiling(client, warm, pool, Math.min(5_000, opts.rows), 8, ctx.interrupted);
    await dropTable(client, warm);
  };

  const measure = async (setup: 'run' | number, roundNo: number): Promise<void> => {
    if (ctx.interrupted()) return;
    await warmServer();
    const table = `${TABLE_PREFIX}workers_${setup}`;
    await dropTable(client, table);
    const planYaml = benchPlanYaml({ from: QUALIFIED_TABLE, to: table, concurrency: opts.concurrency, batchSize: opts.batchSize });
    const env = servers.env;
    log(`${setup === 'run' ? 'ferry run (SQLite state)' : `${setup} worker${setup === 1 ? '' : 's'} (PostgreSQL state)`}, round ${roundNo}`);
    let seconds: number;
    let checkpoints = 0;
    let cpu: number | undefined = 0;
    let error: string | undefined;
    if (setup === 'run') {
      const r = await runFerryChild({ plan: planYaml, root: ctx.root, env, onSpawn: (c) => ctx.onChild?.(c) });
      seconds = r.wallSeconds;
      checkpoints = r.checkpoints;
      cpu = r.cpuSeconds;
      if (r.exitCode !== 0) error = `ferry run exited ${r.exitCode}: ${r.stderrTail.join(' / ')}`;
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-workers-'));
      const schema = `ferry_bench_workers_${setup}_${process.pid}`;
      const state = new URL(pgUrl);
      state.searchParams.set('schema', schema);
      const dropSchema = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
      };
      try {
        await dropSchema();
        const planFile = path.join(dir, 'plan.yaml');
        fs.writeFileSync(planFile, planYaml);
        const created = spawnSync(process.execPath, [bin, 'job', 'create', planFile, '--workers', String(setup), '--state', state.toString(), '--json'], { cwd: dir, env, encoding: 'utf8' });
        if (created.status !== 0) throw new Error(`ferry job create exited ${created.status}: ${created.stderr.trim().split('\n').slice(-3).join(' / ')}`);
        const jobId = (JSON.parse(created.stdout) as { id: string }).id;
        const started = performance.now();
        const done = await Promise.all(
          Array.from({ length: setup }, (_, i) => {
            const cwd = path.join(dir, `worker-${i}`);
            fs.mkdirSync(cwd);
            return spawnWorker(bin, ['worker', jobId, '--state', state.toString(), '--json'], cwd, env);
          }),
        );
        seconds = (performance.now() - started) / 1000;
        checkpoints = done.reduce((s, d) => s + d.checkpoints, 0);
        cpu = done.every((d) => d.cpu !== undefined) ? done.reduce((s, d) => s + d.cpu!, 0) : undefined;
        const bad = done.find((d) => d.code !== 0);
        if (bad) error = `a worker exited ${bad.code}: ${bad.stderr.trim().split('\n').slice(-3).join(' / ')}`;
      } finally {
        await dropSchema().catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    ctx.onChild?.(undefined);
    const counted = await countItems(client, table);
    await dropTable(client, table);
    if (!error && counted !== opts.rows) error = `the table holds ${counted} items, not ${opts.rows}`;
    const run: WorkersRun = {
      setup,
      round: roundNo,
      seconds: round(seconds, 2),
      items_per_s: round(opts.rows / seconds),
      counted,
      checkpoints,
      cpu_seconds: cpu === undefined ? null : round(cpu, 1),
      ok: error === undefined,
      ...(error ? { error } : {}),
    };
    log(`  ${n(run.items_per_s)} items/s in ${run.seconds} s${error ? ` — FAILED: ${error}` : ''}`);
    runs.push(run);
  };

  try {
    const setups: ('run' | number)[] = ['run', ...opts.workers];
    // Rounds rotate the order, so a server that slows as it fills weighs on every setup alike.
    for (let r = 1; r <= opts.repeat; r++) {
      const k = (r - 1) % setups.length;
      for (const s of [...setups.slice(k), ...setups.slice(0, k)]) await measure(s, r);
    }
  } finally {
    client.destroy();
  }

  const rate = (s: 'run' | number): number | null => {
    const m = median(runs.filter((r) => r.setup === s && r.ok).map((r) => r.items_per_s));
    return m === undefined ? null : round(m);
  };
  const itemsPerS: Record<string, number | null> = { run: rate('run') };
  for (const w of opts.workers) itemsPerS[String(w)] = rate(w);
  const one = opts.workers.includes(1) ? rate(1) : null;
  const ratioToOne: Record<string, number | null> = {};
  for (const w of opts.workers) ratioToOne[String(w)] = one && itemsPerS[String(w)] ? round(itemsPerS[String(w)]! / one, 3) : null;
  const runRate = itemsPerS['run'] ?? null;

  notes.push(`${mach.cpus} CPUs, 1-minute load ${mach.load_avg_1m.toFixed(2)} at start; the workers, PostgreSQL (source and state) and the DynamoDB server (${servers.dynamodbServer}) all run on this machine`);
  notes.push(`each worker runs limits.concurrency ${opts.concurrency} (so N workers have N × ${opts.concurrency} segments in flight) and batch_size ${opts.batchSize}: one state transaction per batch per worker`);
  if (servers.dynamodbServer.startsWith('dynalite')) notes.push('dynalite is one single-threaded Node.js process: more writers than it can serve only queue at it, so on this machine the target is the ceiling for every setup');
  const best = Math.max(...opts.workers.map((w) => itemsPerS[String(w)] ?? 0));
  if (best > 0) {
    const commitsPerS = best / opts.batchSize;
    notes.push(
      `the shared state's load at the best rate here: about ${commitsPerS.toFixed(0)} checkpoint transactions/s (plus one lease renewal per worker every few seconds); a PostgreSQL server takes thousands a second, so the state is not what limits a cluster`,
    );
  }
  if (one) {
    notes.push(
      `a real cluster: each worker on its own machine adds its own CPU and network, so the job approaches N × ${n(one)} items/s (1 worker here) until the target's capacity (DynamoDB: the table's WCU or on-demand partition limits, 1,000 WCU per partition) or the source's read rate is reached; plan rate limits are split 1/N across the workers, so a rate-limited plan does not speed up with workers`,
    );
  }
  if (fresh) notes.push('the bench restarted the DynamoDB server before every run and warmed it with 5,000 items');
  if (opts.repeat > 1) notes.push(`${opts.repeat} rounds in rotated order; items/s are medians`);

  return {
    rows: opts.rows,
    items_per_s: itemsPerS,
    ratio_to_one: ratioToOne,
    ratio_shared_state: one && runRate ? round(one / runRate, 3) : null,
    notes,
    ok: runs.length > 0 && runs.every((r) => r.ok),
    details: { concurrency: opts.concurrency, batch_size: opts.batchSize, rounds: opts.repeat, runs, dynamodb_server: servers.dynamodbServer, machine: mach, ferry_commit: ferryCommit(ctx.root) },
  };
}

export function formatWorkers(r: WorkersResult): string {
  const label = (s: 'run' | number): string => (s === 'run' ? 'ferry run (SQLite state)' : `${s} worker${s === 1 ? '' : 's'} (PostgreSQL state)`);
  const rows = [
    ['setup', 'round', 'seconds', 'items/s', 'checkpoints', 'ferry CPU s (all workers)', 'counted'],
    ...r.details.runs.map((x) => [label(x.setup), String(x.round), x.seconds.toFixed(2), n(x.items_per_s), String(x.checkpoints), x.cpu_seconds === null ? '-' : x.cpu_seconds.toFixed(1), x.ok ? n(x.counted) : `FAILED: ${x.error ?? ''}`]),
  ];
  return [
    `workers: ${r.rows.toLocaleString('en-US')} rows, PostgreSQL ${QUALIFIED_TABLE} → ${r.details.dynamodb_server}`,
    '',
    ...formatTable(rows),
    '',
    `${r.details.rounds > 1 ? 'medians: ' : ''}${['run', ...Object.keys(r.ratio_to_one)].map((k) => `${k === 'run' ? 'ferry run' : label(Number(k))} ${n(r.items_per_s[k])} items/s`).join(' · ')}`,
    ...Object.entries(r.ratio_to_one).filter(([k]) => k !== '1').map(([k, v]) => `ratio ${k} workers / 1 worker = ${ratioText(v)}`),
    `ratio 1 worker (PostgreSQL state) / ferry run (SQLite state) = ${ratioText(r.ratio_shared_state)}`,
    '',
    ...r.notes.map((t) => `- ${t}`),
    '',
    r.ok ? 'all runs complete: every table held exactly the rows written' : 'FAILED: at least one run did not complete or lost items',
  ].join('\n');
}
