/**
 * The DynamoDB source's read limit (`rcu_per_second`) against the real dynalite server: dynalite answers Scan with
 * ConsumedCapacity (so nothing is estimated), pages are sized to the budget, the RCU charged are the RCU the server
 * reported, and the limiter's clock shows the consumed units paid for by time. Nothing here asserts an upper bound on
 * wall-clock time: most runs use a virtual clock (the limiter's sleeps move it forward at once), and the run on the
 * real clock checks only the limiter's accounting and the lower bound the limiter itself guarantees.
 */
import { BatchWriteItemCommand, CreateTableCommand, ScanCommand, type AttributeValue, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryRecord } from '../../../src/core/record.js';
import { parseOptions } from '../../../src/connectors/dynamodb/options.js';
import { readUnits, type Clock } from '../../../src/connectors/dynamodb/read-limiter.js';
import { DynamoDbSource } from '../../../src/connectors/dynamodb/source.js';
import { waitForTable } from '../../../src/connectors/dynamodb/table.js';
import { dynamoDb } from '../../support/clients.js';
import { connection, failAttempts, sdkError, signal, tableName, Tables } from './helpers.js';

const tables = new Tables();
const client = dynamoDb();
const N = 600;
const PAD = 1000;
const table = tables.add(tableName('rcu'));

class VirtualClock implements Clock {
  t = 0;
  now = (): number => this.t;
  sleep = async (ms: number, s: AbortSignal): Promise<void> => {
    if (s.aborted) throw new Error('aborted');
    this.t += ms;
  };
}

function item(i: number): Record<string, AttributeValue> {
  return { id: { N: String(i) }, pad: { S: String(i % 10).repeat(PAD) } };
}

beforeAll(async () => {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitForTable({ client }, table, 'active', signal);
  for (let i = 0; i < N; i += 25) {
    let reqs: WriteRequest[] = Array.from({ length: Math.min(25, N - i) }, (_, j) => ({ PutRequest: { Item: item(i + j) } }));
    while (reqs.length > 0) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: reqs } }));
      reqs = out.UnprocessedItems?.[table] ?? [];
    }
  }
});

afterAll(async () => {
  await tables.drop();
  client.destroy();
});

function open(extra: Record<string, unknown>, clock?: Clock): DynamoDbSource {
  return new DynamoDbSource(parseOptions(connection(extra)), undefined, undefined, clock ? { clock, random: () => 0.5 } : {});
}

/** Reads every segment in parallel, recording each Scan's Limit as sent. */
async function readParallel(src: DynamoDbSource, segments: number): Promise<{ ids: number[]; limits: number[] }> {
  const limits: number[] = [];
  src.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ScanCommand') limits.push((args.input as { Limit?: number }).Limit ?? 0);
      return next(args);
    },
    { step: 'initialize', name: 'ferryTestRecordLimits' },
  );
  const [ref] = await src.streams(table, signal);
  const segs = await src.segments(ref!, segments);
  const got = await Promise.all(
    segs.map(async (segment) => {
      const out: FerryRecord[] = [];
      for await (const b of src.read({ segment, batchSize: 500, signal })) out.push(...b.items);
      return out;
    }),
  );
  return { ids: got.flat().map((r) => r.key['id'] as number).sort((a, b) => a - b), limits };
}

const all = Array.from({ length: N }, (_, i) => i);
/** Bytes of one item as DynamoDB (and dynalite) count them: names + values; N is 1 byte per 2 digits + 1. */
const itemBytes = (i: number): number => 'id'.length + (Math.ceil(String(i).length / 2) + 1) + 'pad'.length + PAD;
const totalBytes = all.reduce((n, i) => n + itemBytes(i), 0);

describe('DynamoDB source read limit on dynalite', () => {
  it('dynalite reports ConsumedCapacity for Scan: 0.5 RCU per 4 KB read, even when asked for a consistent read', async () => {
    const out = await client.send(new ScanCommand({ TableName: table, Limit: 40, ReturnConsumedCapacity: 'TOTAL' }));
    const bytes = (out.Items ?? []).reduce((n, it) => n + itemBytes(Number(it['id']!.N)), 0);
    expect(out.ConsumedCapacity?.CapacityUnits).toBe(readUnits(bytes, false));
    // dynalite 4's Scan validation has no ConsistentRead key and drops it, so it charges a strongly consistent scan
    // like an eventually consistent one; DynamoDB charges twice as much. ferry charges whatever the server says.
    const strong = await client.send(new ScanCommand({ TableName: table, Limit: 40, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
    expect(strong.ConsumedCapacity?.CapacityUnits).toBe(readUnits(bytes, false));
  });

  it(`a parallel scan of ${N} ~1 KB items at 5 RCU/s consumes what the items cost and waits consumed / rate`, async () => {
    const clock = new VirtualClock();
    const rate = 5;
    const src = open({ rcu_per_second: rate }, clock);
    const { ids, limits } = await readParallel(src, 4);
    await src[Symbol.asyncDispose]();
    expect(ids).toEqual(all);
    const s = src.readLimiter!.stats;
    console.log(
      `rcu_per_second ${rate}: ${N} items (${totalBytes} bytes) in ${s.pages} pages (Limit ≤ ${Math.max(...limits)}), ${s.consumed} RCU charged, ${s.waits} waits, ${(clock.t / 1000).toFixed(2)} s on the limiter's clock (consumed / rate = ${(s.consumed / rate).toFixed(2)} s)`,
    );
    // Every page was charged with what dynalite reported; none estimated.
    expect(s.estimated).toBe(0);
    expect(s.pages).toBe(limits.length);
    // Each page rounds up to 4 KB on its own: the total is the items' cost plus at most half a unit per page.
    expect(s.consumed).toBeGreaterThanOrEqual(readUnits(totalBytes, false));
    expect(s.consumed).toBeLessThanOrEqual(readUnits(totalBytes, false) + 0.5 * s.pages);
    // A page is about one second of budget: 5 RCU = 40 KB → ≤ 40 items of ~1 KB, so each segment took several.
    expect(Math.max(...limits)).toBeLessThanOrEqual(41);
    expect(s.pages).toBeGreaterThanOrEqual(N / 41);
    expect(s.consumed / s.pages).toBeLessThanOrEqual(rate + 0.5);
    // RCU-seconds: the virtual clock moved only when the limiter made a segment wait, by consumed / rate at most, and
    // by at least what was charged before the last grant, less the first second of burst.
    expect(clock.t).toBe(s.waitedMs);
    expect(s.waits).toBeGreaterThan(0);
    // (Upper bound: a wait may include the estimate of a page still in flight that then cost up to half a unit less,
    // and each wait is rounded up to the millisecond.)
    expect(clock.t).toBeLessThanOrEqual(((s.consumed + 0.5 * s.pages) / rate) * 1000 + s.pages);
    expect(clock.t - s.firstAt!).toBeGreaterThanOrEqual(((s.chargedBeforeLastGrant - rate) / rate) * 1000);
    // At most the four segments' last pages (about a second of budget each) were still unpaid at the last grant.
    expect(s.chargedBeforeLastGrant).toBeGreaterThanOrEqual(s.consumed - 4 * (rate + 0.5));
  });

  it('strongly consistent scans get pages half as large, and count is paid for from the same budget', async () => {
    const clock = new VirtualClock();
    const rate = 40;
    const src = open({ rcu_per_second: rate, consistent_read: true }, clock);
    const { ids, limits } = await readParallel(src, 2);
    expect(ids).toEqual(all);
    // 40 RCU of consistent reads = 160 KB → ≤ 162 items of 1,010 bytes (eventually consistent it would be 324).
    expect(Math.max(...limits)).toBeLessThanOrEqual(163);
    const read = src.readLimiter!.stats.consumed;
    // Charged as dynalite reported (see above: at the eventually consistent price).
    expect(read).toBeGreaterThanOrEqual(readUnits(totalBytes, false));
    expect(read).toBeLessThanOrEqual(readUnits(totalBytes, false) + 0.5 * src.readLimiter!.stats.pages);
    const [ref] = await src.streams(table, signal);
    expect(await src.count(ref!, signal)).toBe(N);
    const counted = src.readLimiter!.stats.consumed - read;
    // A COUNT scan reads (and is charged for) the items all the same.
    expect(counted).toBeGreaterThanOrEqual(readUnits(totalBytes, false));
    expect(src.readLimiter!.stats.estimated).toBe(0);
    // (No upper bound on the clock here: pages are sized and reserved at the consistent price, twice what dynalite
    // then charges, so segments wait for debt that the settled pages partly give back.)
    await src[Symbol.asyncDispose]();
  });

  it('throttled scans back off and carry on: every item once, the refused attempts not charged', async () => {
    const clock = new VirtualClock();
    const src = open({ rcu_per_second: 200 }, clock);
    const failed = failAttempts(src.client, 'ScanCommand', 5, () => sdkError('ProvisionedThroughputExceededException', 400));
    const { ids } = await readParallel(src, 2);
    await src[Symbol.asyncDispose]();
    expect(ids).toEqual(all);
    expect(failed.attempts).toBeGreaterThan(5);
    expect(src.readStats.throttled).toBe(5);
    expect(src.readLimiter!.stats.throttles).toBe(5);
    expect(src.readLimiter!.stats.consumed).toBeGreaterThanOrEqual(readUnits(totalBytes, false));
    expect(src.readLimiter!.stats.pages).toBe(failed.attempts); // the 5 throttled attempts settled at 0
  });

  it('on the real clock: the limiter records its waits, and the time it allowed covers the units charged', async () => {
    const rate = 25;
    const src = open({ rcu_per_second: rate });
    const { ids } = await readParallel(src, 2);
    await src[Symbol.asyncDispose]();
    expect(ids).toEqual(all);
    const s = src.readLimiter!.stats;
    expect(s.estimated).toBe(0);
    expect(s.consumed).toBeGreaterThanOrEqual(readUnits(totalBytes, false));
    expect(s.waits).toBeGreaterThan(0);
    // A lower bound the limiter guarantees (it never grants a read while in debt); no upper bound on elapsed time.
    expect(s.lastGrantAt! - s.firstAt!).toBeGreaterThanOrEqual(((s.chargedBeforeLastGrant - rate) / rate) * 1000 - 1);
  });
});
