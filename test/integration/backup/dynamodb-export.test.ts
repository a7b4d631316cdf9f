/**
 * A DynamoDB table backed up in DynamoDB's own export layout (`backup.format: dynamodb`): the files are read back
 * here by an independent reader — gunzip, JSON lines of `{"Item": …}` in DynamoDB JSON, nothing of ferry's — and equal
 * the table item by item (every attribute type, numbers beyond a double, binary, sets); the export's manifest files
 * count and hash them as AWS's do; and ferry restores the set into another table, verified.
 */
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { CreateTableCommand, PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDb, s3, uniqueName } from '../../support/clients.js';
import { ferry, workDir, writePlan } from '../../support/cli.js';

const N = 1_500;
let dir: string;
let ddb: DynamoDBClient;
let client: S3Client;
let table: string;
let restored: string;
let bucket: string;

/** DynamoDB JSON of an attribute value as the SDK returns it: binary as base64, everything else as is. */
function toJson(av: AttributeValue): unknown {
  if (av.B !== undefined) return { B: Buffer.from(av.B).toString('base64') };
  if (av.BS !== undefined) return { BS: av.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (av.M !== undefined) return { M: Object.fromEntries(Object.entries(av.M).map(([k, v]) => [k, toJson(v)])) };
  if (av.L !== undefined) return { L: av.L.map(toJson) };
  const [k, v] = Object.entries(av).find(([, x]) => x !== undefined)!;
  return { [k]: v };
}

/** Sets are unordered: compare them sorted. */
function normal(j: unknown): unknown {
  if (Array.isArray(j)) return j.map(normal);
  if (j && typeof j === 'object') {
    return Object.fromEntries(
      Object.entries(j as Record<string, unknown>).map(([k, v]) => [k, ['SS', 'NS', 'BS'].includes(k) ? [...(v as string[])].sort() : normal(v)]),
    );
  }
  return j;
}

async function get(key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function scanAll(name: string): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

beforeAll(async () => {
  dir = workDir('ferry-ddb-export-');
  ddb = dynamoDb();
  client = s3();
  table = uniqueName('exp');
  restored = uniqueName('exp-back');
  bucket = uniqueName('ddbexp');
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let i = 0; i < N; i++) {
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `customer#${i % 37}` },
          sk: { N: String(i) },
          amount: { N: `${i}.12345678901234567890123456789` },
          big: { N: '123456789012345678901234567890123456' },
          raw: { B: new Uint8Array([i % 256, 0, 255, 7]) },
          tags: { SS: ['a', `t${i % 5}`] },
          nums: { NS: ['1.5', '2.25', String(i + 10)] },
          blobs: { BS: [new Uint8Array([1, 2]), new Uint8Array([i % 200, 9])] },
          doc: { M: { name: { S: `n ${i} — ñ` }, list: { L: [{ N: '1' }, { BOOL: true }, { NULL: true }] } } },
          ok: { BOOL: i % 2 === 0 },
        },
      }),
    );
  }
  const conn = `endpoint: "\${env:DYNAMODB_ENDPOINT}", region: "\${env:AWS_REGION}"`;
  const s3Block = `{ type: s3, bucket: ${bucket}, endpoint: "\${env:S3_ENDPOINT}", region: "\${env:AWS_REGION}", force_path_style: true, create: true }`;
  writePlan(dir, 'backup', [
    'version: 1',
    'kind: backup',
    'name: orders-native',
    `source: { type: dynamodb, ${conn} }`,
    `target: ${s3Block}`,
    'backup: { format: dynamodb, prefix: exports }',
    `streams: [{ from: ${table} }]`,
    'limits: { batch_size: 400 }',
    'verify: [count, checksum]',
  ]);
  writePlan(dir, 'restore', [
    'version: 1',
    'kind: restore',
    'name: orders-native-restore',
    `source: ${s3Block}`,
    'restore: { plan: orders-native, prefix: exports }',
    `target: { type: dynamodb, ${conn}, create: true }`,
    'streams:',
    `  - from: ${table}`,
    `    to: ${restored}`,
    'verify: [count, checksum]',
  ]);
}, 180_000);

afterAll(() => {
  ddb?.destroy();
  client?.destroy();
});

describe("DynamoDB's export layout", () => {
  it('writes files an independent DynamoDB JSON reader reads back equal to the table, item by item', async () => {
    const r = ferry(['run', 'backup.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect((r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');

    const all = await keys('exports/orders-native/');
    const data = all.filter((k) => /\/AWSDynamoDB\/\d{14}-[0-9a-f]{8}\/data\/[^/]+\.json\.gz$/.test(k));
    expect(data.length).toBeGreaterThanOrEqual(Math.ceil(N / 400));
    const fromFiles = new Map<string, unknown>();
    for (const k of data) {
      for (const line of gunzipSync(await get(k)).toString('utf8').split('\n')) {
        if (line === '') continue;
        const j = JSON.parse(line) as { Item: Record<string, { S?: string; N?: string }> };
        expect(Object.keys(j)).toEqual(['Item']);
        fromFiles.set(`${j.Item.pk!.S}|${j.Item.sk!.N}`, normal(j.Item));
      }
    }
    const items = await scanAll(table);
    expect(fromFiles.size).toBe(N);
    expect(items).toHaveLength(N);
    for (const item of items) {
      const want = normal(Object.fromEntries(Object.entries(item).map(([k, v]) => [k, toJson(v)])));
      expect(fromFiles.get(`${item.pk!.S}|${item.sk!.N}`)).toEqual(want);
    }

    // The export's own manifests, as AWS writes them: one line per data file with its count and MD5, a summary.
    const filesKey = all.find((k) => k.endsWith('/manifest-files.json'))!;
    const lines = (await get(filesKey)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { itemCount: number; md5Checksum: string; dataFileS3Key: string });
    expect(lines.map((l) => l.dataFileS3Key).sort()).toEqual([...data].sort());
    expect(lines.reduce((n, l) => n + l.itemCount, 0)).toBe(N);
    for (const l of lines) expect(l.md5Checksum).toBe(createHash('md5').update(await get(l.dataFileS3Key)).digest('base64'));
    const summary = JSON.parse((await get(all.find((k) => k.endsWith('/manifest-summary.json'))!)).toString('utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ version: '2020-06-30', itemCount: N, outputFormat: 'DYNAMODB_JSON', exportType: 'FULL_EXPORT', s3Bucket: bucket, manifestFilesS3Key: filesKey });
    // ferry's manifest says how the set is encoded; a verify finds nothing foreign in it.
    const m = JSON.parse((await get(all.find((k) => k.endsWith('/manifest.json'))!)).toString('utf8')) as { encoding: string; streams: { count: number }[] };
    expect(m.encoding).toBe('dynamodb-export');
    expect(m.streams[0]!.count).toBe(N);
    const v = ferry(['backup', 'verify', 'backup.yaml', '--json'], { cwd: dir });
    expect(v.code, v.out + v.err).toBe(0);
    expect(v.events.find((e) => e.type === 'backup.verify')).toMatchObject({ outcome: 'ok', notes: [], read: { records: N } });
  }, 240_000);

  it('restores the set into another table, verified, every item equal', async () => {
    const r = ferry(['run', 'restore.yaml', '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect((r.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');
    const key = (i: Record<string, AttributeValue>): string => `${i.pk!.S}|${i.sk!.N}`;
    const back = new Map((await scanAll(restored)).map((i) => [key(i), normal(Object.fromEntries(Object.entries(i).map(([k, v]) => [k, toJson(v)])))]));
    const orig = await scanAll(table);
    expect(back.size).toBe(N);
    for (const i of orig) expect(back.get(key(i))).toEqual(normal(Object.fromEntries(Object.entries(i).map(([k, v]) => [k, toJson(v)]))));
  }, 240_000);
});
