/**
 * `ferry plan dry-run` through the real binary, DynamoDB → Firestore (dynalite and the Firestore emulator): an exact
 * count by a COUNT scan of a small table, Firestore's target collection read but never written, scan read units,
 * Firestore writes and the egress out of AWS priced, sequential ids warned about; `write: insert` into a collection
 * that holds documents is a blocker (exit 1).
 */
import { CreateTableCommand, DeleteTableCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DryRunReport } from '../../../src/dry-run/report.js';
import { dynamoDb, firestore, serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

let dir: string;
let ddb: DynamoDBClient;
let fs: Firestore;
const table = uniqueName('dry_fs');
const collection = uniqueName('dry-col');

function plan(name: string, extra: string[] = []): string {
  return writePlan(dir, name, [
    'version: 1',
    'kind: migration',
    `name: ${name}`,
    `source: { type: dynamodb, region: ${serviceEnv('AWS_REGION')}, endpoint: "${serviceEnv('DYNAMODB_ENDPOINT')}" }`,
    `target: { type: firestore, project: ${serviceEnv('FIRESTORE_PROJECT_ID')}, emulator_host: "${serviceEnv('FIRESTORE_EMULATOR_HOST')}" }`,
    'streams:',
    `  - from: ${table}`,
    `    to: ${collection}`,
    '    id: "${id}"',
    ...extra,
    'limits: { concurrency: 2, writes_per_second: 50 }',
  ]);
}

beforeAll(async () => {
  dir = workDir('ferry-dry-fs-');
  ddb = dynamoDb();
  fs = firestore();
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let i = 1; i <= 60; i++) {
    await ddb.send(new PutItemCommand({ TableName: table, Item: { id: { N: String(i) }, name: { S: `item ${i}` }, tags: { SS: ['a', 'b'] } } }));
  }
}, 120_000);

afterAll(async () => {
  await ddb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  ddb?.destroy();
  const docs = await fs.collection(collection).listDocuments().catch(() => []);
  await Promise.all(docs.map((d) => d.delete()));
  await fs?.terminate();
});

describe('ferry plan dry-run: DynamoDB → Firestore', () => {
  it('counts exactly, prices reads, writes and egress, warns about sequential ids, and writes no document (exit 0)', async () => {
    const r = ferry(['plan', 'dry-run', plan('dry-ddb-fs'), '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.err).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as DryRunReport;
    const s = rep.streams[0]!;
    expect(s.count).toMatchObject({ value: 60, exact: true, method: expect.stringContaining('Scan Select COUNT') });
    expect(s.segments.map((x) => x.describe)).toEqual(['parallel scan segment 1 of 2', 'parallel scan segment 2 of 2']);
    expect(s.samples).toHaveLength(5);
    expect(s.samples[0]!.before).toMatchObject({ name: expect.stringMatching(/^item \d+$/), tags: { $set: 'string', values: ['a', 'b'] } });
    expect(s.targetState).toMatchObject({ exists: false, empty: true, created: true });
    const cost = (what: RegExp) => s.estimate.cost.find((c) => what.test(c.what));
    expect(cost(/Firestore document writes/)).toMatchObject({ quantity: 60, unitPrice: 0.09, per: 100_000 });
    expect(cost(/DynamoDB scan of the source/)).toMatchObject({ unit: 'RRU', unitPrice: 0.125 });
    expect(cost(/data transfer out of AWS to Google Cloud/)).toBeDefined();
    expect(s.estimate.limitedBy).toBe('target units: plan limit writes_per_second 50/s');
    expect(rep.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['warning:target-created', 'warning:sequential-ids']);
    const docs = await fs.collection(collection).limit(1).get();
    expect(docs.empty).toBe(true);
  }, 120_000);

  it('write: insert into a collection that holds documents is a blocker (exit 1); the document stays', async () => {
    await fs.collection(collection).doc('existing').set({ keep: true });
    const r = ferry(['plan', 'dry-run', plan('dry-ddb-fs-insert', ['    write: insert']), '--state', 'ferry.db', '--json', '--sample', '2'], { cwd: dir });
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out) as DryRunReport;
    expect(rep.streams[0]!.targetState).toMatchObject({ exists: true, empty: false, items: 1 });
    expect(rep.findings.find((f) => f.severity === 'blocker')).toMatchObject({ code: 'target-not-empty', fix: expect.stringContaining('write: upsert') });
    const all = await fs.collection(collection).get();
    expect(all.docs.map((d) => [d.id, d.data()])).toEqual([['existing', { keep: true }]]);
  }, 60_000);
});
