/**
 * `npm run bench -- dynamodb-firestore`: how fast ferry moves a DynamoDB table into Firestore, against the same
 * Firestore emulator's raw ceiling and a naive loop.
 *
 * - Source: `ferry_bench_items`, N generated mixed-type items (items.ts), loaded once with parallel BatchWriteItem
 *   and reused by later benches. Its plain parallel Scan rate is measured once, as a diagnostic.
 * - Runs, each into an empty collection of the bench's own emulator project (`ferry-bench`), counted afterwards
 *   with a `count()` aggregation, then cleared with the emulator's DELETE endpoint:
 *   raw ceiling (500-document WriteBatch commits of prepared documents, W in flight, for each W), ferry (the real
 *   `ferry run` as a child process, checkpoints on, verification off), naive loop (one awaited `set()` per
 *   document, over the first `--naive-items` documents or `--naive-seconds`; its rate is extrapolated).
 * - A diagnostic run, not one of the issue's baselines: the raw pipeline (firestore.ts `firestorePipeline`), the
 *   best hand-written script with the source included (ferry's segments, page size and commits in flight, no
 *   checkpoints, no mapping rules). ferry / ceiling mixes two costs on a small machine, the source's and ferry's
 *   own; ferry / pipeline is ferry's own.
 * - A short warm-up of the emulator (a JVM) runs first and is not reported.
 *
 * A run fails (and the bench exits 1) when it does not complete or its collection does not hold exactly the
 * documents it wrote.
 */
import type { ChildProcess } from 'node:child_process';
import type { Firestore } from '@google-cloud/firestore';
import type { DynamoDbFirestoreOptions } from './args.js';
import type { Interrupted } from './baselines.js';
import { benchClient, scanAll } from './dynamo.js';
import { heapMbFor, RETAINED_BYTES_PER_DOC } from './emulator.js';
import { dynamodbFirestorePlanYaml, runFerryChild } from './ferry-child.js';
import { BENCH_PROJECT, benchFirestore, clearProject, countDocs, documentPool, firestoreCeiling, firestoreNaive, firestorePipeline } from './firestore.js';
import { benchItem, ensureSourceTable, type SourceInfo } from './items.js';
import { readMemory } from './proc.js';
import {
  cpuOf,
  ferryCommit,
  ferryRunError,
  formatTable,
  machine,
  measureRun,
  median,
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

/** The issue's goals, printed next to the ratios (never a pass or a fail). */
export const GOAL_RATIO_CEILING = 0.8;
export const GOAL_RATIO_NAIVE = 20;

const WARMUP_DOCS = 10_000;
const POOL_ITEMS = 5_000;
/** Commits in flight of the raw pipeline: the Firestore sink's own `maxConcurrentWrites`. */
export const PIPELINE_IN_FLIGHT = 8;

/** The JSON of `--json`: the issue's fields, then `details`. */
export interface DynamoDbFirestoreResult {
  items: number;
  ferry_items_per_s: number | null;
  naive_items_per_s: number | null;
  ceiling_items_per_s: number | null;
  ratio_ceiling: number | null;
  ratio_naive: number | null;
  peak_rss_mb: number | null;
  dynamodb_server: string;
  firestore_server: string;
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
      /** The DynamoDB server's CPU (% of one core) during the ferry run: the source side. */
      source_server_cpu_pct: number | null;
      command: string | null;
    };
    /** Best median rate per number of commits in flight. */
    /** The diagnostic raw pipeline (source included, no checkpoints), and ferry / pipeline. */
    pipeline_items_per_s: number | null;
    ratio_pipeline: number | null;
    ceiling_by_in_flight: Record<string, number | null>;
    ceiling_in_flight: number | null;
    naive: {
      /** Documents the naive loop wrote (a subset: its rate is extrapolated to `items`). */
      items_written: number | null;
      /** Median over rounds. */
      seconds: number | null;
      stopped_by: 'items' | 'seconds' | 'end' | null;
      /** `items` / the naive rate: how long the loop would take for the whole table. */
      extrapolated_seconds: number | null;
    };
    rounds: number;
    runs: RunJson[];
    source: {
      table: string;
      avg_item_bytes: number;
      reused: boolean;
      load_seconds: number;
      /** A plain parallel Scan of the whole table (ferry's segments and page size), nothing written. */
      scan_items_per_s: number | null;
    };
    /** The Firestore emulator process, when the services script knows it. */
    server: { project: string; own: boolean; heap_mb: number | null; pid: number | null; rss_mb_start: number | null; rss_mb_end: number | null };
    machine: Machine;
    ferry_commit: string | null;
  };
}

export interface DynamoDbFirestoreContext {
  root: string;
  servers: BenchServers;
  log: (line: string) => void;
  interrupted: Interrupted;
  onChild?: (child: ChildProcess | undefined) => void;
}

const inFlightSetup = (w: number): string => `${w} in flight`;

/** Documents the emulator will be sent in the whole bench (every run and warm-up), and the most in one run. */
export function documentsWritten(opts: DynamoDbFirestoreOptions): { total: number; perRun: number } {
  const warm = Math.min(WARMUP_DOCS, opts.items);
  const naive = opts.skipNaive ? 0 : opts.naiveItems;
  const perRound = (opts.ceiling.length + 2) * opts.items + naive; // ceilings, ferry, pipeline, naive
  return { total: warm + opts.repeat * perRound, perRun: warm + opts.items };
}

/** Heap of the bench's own emulator: one warm-up and one run (it is restarted before every run). */
export function emulatorHeapMb(opts: DynamoDbFirestoreOptions): number {
  return heapMbFor(documentsWritten(opts).perRun);
}

/**
 * An emulator the bench did not start is not restarted, and keeps every document it is sent (emulator.ts): refuse
 * a bench that would fill its heap, since that emulator may serve other people too.
 */
export function checkExternalEmulator(opts: DynamoDbFirestoreOptions, heapMb: number | undefined, host: string): string | undefined {
  const { total } = documentsWritten(opts);
  const needMb = Math.ceil((total * RETAINED_BYTES_PER_DOC) / 2 ** 20);
  if (heapMb === undefined || needMb <= 0.6 * heapMb) return undefined;
  return (
    `the Firestore emulator at ${host} (FIRESTORE_EMULATOR_HOST) has a ${Math.round(heapMb)} MB heap, and this bench would send it ` +
    `${total.toLocaleString('en-US')} documents, which it keeps in memory even after they are deleted (about ${needMb} MB): it would run out of memory, ` +
    'and fail the requests of everyone else using it. Unset FIRESTORE_EMULATOR_HOST so the bench starts its own emulator (fresh for each run), ' +
    'or lower --items / --ceiling / --repeat'
  );
}

export async function runDynamoDbFirestore(opts: DynamoDbFirestoreOptions, ctx: DynamoDbFirestoreContext): Promise<DynamoDbFirestoreResult> {
  const { servers, log } = ctx;
  const firstHost = servers.firestoreHost;
  if (!firstHost) throw new Error('dynamodb-firestore needs the Firestore emulator (FIRESTORE_EMULATOR_HOST)');
  let host: string = firstHost;
  if (!servers.restartFirestore) {
    const refusal = checkExternalEmulator(opts, servers.firestoreHeapMb, host);
    if (refusal) throw new Error(refusal);
  }
  if (!servers.dynamodbEndpoint) throw new Error('dynamodb-firestore needs DynamoDB (DYNAMODB_ENDPOINT)');
  const notes: string[] = [...servers.notes];
  const mach = machine();
  const ddb = benchClient(servers.dynamodbEndpoint, servers.env);
  let db: Firestore | undefined;
  const runs: RunOutcome[] = [];
  const serverRss = (): number | undefined => (servers.firestorePid ? readMemory(servers.firestorePid)?.rss : undefined);
  const serverRssStart = serverRss();
  let serverRssEnd: number | undefined;
  let source: SourceInfo;
  let scanRate: number | undefined;
  const sourceCpuPct: number[] = [];
  let naiveStop: 'items' | 'seconds' | 'end' | undefined;
  try {
    source = await ensureSourceTable(ddb, opts.items, log, ctx.interrupted);
    log(`scanning ${source.table} once (${opts.concurrency} segments, pages of ${opts.batchSize}): the source's own rate`);
    const scan = await scanAll(ddb, source.table, opts.concurrency, opts.batchSize);
    if (scan.items === opts.items) scanRate = scan.items / scan.seconds;
    else notes.push(`the diagnostic scan of ${source.table} read ${scan.items} items, not ${opts.items}`);

    const pool = documentPool(Array.from({ length: Math.min(POOL_ITEMS, opts.items) }, (_, i) => benchItem(i + 1)));
    let firestore = benchFirestore(host);
    db = firestore;

    // Warm-up: the emulator's JIT and heap, the SDK's channels. Not reported.
    const warmUp = async (): Promise<void> => {
      log(`clearing the emulator project ${BENCH_PROJECT}, then warming the emulator up (${Math.min(WARMUP_DOCS, opts.items).toLocaleString('en-US')} documents)`);
      await clearProject(host);
      await firestoreCeiling(firestore, 'warmup', pool, Math.min(WARMUP_DOCS, opts.items), 8, ctx.interrupted);
      await clearProject(host);
    };
    // The bench's own emulator is restarted before every run but the first: each run meets a fresh, warm emulator.
    let used = false;
    const freshEmulator = async (): Promise<void> => {
      if (!used || !servers.restartFirestore) return;
      log('restarting the Firestore emulator (a fresh one for each run)');
      await firestore.terminate().catch(() => {});
      await servers.restartFirestore();
      host = servers.firestoreHost!;
      firestore = benchFirestore(host);
      db = firestore;
      await warmUp();
    };
    await warmUp();

    const measure = async (
      round: number,
      suffix: string,
      id: RunId,
      label: string,
      setup: string,
      collection: string,
      body: () => Promise<RunBodyResult>,
      expected = opts.items,
    ): Promise<void> => {
      await freshEmulator();
      used = true;
      runs.push(
        await measureRun({
          id,
          round,
          label,
          setup,
          target: collection,
          expected,
          serverCpu: () => cpuOf(servers.firestorePid),
          serverRss,
          body,
          count: () => countDocs(firestore, collection),
          cleanup: () => clearProject(host),
          interrupted: ctx.interrupted,
          log,
          suffix,
          upTo: id === 'naive',
        }),
      );
    };

    const ceilingStep = async (round: number, suffix: string): Promise<void> => {
      for (const w of opts.ceiling) {
        const collection = `ceiling_${w}`;
        await measure(round, suffix, 'ceiling', `raw ceiling, ${w} commits in flight`, inFlightSetup(w), collection, async () => {
          const s = await firestoreCeiling(firestore, collection, pool, opts.items, w, ctx.interrupted);
          return { seconds: s.seconds, clientCpuSeconds: s.clientCpuSeconds, cpuWindowSeconds: s.seconds };
        });
      }
    };

    const ferryStep = async (round: number, suffix: string): Promise<void> => {
      const collection = 'ferry';
      await measure(round, suffix, 'ferry', 'ferry run', `${opts.concurrency} segments, batch ${opts.batchSize}`, collection, async () => {
        const src0 = cpuOf(servers.dynamodbPid);
        const r = await runFerryChild({
          plan: dynamodbFirestorePlanYaml({ table: source.table, collection, project: BENCH_PROJECT, concurrency: opts.concurrency, batchSize: opts.batchSize }),
          root: ctx.root,
          env: servers.env,
          ...(opts.cpuProf ? { cpuProfDir: opts.cpuProf } : {}),
          onSpawn: (child) => ctx.onChild?.(child),
        });
        ctx.onChild?.(undefined);
        const src1 = cpuOf(servers.dynamodbPid);
        if (src0 !== undefined && src1 !== undefined && r.wallSeconds > 0) sourceCpuPct.push((100 * (src1 - src0)) / r.wallSeconds);
        if (ctx.interrupted()) throw new Error('interrupted');
        const error = ferryRunError(r, opts.items);
        return { seconds: r.jobSeconds ?? r.wallSeconds, clientCpuSeconds: r.cpuSeconds, cpuWindowSeconds: r.wallSeconds, ferry: r, ...(error ? { error } : {}) };
      });
    };

    const pipelineStep = async (round: number, suffix: string): Promise<void> => {
      const collection = 'pipeline';
      const label = 'raw pipeline (diagnostic)';
      await measure(round, suffix, 'pipeline', label, `${opts.concurrency} segments, ${PIPELINE_IN_FLIGHT} in flight`, collection, async () => {
        const s = await firestorePipeline(ddb, source.table, firestore, collection, opts.concurrency, opts.batchSize, PIPELINE_IN_FLIGHT, ctx.interrupted);
        return { seconds: s.seconds, clientCpuSeconds: s.clientCpuSeconds, cpuWindowSeconds: s.seconds };
      });
    };

    const naiveStep = async (round: number, suffix: string): Promise<void> => {
      const collection = 'naive';
      await measure(round, suffix, 'naive', 'naive loop', '1 writer', collection, async () => {
        const s = await firestoreNaive(ddb, source.table, firestore, collection, opts.naiveItems, opts.naiveSeconds, ctx.interrupted);
        naiveStop = s.stoppedBy;
        return { seconds: s.seconds, clientCpuSeconds: s.clientCpuSeconds, cpuWindowSeconds: s.seconds, expected: s.docs };
      }, opts.naiveItems);
    };

    await runRounds([ceilingStep, ferryStep, pipelineStep, ...(opts.skipNaive ? [] : [naiveStep])], opts.repeat);
    serverRssEnd = serverRss();
  } finally {
    if (db) {
      await clearProject(host).catch(() => {});
      await db.terminate().catch(() => {});
    }
    ddb.destroy();
  }
  const own = servers.restartFirestore !== undefined;

  const sum = summarize(runs, opts.ceiling, inFlightSetup);
  const { ferryRate, ceilingRate, naiveRate, pipelineRate, best, children } = sum;
  const naives = runs.filter((r) => r.id === 'naive' && r.ok);
  const naiveDocs = naives[0]?.expected;
  const naiveSeconds = median(naives.flatMap((r) => (r.seconds === undefined ? [] : [r.seconds])));
  const mb = (b: number): number => round(b / 2 ** 20);

  notes.push(
    `${mach.cpus} CPUs, 1-minute load ${mach.load_avg_1m.toFixed(2)} at start; DynamoDB, the Firestore emulator and the writer (ferry child or this process) all run on this machine and compete for the same cores`,
  );
  if (own) {
    notes.push(
      `the bench started its own Firestore emulator (${servers.firestoreHeapMb} MB heap, the services' JVM flags otherwise) and restarted it before every run: each run had a fresh, warmed-up emulator (the emulator keeps every document version in memory, even after DELETE)`,
    );
  } else {
    notes.push(
      `the Firestore emulator came from FIRESTORE_EMULATOR_HOST: everything went to its project ${BENCH_PROJECT}, cleared (DELETE /emulator/v1/projects/${BENCH_PROJECT}/databases/(default)/documents) between runs; other projects are not touched, but their traffic slows every run, and the emulator keeps about ${Math.round(RETAINED_BYTES_PER_DOC / 1024)} KB of heap per document sent even after DELETE (${documentsWritten(opts).total.toLocaleString('en-US')} documents in this bench): later runs meet a fuller heap`,
    );
  }
  if (opts.repeat > 1) notes.push(`${opts.repeat} rounds, interleaved (ceiling, ferry, naive, ceiling, ...): items/s are medians, peak RSS the largest`);
  notes.push(
    `ferry items/s uses the job's own duration (job.done, which like the baselines excludes process start-up); with the child's wall clock it is ${n(sum.wallRate)} items/s`,
  );
  notes.push(
    `ferry ran with checkpoints on: ${children[0]?.checkpoints ?? 0} commits per run to a SQLite state DB in a temp dir; verification off (verify: []): the bench counts the collection itself`,
  );
  if (best) notes.push(`raw ceiling best at ${best.level} commits in flight (${sum.ceilingBy.map((c) => `${c.level}: ${n(c.rate)}`).join(', ')}); 500 documents a commit`);
  if (naiveRate !== null && naiveDocs !== undefined) {
    const why = naiveStop === 'seconds' ? ` (stopped by the ${opts.naiveSeconds} s budget)` : naiveStop === 'end' ? ' (the whole table)' : '';
    notes.push(
      naiveDocs < opts.items
        ? `naive loop: measured over the first ${naiveDocs.toLocaleString('en-US')} documents${why}, extrapolated: all ${opts.items.toLocaleString('en-US')} would take about ${n(opts.items / naiveRate)} s at that rate`
        : `naive loop: all ${naiveDocs.toLocaleString('en-US')} documents${why}`,
    );
  }
  if (opts.skipNaive) notes.push('naive loop skipped (--skip-naive)');
  notes.push(`a ${Math.min(WARMUP_DOCS, opts.items).toLocaleString('en-US')}-document warm-up of the emulator ran before ${own ? 'each measured run' : 'the measured runs'}`);
  notes.push(
    `source ${source!.table}: ${opts.items.toLocaleString('en-US')} items, about ${source!.avgItemBytes} bytes each (DynamoDB's size rules), ${source!.reused ? 'reused' : `loaded in ${source!.seconds.toFixed(1)} s`}; a plain ${opts.concurrency}-segment Scan of it reads ${n(scanRate)} items/s`,
  );
  if (scanRate !== undefined && ceilingRate !== null && scanRate < ceilingRate) {
    notes.push('the source alone is slower than the ceiling: ferry cannot reach the ceiling through this DynamoDB server');
  }
  if (pipelineRate !== null) {
    notes.push(
      `raw pipeline (diagnostic, not a baseline of the issue): the same ${opts.concurrency} Scan segments and pages of ${opts.batchSize}, converted by hand, 500-document commits with ${PIPELINE_IN_FLIGHT} in flight, no checkpoints: ${n(pipelineRate)} items/s; ferry / pipeline = ${ferryRate !== null ? ratioText(round(ferryRate / pipelineRate, 3)) : '-'} is ferry's own overhead, pipeline / ceiling = ${ceilingRate ? ratioText(round(pipelineRate / ceilingRate, 3)) : '-'} what reading the source costs on this machine`,
    );
  }
  if (ferryRate !== null && ceilingRate !== null && ferryRate / ceilingRate < GOAL_RATIO_CEILING) notes.push(`ferry is below the goal of ${GOAL_RATIO_CEILING} of the ceiling`);
  if (ferryRate !== null && naiveRate !== null && ferryRate / naiveRate < GOAL_RATIO_NAIVE) notes.push(`ferry is below the goal of ${GOAL_RATIO_NAIVE}× the naive loop`);
  if (sum.peakRssMb === null && children.length > 0) notes.push('peak RSS unknown: /proc is not readable here');

  return {
    items: opts.items,
    ferry_items_per_s: ferryRate,
    naive_items_per_s: naiveRate,
    ceiling_items_per_s: ceilingRate,
    ratio_ceiling: ferryRate !== null && ceilingRate ? round(ferryRate / ceilingRate, 3) : null,
    ratio_naive: ferryRate !== null && naiveRate ? round(ferryRate / naiveRate, 3) : null,
    peak_rss_mb: sum.peakRssMb,
    dynamodb_server: servers.dynamodbServer,
    firestore_server: servers.firestoreServer,
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
        source_server_cpu_pct: sourceCpuPct.length > 0 ? round(sourceCpuPct.reduce((a, b) => a + b, 0) / sourceCpuPct.length) : null,
        command: children[0]?.command ?? null,
      },
      pipeline_items_per_s: pipelineRate,
      ratio_pipeline: ferryRate !== null && pipelineRate ? round(ferryRate / pipelineRate, 3) : null,
      ceiling_by_in_flight: Object.fromEntries(sum.ceilingBy.map((c) => [String(c.level), orNull(c.rate)])),
      ceiling_in_flight: best?.level ?? null,
      naive: {
        items_written: naiveDocs ?? null,
        seconds: orNull(naiveSeconds, 2),
        stopped_by: naiveStop ?? null,
        extrapolated_seconds: naiveRate ? round(opts.items / naiveRate) : null,
      },
      rounds: opts.repeat,
      runs: runs.map((r) => runJson(r, true)),
      source: {
        table: source!.table,
        avg_item_bytes: source!.avgItemBytes,
        reused: source!.reused,
        load_seconds: round(source!.seconds, 2),
        scan_items_per_s: orNull(scanRate),
      },
      server: {
        project: BENCH_PROJECT,
        own,
        heap_mb: servers.firestoreHeapMb === undefined ? null : Math.round(servers.firestoreHeapMb),
        pid: servers.firestorePid ?? null,
        rss_mb_start: serverRssStart === undefined ? null : mb(serverRssStart),
        rss_mb_end: serverRssEnd === undefined ? null : mb(serverRssEnd),
      },
      machine: mach,
      ferry_commit: ferryCommit(ctx.root),
    },
  };
}

/** The human table. */
export function formatDynamoDbFirestore(r: DynamoDbFirestoreResult): string {
  const d = r.details;
  const naivePart =
    r.naive_items_per_s === null
      ? 'naive -'
      : `naive ${n(r.naive_items_per_s)} items/s${d.naive.items_written !== null && d.naive.items_written < r.items ? ` (first ${n(d.naive.items_written)} docs, extrapolated)` : ''}`;
  const out = [
    `dynamodb-firestore: ${r.items.toLocaleString('en-US')} items, DynamoDB ${d.source.table} (${r.dynamodb_server}) → ${r.firestore_server}, project ${d.server.project}`,
    '',
    ...formatTable(runRows(d.runs, d.rounds, 'docs counted')),
    'CPU: % of one core during the run; server = the Firestore emulator (a JVM), writer = the ferry child (ferry) or the bench process (baselines)',
    '',
    `${d.rounds > 1 ? 'medians: ' : ''}ferry ${n(r.ferry_items_per_s)} items/s · ceiling ${n(r.ceiling_items_per_s)} items/s (${d.ceiling_in_flight ?? '-'} commits in flight) · ${naivePart}`,
    `ratio_ceiling = ferry / ceiling = ${ratioText(r.ratio_ceiling)}   (goal ≥ ${GOAL_RATIO_CEILING})`,
    `ratio_naive   = ferry / naive   = ${ratioText(r.ratio_naive)}   (goal ≥ ${GOAL_RATIO_NAIVE})`,
    `diagnostic: ferry / raw pipeline (source included) = ${ratioText(d.ratio_pipeline)}`,
    `peak RSS of the ferry child: ${r.peak_rss_mb === null ? 'unknown' : `${r.peak_rss_mb.toFixed(1)} MB`}`,
    '',
    ...r.notes.map((t) => `- ${t}`),
    '',
    r.ok ? 'all runs complete: every collection held exactly the documents written' : 'FAILED: at least one run did not complete or lost items',
  ];
  return out.join('\n');
}
