/**
 * The DynamoDB source's read-capacity bucket, on a fake clock: `sleep` moves the clock forward at once, so every
 * figure below is exact arithmetic, never a measured time.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ITEM_BYTES,
  ItemSizeEstimate,
  pageEstimate,
  pageLimit,
  ReadCapacityLimiter,
  readUnits,
  type Clock,
} from '../../../src/connectors/dynamodb/read-limiter.js';

class FakeClock implements Clock {
  t = 1_000;
  readonly sleeps: number[] = [];
  now = (): number => this.t;
  sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
    if (signal.aborted) throw new Error('aborted');
    this.sleeps.push(ms);
    this.t += ms;
  };
}

const signal = new AbortController().signal;

describe('read capacity arithmetic', () => {
  it('a Scan page costs its total size rounded up to 4 KB, 0.5 RCU each (1 when strongly consistent)', () => {
    expect(readUnits(0, false)).toBe(0);
    expect(readUnits(1, false)).toBe(0.5);
    expect(readUnits(4096, false)).toBe(0.5);
    expect(readUnits(4097, false)).toBe(1);
    expect(readUnits(100 * 1024, false)).toBe(12.5);
    expect(readUnits(100 * 1024, true)).toBe(25);
  });

  it('sizes a page to about one second of the budget, at least one item, at most the batch size', () => {
    // 10 RCU/s, 1 KB items, eventually consistent: 1/8 RCU per item → 80 items.
    expect(pageLimit(10, 1024, false, 500)).toBe(80);
    expect(pageLimit(10, 1024, true, 500)).toBe(40);
    expect(pageLimit(10, 1024, false, 50)).toBe(50);
    // An item larger than a second of budget is still read, one per page.
    expect(pageLimit(0.5, 400 * 1024, false, 500)).toBe(1);
    expect(pageEstimate(80, 1024, false)).toBe(10);
    expect(pageEstimate(1, 10, false)).toBe(0.5);
    expect(pageEstimate(1, 10, true)).toBe(1);
  });

  it('average item size: DescribeTable until pages are read, then the pages', () => {
    const e = new ItemSizeEstimate();
    expect(e.get()).toBe(DEFAULT_ITEM_BYTES);
    e.setPrior(0, 0); // an empty or freshly created table says nothing
    expect(e.get()).toBe(DEFAULT_ITEM_BYTES);
    e.setPrior(100, 30_000);
    expect(e.get()).toBe(300);
    e.observe(10, 5_000);
    e.observe(10, 3_000);
    expect(e.get()).toBe(400);
  });
});

describe('ReadCapacityLimiter', () => {
  it('lets the first second of budget through, then makes each caller wait out the debt', async () => {
    const clock = new FakeClock();
    const l = new ReadCapacityLimiter({ rate: 10, clock });
    for (let i = 0; i < 3; i++) l.settle(await l.acquire(4, signal), 4); // 10 → 6 → 2 → -2
    expect(clock.sleeps).toEqual([]);
    expect(l.available()).toBeCloseTo(-2);
    l.settle(await l.acquire(1, signal), 1); // waits 2 / 10 s
    expect(clock.sleeps).toEqual([200]);
    expect(l.stats).toMatchObject({ consumed: 13, estimated: 0, pages: 4, waits: 1, waitedMs: 200, throttles: 0 });
  });

  it('charges after the fact: a page that cost more than its estimate puts the bucket into debt', async () => {
    const clock = new FakeClock();
    const l = new ReadCapacityLimiter({ rate: 10, clock });
    const r = await l.acquire(2, signal);
    expect(l.available()).toBeCloseTo(8);
    l.settle(r, 25); // 23 more than reserved
    expect(l.available()).toBeCloseTo(-15);
    l.settle(r, 25); // settling twice changes nothing
    expect(l.stats.consumed).toBe(25);
    l.settle(await l.acquire(1, signal), 0.5, true);
    expect(clock.sleeps).toEqual([1500]);
    expect(l.stats).toMatchObject({ consumed: 25.5, estimated: 0.5, pages: 2 });
  });

  it('a cheaper page than estimated gives the difference back, never above the bucket size', async () => {
    const clock = new FakeClock();
    const l = new ReadCapacityLimiter({ rate: 10, clock });
    l.settle(await l.acquire(8, signal), 1);
    expect(l.available()).toBeCloseTo(9);
    l.settle(await l.acquire(1, signal), 0); // a refused (throttled) request costs nothing
    expect(l.available()).toBeCloseTo(9);
    const r = await l.acquire(5, signal);
    clock.t += 2_000; // the bucket refills to the full second while the page is in flight
    l.settle(r, 0);
    expect(l.available()).toBeCloseTo(10);
    l.settle(await l.acquire(1, signal), -3); // a negative figure counts as nothing
    expect(l.available()).toBeCloseTo(10);
    expect(l.stats.consumed).toBe(1);
  });

  it('refills with time, up to one second of budget', async () => {
    const clock = new FakeClock();
    const l = new ReadCapacityLimiter({ rate: 10, clock });
    l.settle(await l.acquire(10, signal), 10);
    expect(l.available()).toBeCloseTo(0);
    clock.t += 300;
    expect(l.available()).toBeCloseTo(3);
    clock.t += 60_000;
    expect(l.available()).toBeCloseTo(10);
  });

  it('over a long scan, time on the clock is the consumed units over the rate, within the bucket and one page', async () => {
    const clock = new FakeClock();
    const rate = 25;
    const l = new ReadCapacityLimiter({ rate, clock });
    const t0 = clock.t;
    let consumed = 0;
    let biggest = 0;
    // Concurrent "segments": each reserves 5 units a page and is charged 3..8.
    await Promise.all(
      Array.from({ length: 4 }, async (_, s) => {
        for (let p = 0; p < 50; p++) {
          const r = await l.acquire(5, signal);
          const actual = 3 + ((s * 7 + p * 3) % 6);
          consumed += actual;
          biggest = Math.max(biggest, actual);
          l.settle(r, actual);
        }
      }),
    );
    expect(l.stats.consumed).toBe(consumed);
    expect(l.stats.pages).toBe(200);
    const spanS = (clock.t - t0) / 1000;
    const waitedS = l.stats.waitedMs / 1000;
    expect(waitedS).toBeCloseTo(spanS, 6); // a fake clock only moves when the limiter sleeps
    // Everything but the last page had to be paid for by time, less the first second of budget...
    expect(spanS).toBeGreaterThanOrEqual((consumed - biggest - l.burst) / rate - 0.01);
    // ...and the limiter never held a caller back longer than the debt required.
    expect(spanS).toBeLessThanOrEqual(consumed / rate + 0.01);
    expect(clock.t - l.stats.firstAt!).toBeGreaterThanOrEqual(((l.stats.chargedBeforeLastGrant - l.burst) / rate) * 1000 - 1);
  });

  it('serves waiting callers in order', async () => {
    const clock = new FakeClock();
    const l = new ReadCapacityLimiter({ rate: 1, clock });
    l.settle(await l.acquire(3, signal), 3); // debt of 2
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => l.acquire(1, signal).then((r) => (order.push(i), l.settle(r, 1)))));
    expect(order).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([2000, 1000, 1000]);
  });

  it('a throttle drops the saved-up burst', async () => {
    const clock = new FakeClock();
    const l = new ReadCapacityLimiter({ rate: 10, clock });
    expect(l.available()).toBeCloseTo(10);
    l.throttled();
    expect(l.available()).toBeCloseTo(0);
    l.settle(await l.acquire(1, signal), 1);
    l.settle(await l.acquire(1, signal), 1);
    expect(clock.sleeps).toEqual([100]);
    expect(l.stats.throttles).toBe(1);
  });

  it('an abort while waiting rejects and takes nothing from the bucket', async () => {
    const l = new ReadCapacityLimiter({
      rate: 1,
      clock: { now: () => 0, sleep: (_ms, s) => new Promise((_, reject) => s.addEventListener('abort', () => reject(new Error('aborted')))) },
    });
    l.settle(await l.acquire(2, signal), 2); // debt of 1
    const ac = new AbortController();
    const waiting = l.acquire(5, ac.signal);
    const queued = l.acquire(5, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(/abort/);
    await expect(queued).rejects.toThrow(/abort/);
    expect(l.available()).toBeCloseTo(-1);
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new ReadCapacityLimiter({ rate: 0 })).toThrow(/rcu_per_second/);
    expect(() => new ReadCapacityLimiter({ rate: Number.NaN })).toThrow(/rcu_per_second/);
  });
});
