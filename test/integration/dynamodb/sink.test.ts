import { createServer } from 'node:net';
import { DescribeTableCommand, GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, type FerryRecord } from '../../../src/core/record.js';
import { BatchWriter } from '../../../src/engine/batch-writer.js';
import { RateLimiter } from '../../../src/engine/rate-limiter.js';
import { FerryError } from '../../../src/errors.js';
import { dynamoDb } from '../../support/clients.js';
import { dropUnprocessed, failAttempts, record, recordBatches, sdkError, signal, sink, tableName, Tables, targetStream } from './helpers.js';

const tables = new Tables();
const client = dynamoDb();
afterAll(async () => {
  await tables.drop();
  client.destroy();
});

async function scanAll(table: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page: ScanCommandOutput = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** A prepared target: a fresh table created by the sink. */
async function prepared(opts: Parameters<typeof targetStream>[1] = {}, sinkOptions: Record<string, unknown> = {}) {
  const name = tables.add(tableName());
  const s = sink({ create: true, ...sinkOptions });
  const stream = targetStream(name, opts);
  await s.prepare(stream, 'upsert', signal);
  return { s, stream, name };
}

function writer(s: ReturnType<typeof sink>, throttles: string[] = []): BatchWriter {
  return new BatchWriter({
    sink: s,
    limiter: new RateLimiter({ limits: {}, onChange: (c) => throttles.push(c.reason), cooldownMs: 0 }),
    maxRetries: 20,
    backoff: { baseMs: 1, capMs: 5, random: () => 1 },
  });
}

const ctx = { segmentId: 's#0/1', stream: 'public.items', target: 'items' };

describe('DynamoDB sink: tables', () => {
  it('creates a missing table with the derived key (create: true) and waits until it is ACTIVE', async () => {
    const { name } = await prepared({
      keyColumns: ['tenant', 'seq'],
      columns: [{ name: 'tenant', type: 'uuid' }, { name: 'seq', type: 'bigint' }],
    });
    const t = (await client.send(new DescribeTableCommand({ TableName: name }))).Table!;
    expect(t.TableStatus).toBe('ACTIVE');
    expect(t.KeySchema).toEqual([{ AttributeName: 'tenant', KeyType: 'HASH' }, { AttributeName: 'seq', KeyType: 'RANGE' }]);
    expect(t.AttributeDefinitions).toEqual(expect.arrayContaining([{ AttributeName: 'tenant', AttributeType: 'S' }, { AttributeName: 'seq', AttributeType: 'N' }]));
    expect(t.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
  });

  it('creates provisioned tables with the plan\'s capacity, and a composite key as `pk` (S)', async () => {
    const { name } = await prepared(
      { keyColumns: ['a', 'b', 'c'], columns: [{ name: 'a', type: 'integer' }, { name: 'b', type: 'text' }, { name: 'c', type: 'date' }] },
      { billing: 'provisioned', capacity: { read: 7, write: 9 } },
    );
    const t = (await client.send(new DescribeTableCommand({ TableName: name }))).Table!;
    expect(t.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(t.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 7, WriteCapacityUnits: 9 });
  });

  it('an existing table keyed differently is a CONFIG error naming both keys', async () => {
    const { name } = await prepared();
    const other = targetStream(name, { options: { key: { partition: 'pk', sort: 'sk' } } });
    const e = await sink({ create: true }).prepare(other, 'upsert', signal).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FerryError);
    expect(e).toMatchObject({ code: 'CONFIG', retry: 'terminal', message: `DynamoDB table ${name} is keyed id (N), but the stream's \`key:\` keys it pk (S) + sk (S)` });
  });

  it('a missing table without create is NOT_FOUND with a hint', async () => {
    const e = await sink().prepare(targetStream(tableName('missing')), 'upsert', signal).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'NOT_FOUND', retry: 'terminal', hint: 'create it or set `create: true` in the target block' });
  });

  it('write: replace deletes and re-creates the table (create: true), empty', async () => {
    const { s, stream, name } = await prepared();
    await s.write(stream, [s.toTarget(stream, record(1))], signal);
    expect(await scanAll(name)).toHaveLength(1);
    await s.prepare(stream, 'replace', signal);
    expect(await scanAll(name)).toHaveLength(0);
    const t = (await client.send(new DescribeTableCommand({ TableName: name }))).Table!;
    expect(t.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
  });

  it('an unreachable endpoint is UNREACHABLE (transient), naming the endpoint', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const e = await sink({ endpoint }).prepare(targetStream('x'), 'upsert', signal).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNREACHABLE', retry: 'transient' });
    expect((e as FerryError).message).toContain(endpoint);
    expect((e as FerryError).hint).toContain(endpoint);
  });

  it('refused credentials are AUTH with a hint about the credential chain', async () => {
    // dynalite accepts any key; a request without a well-formed signature is what it refuses.
    const s = sink();
    s.client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers: Record<string, string> };
        req.headers['authorization'] = 'garbage';
        return next(args);
      },
      { step: 'finalizeRequest', name: 'breakSignature', priority: 'low' },
    );
    const e = await s.prepare(targetStream('x'), 'upsert', signal).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'AUTH', retry: 'terminal', hint: expect.stringContaining('AWS default credential chain') });
  });
});

describe('DynamoDB sink: writes', () => {
  it('the engine splits by the sink\'s limits: at most 25 items and 16 MiB per BatchWriteItem; > 400 KB is a dead letter', async () => {
    const { s, stream, name } = await prepared();
    const calls = recordBatches(s.client);
    const blob = 'x'.repeat(300 * 1024);
    const items = Array.from({ length: 60 }, (_, i) => s.toTarget(stream, record(i, { blob: i < 30 ? blob : 'small' })));
    const huge = s.toTarget(stream, record(1000, { blob: 'y'.repeat(400 * 1024) }));
    expect(s.sizeOf(huge)).toBeGreaterThan(400 * 1024);
    const out = await writer(s).write(stream, [...items, huge], ctx, signal);
    expect(out.accepted).toBe(60);
    expect(out.deadLetters).toHaveLength(1);
    expect(out.deadLetters[0]!.reason).toMatch(/item is \d+ bytes, over the target's limit of 409600 bytes per item/);
    expect(calls.every((c) => c.items <= 25)).toBe(true);
    expect(calls.reduce((n, c) => n + c.items, 0)).toBe(60);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(await scanAll(name)).toHaveLength(60);
  });

  it('duplicate keys within one batch: one request, the last item wins', async () => {
    const { s, stream, name } = await prepared();
    const items = [record(1, { v: 'first' }), record(2), record(1, { v: 'second' }), record(1, { v: 'last' })].map((r) => s.toTarget(stream, r));
    const res = await s.write(stream, items, signal);
    expect(res).toEqual({ accepted: 4, retry: [], rejected: [] });
    const got = await client.send(new GetItemCommand({ TableName: name, Key: { id: { N: '1' } } }));
    expect(got.Item?.['v']).toEqual({ S: 'last' });
    expect(await scanAll(name)).toHaveLength(2);
  });

  it('UnprocessedItems come back to retry and are re-sent by the engine until every item is in the table', async () => {
    const { s, stream, name } = await prepared();
    // Hold back every third item the first two times it is sent.
    const stats = dropUnprocessed(s.client, (req, n) => Number(req.PutRequest!.Item!['id']!.N) % 3 === 0 && n <= 2);
    const throttles: string[] = [];
    const items = Array.from({ length: 100 }, (_, i) => s.toTarget(stream, record(i)));
    const out = await writer(s, throttles).write(stream, items, ctx, signal);
    expect(out).toMatchObject({ accepted: 100, deadLetters: [] });
    expect(stats.dropped).toBe(2 * 34);
    expect(throttles.length).toBeGreaterThan(0); // UnprocessedItems slow the writer down
    const ids = (await scanAll(name)).map((i) => Number((i['id'] as { N: string }).N)).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('a poisoned batch: the bad item is rejected with DynamoDB\'s message, the rest are written', async () => {
    const { s, stream, name } = await prepared();
    const good = Array.from({ length: 5 }, (_, i) => s.toTarget(stream, record(i)));
    // A key of the wrong type: the table keys id as N. (toTarget would refuse it; a hand-made item reaches DynamoDB.)
    const bad: FerryRecord = { key: { id: 'x' }, value: { id: 'not-a-number', v: 'bad' } };
    const res = await s.write(stream, [...good.slice(0, 2), bad, ...good.slice(2)], signal);
    expect(res.accepted).toBe(5);
    expect(res.retry).toEqual([]);
    expect(res.rejected).toHaveLength(1);
    expect(res.rejected[0]!.item).toBe(bad);
    expect(res.rejected[0]!.reason).toMatch(/^DynamoDB refused the item: .*(key|Type mismatch)/);
    expect(await scanAll(name)).toHaveLength(5);
  });

  it('write: insert refuses keys that exist, as dead letters', async () => {
    const { s, stream, name } = await prepared();
    await s.write(stream, [s.toTarget(stream, record(1, { v: 'old' }))], signal);
    await s.prepare(stream, 'insert', signal);
    const res = await s.write(stream, [record(1, { v: 'new' }), record(2)].map((r) => s.toTarget(stream, r)), signal);
    expect(res.accepted).toBe(1);
    expect(res.rejected.map((r) => r.reason)).toEqual([`an item with this key already exists in ${name} (write: insert)`]);
    const got = await client.send(new GetItemCommand({ TableName: name, Key: { id: { N: '1' } } }));
    expect(got.Item?.['v']).toEqual({ S: 'old' });
  });

  it('throttling reaches the engine at once as THROTTLED (no SDK retry), and the engine backs off until it passes', async () => {
    const { s, stream, name } = await prepared();
    const throttle = failAttempts(s.client, 'BatchWriteItemCommand', 3, () => sdkError('ProvisionedThroughputExceededException', 400));
    const items = [record(1), record(2)].map((r) => s.toTarget(stream, r));
    const e = await s.write(stream, items, signal).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'THROTTLED', retry: 'throttled' });
    expect(throttle.attempts).toBe(1); // the SDK did not retry it
    const throttles: string[] = [];
    const out = await writer(s, throttles).write(stream, items, ctx, signal);
    expect(out.accepted).toBe(2);
    expect(throttle.attempts).toBe(4);
    expect(throttles.length).toBeGreaterThan(0);
    expect(await scanAll(name)).toHaveLength(2);
  });

  it('a transient server error is retried once by the SDK, then reaches the engine as TRANSIENT', async () => {
    const { s, stream } = await prepared();
    const fail = failAttempts(s.client, 'BatchWriteItemCommand', 5, () => sdkError('InternalServerError', 500, 'server'));
    const e = await s.write(stream, [s.toTarget(stream, record(1))], signal).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TRANSIENT', retry: 'transient' });
    expect(fail.attempts).toBe(2);
  });

  it('sizeOf is DynamoDB\'s item size: a 1024-byte item costs 1 WCU, 1025 bytes 2', async () => {
    const { s, stream, name } = await prepared();
    for (const [size, wcu] of [[1024, 1], [1025, 2]] as const) {
      // id (2) + N "7" (2) + name "p" (1) + value
      const item = s.toTarget(stream, record(7, { p: 'z'.repeat(size - 5) }));
      expect(s.sizeOf(item)).toBe(size);
      expect(s.cost([item])).toEqual({ wcu });
      const out = await client.send(
        new PutItemCommand({ TableName: name, Item: { id: { N: '7' }, p: { S: 'z'.repeat(size - 5) } }, ReturnConsumedCapacity: 'TOTAL' }),
      );
      expect(out.ConsumedCapacity?.CapacityUnits).toBe(wcu);
    }
    expect((s.toTarget(stream, record(7)).value as Record<string, unknown>)['id']).toEqual(new Decimal('7'));
  });
});
