// The bench's pure parts: its command line, its /proc parsing, its plan and its report. The benchmark itself needs
// servers and minutes, and is never part of `npm test`; nothing here measures time.
import { describe, expect, it } from 'vitest';
import { BenchUsageError, DEFAULT_ROWS, parseBenchArgs, parseCount } from '../../../src/bench/args.js';
import { benchPlanYaml } from '../../../src/bench/ferry-child.js';
import { formatPgDynamoDb, median, type PgDynamoDbResult } from '../../../src/bench/pg-dynamodb.js';
import { parseStatCpu, parseStatusMemory } from '../../../src/bench/proc.js';
import { parseStatus } from '../../../src/bench/servers.js';
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

describe('bench command line', () => {
  it('has defaults for everything but the bench name', () => {
    const p = parseBenchArgs(['pg-dynamodb']);
    expect(p).toEqual({
      help: false,
      bench: 'pg-dynamodb',
      options: { rows: DEFAULT_ROWS, json: false, skipNaive: false, concurrency: 4, batchSize: 1000, ceiling: [8, 16], repeat: 1 },
    });
  });

  it('takes every option, as `--flag value` or `--flag=value`', () => {
    const p = parseBenchArgs(['--rows=1m', 'pg-dynamodb', '--json', '--skip-naive', '--concurrency', '8', '--batch-size=500', '--ceiling', '4,16,16', '--repeat', '3', '--cpu-prof', '/tmp/p']);
    expect(p).toEqual({
      help: false,
      bench: 'pg-dynamodb',
      options: { rows: 1_000_000, json: true, skipNaive: true, concurrency: 8, batchSize: 500, ceiling: [4, 16], repeat: 3, cpuProf: '/tmp/p' },
    });
    expect(parseBenchArgs(['--help'])).toEqual({ help: true });
    expect(parseBenchArgs(['pg-dynamodb', '-h'])).toEqual({ help: true });
  });

  it('workers: worker counts as a list, per-worker concurrency, no flags of other benches', () => {
    expect(parseBenchArgs(['workers'])).toEqual({
      help: false,
      bench: 'workers',
      options: { json: false, rows: DEFAULT_ROWS, workers: [1, 2, 4], concurrency: 4, batchSize: 1000, repeat: 1 },
    });
    expect(parseBenchArgs(['workers', '--workers', '1,3,3,8', '--rows', '50k', '--concurrency', '2', '--json'])).toMatchObject({ options: { workers: [1, 3, 8], rows: 50_000, concurrency: 2, json: true } });
    expect(usage(['workers', '--workers', '100'])).toMatch(/--workers: at most 64/);
    expect(usage(['pg-dynamodb', '--workers', '2'])).toMatch(/--workers is an option of workers, not of pg-dynamodb/);
    expect(usage(['workers', '--skip-naive'])).toMatch(/--skip-naive is an option of pg-dynamodb/);
    expect(usage(['workers', '--cpu-prof', '/tmp/p'])).toMatch(/--cpu-prof is not an option of workers/);
  });

  it('reads counts with k and m suffixes and underscores', () => {
    expect([parseCount('200000', 'x'), parseCount('200_000', 'x'), parseCount('200k', 'x'), parseCount('1M', 'x')]).toEqual([200_000, 200_000, 200_000, 1_000_000]);
    for (const bad of ['0', '-5', '1.5', 'lots', '', '2g', '1e6']) expect(() => parseCount(bad, '--rows')).toThrow(BenchUsageError);
  });

  it('refuses unknown benches, unknown flags, missing and stray values', () => {
    expect(usage([])).toMatch(/name a bench: pg-dynamodb/);
    expect(usage(['pg-mysql'])).toMatch(/unknown bench "pg-mysql"; known: pg-dynamodb/);
    expect(usage(['pg-dynamodb', 'extra'])).toMatch(/one bench at a time/);
    expect(usage(['pg-dynamodb', '--frob'])).toMatch(/unknown option --frob/);
    expect(usage(['pg-dynamodb', '--rows'])).toMatch(/--rows needs a value/);
    expect(usage(['pg-dynamodb', '--rows', '--json'])).toMatch(/--rows needs a value/);
    expect(usage(['pg-dynamodb', '--rows', 'many'])).toMatch(/--rows wants a positive whole number/);
    expect(usage(['pg-dynamodb', '--json=yes'])).toMatch(/--json takes no value/);
    expect(usage(['pg-dynamodb', '--rows', '5', '--rows', '6'])).toMatch(/given twice/);
    expect(usage(['pg-dynamodb', '--ceiling', ','])).toMatch(/--ceiling wants a list/);
    expect(usage(['pg-dynamodb', '--repeat', '50'])).toMatch(/at most 20/);
  });
});

describe('bench /proc readings', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t  250000 kB\nVmRSS:\t  200000 kB\nThreads:\t11\n';
    expect(parseStatusMemory(status)).toEqual({ rss: 200000 * 1024, hwm: 250000 * 1024 });
    expect(parseStatusMemory('Name:\tkthreadd\n')).toBeUndefined();
  });

  it('reads utime + stime after a command name with spaces and parentheses', () => {
    const fields = ['S', '1', '2', '3', '0', '-1', '4194560', '100', '0', '0', '0', '250', '50', '0', '0', '20', '0', '11'];
    expect(parseStatCpu(`1234 (node (bench) x) ${fields.join(' ')}`)).toBe(3);
    expect(parseStatCpu('garbage')).toBeUndefined();
  });
});

describe('bench servers', () => {
  it('reads `scripts/services status --json`, and nothing from garbage', () => {
    const rows = parseStatus(JSON.stringify([{ name: 'dynamodb', what: 'dynalite', up: true, port: 4000, pid: 12, log: '/x' }, { name: 'gcs', up: false }]));
    expect(rows).toEqual([
      { name: 'dynamodb', what: 'dynalite', up: true, port: 4000, pid: 12 },
      { name: 'gcs', what: '', up: false, port: null, pid: null },
    ]);
    expect(parseStatus('not json')).toEqual([]);
  });
});

describe('bench plan and report', () => {
  it('writes a plan that ferry accepts: postgres → dynamodb, create, no verification, the given limits', () => {
    const yaml = benchPlanYaml({ from: 'ferry_bench.rows', to: 'ferry_bench_ferry', concurrency: 4, batchSize: 1000 });
    const loaded = loadPlanText(yaml, 'bench.yaml', { PGURL: 'postgres://u@127.0.0.1:5432/db', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' });
    expect(loaded.plan.source).toMatchObject({ type: 'postgres', url: 'postgres://u@127.0.0.1:5432/db' });
    expect(loaded.plan.target).toMatchObject({ type: 'dynamodb', endpoint: 'http://127.0.0.1:8000', create: true });
    expect(loaded.plan.streams).toEqual([expect.objectContaining({ from: 'ferry_bench.rows', to: 'ferry_bench_ferry' })]);
    expect(loaded.plan.limits).toMatchObject({ concurrency: 4, batch_size: 1000 });
    expect(loaded.plan.verify).toEqual([]);
  });

  it('takes medians', () => {
    expect(median([])).toBeUndefined();
    expect(median([3])).toBe(3);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('prints the ratios and marks a failed run', () => {
    const result: PgDynamoDbResult = {
      rows: 1000,
      ferry_items_per_s: 900,
      naive_items_per_s: 300,
      ceiling_items_per_s: 1000,
      ratio_ceiling: 0.9,
      ratio_naive: 3,
      peak_rss_mb: 120.5,
      dynamodb_server: 'dynalite (http://127.0.0.1:8000)',
      notes: ['a note'],
      ok: false,
      details: {
        ferry: { concurrency: 4, batch_size: 1000, job_seconds: 1.1, wall_seconds: 1.5, wall_items_per_s: 667, checkpoints: 1, cpu_seconds: 1, command: 'node bin/ferry.js run' },
        ceiling_by_writers: { '8': 1000 },
        ceiling_writers: 8,
        rounds: 1,
        runs: [
          { id: 'ceiling', round: 1, label: 'raw ceiling, 8 writers', items_per_s: 1000, seconds: 1, counted: 1000, ok: true, server_cpu_pct: 95, client_cpu_pct: 30, server_rss_mb: 80 },
          { id: 'naive', round: 1, label: 'naive loop', items_per_s: null, seconds: 3.3, counted: 999, ok: false, error: 'lost one', server_cpu_pct: null, client_cpu_pct: null, server_rss_mb: null },
        ],
        dataset: { table: 'ferry_bench.rows', avg_row_bytes: 300, reused: false },
        server: { pid: null, rss_mb_start: null, rss_mb_end: null },
        machine: { cpus: 2, load_avg_1m: 0.5, node: 'v20' },
        ferry_commit: null,
      },
    };
    const text = formatPgDynamoDb(result);
    expect(text).toContain('ratio_ceiling = ferry / ceiling = 0.900');
    expect(text).toContain('ratio_naive   = ferry / naive   = 3.000');
    expect(text).toContain('peak RSS of the ferry child: 120.5 MB');
    expect(text).toMatch(/naive loop\s+FAILED\s+3\.3\s+999\s+-\s+-\s+lost one/);
    expect(text).toContain('FAILED: at least one run did not complete or lost items');
  });
});
