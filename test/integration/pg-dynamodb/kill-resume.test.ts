/**
 * `kill -9` in the middle of a Postgres → DynamoDB job, then `ferry resume`: the table ends equal to the source
 * (count and checksum), and what was written but not yet checkpointed when the process died — the only items a
 * resume writes twice — is at most the batches that were in flight.
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDb, serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, ferryAsync, workDir, writePlan } from '../../support/cli.js';

const ROWS = 30_000;
const CONCURRENCY = 4;
const BATCH = 250;
let dir: string;
let plan: string;
let table: string;
let ddb: DynamoDBClient;
let dbUrl: string;

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

beforeAll(async () => {
  dir = workDir('ferry-kill-');
  const db = uniqueName('killres').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(serviceEnv('PGURL'));
  u.pathname = `/${db}`;
  dbUrl = u.toString();
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  await c.query(`CREATE TABLE orders (
    order_id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), placed_at timestamptz,
    shipped boolean, tags text[], meta jsonb)`);
  await c.query(
    `INSERT INTO orders SELECT g, 'customer ' || (g % 977) || ' — ñ', round((g * 1.37)::numeric, 2),
       timestamptz '2024-01-01 00:00:00.123456+00' + g * interval '1 minute', g % 3 = 0,
       ARRAY['t' || (g % 5), 'x'], jsonb_build_object('n', g, 'even', g % 2 = 0)
     FROM generate_series(1, ${ROWS}) g`,
  );
  await c.end();
  table = uniqueName('orders');
  ddb = dynamoDb();
  plan = writePlan(dir, 'orders', [
    'version: 1',
    'kind: migration',
    'name: orders-kill-resume',
    'source: { type: postgres, url: "${env:KILL_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    'streams:',
    `  - from: public.orders`,
    `    to: ${table}`,
    // A rate limit keeps the job running long enough to be killed in the middle.
    `limits: { concurrency: ${CONCURRENCY}, batch_size: ${BATCH}, items_per_second: 4000 }`,
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(() => ddb?.destroy());

describe('kill -9 and resume', () => {
  it('resumes to exactly the source, re-writing at most the in-flight batches', async () => {
    const env = { KILL_PGURL: dbUrl };
    let batches = 0;
    let killed = false;
    const { child, done } = ferryAsync(['run', plan, '--state', 'ferry.db', '--json'], {
      cwd: dir,
      env,
      onLine: (line, proc) => {
        if (line.includes('"type":"batch"')) batches += 1;
        if (batches >= 12 && !killed) {
          killed = true;
          proc.kill('SIGKILL');
        }
      },
    });
    const first = await done;
    expect(killed).toBe(true);
    expect(first.code).toBe(null); // killed, no exit code
    expect(child.signalCode).toBe('SIGKILL');
    const jobId = (first.events.find((e) => e.type === 'job.start') as unknown as { jobId: string }).jobId;

    // The dead runner's job: stalled, resumable, with progress checkpointed.
    const st = ferry(['status', jobId, '--json', '--state', 'ferry.db'], { cwd: dir });
    expect(st.code).toBe(0);
    const view = JSON.parse(st.out) as { status: string; items: number; next: string };
    expect(view.status).toBe('stalled');
    expect(view.next).toBe(`ferry resume ${jobId}`);
    const committed = view.items;
    const durable = await countItems(table);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(ROWS);
    // Everything checkpointed is in the table; beyond it, only what was in flight (one batch per segment).
    expect(durable).toBeGreaterThanOrEqual(committed);
    expect(durable - committed).toBeLessThanOrEqual(CONCURRENCY * BATCH);

    // Resume: the rest is read from the cursors, the table ends equal to the source.
    const r = ferry(['resume', jobId, '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(r.code).toBe(0);
    const summary = (r.events.find((e) => e.type === 'job.done') as unknown as { summary: { status: string; items: number; run: { items: number } } }).summary;
    expect(summary.status).toBe('succeeded');
    expect(summary.items).toBe(ROWS);
    expect(summary.run.items).toBe(ROWS - committed);
    const verify = (r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report;
    expect(verify.outcome).toBe('match');
    expect(await countItems(table)).toBe(ROWS);
  }, 180_000);
});
