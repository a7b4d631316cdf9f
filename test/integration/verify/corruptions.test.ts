/**
 * Proof that the verifier catches what it must. Tricky values go from PostgreSQL to DynamoDB and verify with zero
 * differences (a faithful migration shows none); then the target is corrupted in every way that matters — a missing
 * item, an extra item, a changed field, a number that became a string, lost precision, a shifted time, NFC text
 * turned NFD — and `ferry verify` names each key and exits 1. (Objects: a truncated object and a same-size change
 * are in objects/s3-to-gcs.test.ts and below.)
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferry, workDir, writePlan } from '../../support/cli.js';
import { dynamoDb, serviceEnv, uniqueName } from '../../support/clients.js';

let dir: string;
let plan: string;
let table: string;
let ddb: DynamoDBClient;
let jobId: string;

interface Result {
  stream: string;
  verifier: string;
  outcome: string;
  missing: { total: number; keys: string[] };
  extra: { total: number; keys: string[] };
  changed: { total: number; keys: string[] };
}

beforeAll(async () => {
  dir = workDir('ferry-corrupt-');
  const db = uniqueName('corrupt').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(serviceEnv('PGURL'));
  u.pathname = `/${db}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  await c.query(`SET TIME ZONE 'Europe/Paris'`);
  await c.query(`CREATE TABLE tricky (
    id int PRIMARY KEY, amount numeric(40,12), ratio double precision, big bigint, at timestamptz, day date,
    label text, raw bytea, doc jsonb, tags text[])`);
  const rows: string[] = [];
  for (let id = 1; id <= 40; id++) {
    rows.push(`(${id}, ${id % 2 ? '12345678901234567890.123456789012' : '-0.000000000001'}, ${['0.1', '1e125', '-0', '2.5e-130', '3.141592653589793'][id % 5]},
      ${id % 3 ? '9223372036854775807' : '-9223372036854775808'},
      '2024-03-31 0${id % 10}:30:00.${String(100000 + id * 7).slice(0, 6)}+02', '2024-02-29',
      '${['café', 'Zoë Ångström', '東京 🚢', 'مرحبا', 'a\\b"c'][id % 5]} #${id}', '\\x00ff10${String(id).padStart(2, '0')}'::bytea,
      '{"n": 12345678901234567890, "f": 1.5, "nested": {"é": [1, "two", null]}}', ARRAY['x', 'ü'])`);
  }
  await c.query(`INSERT INTO tricky VALUES ${rows.join(',')}`);
  await c.end();
  table = uniqueName('tricky');
  ddb = dynamoDb();
  process.env.CORRUPT_PGURL = u.toString();
  plan = writePlan(dir, 'tricky', [
    'version: 1',
    'kind: migration',
    'name: tricky-values',
    'source: { type: postgres, url: "${env:CORRUPT_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    `streams: [{ from: public.tricky, to: ${table} }]`,
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(() => ddb?.destroy());

const key = (id: number) => ({ id: { N: String(id) } });

describe('verification catches every corruption', () => {
  it('a faithful migration of tricky values shows zero differences', () => {
    const r = ferry(['run', plan, '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    jobId = r.events.find((e) => e.type === 'job.done')!.summary.jobId;
    const report = r.events.find((e) => e.type === 'verify.done')!.report as { outcome: string; results: Result[] };
    expect(report.outcome).toBe('match');
    for (const res of report.results) expect([res.verifier, res.outcome, res.missing.total, res.extra.total, res.changed.total]).toEqual([res.verifier, 'match', 0, 0, 0]);
  }, 120_000);

  it('names a missing item, an extra item, a changed field, a number turned string, lost precision, a shifted time and NFD text', async () => {
    const get = async (id: number) => (await ddb.send(new GetItemCommand({ TableName: table, Key: key(id) }))).Item!;
    await ddb.send(new DeleteItemCommand({ TableName: table, Key: key(1) }));
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...(await get(2)), id: { N: '999' } } }));
    const set = (id: number, attr: string, value: Record<string, unknown>) =>
      ddb.send(new UpdateItemCommand({ TableName: table, Key: key(id), UpdateExpression: 'SET #a = :v', ExpressionAttributeNames: { '#a': attr }, ExpressionAttributeValues: { ':v': value as never } }));
    await set(2, 'label', { S: 'Zoë Ångström #2 (edited)' });
    const amount3 = (await get(3))['amount']!.N!;
    await set(3, 'amount', { S: amount3 }); // the same digits, as a string
    await set(5, 'amount', { N: '12345678901234567890.12345679' }); // rounded
    const at7 = (await get(7))['at']!.S!;
    const shifted = new Date(Date.parse(at7) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, at7.slice(19));
    expect(shifted).not.toBe(at7);
    await set(7, 'at', { S: shifted }); // an hour off: a local time taken as UTC
    const label10 = (await get(10))['label']!.S!; // 'café #10'
    expect(label10.normalize('NFD')).not.toBe(label10);
    await set(10, 'label', { S: label10.normalize('NFD') }); // looks the same, other code points

    const r = ferry(['verify', jobId, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const report = r.events.find((e) => e.type === 'verify.done')!.report as { outcome: string; results: Result[] };
    expect(report.outcome).toBe('differ');
    const checksum = report.results.find((x) => x.verifier === 'checksum')!;
    expect(checksum.missing.keys).toEqual(['id=1']);
    expect(checksum.extra.keys).toEqual(['id=999']);
    expect(checksum.changed.keys).toEqual(['id=2', 'id=3', 'id=5', 'id=7', 'id=10']);
    const count = report.results.find((x) => x.verifier === 'count')!;
    expect(count.outcome).toBe('match'); // one missing, one extra: the count alone cannot see it
  }, 120_000);
});
