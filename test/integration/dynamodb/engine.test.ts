/**
 * The DynamoDB sink under the engine's runJob, fed by the in-memory source: UnprocessedItems and throttling on the
 * way, a record DynamoDB cannot hold, and every other item in the table at the end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, type FerryRecord } from '../../../src/core/record.js';
import { runJob } from '../../../src/engine/index.js';
import { memoryPlan, MemoryWorld } from '../../support/memory-world.js';
import { dropUnprocessed, failAttempts, sdkError, signal, sink, source, tableName, Tables } from './helpers.js';

const tables = new Tables();
afterAll(() => tables.drop());

const instant = { sleep: async () => {}, backoff: { random: () => 0 } };

describe('DynamoDB sink in a job', () => {
  it('writes every item through UnprocessedItems and throttling; an unstorable one becomes a dead letter', async () => {
    const COUNT = 400;
    const target = tables.add(tableName('job'));
    const make = (i: number): FerryRecord => ({
      key: { id: i },
      value: { id: i, name: `r${i}`, price: i === 13 ? new Decimal('NaN') : new Decimal(`${i}.50`) },
    });
    const world = new MemoryWorld({ items: { count: COUNT, make } });
    const p = world.process();
    const s = sink({ create: true });
    const stats = dropUnprocessed(s.client, (req, n) => Number(req.PutRequest!.Item!['id']!.N) % 4 === 0 && n === 1);
    const throttle = failAttempts(s.client, 'BatchWriteItemCommand', 2, () => sdkError('ThrottlingException', 400));
    const events: string[] = [];
    const summary = await runJob({
      plan: memoryPlan([{ from: 'items', to: target, key: { partition: 'id', partition_type: 'N' } }], { batch_size: 60, concurrency: 3 }, { max_rejected: 1 }),
      store: p.store,
      job: p.job,
      source: p.source,
      sink: s,
      onEvent: (e) => events.push(e.type),
      ...instant,
    });
    expect(summary).toMatchObject({ status: 'succeeded', items: COUNT - 1, rejected: 1 });
    expect(stats.dropped).toBe(COUNT / 4);
    expect(throttle.attempts).toBeGreaterThan(2);
    expect(events).toContain('retry');
    expect(await p.store.deadLetters(p.job.id)).toEqual([
      expect.objectContaining({ key: 'id=13', reason: expect.stringMatching(/attribute price: NaN cannot be stored in a DynamoDB number/) }),
    ]);

    const src = source();
    const [ref] = await src.streams(target, signal);
    expect(await src.count(ref!, signal)).toBe(COUNT - 1);
    const [seg] = await src.segments(ref!, 1);
    const got = new Map<number, unknown>();
    for await (const b of src.read({ segment: seg!, batchSize: 500, signal })) for (const r of b.items) got.set(r.key['id'] as number, r.value);
    expect(got.size).toBe(COUNT - 1);
    expect(got.get(7)).toEqual({ id: new Decimal('7'), name: 'r7', price: new Decimal('7.5') });
    await s[Symbol.asyncDispose]();
  });
});
