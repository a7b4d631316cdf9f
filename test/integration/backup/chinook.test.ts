/**
 * Chinook backed up from PostgreSQL to S3 (gofakes3) and restored into DynamoDB and into Firestore, through the
 * CLI: the backup verified against PostgreSQL by its own job, each restore verified against the set's manifest
 * digests, and the restored tables verified against PostgreSQL itself with zero differences. Then the set is
 * tampered with four ways (truncated, a byte flipped, a file gone, the manifest edited): `ferry backup verify` names
 * each damage and exits 1, and a restore of a damaged set refuses the file instead of loading it.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINOOK_TABLES, loadChinook } from '../../support/chinook.js';
import { firestore, s3, serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, warningsIn, workDir, writePlan } from '../../support/cli.js';

let dir: string;
let bucket: string;
let prefix: string;
let client: S3Client;
let db: Firestore;
let env: Record<string, string>;
const total = Object.values(CHINOOK_TABLES).reduce((a, b) => a + b, 0);

const s3Block = (bucketName: string, create = false): string =>
  `{ type: s3, bucket: ${bucketName}, endpoint: "\${env:S3_ENDPOINT}", region: "\${env:AWS_REGION}", force_path_style: true${create ? ', create: true' : ''} }`;

beforeAll(async () => {
  dir = workDir('ferry-backup-');
  const name = uniqueName('bk').replaceAll('-', '_');
  env = { BK_PGURL: await loadChinook(serviceEnv('PGURL'), name) };
  bucket = uniqueName('bk');
  prefix = `${uniqueName('t')}_`;
  client = s3();
  db = firestore();
  writePlan(dir, 'backup', [
    'version: 1',
    'kind: backup',
    'name: chinook-nightly',
    'source: { type: postgres, url: "${env:BK_PGURL}" }',
    `target: ${s3Block(bucket, true)}`,
    'backup: { prefix: dr/pg }',
    'streams: [{ from: public.* }]',
    'limits: { batch_size: 1000 }',
    'verify: [count, checksum]',
    'retention: { keep_last: 1 }',
  ]);
  writePlan(dir, 'restore-ddb', [
    'version: 1',
    'kind: restore',
    'name: chinook-restore-ddb',
    `source: ${s3Block(bucket)}`,
    'restore: { plan: chinook-nightly, prefix: dr/pg }',
    `target: { type: dynamodb, endpoint: "\${env:DYNAMODB_ENDPOINT}", region: "\${env:AWS_REGION}", table_prefix: ${prefix}, create: true }`,
    'streams: [{ from: public.* }]',
    'verify: [count, checksum]',
  ]);
  writePlan(dir, 'restore-fs', [
    'version: 1',
    'kind: restore',
    'name: chinook-restore-fs',
    `source: ${s3Block(bucket)}`,
    'restore: { plan: chinook-nightly, prefix: dr/pg, set: latest }',
    'target: { type: firestore }',
    'streams:',
    '  - from: public.*',
    `    to: "${prefix}\${name}"`,
    'verify: [count, checksum]',
  ]);
  // The restored stores against PostgreSQL itself: the migrations the restores stand in for, verified only.
  writePlan(dir, 'pg-ddb', [
    'version: 1',
    'kind: migration',
    'name: chinook-pg-ddb',
    'source: { type: postgres, url: "${env:BK_PGURL}" }',
    `target: { type: dynamodb, endpoint: "\${env:DYNAMODB_ENDPOINT}", region: "\${env:AWS_REGION}", table_prefix: ${prefix} }`,
    'streams: [{ from: public.* }]',
  ]);
  writePlan(dir, 'pg-fs', [
    'version: 1',
    'kind: migration',
    'name: chinook-pg-fs',
    'source: { type: postgres, url: "${env:BK_PGURL}" }',
    'target: { type: firestore }',
    'streams:',
    '  - from: public.*',
    `    to: "${prefix}\${name}"`,
  ]);
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await db?.terminate();
});

function verifyDone(r: ReturnType<typeof ferry>): { outcome: string; results: { stream: string; verifier: string; outcome: string; source: { count: number; digest?: string }; target: { count: number; digest?: string } }[] } {
  const e = r.events.find((x) => x.type === 'verify.done');
  expect(e, r.err).toBeDefined();
  return (e as unknown as { report: ReturnType<typeof verifyDone> }).report;
}

async function objectNames(p: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function getBytes(key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function putBytes(key: string, body: Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

describe('Chinook: PostgreSQL → S3 backup → DynamoDB and Firestore', () => {
  let setDir = '';
  const digests = new Map<string, string>();

  it('backs up every table into one set with a manifest, verified against PostgreSQL', async () => {
    const r = ferry(['run', 'backup.yaml', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(warningsIn(r.err)).toEqual([]);
    expect(r.code, r.err).toBe(0);
    const v = verifyDone(r);
    expect(v.outcome).toBe('match');
    expect(v.results).toHaveLength(22);
    for (const x of v.results.filter((y) => y.verifier === 'checksum')) digests.set(x.stream, x.source.digest!);

    const names = await objectNames('dr/pg/chinook-nightly/');
    const manifest = names.find((n) => n.endsWith('/manifest.json'))!;
    expect(manifest).toMatch(/^dr\/pg\/chinook-nightly\/\d{8}T\d{6}Z-[0-9a-f]{6}\/manifest\.json$/);
    setDir = manifest.slice(0, -'manifest.json'.length);
    const m = JSON.parse((await getBytes(manifest)).toString('utf8')) as {
      format: string;
      source: Record<string, unknown>;
      streams: { name: string; count: number; digest: string; key: { field: string; type: string }[]; files: { path: string; records: number }[] }[];
    };
    expect(m.format).toBe('ferry-backup/1');
    expect(m.source).toEqual({ type: 'postgres' }); // no URL, no credential
    expect(Object.fromEntries(m.streams.map((s) => [s.name.replace('public.', ''), s.count]))).toEqual(CHINOOK_TABLES);
    // The manifest's digest is the verifier's: the same sum PostgreSQL's side had.
    for (const s of m.streams) expect(s.digest).toBe(digests.get(s.name));
    expect(m.streams.find((s) => s.name === 'public.playlist_track')!.key).toEqual([
      { field: 'playlist_id', type: 'integer' },
      { field: 'track_id', type: 'integer' },
    ]);
    // Data files are exactly the manifest's, plus the manifest and the job's verification record.
    const files = m.streams.flatMap((s) => s.files.map((f) => `${setDir}${f.path}`));
    expect(names.filter((n) => !n.includes('/verify/')).sort()).toEqual([...files, manifest].sort());
    expect(names.filter((n) => n.includes('/verify/')).length).toBe(1);

    const list = ferry(['backup', 'list', 'backup.yaml', '--json'], { cwd: dir, env });
    expect(list.code, list.err).toBe(0);
    const view = JSON.parse(list.out) as { sets: { set: string; state: string; records: number; verified?: { outcome: string } }[]; rpo?: { set: string } };
    expect(view.sets).toHaveLength(1);
    expect(view.sets[0]).toMatchObject({ set: setDir, state: 'complete', records: total, verified: { outcome: 'ok' } });
    expect(view.rpo?.set).toBe(setDir);
  }, 180_000);

  it('restores into DynamoDB: verified against the set (every file proved by the manifest), then against PostgreSQL', () => {
    const r = ferry(['run', 'restore-ddb.yaml', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(warningsIn(r.err)).toEqual([]);
    expect(r.code, r.err).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done') as unknown as { summary: { items: number; rejected: number; durationMs: number } };
    expect(done.summary).toMatchObject({ items: total, rejected: 0 });
    const v = verifyDone(r);
    expect(v.outcome).toBe('match');
    // The set's side is read file by file, each proved by its SHA-256 in the manifest, and counted as the manifest says.
    for (const x of v.results.filter((y) => y.verifier === 'count')) expect(x.source.count).toBe(CHINOOK_TABLES[x.stream.replace('public.', '')]);

    const live = ferry(['verify', 'pg-ddb.yaml', '--checksum', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(live.code, live.err).toBe(0);
    const lv = verifyDone(live);
    expect(lv.outcome).toBe('match');
    expect(lv.results).toHaveLength(22);
  }, 180_000);

  it('restores into Firestore, verified against the set and against PostgreSQL', async () => {
    const r = ferry(['run', 'restore-fs.yaml', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(r.code, r.err).toBe(0);
    expect(verifyDone(r).outcome).toBe('match');
    expect((await db.collection(`${prefix}track`).count().get()).data().count).toBe(CHINOOK_TABLES.track);
    const live = ferry(['verify', 'pg-fs.yaml', '--checksum', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(live.code, live.err).toBe(0);
    expect(verifyDone(live).outcome).toBe('match');
  }, 180_000);

  it('names a truncated file, a flipped byte, a missing file and an edited manifest; exit 1 each', async () => {
    const ok = ferry(['backup', 'verify', 'backup.yaml', '--json'], { cwd: dir, env });
    expect(ok.code, ok.err).toBe(0);
    expect(ok.events.find((e) => e.type === 'backup.verify')).toMatchObject({ outcome: 'ok', read: { records: total } });

    const names = (await objectNames(`${setDir}data/`)).sort();
    const [a, b, c] = [names[0]!, names[1]!, names[2]!];
    const manifestKey = `${setDir}manifest.json`;
    const original = new Map<string, Buffer>();
    for (const k of [a, b, c, manifestKey]) original.set(k, await getBytes(k));
    const rel = (k: string): string => k.slice(setDir.length);
    const check = (): { code: number | null; problems: string[]; text: string } => {
      const r = ferry(['backup', 'verify', 'backup.yaml', '--json'], { cwd: dir, env });
      const e = r.events.find((x) => x.type === 'backup.verify') as unknown as { outcome: string; problems: { problem: string }[] };
      return { code: r.code, problems: e.problems.map((p) => p.problem), text: r.out + r.err };
    };

    await putBytes(a, original.get(a)!.subarray(0, original.get(a)!.length - 7));
    let r = check();
    expect(r.code).toBe(1);
    expect(r.problems).toEqual([expect.stringMatching(new RegExp(`^${rel(a)} holds \\d+ bytes, the manifest says \\d+ \\(truncated\\)$`))]);
    await putBytes(a, original.get(a)!);

    const flipped = Buffer.from(original.get(b)!);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = flipped[at]! ^ 0x01;
    await putBytes(b, flipped);
    r = check();
    expect(r.code).toBe(1);
    expect(r.problems.join('\n')).toContain(`${rel(b)} has SHA-256`);
    expect(r.problems.join('\n')).toContain('(its bytes were altered)');
    await putBytes(b, original.get(b)!);

    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: c }));
    r = check();
    expect(r.code).toBe(1);
    expect(r.problems).toEqual([expect.stringMatching(new RegExp(`^${rel(c)} is missing`))]);
    // A restore of the damaged set stops at that file instead of loading a partial table.
    const restore = ferry(['run', 'restore-ddb.yaml', '--state', 'other.db', '--json'], { cwd: dir, env });
    expect(restore.code).toBe(1);
    expect(restore.err).toContain(`${rel(c)} is missing`);
    await putBytes(c, original.get(c)!);

    const edited = original.get(manifestKey)!.toString('utf8').replace('"records": 347', '"records": 348').replace('"count": 347', '"count": 348');
    expect(edited).not.toBe(original.get(manifestKey)!.toString('utf8'));
    await putBytes(manifestKey, Buffer.from(edited));
    r = check();
    expect(r.code).toBe(1);
    expect(r.problems).toEqual([expect.stringContaining('the manifest was edited after it was written')]);
    await putBytes(manifestKey, original.get(manifestKey)!);

    // Put back, the set verifies again; the damaged verifications are recorded in the set.
    expect(check().code).toBe(0);
    const records = (await objectNames(`${setDir}verify/`)).map((n) => n.replace(/^.*-(ok|damaged)\.json$/, '$1'));
    expect(records.filter((x) => x === 'damaged')).toHaveLength(4);
  }, 180_000);

  it('reads a rotating slice: the t slices of --read-subset n/t cover every file once', () => {
    const seen: number[] = [];
    for (let n = 1; n <= 3; n++) {
      const r = ferry(['backup', 'verify', 'backup.yaml', '--read-subset', `${n}/3`, '--no-record', '--json'], { cwd: dir, env });
      expect(r.code, r.out + r.err).toBeLessThanOrEqual(1);
      const e = r.events.find((x) => x.type === 'backup.verify') as unknown as { outcome: string; read: { records: number }; subset: { slice: number; of: number } };
      expect(e.subset).toEqual({ slice: n, of: 3 });
      seen.push(e.read.records);
    }
    expect(seen.reduce((x, y) => x + y, 0)).toBe(total);
    const bad = ferry(['backup', 'verify', 'backup.yaml', '--read-subset', '4/3'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--read-subset: n is 1 to 3, not 4');
  }, 180_000);

  it('prunes by the plan retention: --dry-run first, then deletes all but the newest set', async () => {
    const second = ferry(['run', 'backup.yaml', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(second.code, second.err).toBe(0);
    const before = await objectNames('dr/pg/chinook-nightly/');
    const dry = ferry(['backup', 'prune', 'backup.yaml', '--dry-run', '--json'], { cwd: dir, env });
    expect(dry.code, dry.err).toBe(0);
    const plan = JSON.parse(dry.out) as { dryRun: boolean; decisions: { set: string; keep: boolean; reasons: string[] }[] };
    expect(plan.dryRun).toBe(true);
    expect(plan.decisions.map((d) => [d.keep, d.reasons[0]])).toEqual([
      [true, 'last 1 of 1'],
      [false, 'kept by no rule'],
    ]);
    expect(plan.decisions[1]!.set).toBe(setDir);
    expect(await objectNames('dr/pg/chinook-nightly/')).toEqual(before);

    const real = ferry(['backup', 'prune', 'backup.yaml', '--json'], { cwd: dir, env });
    expect(real.code, real.err).toBe(0);
    expect(await objectNames(setDir)).toEqual([]);
    const left = await objectNames('dr/pg/chinook-nightly/');
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((n) => n.startsWith(plan.decisions[0]!.set))).toBe(true);
  }, 240_000);
});
