/**
 * `kill -9` in the middle of a backup and in the middle of a restore, then `ferry resume`: the killed backup leaves
 * no manifest (the set reads as incomplete), the resumed one writes the manifest over exactly the committed files
 * (the killed run's uncommitted ones deleted) and equals PostgreSQL; the resumed restore fills the table to exactly
 * the set's records.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDb, s3, serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, ferryAsync, workDir, writePlan, type Run } from '../../support/cli.js';

const ROWS = 40_000;
let dir: string;
let env: Record<string, string>;
let bucket: string;
let table: string;
let client: S3Client;
let ddb: DynamoDBClient;

async function names(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function countItems(name: string): Promise<number> {
  let n = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: name, Select: 'COUNT', ExclusiveStartKey: start }));
    n += page.Count ?? 0;
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return n;
}

/** Runs `args` and kills it with SIGKILL after `after` committed batches; returns the job id. */
async function killAfter(args: string[], after: number): Promise<{ jobId: string; run: Run }> {
  let batches = 0;
  let killed = false;
  const { child, done } = ferryAsync(args, {
    cwd: dir,
    env,
    onLine: (line, proc) => {
      if (line.includes('"type":"batch"')) batches += 1;
      if (batches >= after && !killed) {
        killed = true;
        proc.kill('SIGKILL');
      }
    },
  });
  const run = await done;
  expect(killed, run.err).toBe(true);
  expect(child.signalCode).toBe('SIGKILL');
  return { jobId: (run.events.find((e) => e.type === 'job.start') as unknown as { jobId: string }).jobId, run };
}

beforeAll(async () => {
  dir = workDir('ferry-bk-kill-');
  const db = uniqueName('bkkill').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(serviceEnv('PGURL'));
  u.pathname = `/${db}`;
  env = { BKK_PGURL: u.toString() };
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  await c.query(`CREATE TABLE events (
    id bigint PRIMARY KEY, kind text NOT NULL, amount numeric(30,10), at timestamptz, payload bytea, tags text[], doc jsonb)`);
  await c.query(
    `INSERT INTO events SELECT g, 'kind ' || (g % 13) || ' — é', (g * 1.0000000001)::numeric(30,10),
       timestamptz '2024-02-29 23:59:59.999999+00' + g * interval '1 second', decode(md5(g::text), 'hex'),
       ARRAY['a' || (g % 3)], jsonb_build_object('g', g, 'big', 12345678901234567890)
     FROM generate_series(1, ${ROWS}) g`,
  );
  await c.end();
  bucket = uniqueName('bkkill');
  table = uniqueName('events');
  client = s3();
  ddb = dynamoDb();
  const s3Block = `{ type: s3, bucket: ${bucket}, endpoint: "\${env:S3_ENDPOINT}", region: "\${env:AWS_REGION}", force_path_style: true, create: true }`;
  writePlan(dir, 'backup', [
    'version: 1',
    'kind: backup',
    'name: events-backup',
    'source: { type: postgres, url: "${env:BKK_PGURL}" }',
    `target: ${s3Block}`,
    'streams: [{ from: public.events }]',
    // A rate limit keeps the job running long enough to be killed in the middle.
    'limits: { concurrency: 4, batch_size: 500, items_per_second: 5000 }',
    'verify: [count, checksum]',
  ]);
  writePlan(dir, 'restore', [
    'version: 1',
    'kind: restore',
    'name: events-restore',
    `source: ${s3Block}`,
    'restore: { plan: events-backup }',
    `target: { type: dynamodb, endpoint: "\${env:DYNAMODB_ENDPOINT}", region: "\${env:AWS_REGION}", create: true }`,
    'streams:',
    '  - from: public.events',
    `    to: ${table}`,
    'limits: { concurrency: 4, batch_size: 250, items_per_second: 4000 }',
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(() => {
  client?.destroy();
  ddb?.destroy();
});

describe('kill -9 during a backup and during a restore', () => {
  it('a killed backup leaves no manifest; the resumed one completes the same set, equal to the source', async () => {
    const { jobId } = await killAfter(['run', 'backup.yaml', '--state', 'ferry.db', '--json'], 10);
    const st = JSON.parse(ferry(['status', jobId, '--json', '--state', 'ferry.db'], { cwd: dir }).out) as { status: string; items: number };
    expect(st.status).toBe('stalled');
    expect(st.items).toBeGreaterThan(0);
    expect(st.items).toBeLessThan(ROWS);
    const during = await names('events-backup/');
    expect(during.length).toBeGreaterThan(0);
    expect(during.some((n) => n.endsWith('/manifest.json'))).toBe(false);
    const list = JSON.parse(ferry(['backup', 'list', 'backup.yaml', '--json'], { cwd: dir, env }).out) as { sets: { state: string }[] };
    expect(list.sets.map((s) => s.state)).toEqual(['incomplete']);
    // No set to restore from yet: the restore refuses, naming why.
    const early = ferry(['run', 'restore.yaml', '--state', 'early.db'], { cwd: dir, env });
    expect(early.code).toBe(1);
    expect(early.err).toContain('no complete backup set');
    expect(early.err).toContain('1 without a manifest');

    const r = ferry(['resume', jobId, '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(r.code, r.err).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done') as unknown as { summary: { items: number; run: { items: number } } };
    expect(done.summary.items).toBe(ROWS);
    expect(done.summary.run.items).toBe(ROWS - st.items);
    expect((r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');

    const after = await names('events-backup/');
    const manifestKey = after.find((n) => n.endsWith('/manifest.json'))!;
    const setDir = manifestKey.slice(0, -'manifest.json'.length);
    // One set, the same directory the killed run began.
    expect(during.every((n) => n.startsWith(setDir))).toBe(true);
    const v = ferry(['backup', 'verify', 'backup.yaml', '--json'], { cwd: dir, env });
    expect(v.code, v.out).toBe(0);
    const e = v.events.find((x) => x.type === 'backup.verify') as unknown as { read: { records: number }; notes: string[]; streamsProved: string[] };
    expect(e.read.records).toBe(ROWS);
    expect(e.streamsProved).toEqual(['public.events']);
    expect(e.notes).toEqual([]); // nothing in the set beyond the manifest's files: the killed run's orphans are gone
  }, 240_000);

  it('a killed restore resumes to exactly the set', async () => {
    const { jobId } = await killAfter(['run', 'restore.yaml', '--state', 'ferry.db', '--json'], 12);
    const committed = (JSON.parse(ferry(['status', jobId, '--json', '--state', 'ferry.db'], { cwd: dir }).out) as { items: number }).items;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(ROWS);
    const r = ferry(['resume', jobId, '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(r.code, r.err).toBe(0);
    const done = r.events.find((e) => e.type === 'job.done') as unknown as { summary: { items: number; run: { items: number } } };
    expect(done.summary.items).toBe(ROWS);
    expect(done.summary.run.items).toBe(ROWS - committed);
    expect((r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');
    expect(await countItems(table)).toBe(ROWS);
  }, 240_000);
});
