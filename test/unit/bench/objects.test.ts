// The pure parts of `npm run bench -- objects`: its command line, its plan, its rclone command lines, its data set,
// its check of a target, its figures and its report. Nothing here measures time or needs a server.
import { describe, expect, it } from 'vitest';
import { BenchUsageError, DEFAULT_LARGE, DEFAULT_LARGE_MB, DEFAULT_SMALL, DEFAULT_SMALL_KB, parseBenchArgs } from '../../../src/bench/args.js';
import { objectsPlanYaml } from '../../../src/bench/ferry-child.js';
import { checkError, compareListings, describeSet, holdsExactly, objectSets, relName, setBytes, SUB_PREFIXES, targetBucketName, type Listing } from '../../../src/bench/object-sets.js';
import { formatObjects, objectRunJson, rcloneCopyFlags, setFigures, type ObjectRunJson, type ObjectsResult } from '../../../src/bench/objects.js';
import { rcloneEnv, rcloneGcsRemote, rcloneQuote, rcloneS3Remote, redactRcloneArgs } from '../../../src/bench/rclone.js';
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

describe('objects command line', () => {
  it('has defaults: 2,000 × 16 KiB and 8 × 64 MiB, 16 transfers and as many rclone checkers', () => {
    expect(parseBenchArgs(['objects'])).toEqual({
      help: false,
      bench: 'objects',
      options: { json: false, small: 2000, smallKb: 16, large: 8, largeMb: 64, transfers: 16, checkers: 16, partSizeMb: 16, concurrency: 4, batchSize: 500, repeat: 1 },
    });
    expect([DEFAULT_SMALL, DEFAULT_SMALL_KB, DEFAULT_LARGE, DEFAULT_LARGE_MB]).toEqual([2000, 16, 8, 64]);
  });

  it('takes every option, as `--flag value` or `--flag=value`', () => {
    const p = parseBenchArgs([
      'objects', '--small', '10k', '--small-kb=4', '--large', '4', '--large-mb', '128', '--transfers', '32', '--part-size-mb', '8', '--large-transfers', '8',
      '--json', '--repeat=3', '--concurrency', '8', '--batch-size', '1000', '--cpu-prof', '/tmp/p',
    ]);
    expect(p).toEqual({
      help: false,
      bench: 'objects',
      options: {
        json: true, small: 10_000, smallKb: 4, large: 4, largeMb: 128, transfers: 32, checkers: 32, partSizeMb: 8, largeTransfers: 8,
        concurrency: 8, batchSize: 1000, repeat: 3, cpuProf: '/tmp/p',
      },
    });
    expect(parseBenchArgs(['objects', '--transfers', '8', '--checkers', '24'])).toMatchObject({ options: { transfers: 8, checkers: 24 } });
  });

  it('leaves a set out with 0, but not both', () => {
    expect(parseBenchArgs(['objects', '--large', '0'])).toMatchObject({ options: { small: 2000, large: 0 } });
    expect(parseBenchArgs(['objects', '--small=0'])).toMatchObject({ options: { small: 0, large: 8 } });
    expect(usage(['objects', '--small', '0', '--large', '00'])).toMatch(/leave nothing to copy/);
    expect(usage(['objects', '--small-kb', '0'])).toMatch(/--small-kb wants a positive whole number/);
    expect(usage(['objects', '--transfers', '0'])).toMatch(/--transfers wants a positive whole number/);
  });

  it('refuses a data set the in-memory emulators would not hold, and absurd values', () => {
    expect(usage(['objects', '--large', '100', '--large-mb', '64'])).toMatch(/6\.3 GiB; at most 4 GiB/);
    expect(usage(['objects', '--large-mb', '5000'])).toMatch(/--large-mb: at most 4096/);
    expect(usage(['objects', '--transfers', '2000'])).toMatch(/--transfers: at most 1024/);
    expect(usage(['objects', '--repeat', '21'])).toMatch(/at most 20/);
    expect(usage(['objects', '--part-size-mb', '2048'])).toMatch(/--part-size-mb: at most 1024/);
    expect(usage(['objects', '--large-transfers', '0'])).toMatch(/--large-transfers wants a positive whole number/);
    expect(usage(['objects', '--small'])).toMatch(/--small needs a value/);
    expect(usage(['objects', '--small', 'many'])).toMatch(/--small wants a positive whole number/);
  });

  it('keeps each bench to its own flags', () => {
    expect(usage(['objects', '--rows', '10k'])).toMatch(/--rows is an option of pg-dynamodb, verify, workers and backup, not of objects \(it counts --small and --large\)/);
    expect(usage(['objects', '--ceiling', '8'])).toMatch(/--ceiling is an option of pg-dynamodb, dynamodb-firestore and backup, not of objects/);
    expect(usage(['objects', '--skip-naive'])).toMatch(/--skip-naive is an option of pg-dynamodb and dynamodb-firestore/);
    expect(usage(['pg-dynamodb', '--small', '10'])).toMatch(/--small is an option of objects, not of pg-dynamodb \(it counts --rows\)/);
    expect(usage(['dynamodb-firestore', '--transfers', '8'])).toMatch(/--transfers is an option of objects, not of dynamodb-firestore/);
  });
});

describe('objects plan', () => {
  it('writes a plan that ferry accepts: s3 → gcs, bucket created, the transfers, part size and limits given, verification on', () => {
    const input = { sourceBucket: 'ferry-bench-objects', prefix: 'small/', targetBucket: 'ferry-bench-small-ferry-1-abcdef', transfers: 16, partSizeMb: 16, concurrency: 4, batchSize: 500 };
    const yaml = objectsPlanYaml(input);
    const loaded = loadPlanText(yaml, 'bench.yaml', { S3_ENDPOINT: 'http://127.0.0.1:9000', GCS_ENDPOINT: 'http://127.0.0.1:4443', AWS_REGION: 'eu-west-1' });
    expect(loaded.plan.source).toMatchObject({ type: 's3', bucket: 'ferry-bench-objects', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1' });
    expect(loaded.plan.target).toMatchObject({ type: 'gcs', bucket: 'ferry-bench-small-ferry-1-abcdef', endpoint: 'http://127.0.0.1:4443', create: true, transfers: 16, part_size_mb: 16 });
    expect(loaded.plan.target).not.toHaveProperty('large_transfers');
    expect(loaded.plan.streams).toEqual([expect.objectContaining({ from: 'small/', to: 'small/' })]);
    expect(loaded.plan.limits).toMatchObject({ concurrency: 4, batch_size: 500 });
    expect(loaded.plan.verify).toEqual(['count', 'checksum']);
    const more = loadPlanText(objectsPlanYaml({ ...input, largeTransfers: 8 }), 'bench.yaml', { S3_ENDPOINT: 'http://127.0.0.1:9000', GCS_ENDPOINT: 'http://127.0.0.1:4443' });
    expect(more.plan.target).toMatchObject({ large_transfers: 8 });
  });
});

describe('objects rclone command lines', () => {
  const s3 = { endpoint: 'http://127.0.0.1:9000', accessKeyId: 'AKID', secretAccessKey: "s3kr'it" };

  it('builds on-the-fly remotes: S3 path style with its keys, GCS anonymous on the JSON API base', () => {
    expect(rcloneQuote("a'b")).toBe("'a''b'");
    expect(rcloneS3Remote(s3, 'src')).toBe(
      ":s3,provider=Other,endpoint='http://127.0.0.1:9000',access_key_id='AKID',secret_access_key='s3kr''it',force_path_style=true:src",
    );
    const gcs = ":gcs,anonymous=true,endpoint='http://127.0.0.1:4443/storage/v1/':dst";
    expect(rcloneGcsRemote('http://127.0.0.1:4443', 'dst')).toBe(gcs);
    expect(rcloneGcsRemote('http://127.0.0.1:4443/storage/v1/', 'dst')).toBe(gcs);
  });

  it('runs without AWS_CA_BUNDLE, and never shows the secret key', () => {
    expect(rcloneEnv({ AWS_CA_BUNDLE: '/etc/ssl/x.pem', PATH: '/bin' })).toEqual({ PATH: '/bin' });
    const shown = redactRcloneArgs(['copy', `${rcloneS3Remote(s3, 'src')}/small/`, '--transfers', '16']);
    expect(shown).not.toContain('s3kr');
    expect(shown).toContain("secret_access_key=***,force_path_style=true:src/small/");
    expect(shown).toMatch(/^copy ":s3,provider=Other,.*" --transfers 16$/);
  });

  it('gives rclone as many transfers as ferry, the checkers asked for, and no progress output', () => {
    expect(rcloneCopyFlags({ transfers: 16, checkers: 16 })).toEqual(['--transfers', '16', '--checkers', '16', '--stats', '0']);
  });
});

describe('objects data set', () => {
  it('is a small set and a large set, names spread over the sub-prefixes', () => {
    const sets = objectSets({ small: 2000, smallKb: 16, large: 8, largeMb: 64 });
    expect(sets).toEqual([
      { phase: 'small', prefix: 'small/', count: 2000, size: 16 * 1024 },
      { phase: 'large', prefix: 'large/', count: 8, size: 64 * 2 ** 20 },
    ]);
    expect(objectSets({ small: 0, smallKb: 16, large: 8, largeMb: 64 }).map((s) => s.phase)).toEqual(['large']);
    expect(sets.map(describeSet)).toEqual(['2,000 × 16 KiB', '8 × 64 MiB']);
    expect(setBytes(sets[1]!)).toBe(512 * 2 ** 20);
    expect(relName(0)).toBe('a/obj-000000.bin');
    expect(relName(42)).toBe('c/obj-000042.bin');
    const firsts = new Set(Array.from({ length: 16 }, (_, i) => relName(i)[0]));
    expect(firsts.size).toBe(SUB_PREFIXES.length);
    expect(targetBucketName('small', 'rclone', 2)).toMatch(/^ferry-bench-small-rclone-2-[0-9a-f]{6}$/);
  });

  it('is reused only when the source holds exactly its names and sizes, each with an MD5', () => {
    const set = { phase: 'small' as const, prefix: 'small/', count: 3, size: 10 };
    const listing = (): Listing => new Map([0, 1, 2].map((i) => [relName(i), { size: 10, md5: 'a'.repeat(32) }]));
    expect(holdsExactly(listing(), set)).toBe(true);
    const short = listing();
    short.delete(relName(2));
    expect(holdsExactly(short, set)).toBe(false);
    const resized = listing();
    resized.set(relName(1), { size: 11, md5: 'a'.repeat(32) });
    expect(holdsExactly(resized, set)).toBe(false);
    const multipart = listing();
    multipart.set(relName(1), { size: 10, md5: undefined });
    expect(holdsExactly(multipart, set)).toBe(false);
  });

  it('judges a target by names, sizes and MD5s', () => {
    const md5 = (c: string): string => c.repeat(32);
    const source: Listing = new Map([
      ['a/1', { size: 5, md5: md5('1') }],
      ['b/2', { size: 5, md5: md5('2') }],
      ['c/3', { size: 5, md5: md5('3') }],
    ]);
    const same = compareListings(source, new Map(source));
    expect(same).toEqual({ objects: 3, bytes: 15, missing: [], extra: [], different: [] });
    expect(checkError(same, 'dst')).toBeUndefined();
    const target: Listing = new Map([
      ['a/1', { size: 5, md5: md5('1') }],
      ['b/2', { size: 5, md5: md5('f') }],
      ['z/9', { size: 1, md5: md5('9') }],
    ]);
    const c = compareListings(source, target);
    expect(c).toMatchObject({ objects: 3, bytes: 11, missing: ['c/3'], extra: ['z/9'], different: ['b/2'] });
    expect(checkError(c, 'dst')).toBe('gs://dst after the run: 1 (c/3) missing, 1 (z/9) extra, 1 (b/2) with another size or MD5');
  });
});

describe('objects figures and report', () => {
  const small = { set: { phase: 'small' as const, prefix: 'small/', count: 2000, size: 16 * 1024 } };
  const large = { set: { phase: 'large' as const, prefix: 'large/', count: 8, size: 64 * 2 ** 20 } };
  const none = { s3Cpu: undefined, gcsCpu: undefined, gcsRss: undefined };
  const measured = (seconds: number, withVerify?: number, rss?: number) => ({
    seconds,
    secondsWithVerify: withVerify,
    wallSeconds: seconds + 1,
    clientCpuSeconds: seconds / 2,
    peakRssBytes: rss === undefined ? undefined : rss * 2 ** 20,
  });

  it('turns a run into objects/s and MB/s, with and without verification', () => {
    const r = objectRunJson('ferry', 1, small, 'b', measured(10, 12.5, 200), { counted: 2000, error: undefined, s3Cpu: 2, gcsCpu: 5.5, gcsRss: 300 * 2 ** 20 });
    expect(r).toMatchObject({
      tool: 'ferry',
      phase: 'small',
      label: 'ferry run, small',
      objects: 2000,
      mb: 31.3,
      seconds: 10,
      objects_per_s: 200,
      mb_per_s: 3.1,
      seconds_with_verify: 12.5,
      objects_per_s_with_verify: 160,
      counted: 2000,
      ok: true,
      client_cpu_pct: 45,
      s3_cpu_pct: 18,
      gcs_cpu_pct: 50,
      peak_rss_mb: 200,
      gcs_rss_mb: 300,
    });
    const failed = objectRunJson('rclone', 1, small, 'b', measured(3), { counted: 1999, error: 'gs://b after the run: 1 (a/x) missing', ...none });
    expect(failed).toMatchObject({ ok: false, objects_per_s: null, mb_per_s: null, error: 'gs://b after the run: 1 (a/x) missing' });
  });

  it('takes medians per set and tool, ignores failed runs, and divides ferry by rclone', () => {
    const runs: ObjectRunJson[] = [
      objectRunJson('ferry', 1, small, 'b', measured(10, 11), { counted: 2000, error: undefined, ...none }),
      objectRunJson('ferry', 2, small, 'b', measured(8, 9), { counted: 2000, error: undefined, ...none }),
      objectRunJson('ferry', 3, small, 'b', measured(1), { counted: 0, error: 'ferry exited 1', ...none }),
      objectRunJson('rclone', 1, small, 'b', measured(12), { counted: 2000, error: undefined, ...none }),
      objectRunJson('ferry', 1, large, 'b', measured(8, 10), { counted: 8, error: undefined, ...none }),
      objectRunJson('rclone', 1, large, 'b', measured(4), { counted: 8, error: undefined, ...none }),
    ];
    const s = setFigures(runs, small);
    expect(s).toMatchObject({ objects: 2000, ferry_objects_per_s: 225, ferry_objects_per_s_with_verify: 202, rclone_objects_per_s: 166.7, ferry_job_seconds: 9, ferry_verify_seconds: 1 });
    expect(s.ratio).toBe(1.35);
    const l = setFigures(runs, large);
    expect(l).toMatchObject({ ferry_mb_per_s: 64, ferry_mb_per_s_with_verify: 51.2, rclone_mb_per_s: 128, ratio: 0.5, ratio_with_verify: 0.4 });
  });

  it('prints both sets with their ratios and goals, the RSS, and marks a failed run', () => {
    const runs: ObjectRunJson[] = [
      objectRunJson('ferry', 1, small, 'b1', measured(8, 9, 230), { counted: 2000, error: undefined, s3Cpu: 1, gcsCpu: 3, gcsRss: undefined }),
      objectRunJson('rclone', 1, small, 'b2', measured(12, undefined, 600), { counted: 2000, error: undefined, ...none }),
      objectRunJson('ferry', 1, large, 'b3', measured(8, 10, 250), { counted: 8, error: undefined, ...none }),
      objectRunJson('rclone', 1, large, 'b4', measured(4, undefined, 100), { counted: 7, error: 'rclone exited 1: boom', ...none }),
    ];
    const sets = { small: setFigures(runs, small), large: setFigures(runs, large) };
    const result: ObjectsResult = {
      ferry_objects_per_s: sets.small.ferry_objects_per_s,
      rclone_objects_per_s: sets.small.rclone_objects_per_s,
      ferry_mb_per_s: sets.large.ferry_mb_per_s,
      rclone_mb_per_s: sets.large.rclone_mb_per_s,
      ratio_objects: sets.small.ratio,
      ratio_mb: sets.large.ratio,
      peak_rss_mb: 250,
      ferry_objects_per_s_with_verify: sets.small.ferry_objects_per_s_with_verify,
      ferry_mb_per_s_with_verify: sets.large.ferry_mb_per_s_with_verify,
      ratio_objects_with_verify: sets.small.ratio_with_verify,
      ratio_mb_with_verify: sets.large.ratio_with_verify,
      rclone_peak_rss_mb: 600,
      s3_server: 'gofakes3 v1.2.0 (http://127.0.0.1:9000)',
      gcs_server: 'fake-gcs-server v1.56.1 (http://127.0.0.1:4443)',
      notes: ['a note'],
      ok: false,
      details: {
        sets,
        ferry: { transfers: 16, large_transfers: null, part_size_mb: 16, concurrency: 4, batch_size: 500, verify: ['count', 'checksum'], command: 'node bin/ferry.js run' },
        rclone: { version: 'rclone v1.60.1-DEV', flags: rcloneCopyFlags({ transfers: 16, checkers: 16 }), command: 'rclone copy' },
        rounds: 1,
        runs,
        source: { bucket: 'ferry-bench-objects', sets: [] },
        machine: { cpus: 2, load_avg_1m: 0.5, node: 'v20' },
        ferry_commit: 'abc1234',
      },
    };
    const text = formatObjects(result);
    expect(text).toContain('ferry transfers 16, large_transfers 4 (default), GCS part_size_mb 16; rclone --transfers 16 --checkers 16 --stats 0');
    expect(text).toMatch(/ferry run, small\s+2,000\s+31\.3\s+8\.00\s+250\s+3\.9\s+1\.00\s+11%\s+33%\s+44%\s+230 MB/);
    expect(text).toMatch(/rclone copy, large\s+7\s+512\.0\s+4\.00\s+FAILED\s+-\s+-.*rclone exited 1: boom/);
    expect(text).toContain('small set (2,000 × 16 KiB): ferry 250 objects/s (222 with verify) · rclone 167 objects/s');
    expect(text).toContain('ratio_objects = ferry / rclone = 1.500   (goal ≥ 1.2; with ferry\'s verify 1.333)');
    expect(text).toContain('large set (8 × 64 MiB): ferry 64.0 MB/s (51.2 with verify) · rclone - MB/s');
    expect(text).toContain('ratio_mb      = ferry / rclone = -');
    expect(text).toContain('peak RSS: ferry child 250.0 MB, rclone 600.0 MB');
    expect(text).toContain('- a note');
    expect(text).toContain('FAILED: at least one run did not complete');
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ ratio_objects: 1.5, ratio_mb: null, peak_rss_mb: 250 });
  });
});

describe('backup command line', () => {
  it('takes a list of row counts, the ceiling writers and --skip-restore; refuses the flags of other benches', () => {
    expect(parseBenchArgs(['backup', '--rows', '200k,1m', '--skip-restore'])).toMatchObject({ bench: 'backup', options: { rows: [200_000, 1_000_000], ceiling: [4, 8], skipRestore: true } });
    expect(parseBenchArgs(['backup'])).toMatchObject({ options: { rows: [200_000], skipRestore: false } });
    expect(() => parseBenchArgs(['backup', '--items', '5'])).toThrow(/--items is an option of dynamodb-firestore, not of backup \(it counts --rows\)/);
    expect(() => parseBenchArgs(['pg-dynamodb', '--skip-restore'])).toThrow(/--skip-restore is an option of backup, not of pg-dynamodb/);
  });
});
