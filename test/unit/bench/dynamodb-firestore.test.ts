// The pure parts of `npm run bench -- dynamodb-firestore`: its command line, its plan, its items, its report.
// Nothing here measures time or needs a server.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIRESTORE_CEILING, DEFAULT_ITEMS, DEFAULT_NAIVE_ITEMS, DEFAULT_NAIVE_SECONDS, parseBenchArgs, BenchUsageError } from '../../../src/bench/args.js';
import { checkExternalEmulator, documentsWritten, emulatorHeapMb, formatDynamoDbFirestore, type DynamoDbFirestoreResult } from '../../../src/bench/dynamodb-firestore.js';
import { heapMbFor, maxHeapMb } from '../../../src/bench/emulator.js';
import { dynamodbFirestorePlanYaml } from '../../../src/bench/ferry-child.js';
import { BENCH_PROJECT, clearUrl } from '../../../src/bench/firestore.js';
import { averageItemBytes, benchItem, itemBytes, toFirestoreData } from '../../../src/bench/items.js';
import { formatTable, summarize, type RunOutcome } from '../../../src/bench/runs.js';
import { loadPlanText } from '../../../src/plan/index.js';

const usage = (argv: string[]): string => {
  try {
    parseBenchArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(BenchUsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('dynamodb-firestore command line', () => {
  it('has defaults', () => {
    expect(parseBenchArgs(['dynamodb-firestore'])).toEqual({
      help: false,
      bench: 'dynamodb-firestore',
      options: {
        items: DEFAULT_ITEMS,
        naiveItems: DEFAULT_NAIVE_ITEMS,
        naiveSeconds: DEFAULT_NAIVE_SECONDS,
        json: false,
        skipNaive: false,
        concurrency: 4,
        batchSize: 1000,
        ceiling: DEFAULT_FIRESTORE_CEILING,
        repeat: 1,
      },
    });
    expect(DEFAULT_ITEMS).toBe(100_000);
  });

  it('takes --items in the 10k / 1m forms, and every common option', () => {
    const p = parseBenchArgs(['dynamodb-firestore', '--items', '10k', '--json', '--repeat=3', '--skip-naive', '--ceiling', '8,32', '--naive-items', '1k', '--naive-seconds', '30', '--concurrency', '8', '--batch-size', '2000', '--cpu-prof', '/tmp/p']);
    expect(p).toEqual({
      help: false,
      bench: 'dynamodb-firestore',
      options: { items: 10_000, naiveItems: 1_000, naiveSeconds: 30, json: true, skipNaive: true, concurrency: 8, batchSize: 2000, ceiling: [8, 32], repeat: 3, cpuProf: '/tmp/p' },
    });
    expect(parseBenchArgs(['--items=1m', 'dynamodb-firestore'])).toMatchObject({ options: { items: 1_000_000 } });
  });

  it('never lets the naive loop write more than --items', () => {
    expect(parseBenchArgs(['dynamodb-firestore', '--items', '500'])).toMatchObject({ options: { items: 500, naiveItems: 500 } });
  });

  it('keeps each bench to its own count flag', () => {
    expect(usage(['dynamodb-firestore', '--rows', '10k'])).toMatch(/--rows is an option of pg-dynamodb, verify, workers and backup, not of dynamodb-firestore \(it counts --items\)/);
    expect(usage(['pg-dynamodb', '--items', '10k'])).toMatch(/--items is an option of dynamodb-firestore, not of pg-dynamodb \(it counts --rows\)/);
    expect(usage(['pg-dynamodb', '--naive-items', '10'])).toMatch(/--naive-items is an option of dynamodb-firestore/);
    expect(usage(['dynamodb-firestore', '--items', 'lots'])).toMatch(/--items wants a positive whole number/);
    expect(usage(['dynamodb-firestore', '--items'])).toMatch(/--items needs a value/);
    expect(usage(['dynamodb-firestore', '--naive-seconds', '7200'])).toMatch(/at most 3600/);
    expect(usage(['dynamodb-firestore', '--skip-naive=1'])).toMatch(/--skip-naive takes no value/);
  });
});

describe('dynamodb-firestore plan', () => {
  it('writes a plan that ferry accepts: dynamodb → firestore in the bench project, no verification', () => {
    const yaml = dynamodbFirestorePlanYaml({ table: 'ferry_bench_items', collection: 'ferry', project: BENCH_PROJECT, concurrency: 4, batchSize: 1000 });
    const loaded = loadPlanText(yaml, 'bench.yaml', { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', AWS_REGION: 'eu-west-1' });
    expect(loaded.plan.source).toMatchObject({ type: 'dynamodb', endpoint: 'http://127.0.0.1:8000', region: 'eu-west-1' });
    expect(loaded.plan.target).toMatchObject({ type: 'firestore', project: 'ferry-bench' });
    expect(loaded.plan.streams).toEqual([expect.objectContaining({ from: 'ferry_bench_items', to: 'ferry' })]);
    expect(loaded.plan.limits).toMatchObject({ concurrency: 4, batch_size: 1000 });
    expect(loaded.plan.verify).toEqual([]);
  });

  it('clears only its own emulator project', () => {
    expect(BENCH_PROJECT).not.toBe('ferry-test');
    expect(clearUrl('127.0.0.1:8080')).toBe('http://127.0.0.1:8080/emulator/v1/projects/ferry-bench/databases/(default)/documents');
  });
});

describe('dynamodb-firestore items', () => {
  it('are deterministic, about 300 bytes, and of every DynamoDB type', () => {
    expect(benchItem(42)).toEqual(benchItem(42));
    expect(benchItem(42)).not.toEqual(benchItem(43));
    const avg = averageItemBytes(10_000);
    expect(avg).toBeGreaterThan(250);
    expect(avg).toBeLessThan(400);
    const types = new Set<string>();
    for (let g = 1; g <= 20; g++) {
      const walk = (v: Record<string, unknown>): void => {
        for (const [t, x] of Object.entries(v)) {
          types.add(t);
          if (t === 'M') for (const y of Object.values(x as Record<string, Record<string, unknown>>)) walk(y);
          if (t === 'L') for (const y of x as Record<string, unknown>[]) walk(y);
        }
      };
      for (const v of Object.values(benchItem(g))) walk(v as unknown as Record<string, unknown>);
    }
    expect([...types].sort()).toEqual(['B', 'BOOL', 'L', 'M', 'N', 'NULL', 'S', 'SS']);
    // Integers and decimals, both signs.
    const numbers = Array.from({ length: 50 }, (_, i) => benchItem(i + 1)['score']!.N!);
    expect(numbers.some((x) => x.startsWith('-'))).toBe(true);
    expect(numbers.some((x) => x.includes('.'))).toBe(true);
    expect(itemBytes({ a: { S: 'xyz' }, n: { N: '12.5' } })).toBe(1 + 3 + 1 + 3);
  });

  it('convert to Firestore documents by hand: numbers, bytes, sorted sets, null, nested maps', () => {
    const doc = toFirestoreData({ id: { N: '7' }, d: { N: '-1.25' }, b: { B: Uint8Array.of(1, 2) }, s: { SS: ['b', 'a'] }, z: { NULL: true }, m: { M: { l: { L: [{ BOOL: true }] } } } });
    expect(doc).toEqual({ id: 7, d: -1.25, b: Buffer.from([1, 2]), s: ['a', 'b'], z: null, m: { l: [true] } });
    // Every generated number reads back as itself: ferry writes them as integers or doubles, none is a dead letter.
    for (let g = 1; g <= 200; g++) {
      const item = benchItem(g);
      for (const k of ['balance', 'visits', 'score'] as const) expect(String(Number(item[k]!.N))).toBe(item[k]!.N);
    }
  });
});

const run = (id: RunOutcome['id'], setup: string, rate: number, extra: Partial<RunOutcome> = {}): RunOutcome => ({
  id,
  round: 1,
  label: id,
  target: id,
  setup,
  expected: 1000,
  counted: 1000,
  seconds: 1000 / rate,
  itemsPerSecond: rate,
  serverCpuSeconds: undefined,
  clientCpuSeconds: undefined,
  cpuWindowSeconds: undefined,
  ok: true,
  ...extra,
});

describe('bench summary', () => {
  it('takes medians per kind, the best ceiling level, and ignores failed runs', () => {
    const s = summarize(
      [
        run('ceiling', '4 in flight', 100),
        run('ceiling', '8 in flight', 300),
        run('ceiling', '8 in flight', 500),
        run('ceiling', '8 in flight', 400),
        run('ferry', 'x', 200),
        run('ferry', 'x', 9999, { ok: false, itemsPerSecond: undefined }),
        run('naive', '1', 10),
      ],
      [4, 8],
      (w) => `${w} in flight`,
    );
    expect(s.best).toEqual({ level: 8, rate: 400 });
    expect(s.ceilingBy).toEqual([{ level: 4, rate: 100 }, { level: 8, rate: 400 }]);
    expect([s.ferryRate, s.ceilingRate, s.naiveRate]).toEqual([200, 400, 10]);
    expect(s.peakRssMb).toBeNull();
  });

  it('pads a table: first and last columns to the left, numbers to the right', () => {
    expect(formatTable([['run', 'items/s', ''], ['ferry', '1,000', 'ok'], ['ceiling', '25', '']])).toEqual(['run      items/s', 'ferry      1,000  ok', 'ceiling       25']);
  });
});

describe('dynamodb-firestore report', () => {
  const result: DynamoDbFirestoreResult = {
    items: 100_000,
    ferry_items_per_s: 4000,
    naive_items_per_s: 150,
    ceiling_items_per_s: 4500,
    ratio_ceiling: 0.889,
    ratio_naive: 26.667,
    peak_rss_mb: 210.4,
    dynamodb_server: 'dynalite (http://127.0.0.1:8000)',
    firestore_server: 'Cloud Firestore emulator (127.0.0.1:8080)',
    notes: ['a note'],
    ok: true,
    details: {
      ferry: { concurrency: 4, batch_size: 1000, job_seconds: 25, wall_seconds: 27, wall_items_per_s: 3700, checkpoints: 101, cpu_seconds: 12, source_server_cpu_pct: 30, command: 'node bin/ferry.js run' },
      pipeline_items_per_s: 4200,
      ratio_pipeline: 0.952,
      ceiling_by_in_flight: { '8': 4500 },
      ceiling_in_flight: 8,
      naive: { items_written: 2000, seconds: 13.3, stopped_by: 'items', extrapolated_seconds: 667 },
      rounds: 1,
      runs: [
        { id: 'ceiling', round: 1, label: 'raw ceiling, 8 commits in flight', items_per_s: 4500, seconds: 22.2, items: 100_000, counted: 100_000, ok: true, server_cpu_pct: 120, client_cpu_pct: 40, server_rss_mb: 600 },
        { id: 'ferry', round: 1, label: 'ferry run', items_per_s: 4000, seconds: 25, items: 100_000, counted: 100_000, ok: true, server_cpu_pct: 110, client_cpu_pct: 60, peak_rss_mb: 210.4, server_rss_mb: 610 },
        { id: 'naive', round: 1, label: 'naive loop', items_per_s: 150, seconds: 13.3, items: 2000, counted: 2000, ok: true, server_cpu_pct: 30, client_cpu_pct: 20, server_rss_mb: 600 },
      ],
      source: { table: 'ferry_bench_items', avg_item_bytes: 327, reused: true, load_seconds: 0, scan_items_per_s: 20000 },
      server: { project: 'ferry-bench', own: true, heap_mb: 1344, pid: 1, rss_mb_start: 500, rss_mb_end: 610 },
      machine: { cpus: 2, load_avg_1m: 0.5, node: 'v20' },
      ferry_commit: 'abc1234',
    },
  };

  it('prints the runs, the ratios with their goals, the extrapolated naive rate and the RSS', () => {
    const text = formatDynamoDbFirestore(result);
    expect(text).toContain('dynamodb-firestore: 100,000 items, DynamoDB ferry_bench_items');
    expect(text).toMatch(/ferry run\s+4,000\s+25\.0\s+100,000\s+110%\s+60%/);
    expect(text).toMatch(/naive loop\s+150\s+13\.3\s+2,000/);
    expect(text).toContain('naive 150 items/s (first 2,000 docs, extrapolated)');
    expect(text).toContain('ratio_ceiling = ferry / ceiling = 0.889   (goal ≥ 0.8)');
    expect(text).toContain('ratio_naive   = ferry / naive   = 26.667   (goal ≥ 20)');
    expect(text).toContain('peak RSS of the ferry child: 210.4 MB');
    expect(text).toContain('diagnostic: ferry / raw pipeline (source included) = 0.952');
    expect(text).toContain('- a note');
    expect(text).toContain('all runs complete: every collection held exactly the documents written');
  });

  it('marks a run that lost documents', () => {
    const failed = structuredClone(result);
    failed.ok = false;
    failed.details.runs[1] = { ...failed.details.runs[1]!, ok: false, items_per_s: null, counted: 99_999, error: 'ferry holds 99,999 items after the run, not 100,000' };
    const text = formatDynamoDbFirestore(failed);
    expect(text).toMatch(/ferry run\s+FAILED\s+25\.0\s+99,999\s+110%\s+60%\s+ferry holds 99,999 items/);
    expect(text).toContain('FAILED: at least one run did not complete or lost items');
  });

  it('has the JSON fields of the other bench', () => {
    for (const k of ['ferry_items_per_s', 'naive_items_per_s', 'ceiling_items_per_s', 'ratio_ceiling', 'ratio_naive', 'peak_rss_mb', 'items', 'ok', 'notes']) expect(result).toHaveProperty(k);
    expect(result.details).toHaveProperty('machine');
    expect(result.details).toHaveProperty('ferry_commit');
  });
});

describe('dynamodb-firestore emulator sizing', () => {
  const opts = (argv: string[] = []) => {
    const p = parseBenchArgs(['dynamodb-firestore', ...argv]);
    if (p.help || p.bench !== 'dynamodb-firestore') throw new Error('not parsed');
    return p.options;
  };

  it('counts the documents the emulator is sent: warm-up, then per round the ceilings, ferry, the pipeline, the naive loop', () => {
    expect(documentsWritten(opts(['--items', '100k']))).toEqual({ total: 10_000 + 5 * 100_000 + 2_000, perRun: 110_000 });
    expect(documentsWritten(opts(['--items', '10k', '--skip-naive', '--ceiling', '8', '--repeat', '2']))).toEqual({ total: 10_000 + 2 * 3 * 10_000, perRun: 20_000 });
  });

  it('sizes its own emulator for one warm-up and one run, in multiples of 64 MB', () => {
    expect(heapMbFor(0)).toBe(256);
    expect(heapMbFor(110_000) % 64).toBe(0);
    expect(emulatorHeapMb(opts(['--items', '100k']))).toBe(heapMbFor(110_000));
    expect(emulatorHeapMb(opts(['--items', '100k']))).toBeGreaterThan(1_300);
  });

  it('reads -Xmx from a JVM command line (the last one wins)', () => {
    expect(maxHeapMb(['java', '-Xms64m', '-Xmx512m', '-cp', 'x.jar'])).toBe(512);
    expect(maxHeapMb(['java', '-Xmx2g', '-Xmx1G'])).toBe(1024);
    expect(maxHeapMb(['java', '-Xmx524288k'])).toBe(512);
    expect(maxHeapMb(['java', '-cp', 'x.jar'])).toBeUndefined();
  });

  it('refuses an external emulator whose heap the bench would fill, and names the fix', () => {
    const refusal = checkExternalEmulator(opts(['--items', '100k']), 512, '127.0.0.1:8080');
    expect(refusal).toMatch(/512 MB heap.*512,000 documents.*Unset FIRESTORE_EMULATOR_HOST/);
    expect(checkExternalEmulator(opts(['--items', '10k', '--skip-naive', '--ceiling', '8']), 512, 'h')).toBeUndefined();
    expect(checkExternalEmulator(opts(['--items', '100k']), undefined, 'h')).toBeUndefined();
  });
});
