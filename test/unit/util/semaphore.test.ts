// The object sink's transfer pool: a bound, FIFO order, slots handed on without waiting for a timer, and close().
import { describe, expect, it } from 'vitest';
import { isFerryError } from '../../../src/errors.js';
import { Semaphore as TransferPool } from '../../../src/util/semaphore.js';

/** A promise and its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('Semaphore, as the object sink runs transfers through it', () => {
  it('runs at most `size` transfers at once, the rest in the order asked', async () => {
    const pool = new TransferPool(2);
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const all = gates.map((g, i) =>
      pool.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await g.promise;
        running--;
        return i * 10;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([pool.inUse, pool.waiting]).toEqual([2, 3]);
    gates[1]!.open();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(all)).toEqual([0, 10, 20, 30, 40]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect([pool.inUse, pool.waiting]).toEqual([0, 0]);
  });

  it('gives a slot back when a transfer fails', async () => {
    const pool = new TransferPool(1);
    await expect(pool.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await pool.run(async () => 'next')).toBe('next');
    expect(pool.inUse).toBe(0);
  });

  it('hands slots on within microtasks: a thousand one-at-a-time transfers need no timer tick', async () => {
    const pool = new TransferPool(1);
    let done = 0;
    let timerFired = false;
    const timer = setTimeout(() => (timerFired = true), 0);
    await Promise.all(Array.from({ length: 1000 }, () => pool.run(async () => void done++)));
    clearTimeout(timer);
    expect(done).toBe(1000);
    expect(timerFired).toBe(false);
  });

  it('close() rejects the waiting transfers and new ones with INTERRUPTED, and lets the running one finish', async () => {
    const pool = new TransferPool(1);
    const g = gate();
    const running = pool.run(async () => {
      await g.promise;
      return 'finished';
    });
    const waiting = pool.run(async () => 'never');
    pool.close();
    const err = await waiting.catch((e: unknown) => e);
    expect(isFerryError(err) && err.code).toBe('INTERRUPTED');
    await expect(pool.run(async () => 'later')).rejects.toMatchObject({ code: 'INTERRUPTED' });
    g.open();
    expect(await running).toBe('finished');
  });

  it('wants at least one slot', () => {
    expect(() => new TransferPool(0)).toThrow(RangeError);
  });
});
