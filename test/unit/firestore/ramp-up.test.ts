import { describe, expect, it } from 'vitest';
import { RampUp } from '../../../src/connectors/firestore/ramp-up.js';

const signal = new AbortController().signal;

describe('Firestore ramp-up (500/50/5)', () => {
  it('starts at 500 writes/s and grows by half every 5 minutes', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const ramp = new RampUp(
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    await ramp.acquire(500, signal); // at once
    await ramp.acquire(500, signal); // one second later
    await ramp.acquire(250, signal); // half a second later
    expect(slept).toEqual([1000, 1000]);
    expect(ramp.rateAt(now)).toBe(500);
    expect(ramp.rateAt(1_000_000 + 5 * 60_000)).toBe(750);
    expect(ramp.rateAt(1_000_000 + 10 * 60_000)).toBe(1125);
    now = 1_000_000 + 10 * 60_000;
    slept.length = 0;
    await ramp.acquire(1125, signal);
    await ramp.acquire(1125, signal);
    expect(slept).toEqual([1000]);
  });
});
