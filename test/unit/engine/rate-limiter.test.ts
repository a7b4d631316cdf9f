/**
 * The limiter is measured on a fake clock (vitest fake timers drive both bottleneck's heartbeat and Date.now), so
 * the rates below are exact properties of the algorithm, not of how busy the machine is.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter, rateLimitsOf, type RateChange } from '../../../src/engine/rate-limiter.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** bottleneck's stop waits on a timer: let the fake clock run while it does. */
async function stopLimiter(limiter: RateLimiter): Promise<void> {
  const p = limiter.stop();
  await vi.advanceTimersByTimeAsync(50);
  await p;
}

/** `workers` loops each spending `cost` as fast as the limiter allows; returns a stop function. */
function saturate(limiter: RateLimiter, unit: 'items' | 'bytes' | 'wcu', cost: number, workers = 4): { stop: () => void; spent: () => number } {
  let spent = 0;
  let stopped = false;
  for (let w = 0; w < workers; w++) {
    void (async () => {
      while (!stopped) {
        try {
          await limiter.acquire({ [unit]: cost });
        } catch {
          return;
        }
        if (!stopped) spent += cost;
      }
    })();
  }
  return { stop: () => void (stopped = true), spent: () => spent };
}

describe('rate limiter', () => {
  it('maps plan limits to units', () => {
    expect(rateLimitsOf({ wcu: 2000, items_per_second: 10, bytes_per_second: 0, requests_per_second: 5, writes_per_second: 7, ru: 400 })).toEqual({
      wcu: 2000,
      items: 10,
      requests: 5,
      writes: 7,
      ru: 400,
    });
    expect(rateLimitsOf(undefined)).toEqual({});
  });

  it('holds the configured rate within 10% over a 10 s window', async () => {
    const limiter = new RateLimiter({ limits: { items: 1000 } });
    const load = saturate(limiter, 'items', 25);
    await vi.advanceTimersByTimeAsync(2_000); // settle
    const before = load.spent();
    await vi.advanceTimersByTimeAsync(10_000);
    const rate = (load.spent() - before) / 10;
    load.stop();
    await stopLimiter(limiter);
    expect(rate).toBeGreaterThanOrEqual(900);
    expect(rate).toBeLessThanOrEqual(1100);
  });

  it('holds a byte rate with costs larger than a tick, and lets a write bigger than the whole bucket through', async () => {
    const limiter = new RateLimiter({ limits: { bytes: 10_000 } });
    const load = saturate(limiter, 'bytes', 3_000, 2);
    await vi.advanceTimersByTimeAsync(10_000);
    const rate = load.spent() / 10;
    load.stop();
    expect(rate).toBeGreaterThanOrEqual(9_000);
    expect(rate).toBeLessThanOrEqual(11_000);

    // 25 000 bytes, 2.5 s of budget and 2.5 buckets: taken in pieces, it passes after about 2.5 s.
    let passed = false;
    void limiter.acquire({ bytes: 25_000 }).then(() => (passed = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passed).toBe(true);
    await stopLimiter(limiter);
  });

  it('halves the rate on a throttle signal, once per episode, and climbs back after quiet periods', async () => {
    const changes: RateChange[] = [];
    const limiter = new RateLimiter({ limits: { wcu: 1000 }, onChange: (c) => changes.push(c) });
    const load = saturate(limiter, 'wcu', 10);
    await vi.advanceTimersByTimeAsync(1_000);

    // Eight writes throttled at once are one episode.
    for (let i = 0; i < 8; i++) limiter.throttled('ProvisionedThroughputExceeded');
    expect(limiter.factor).toBe(0.5);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ direction: 'down', factor: 0.5, rates: { wcu: 500 } });

    // During the next second (before any quiet period ends) the rate is about half.
    let before = load.spent();
    await vi.advanceTimersByTimeAsync(1_900);
    const halfRate = (load.spent() - before) / 1.9;
    expect(halfRate).toBeGreaterThanOrEqual(450);
    expect(halfRate).toBeLessThanOrEqual(550);

    // Further signals after the cooldown halve again, but never below the floor (2% of the ceiling).
    for (let i = 0; i < 10; i++) {
      limiter.throttled('429');
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(limiter.factor).toBe(0.02);

    // Quiet: +5% of the ceiling every 2 s, up to the ceiling and not beyond.
    await vi.advanceTimersByTimeAsync(2_000 * 25);
    expect(limiter.factor).toBeCloseTo(1, 10);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(limiter.factor).toBe(1);
    expect(changes.filter((c) => c.direction === 'up').every((c) => (c.rates.wcu ?? 0) <= 1000)).toBe(true);
    before = load.spent();
    await vi.advanceTimersByTimeAsync(5_000);
    const full = (load.spent() - before) / 5;
    expect(full).toBeGreaterThanOrEqual(900);
    expect(full).toBeLessThanOrEqual(1100);
    load.stop();
    await stopLimiter(limiter);
  });

  it('meters several units at once: the tightest one wins', async () => {
    const limiter = new RateLimiter({ limits: { items: 100, bytes: 1000 } });
    let items = 0;
    let stopped = false;
    void (async () => {
      // 50-byte items: bytes allow 20/s, items 100/s.
      while (!stopped) {
        await limiter.acquire({ items: 1, bytes: 50 }).catch(() => (stopped = true));
        items += 1;
      }
    })();
    await vi.advanceTimersByTimeAsync(10_000);
    stopped = true;
    expect(items / 10).toBeGreaterThanOrEqual(18);
    expect(items / 10).toBeLessThanOrEqual(22);
    await stopLimiter(limiter);
  });

  it('is a pass-through without limits, and still reports throttle signals', async () => {
    const changes: RateChange[] = [];
    const limiter = new RateLimiter({ limits: {}, onChange: (c) => changes.push(c) });
    expect(limiter.limited).toBe(false);
    for (let i = 0; i < 10_000; i++) await limiter.acquire({ items: 1_000_000 });
    limiter.throttled('SlowDown');
    expect(changes).toEqual([{ direction: 'down', factor: 1, rates: {}, reason: 'SlowDown' }]);
    await stopLimiter(limiter);
  });

  it('rejects waiting acquisitions when aborted or stopped', async () => {
    const limiter = new RateLimiter({ limits: { items: 1 } });
    const ac = new AbortController();
    const waiting = limiter.acquire({ items: 100 }, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'INTERRUPTED' });
    const other = limiter.acquire({ items: 100 });
    other.catch(() => {});
    await stopLimiter(limiter);
    await expect(other).rejects.toBeDefined();
  });
});
