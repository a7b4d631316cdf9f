/**
 * Bounded memory on a long stream: 2 million small records generated lazily. The number of records held by the
 * engine at any moment (handed out by the source, not yet committed) must stay under the bound the design promises
 * — batch being written + one batch of read-ahead per running segment — whatever the stream's length.
 */
import { describe, expect, it } from 'vitest';
import { runJob } from '../../../src/engine/index.js';
import { memoryPlan, MemoryWorld } from '../../support/memory-world.js';

describe('bounded memory', () => {
  it('holds at most 2 x batch_size records per running segment over 2 million records', { timeout: 120_000 }, async () => {
    const COUNT = 2_000_000;
    const CONCURRENCY = 4;
    const BATCH = 1000;
    const world = new MemoryWorld({ big: { count: COUNT, make: (i) => ({ key: { id: i }, value: { id: i }, sizeBytes: 16 }) } });
    let yielded = 0;
    let committed = 0;
    let maxHeld = 0;
    let slowSink = 0;
    const p = world.process({
      source: {
        onYield: (_s, n) => {
          yielded += n;
          maxHeld = Math.max(maxHeld, yielded - committed);
        },
      },
      // A sink that is sometimes slow, so that the source is the fast side and would run ahead if it could.
      sink: {
        retain: false,
        limits: { maxItemsPerWrite: 250, maxConcurrentWrites: 8 },
        onWrite: ({ call }) => (call % 97 === 0 ? new Promise<void>((r) => setTimeout(() => r(void slowSink++), 1)) : undefined),
      },
      store: {
        onCommit: (_id, input) => {
          committed += input.items + input.deadLetters.length;
        },
      },
    });
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapMax = heapBefore;
    const timer = setInterval(() => (heapMax = Math.max(heapMax, process.memoryUsage().heapUsed)), 20);
    const summary = await runJob({
      plan: memoryPlan([{ from: 'big', segments: CONCURRENCY * 2 }], { batch_size: BATCH, concurrency: CONCURRENCY }),
      ...p,
      sleep: async () => {},
    });
    clearInterval(timer);
    expect(summary.items).toBe(COUNT);
    expect(world.sinkData.durableCount.get('big')).toBe(COUNT);
    expect(committed).toBe(COUNT);
    expect(slowSink).toBeGreaterThan(0);
    expect(maxHeld).toBeGreaterThan(BATCH); // read-ahead did happen
    expect(maxHeld).toBeLessThanOrEqual(CONCURRENCY * BATCH * 2);
    // Sanity only (GC timing is not ours): far below what 2 million records would take (~200+ MB).
    expect(heapMax - heapBefore).toBeLessThan(150 * 1024 * 1024);
  });
});
