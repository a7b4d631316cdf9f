/**
 * DynamoDB helpers of the bench: its own tables (created, counted, deleted) and the BatchWriteItem loop of the naive
 * and raw-ceiling runs. Plain SDK calls, nothing of ferry's, so the baselines are what an application would write.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
  TagResourceCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

/** Every table the bench creates starts with this, and the bench deletes no other table. */
export const TABLE_PREFIX = 'ferry_bench_';

/** A plain SDK client (default retries), with the credentials of the bench's environment when it names them. */
export function benchClient(endpoint: string, env: NodeJS.ProcessEnv): DynamoDBClient {
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  return new DynamoDBClient({
    endpoint,
    region: env['AWS_REGION'] ?? 'us-east-1',
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}) } }
      : {}),
  });
}

function errorName(e: unknown): string {
  return e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function tableStatus(client: DynamoDBClient, table: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    return out.Table?.TableStatus ?? 'UNKNOWN';
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') return undefined;
    throw e;
  }
}

/** Delete a bench table if it exists, and wait until it is gone. */
export async function dropTable(client: DynamoDBClient, table: string): Promise<void> {
  if (!table.startsWith(TABLE_PREFIX)) throw new Error(`refusing to delete ${table}: not a bench table`);
  if ((await tableStatus(client, table)) === undefined) return;
  try {
    await client.send(new DeleteTableCommand({ TableName: table }));
  } catch (e) {
    if (errorName(e) !== 'ResourceNotFoundException') throw e;
  }
  for (let i = 0; i < 600; i++) {
    if ((await tableStatus(client, table)) === undefined) return;
    await sleep(100);
  }
  throw new Error(`table ${table} is still there a minute after DeleteTable`);
}

/** A fresh on-demand table keyed like the source (`id`, a number), ACTIVE when this resolves. */
export async function createTable(client: DynamoDBClient, table: string): Promise<void> {
  await dropTable(client, table);
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (let i = 0; i < 600; i++) {
    if ((await tableStatus(client, table)) === 'ACTIVE') return;
    await sleep(100);
  }
  throw new Error(`table ${table} is not ACTIVE a minute after CreateTable`);
}

/**
 * A parallel Scan of a whole table, `segments` segments each paged to its end; `params` adds to every request.
 * Returns the sum of what `count` says of each page.
 */
async function parallelScan(
  client: DynamoDBClient,
  table: string,
  segments: number,
  params: Omit<ScanCommandInput, 'TableName' | 'Segment' | 'TotalSegments' | 'ExclusiveStartKey'>,
  count: (page: ScanCommandOutput) => number,
): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let n = 0;
      let start: Item | undefined;
      do {
        const out = await client.send(
          new ScanCommand({
            TableName: table,
            ...params,
            ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        n += count(out);
        start = out.LastEvaluatedKey;
      } while (start);
      return n;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Items in a table, by a parallel `Select: COUNT` scan (every page, consistent reads). */
export function countItems(client: DynamoDBClient, table: string, segments = 4): Promise<number> {
  return parallelScan(client, table, segments, { Select: 'COUNT', ConsistentRead: true }, (page) => page.Count ?? 0);
}

/** One BatchWriteItem of ≤ 25 puts, re-sending UnprocessedItems (with a short backoff) until none is left. */
export async function writeBatch(client: DynamoDBClient, table: string, items: readonly Item[]): Promise<{ calls: number; resent: number }> {
  let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  let calls = 0;
  let resent = 0;
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > 0) {
      resent += requests.length;
      await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)));
    }
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    calls += 1;
    requests = out.UnprocessedItems?.[table] ?? [];
  }
  return { calls, resent };
}

/** The value of one tag of a table, or undefined (no such tag, or no such table). */
export async function tableTag(client: DynamoDBClient, table: string, key: string): Promise<string | undefined> {
  let arn: string | undefined;
  try {
    arn = (await client.send(new DescribeTableCommand({ TableName: table }))).Table?.TableArn;
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') return undefined;
    throw e;
  }
  if (!arn) return undefined;
  const out = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  return out.Tags?.find((t) => t.Key === key)?.Value;
}

/** Set one tag of a (bench) table. */
export async function tagTable(client: DynamoDBClient, table: string, key: string, value: string): Promise<void> {
  if (!table.startsWith(TABLE_PREFIX)) throw new Error(`refusing to tag ${table}: not a bench table`);
  const arn = (await client.send(new DescribeTableCommand({ TableName: table }))).Table?.TableArn;
  if (!arn) throw new Error(`DescribeTable of ${table} names no TableArn`);
  await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: key, Value: value }] }));
}

/**
 * Read a whole table by a parallel Scan (`segments` segments, pages of `limit` items), items discarded: how fast the
 * server delivers the table with nothing written anywhere.
 */
export async function scanAll(client: DynamoDBClient, table: string, segments: number, limit: number): Promise<{ items: number; seconds: number }> {
  const t0 = performance.now();
  const items = await parallelScan(client, table, segments, { Limit: limit }, (page) => page.Items?.length ?? 0);
  return { items, seconds: (performance.now() - t0) / 1000 };
}
