/**
 * The sink's write logic against a stub client (no server): de-duplication, UnprocessedItems, isolation of a
 * poisoned batch, throttling, insert mode. The same paths run against dynalite in test/integration/dynamodb.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { Decimal, type Doc, type FerryRecord } from '../../../src/core/record.js';
import type { StreamRef } from '../../../src/core/stream.js';
import { DynamoDbSink } from '../../../src/connectors/dynamodb/sink.js';
import { parseOptions } from '../../../src/connectors/dynamodb/options.js';
import { FerryError } from '../../../src/errors.js';

interface Call {
  command: string;
  input: Record<string, unknown>;
}

type Handler = (c: Call) => unknown;

function sinkWith(handler: Handler, options: Record<string, unknown> = {}): { sink: DynamoDbSink; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
      const c = { command: cmd.constructor.name.replace(/Command$/, ''), input: cmd.input };
      calls.push(c);
      return handler(c);
    },
    destroy() {},
  } as unknown as DynamoDBClient;
  return { sink: new DynamoDbSink(parseOptions(options), undefined, client), calls };
}

const stream: StreamRef = {
  name: 'T',
  meta: { source: 'public.t', sourceMeta: { keyColumns: ['id'], keyTypes: ['integer'], columns: [{ name: 'id', type: 'integer' }] }, options: {} },
};
const signal = new AbortController().signal;

function rec(id: number, v = `v${id}`): FerryRecord {
  return { key: { id }, value: { id: new Decimal(String(id)), v } as Doc };
}

const putsOf = (c: Call) => ((c.input['RequestItems'] as Record<string, { PutRequest: { Item: Record<string, { S?: string; N?: string }> } }[]>)['T'] ?? []).map((p) => p.PutRequest.Item);

const sdkError = (name: string, message = `${name} said no`) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe('DynamoDbSink.write', () => {
  it('declares DynamoDB\'s limits and costs 1 WCU per started KB', () => {
    const { sink } = sinkWith(() => ({}));
    expect(sink.limits).toEqual({ maxItemsPerWrite: 25, maxBytesPerWrite: 16 * 1024 * 1024, maxItemBytes: 400 * 1024, maxConcurrentWrites: 8 });
    const small = rec(1);
    const big: FerryRecord = { key: { id: 2 }, value: { id: new Decimal('2'), blob: new Uint8Array(2000) } };
    expect(sink.sizeOf(small)).toBe(2 + 2 + 1 + 2);
    expect(sink.cost([small, big])).toEqual({ wcu: 1 + 2 });
  });

  it('collapses duplicate keys within one call: the last wins, the earlier count as accepted', async () => {
    const { sink, calls } = sinkWith(() => ({ UnprocessedItems: {} }));
    const res = await sink.write(stream, [rec(1, 'first'), rec(2), rec(1, 'second'), rec(3), rec(1, 'last')], signal);
    expect(res).toEqual({ accepted: 5, retry: [], rejected: [] });
    expect(calls).toHaveLength(1);
    const puts = putsOf(calls[0]!);
    expect(puts.map((p) => p['id']!.N)).toEqual(['2', '3', '1']);
    expect(puts.find((p) => p['id']!.N === '1')!['v']).toEqual({ S: 'last' });
  });

  it('hands every UnprocessedItems entry back in retry, as the original records', async () => {
    const items = [rec(1), rec(2), rec(3), rec(4)];
    const { sink } = sinkWith((c) => ({ UnprocessedItems: { T: putsOf(c).filter((i) => i['id']!.N === '2' || i['id']!.N === '4').map((Item) => ({ PutRequest: { Item } })) } }));
    const res = await sink.write(stream, items, signal);
    expect(res.accepted).toBe(2);
    expect(res.retry).toEqual([items[1], items[3]]);
    expect(res.rejected).toEqual([]);
  });

  it('isolates a poisoned batch: PutItem one by one, the refused item rejected with DynamoDB\'s message', async () => {
    const { sink, calls } = sinkWith((c) => {
      if (c.command === 'BatchWriteItem') throw sdkError('ValidationException', 'Item size has exceeded the maximum allowed size');
      const item = c.input['Item'] as Record<string, { N?: string }>;
      if (item['id']!.N === '2') throw sdkError('ValidationException', 'Item size has exceeded the maximum allowed size');
      return {};
    });
    const items = [rec(1), rec(2), rec(3)];
    const res = await sink.write(stream, items, signal);
    expect(res.accepted).toBe(2);
    expect(res.retry).toEqual([]);
    expect(res.rejected).toEqual([{ item: items[1], reason: 'DynamoDB refused the item: Item size has exceeded the maximum allowed size' }]);
    expect(calls.map((c) => c.command)).toEqual(['BatchWriteItem', 'PutItem', 'PutItem', 'PutItem']);
  });

  it('throttling throws THROTTLED; other errors are classified', async () => {
    const throttled = sinkWith(() => {
      throw sdkError('ProvisionedThroughputExceededException');
    });
    await expect(throttled.sink.write(stream, [rec(1)], signal)).rejects.toMatchObject({ code: 'THROTTLED', retry: 'throttled' });
    const missing = sinkWith(() => {
      throw sdkError('ResourceNotFoundException');
    });
    await expect(missing.sink.write(stream, [rec(1)], signal)).rejects.toMatchObject({ code: 'NOT_FOUND', retry: 'terminal' });
  });

  it('items that cannot be marshalled are rejected without a call', async () => {
    const { sink, calls } = sinkWith(() => ({}));
    const bad: FerryRecord = { key: { id: 9 }, value: { id: new Decimal('9'), x: new Decimal('NaN') } };
    const res = await sink.write(stream, [bad], signal);
    expect(res.accepted).toBe(0);
    expect(res.rejected[0]!.reason).toMatch(/attribute x: .*not a finite decimal number/);
    expect(calls).toEqual([]);
  });

  it('write: insert puts each item on condition its key is new; an existing key is rejected', async () => {
    const table = {
      Table: {
        TableName: 'T',
        TableStatus: 'ACTIVE',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      },
    };
    const { sink, calls } = sinkWith((c) => {
      if (c.command === 'DescribeTable') return table;
      const item = c.input['Item'] as Record<string, { N?: string }>;
      if (item['id']!.N === '2') throw sdkError('ConditionalCheckFailedException', 'The conditional request failed');
      if (item['id']!.N === '3') throw sdkError('ThrottlingException');
      return {};
    });
    await sink.prepare(stream, 'insert', signal);
    const items = [rec(1), rec(2), rec(3), rec(1, 'again')];
    const res = await sink.write(stream, items, signal);
    expect(res.accepted).toBe(1);
    expect(res.retry).toEqual([items[2]]);
    expect(res.rejected).toEqual([
      { item: items[3], reason: 'another item of the same batch has this key (write: insert keeps the first)' },
      { item: items[1], reason: 'an item with this key already exists in T (write: insert)' },
    ]);
    const put = calls.find((c) => c.command === 'PutItem')!;
    expect(put.input).toMatchObject({ ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': 'id' } });
  });

  it('prepare: a table keyed differently is CONFIG naming both keys; a missing one without create is NOT_FOUND', async () => {
    const other = sinkWith(() => ({
      Table: {
        TableStatus: 'ACTIVE',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      },
    }));
    const e = await other.sink.prepare(stream, 'upsert', signal).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FerryError);
    expect(e).toMatchObject({ code: 'CONFIG', message: 'DynamoDB table T is keyed pk (S), but the source key keys it id (N)' });
    const none = sinkWith(() => {
      throw sdkError('ResourceNotFoundException');
    });
    await expect(none.sink.prepare(stream, 'upsert', signal)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      hint: 'create it or set `create: true` in the target block',
    });
    await expect(none.sink.prepare(stream, 'replace', signal)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringContaining('needs `create: true`') });
  });

  it('table_prefix names the table', () => {
    const { sink } = sinkWith(() => ({}), { table_prefix: 'staging_' });
    expect(sink.tableName(stream)).toBe('staging_T');
  });
});
