/**
 * Verification whose reads are bounded by the differences, through the real binary on the real servers.
 *
 * PostgreSQL → DynamoDB: PostgreSQL digests its rows itself in pass 1 (no row crosses the wire), DynamoDB is scanned
 * once; after a missing, an extra and a changed item, pass 2 reads only the differing buckets: PostgreSQL selects
 * their rows, DynamoDB is asked for exactly those keys, and the extra key is named from pass 1's per-bucket key sums.
 * The report says how each side was read and how many records it took.
 *
 * DynamoDB → Firestore: the Firestore target is read by key (getAll) to name the differences.
 */
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferry, workDir, writePlan } from '../../support/cli.js';
import { createDatabase, type TestDatabase } from '../postgres/helpers.js';
import { dynamoDb, firestore, uniqueName } from '../../support/clients.js';

const ROWS = 20_000;

interface SideRead {
  method: string;
  records: number;
}
interface Result {
  verifier: string;
  outcome: string;
  source: { count: number };
  missing: { total: number; keys: string[] };
  extra: { total: number; keys: string[] };
  changed: { total: number; keys: string[] };
  changedFields?: { key: string; fields: { path: string; source: string; target: string }[] }[];
  notes: string[];
  located?: { source: SideRead; target: SideRead };
}

let dir: string;
let db: TestDatabase;
let table: string;
let collection: string;
let ddb: DynamoDBClient;
let fs: Firestore;
let pgPlan: string;
let fsPlan: string;

beforeAll(async () => {
  dir = workDir('ferry-bounded-');
  db = await createDatabase('bounded');
  const c = db.client;
  await c.query(`CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric(12, 2), paid bool, ref uuid, units int8, note varchar(30))`);
  await c.query(`INSERT INTO orders SELECT i, 'Customer ' || (i % 977) || CASE WHEN i % 5 = 0 THEN ' — Zoë 🚢' ELSE '' END,
    (i * 1.1)::numeric(12, 2), i % 2 = 0, md5(i::text)::uuid, i::int8 * 1000000007, CASE WHEN i % 3 = 0 THEN NULL ELSE 'n' || i END
    FROM generate_series(1, ${ROWS}) i`);
  process.env.BOUNDED_PGURL = db.url;
  table = uniqueName('orders');
  collection = uniqueName('orders');
  ddb = dynamoDb();
  fs = firestore();
  pgPlan = writePlan(dir, 'orders', [
    'version: 1',
    'kind: migration',
    'name: orders-to-dynamodb',
    'source: { type: postgres, url: "${env:BOUNDED_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    `streams: [{ from: public.orders, to: ${table} }]`,
    'verify: [count, checksum]',
  ]);
  fsPlan = writePlan(dir, 'orders-fs', [
    'version: 1',
    'kind: migration',
    'name: orders-to-firestore',
    'source: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}" }',
    'target: { type: firestore }',
    `streams: [{ from: ${table}, to: ${collection} }]`,
    'verify: [checksum]',
  ]);
}, 120_000);

afterAll(async () => {
  ddb?.destroy();
  await db?.drop();
});

const checksumOf = (events: { type: string; report?: unknown }[]): Result => {
  const report = events.find((e) => e.type === 'verify.done')!.report as { results: Result[] };
  return report.results.find((r) => r.verifier === 'checksum')!;
};

describe('verification with reads bounded by the differences', () => {
  it('PostgreSQL digests its own rows in pass 1 and a faithful copy matches', () => {
    const r = ferry(['run', pgPlan, '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    const c = checksumOf(r.events);
    expect(c.outcome).toBe('match');
    expect(c.source.count).toBe(ROWS);
    expect(c.notes).toContain(`the source store digested its ${ROWS} record(s) itself: none was read by ferry in pass 1`);
    expect(c.located).toBeUndefined(); // nothing to locate
  }, 180_000);

  it('names a missing, an extra and a changed item reading a few records on each side', async () => {
    const key = (id: number) => ({ id: { N: String(id) } });
    await ddb.send(new DeleteItemCommand({ TableName: table, Key: key(17) }));
    await ddb.send(new PutItemCommand({ TableName: table, Item: { id: { N: '50001' }, customer: { S: 'nobody' } } }));
    await ddb.send(
      new UpdateItemCommand({ TableName: table, Key: key(4242), UpdateExpression: 'SET #t = :v', ExpressionAttributeNames: { '#t': 'total' }, ExpressionAttributeValues: { ':v': { N: '1.5' } } }),
    );
    const r = ferry(['verify', pgPlan, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const c = checksumOf(r.events);
    expect(c.missing).toEqual({ total: 1, keys: ['id=17'] });
    expect(c.extra).toEqual({ total: 1, keys: ['id=50001'] });
    expect(c.changed).toEqual({ total: 1, keys: ['id=4242'] });
    expect(c.changedFields).toEqual([{ key: 'id=4242', fields: [{ path: 'total', source: '4666.2', target: '1.5' }] }]);
    expect(c.notes).toContain('ferry read the 3 differing bucket(s) of the source itself and found the store\'s sums right');
    // 65,536 buckets, 20,000 rows: the differing buckets hold a record or two each.
    expect(c.located!.source.method).toBe('store-selected buckets');
    expect(c.located!.source.records).toBeLessThan(10);
    // DynamoDB: the source's keys of those buckets fetched by key; the extra key named from pass 1's key sums.
    expect(c.located!.target.method).toBe('point reads');
    expect(c.located!.target.records).toBeLessThan(10);
    expect(c.notes).toContain("1 extra key(s) named from the first read's per-bucket key sums, without reading the target again");
  }, 180_000);

  it('a Firestore target is read by key to name the differences', async () => {
    // Put the DynamoDB table right again, copy it to Firestore, then change one document.
    ferry(['run', pgPlan, '--new', '--json'], { cwd: dir });
    await ddb.send(new DeleteItemCommand({ TableName: table, Key: { id: { N: '50001' } } }));
    const run = ferry(['run', fsPlan, '--json'], { cwd: dir });
    expect(run.code, run.err).toBe(0);
    expect(checksumOf(run.events).outcome).toBe('match');
    const docs = await fs.collection(collection).where('id', '==', 321).get();
    expect(docs.size).toBe(1);
    await docs.docs[0]!.ref.update({ paid: true });
    const r = ferry(['verify', fsPlan, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const c = checksumOf(r.events);
    expect(c.changed.total).toBe(1);
    expect(c.changedFields?.[0]?.fields).toEqual([{ path: 'paid', source: 'false', target: 'true' }]);
    expect(c.located).toEqual({ source: { method: 'full read', records: ROWS }, target: { method: 'point reads', records: expect.any(Number) } });
    expect(c.located!.target.records).toBeLessThan(10);
  }, 240_000);
});
