import { describe, expect, it } from 'vitest';
import { BenchUsageError, DEFAULT_ROWS, parseBenchArgs } from '../../../src/bench/args.js';
import { formatVerifyBench, verifyBenchPlanYaml, type VerifyBenchResult } from '../../../src/bench/verify.js';
import { loadPlanText } from '../../../src/plan/index.js';

describe('verify bench', () => {
  it('takes --rows, --repeat, --json and the limits, and refuses the copy benches’ options', () => {
    expect(parseBenchArgs(['verify'])).toEqual({ help: false, bench: 'verify', options: { json: false, rows: DEFAULT_ROWS, concurrency: 4, batchSize: 1000, repeat: 1 } });
    expect(parseBenchArgs(['verify', '--rows', '1m', '--repeat=3', '--json'])).toMatchObject({ options: { rows: 1_000_000, repeat: 3, json: true } });
    expect(() => parseBenchArgs(['verify', '--skip-naive'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['verify', '--items', '10'])).toThrow(/--items is an option of dynamodb-firestore, not of verify \(it counts --rows\)/);
  });

  it('writes a plan ferry accepts: the digestible columns only, into a created table', () => {
    const yaml = verifyBenchPlanYaml('ferry_bench_verify_10', { concurrency: 4, batchSize: 500 });
    const loaded = loadPlanText(yaml, 'plan.yaml', { PGURL: 'postgres://x@127.0.0.1/db', DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' });
    expect(loaded.plan.streams).toEqual([expect.objectContaining({ from: 'ferry_bench.rows', to: 'ferry_bench_verify_10' })]);
    expect(loaded.plan.target).toMatchObject({ type: 'dynamodb', create: true });
    expect(yaml).toContain('map: { include: [id, customer, email, amount, active, ref, note] }');
    expect(yaml).toContain('create: true');
  });

  it('prints each run with how each side was read, the medians and the speed-up', () => {
    const run = (mode: 'ferry' | 'read-all', wall: number) => ({
      mode,
      wallSeconds: wall,
      checksumSeconds: wall - 4,
      pass1SourceRecords: mode === 'ferry' ? 0 : 200_000,
      pass2SourceRecords: mode === 'ferry' ? 19 : 200_000,
      pass2TargetRecords: mode === 'ferry' ? 18 : 200_000,
      pass2SourceMethod: mode === 'ferry' ? 'store-selected buckets' : 'full read',
      pass2TargetMethod: mode === 'ferry' ? 'point reads' : 'full read',
      named: { missing: ['id=1'], extra: ['id=200001'], changed: ['id=100000'] },
    });
    const r: VerifyBenchResult = {
      rows: 200_000,
      differences: 3,
      ferry_seconds: 17,
      read_all_seconds: 24.5,
      speedup: 1.44,
      ferry_checksum_seconds: 13,
      read_all_checksum_seconds: 20.5,
      dynamodb_server: 'dynalite',
      notes: [],
      ok: true,
      runs: [run('ferry', 17), run('read-all', 24.5)],
      machine: { cpus: 2, load_avg_1m: 1, node: 'v20' },
    };
    const text = formatVerifyBench(r);
    expect(text).toContain('checksum of 200,000 rows with 3 differences');
    expect(text).toMatch(/ferry verify +17\.00 +13\.00 +0 +19 \(store-selected buckets\) +18 \(point reads\) +1\/1\/1/);
    expect(text).toMatch(/ferry verify --read-all +24\.50 .*200,000 \(full read\)/);
    expect(text).toContain('ferry is 1.44× as fast');
    expect(formatVerifyBench({ ...r, ok: false })).toContain('FAILED');
  });
});
