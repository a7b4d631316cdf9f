import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { afterAll, expect, it } from 'vitest';
import { dynamoDb, uniqueName } from '../../support/clients.js';

const client = dynamoDb();
const table = uniqueName('smoke');

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  client.destroy();
});

it('writes a batch of items with non-ASCII text and binary, and scans them back', async () => {
  await client.send(new CreateTableCommand({
    TableName: table,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  const described = await client.send(new DescribeTableCommand({ TableName: table }));
  expect(described.Table?.TableStatus).toBe('ACTIVE');

  const items: Record<string, AttributeValue>[] = [
    { pk: { S: 'zoë' }, sk: { N: '1' }, name: { S: 'Zoë Ångström' }, blob: { B: new Uint8Array([0, 1, 2, 255]) } },
    { pk: { S: '東京' }, sk: { N: '2' }, name: { S: '東京 — 🚢 ferry' }, tags: { SS: ['b', 'a'] }, price: { N: '9.99' } },
    { pk: { S: 'zoë' }, sk: { N: '3' }, doc: { M: { nested: { L: [{ N: '1' }, { BOOL: true }, { NULL: true }] } } } },
    { pk: { S: 'привет' }, sk: { N: '-4' }, bins: { BS: [new Uint8Array([9]), new Uint8Array([0, 0])] } },
    { pk: { S: 'plain' }, sk: { N: '5' }, name: { S: 'ascii only' } },
  ];
  const out = await client.send(new BatchWriteItemCommand({
    RequestItems: { [table]: items.map((Item) => ({ PutRequest: { Item } })) },
  }));
  expect(out.UnprocessedItems?.[table] ?? []).toEqual([]);

  const scanned: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, Limit: 2, ExclusiveStartKey: start }));
    scanned.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);

  // Sets come back in no particular order.
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const sortSets = (item: Record<string, AttributeValue>) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k,
    v.SS ? { SS: [...v.SS].sort() } : v.BS ? { BS: [...v.BS].sort((a, b) => hex(a).localeCompare(hex(b))) } : v]));
  const key = (i: Record<string, AttributeValue>) => `${i.pk?.S}/${i.sk?.N}`;
  const byKey = (a: Record<string, AttributeValue>, b: Record<string, AttributeValue>) => key(a).localeCompare(key(b));
  expect(scanned.map(sortSets).sort(byKey)).toEqual(items.map(sortSets).sort(byKey));
});
