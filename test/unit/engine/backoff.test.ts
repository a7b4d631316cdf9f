import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from '../../../src/engine/backoff.js';
import { Semaphore } from '../../../src/util/semaphore.js';

describe('backoff', () => {
  it('is full jitter over an exponential window with a cap', () => {
    const opts = (r: number) => ({ baseMs: 100, capMs: 5000, random: () => r });
    expect([0, 1, 2, 3, 4, 5, 6, 10, 1000].map((a) => backoffDelay(a, opts(1)))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(backoffDelay(3, opts(0))).toBe(0);
    expect(backoffDelay(3, opts(0.5))).toBe(400);
  });

  it('sleep is abortable and clears its timer', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(sleep(1, ac.signal)).rejects.toMatchObject({ code: 'INTERRUPTED' });
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});

describe('semaphore', () => {
  it('admits at most its size, in order, and lets an aborted waiter go', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const ac = new AbortController();
    const w4 = s.acquire(ac.signal);
    const w5 = s.acquire().then((r) => (order.push(5), r));
    ac.abort();
    await expect(w4).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(s.inUse).toBe(2);
    r1();
    r1(); // releasing twice is harmless
    (await w3)();
    r2();
    (await w5)();
    expect(order).toEqual([3, 5]);
    expect(s.inUse).toBe(0);
  });
});
