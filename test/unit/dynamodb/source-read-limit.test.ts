/**
 * The DynamoDB source's read limit and throttling backoff against an in-memory stand-in for DynamoDB (Scan and
 * DescribeTable only) on a fake clock: pages sized from the item size, every page charged as the server reported
 * it (or estimated from the items when it reported nothing), throttled scans asked again after a backoff.
 */
import { DescribeTableCommand, ScanCommand, type AttributeValue, type DynamoDBClient, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isFerryError, retryabilityOf } from '../../../src/errors.js';
import { itemSize } from '../../../src/connectors/dynamodb/item-size.js';
import { fromItem } from '../../../src/connectors/dynamodb/marshal.js';
import { parseOptions } from '../../../src/connectors/dynamodb/options.js';
import { readUnits, type Clock } from '../../../src/connectors/dynamodb/read-limiter.js';
import { DynamoDbSource, THROTTLE_RETRIES } from '../../../src/connectors/dynamodb/source.js';

type Item = Record<string, AttributeValue>;

class FakeClock implements Clock {
  t = 0;
  readonly sleeps: number[] = [];
  now = (): number => this.t;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

interface FakeOptions {
  /** Answer with ConsumedCapacity (as DynamoDB and dynalite do). */
  report?: boolean;
  /** Throw ProvisionedThroughputExceededException for these Scan calls (1-based). */
  throttle?: (call: number) => boolean;
  /** DescribeTable's figures. */
  itemCount?: number;
  sizeBytes?: number;
}

class FakeDynamo {
  readonly scans: ScanCommandInput[] = [];
  calls = 0;
  constructor(
    readonly items: Item[],
    private readonly o: FakeOptions = {},
  ) {}

  async send(cmd: unknown): Promise<unknown> {
    if (cmd instanceof DescribeTableCommand) {
      return {
        Table: {
          TableName: cmd.input.TableName,
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
          ItemCount: this.o.itemCount ?? 0,
          TableSizeBytes: this.o.sizeBytes ?? 0,
        },
      };
    }
    if (!(cmd instanceof ScanCommand)) throw new Error('unexpected command');
    const input = cmd.input;
    this.calls += 1;
    if (this.o.throttle?.(this.calls)) {
      throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded'), {
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    }
    this.scans.push(input);
    const total = input.TotalSegments ?? 1;
    const mine = this.items.filter((it) => Number(it['id']!.N) % total === (input.Segment ?? 0));
    const after = input.ExclusiveStartKey ? Number(input.ExclusiveStartKey['id']!.N) : -1;
    const rest = mine.filter((it) => Number(it['id']!.N) > after);
    const page = rest.slice(0, input.Limit ?? rest.length);
    const more = page.length < rest.length;
    const bytes = page.reduce((n, it) => n + itemSize(fromItem(it)), 0);
    return {
      ...(input.Select === 'COUNT' ? {} : { Items: page }),
      Count: page.length,
      ScannedCount: page.length,
      ...(more ? { LastEvaluatedKey: { id: page[page.length - 1]!['id']! } } : {}),
      ...(this.o.report !== false && input.ReturnConsumedCapacity === 'TOTAL'
        ? { ConsumedCapacity: { TableName: input.TableName, CapacityUnits: readUnits(bytes, input.ConsistentRead === true) } }
        : {}),
    };
  }

  destroy(): void {}
}

/** `n` items of about `bytes` each. */
function items(n: number, bytes: number): Item[] {
  return Array.from({ length: n }, (_, i) => ({ id: { N: String(i) }, pad: { S: 'x'.repeat(bytes) } }));
}

const signal = new AbortController().signal;

function open(fake: FakeDynamo, extra: Record<string, unknown> = {}): { src: DynamoDbSource; clock: FakeClock } {
  const clock = new FakeClock();
  const src = new DynamoDbSource(parseOptions({ region: 'us-east-1', ...extra }), undefined, fake as unknown as DynamoDBClient, {
    clock,
    random: () => 0.5,
  });
  return { src, clock };
}

async function readAll(src: DynamoDbSource, batchSize = 500, total = 1): Promise<{ ids: number[]; batches: number }> {
  const [ref] = await src.streams('T', signal);
  const ids: number[] = [];
  let batches = 0;
  for (const segment of await src.segments(ref!, total)) {
    for await (const b of src.read({ segment, batchSize, signal })) {
      batches += 1;
      ids.push(...b.items.map((r) => r.key['id'] as number));
    }
  }
  return { ids: ids.sort((a, b) => a - b), batches };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('DynamoDB source read limit (rcu_per_second)', () => {
  it('declares the option and parses it', () => {
    expect(parseOptions({ rcu_per_second: 25 }).readRate).toBe(25);
    expect(parseOptions({}).readRate).toBeUndefined();
  });

  it('without a limit: pages of the batch size, no limiter, ConsumedCapacity asked for all the same', async () => {
    const fake = new FakeDynamo(items(120, 100));
    const { src, clock } = open(fake);
    expect(src.readLimiter).toBeUndefined();
    const { ids } = await readAll(src, 50);
    expect(ids).toEqual(range(120));
    expect(fake.scans.map((s) => s.Limit)).toEqual([50, 50, 50]);
    expect(fake.scans.every((s) => s.ReturnConsumedCapacity === 'TOTAL')).toBe(true);
    expect(clock.sleeps).toEqual([]);
  });

  it('sizes pages to about one second of budget from DescribeTable, charges what the server reported, and waits', async () => {
    // ~1 KB items (1,000 bytes of pad + names and id); DescribeTable says 1,010 bytes per item.
    const data = items(400, 1000);
    const fake = new FakeDynamo(data, { itemCount: 400, sizeBytes: 404_000 });
    const { src, clock } = open(fake, { rcu_per_second: 5 });
    const { ids } = await readAll(src, 500);
    expect(ids).toEqual(range(400));
    // 5 RCU/s eventually consistent = 40 KB a second → 40 items of 1,010 bytes per page.
    expect(fake.scans[0]!.Limit).toBe(40);
    const lim = src.readLimiter!;
    const bytes = data.reduce((n, it) => n + itemSize(fromItem(it)), 0);
    const pages = fake.scans.map((s) => s.Limit);
    expect(pages.every((l) => l === 40)).toBe(true);
    // Each page: 40 × ~1 KB → 10 × 4 KB → 5 RCU; 10 pages → 50 RCU, exactly as the server reported.
    expect(lim.stats).toMatchObject({ pages: 10, consumed: 50, estimated: 0, throttles: 0 });
    expect(lim.stats.consumed).toBeGreaterThanOrEqual(readUnits(bytes, false));
    // 50 RCU at 5 RCU/s: the first second's burst pays for page 1, time for pages 2-9, and page 10 is granted once
    // the bucket is out of debt (its own cost is paid off after the scan): 8 seconds on the (fake) clock, no more.
    expect(clock.t).toBe(8_000);
    expect(lim.stats.waitedMs).toBe(8_000);
    expect(lim.stats.waits).toBe(8);
  });

  it('strongly consistent reads cost twice as much and get pages half as large', async () => {
    const fake = new FakeDynamo(items(80, 1000), { itemCount: 80, sizeBytes: 80_800 });
    const { src, clock } = open(fake, { rcu_per_second: 5, consistent_read: true });
    expect((await readAll(src)).ids).toEqual(range(80));
    expect(fake.scans.map((s) => [s.Limit, s.ConsistentRead])).toEqual([[20, true], [20, true], [20, true], [20, true]]);
    expect(src.readLimiter!.stats.consumed).toBe(20);
    expect(clock.t).toBe(2_000); // (20 − 5 burst − 5 of the last page) / 5
  });

  it('learns the item size from the pages when DescribeTable knows nothing yet', async () => {
    const fake = new FakeDynamo(items(200, 3000)); // ~3 KB items, DescribeTable says 0 / 0
    const { src } = open(fake, { rcu_per_second: 10 });
    expect((await readAll(src)).ids).toEqual(range(200));
    const limits = fake.scans.map((s) => s.Limit);
    expect(limits[0]).toBe(80); // the 1 KB default: 10 RCU ≈ 80 items
    expect(limits[1]).toBe(27); // then 3,010-byte items: 10 / (3010 / 4096 / 2) = 27.2
  });

  it('without ConsumedCapacity in the response, charges an estimate from the page\'s item sizes', async () => {
    const data = items(100, 1000);
    const fake = new FakeDynamo(data, { report: false, itemCount: 100, sizeBytes: 101_000 });
    const { src } = open(fake, { rcu_per_second: 5 });
    expect((await readAll(src)).ids).toEqual(range(100));
    const s = src.readLimiter!.stats;
    expect(s.estimated).toBe(s.consumed);
    // pages of 40, 40, 20 items of 1,010 bytes: 10 + 10 + 5 blocks of 4 KB → 5 + 5 + 2.5 RCU
    expect(s.consumed).toBe(12.5);
  });

  it('shares one budget across parallel segments', async () => {
    const fake = new FakeDynamo(items(400, 1000), { itemCount: 400, sizeBytes: 404_000 });
    const { src, clock } = open(fake, { rcu_per_second: 10 });
    const [ref] = await src.streams('T', signal);
    const segs = await src.segments(ref!, 4);
    const got = await Promise.all(
      segs.map(async (segment) => {
        const ids: number[] = [];
        for await (const b of src.read({ segment, batchSize: 500, signal })) ids.push(...b.items.map((r) => r.key['id'] as number));
        return ids;
      }),
    );
    expect(got.flat().sort((a, b) => a - b)).toEqual(range(400));
    const s = src.readLimiter!.stats;
    // 400 items of 1,010 bytes ≈ 50 RCU at 10 RCU/s, whatever the interleaving of the four segments: every unit
    // charged before the last grant was paid for by time on the clock (beyond the first second's burst), and no
    // segment was held back longer than the debt required.
    expect(s.consumed).toBeGreaterThanOrEqual(readUnits(400 * 1010, false));
    expect(clock.t - s.firstAt!).toBeGreaterThanOrEqual(((s.chargedBeforeLastGrant - 10) / 10) * 1000);
    expect(s.chargedBeforeLastGrant).toBeGreaterThanOrEqual(s.consumed - 4 * 10);
    expect(clock.t).toBeLessThanOrEqual((s.consumed / 10) * 1000);
  });

  it('counts under the limit too, pricing COUNT pages from ScannedCount when the server reports nothing', async () => {
    const fake = new FakeDynamo(items(100, 1000), { report: false, itemCount: 100, sizeBytes: 101_000 });
    const { src } = open(fake, { rcu_per_second: 5 });
    const [ref] = await src.streams('T', signal);
    expect(await src.count(ref!, signal)).toBe(100);
    expect(fake.scans.every((s) => s.Select === 'COUNT' && s.Limit === 40)).toBe(true);
    const s = src.readLimiter!.stats;
    expect(s.consumed).toBeGreaterThan(0);
    expect(s.estimated).toBe(s.consumed);
  });

  it('backs off and asks for the same page again when DynamoDB throttles, instead of failing', async () => {
    // Calls 2, 3 and 4 are throttled: the second page is asked for four times.
    const fake = new FakeDynamo(items(120, 100), { throttle: (n) => n >= 2 && n <= 4 });
    const { src, clock } = open(fake, { rcu_per_second: 100 });
    const { ids } = await readAll(src, 50);
    expect(ids).toEqual(range(120));
    expect(src.readStats.throttled).toBe(3);
    // Full jitter with random() = 0.5: half of 100, 200, 400 ms.
    expect(clock.sleeps.slice(0, 3)).toEqual([50, 100, 200]);
    expect(src.readStats.backoffMs).toBe(350);
    expect(src.readLimiter!.stats.throttles).toBe(3);
    // Throttled attempts are not charged.
    expect(src.readLimiter!.stats.pages).toBe(6);
    expect(fake.scans.map((s) => s.ExclusiveStartKey?.['id']?.N)).toEqual([undefined, '49', '99']);
  });

  it('backs off on throttling without a limit as well', async () => {
    const fake = new FakeDynamo(items(10, 10), { throttle: (n) => n === 1 });
    const { src, clock } = open(fake);
    expect((await readAll(src)).ids).toEqual(range(10));
    expect(src.readStats.throttled).toBe(1);
    expect(clock.sleeps).toEqual([50]);
  });

  it('after THROTTLE_RETRIES in a row, hands a retryable THROTTLED to the engine', async () => {
    const fake = new FakeDynamo(items(10, 10), { throttle: () => true });
    const { src, clock } = open(fake, { rcu_per_second: 100 });
    let err: unknown;
    try {
      await readAll(src);
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err) && err.code).toBe('THROTTLED');
    expect(retryabilityOf(err)).toBe('throttled');
    expect(fake.calls).toBe(THROTTLE_RETRIES + 1);
    expect(clock.sleeps).toHaveLength(THROTTLE_RETRIES);
    expect(Math.max(...clock.sleeps)).toBe(5_000); // windows capped at 10 s
  });
});
