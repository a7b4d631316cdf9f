import { describe, expect, it } from 'vitest';
import type { FerryRecord } from '../../../src/core/record.js';
import { BatchWriter, type BatchWriterOptions } from '../../../src/engine/batch-writer.js';
import type { EventInput } from '../../../src/engine/events.js';
import { RateLimiter } from '../../../src/engine/rate-limiter.js';
import { FerryError } from '../../../src/errors.js';
import { defaultRecord } from '../../support/memory-source.js';
import { MemorySink, type MemorySinkOptions } from '../../support/memory-sink.js';

const target = { name: 'T' };
const ctx = { segmentId: 's#0/1', stream: 's', target: 'T' };

function records(n: number, size?: (i: number) => number): FerryRecord[] {
  return Array.from({ length: n }, (_, i) => ({ ...defaultRecord(i), ...(size ? { sizeBytes: size(i) } : {}) }));
}

function setup(sinkOpts: MemorySinkOptions = {}, writerOpts: Partial<BatchWriterOptions> = {}) {
  const sink = new MemorySink(sinkOpts);
  const throttles: string[] = [];
  const limiter = new RateLimiter({ limits: {}, onChange: (c) => throttles.push(c.reason), cooldownMs: 0 });
  const sleeps: number[] = [];
  const events: EventInput[] = [];
  const writer = new BatchWriter({
    sink,
    limiter,
    maxRetries: 3,
    backoff: { baseMs: 100, capMs: 1000, random: () => 1 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    emit: (e) => events.push(e),
    ...writerOpts,
  });
  const signal = new AbortController().signal;
  const write = async (items: FerryRecord[]) => {
    const out = await writer.write(target, items, ctx, signal);
    await sink.flush(signal);
    return out;
  };
  return { sink, writer, throttles, sleeps, events, write };
}

describe('batch writer', () => {
  it('splits writes by item count and bytes', async () => {
    const { sink, write } = setup({ limits: { maxItemsPerWrite: 4, maxBytesPerWrite: 100 } });
    const out = await write(records(10, (i) => (i < 6 ? 10 : 40)));
    expect(out).toMatchObject({ accepted: 10, bytes: 6 * 10 + 4 * 40, deadLetters: [] });
    // 4 small; 2 small + 2 large (20 + 80 = 100); 2 large
    expect(sink.writeSizes).toEqual([4, 4, 2]);
    expect(sink.data.rows('T').size).toBe(10);
  });

  it('sends oversize items straight to dead letters, naming size and limit', async () => {
    const { sink, write } = setup({ limits: { maxItemsPerWrite: 10, maxItemBytes: 400 } });
    const out = await write(records(5, (i) => (i === 2 ? 401 : 10)));
    expect(out.accepted).toBe(4);
    expect(out.deadLetters).toHaveLength(1);
    expect(out.deadLetters[0]).toMatchObject({ stream: 's', key: 'id=2' });
    expect(out.deadLetters[0]!.reason).toMatch(/401 bytes.*limit of 400 bytes/);
    expect(out.deadLetters[0]!.payload).toBe('{"id":2,"name":"r2"}');
    expect(sink.writesPerKey.has('id=2')).toBe(false);
  });

  it('uses maxBytesPerWrite as the per-item limit when there is no maxItemBytes', async () => {
    const { write } = setup({ limits: { maxItemsPerWrite: 10, maxBytesPerWrite: 50 } });
    const out = await write(records(3, (i) => (i === 0 ? 51 : 10)));
    expect(out.accepted).toBe(2);
    expect(out.deadLetters[0]!.reason).toMatch(/51 bytes.*limit of 50/);
  });

  it('runs at most maxConcurrentWrites writes at once', async () => {
    const { sink, write } = setup({
      limits: { maxItemsPerWrite: 1, maxConcurrentWrites: 3 },
      onWrite: () => new Promise((r) => setTimeout(r, 2)),
    });
    await write(records(20));
    expect(sink.maxInFlight).toBe(3);
  });

  it('retries transient and throttled errors with backoff, then succeeds', async () => {
    const { sink, write, sleeps, throttles, events } = setup({
      limits: { maxItemsPerWrite: 10 },
      onWrite: ({ call }) =>
        call === 1
          ? { throw: new FerryError('TRANSIENT', 'connection reset') }
          : call === 2
            ? { throw: new FerryError('THROTTLED', 'slow down') }
            : undefined,
    });
    const out = await write(records(5));
    expect(out.accepted).toBe(5);
    expect(sink.calls).toBe(3);
    expect(sleeps).toEqual([100, 200]); // full jitter with random() = 1: the whole window
    expect(throttles).toEqual(['slow down']); // only the throttled error is a throttle signal
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { retryability: string }).retryability)).toEqual(['transient', 'throttled']);
    expect(sink.data.rows('T').size).toBe(5);
  });

  it('does not retry a terminal error, nor an unknown one', async () => {
    for (const err of [new FerryError('AUTH', 'denied'), new Error('bug')]) {
      const { sink, write } = setup({ onWrite: () => ({ throw: err }) });
      await expect(write(records(3))).rejects.toBe(err);
      expect(sink.calls).toBe(1);
    }
  });

  it('fails with the last error once max_retries is spent', async () => {
    let n = 0;
    const { sink, write, sleeps } = setup({ onWrite: () => ({ throw: new FerryError('TRANSIENT', `timeout ${++n}`) }) });
    await expect(write(records(3))).rejects.toThrow('timeout 4');
    expect(sink.calls).toBe(4); // 1 + max_retries (3)
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('re-sends every item handed back in retry and never drops one', async () => {
    const { sink, write, throttles } = setup({
      limits: { maxItemsPerWrite: 25 },
      // Each write accepts only the first 3 items it is given and hands the rest back.
      onWrite: ({ items }) => {
        const first = new Set(items.slice(0, 3));
        return { retry: (i) => !first.has(i) };
      },
    });
    const items = records(25);
    const out = await write(items);
    expect(out.accepted).toBe(25);
    expect(sink.data.rows('T').size).toBe(25);
    expect(sink.calls).toBe(9); // ceil(25 / 3)
    expect(throttles.length).toBeGreaterThan(0);
  });

  it('stops (resumably) when the target hands the same items back max_retries times in a row', async () => {
    const { sink, write } = setup({ onWrite: () => ({ retry: () => true }) });
    await expect(write(records(3))).rejects.toMatchObject({ code: 'THROTTLED' });
    expect(sink.calls).toBe(4);
  });

  it('turns rejected items into dead letters and accepts the rest', async () => {
    const { write } = setup({ onWrite: () => ({ reject: (i) => (i.key.id === 1 ? 'ValidationException: bad attr' : undefined) }) });
    const out = await write(records(3));
    expect(out.accepted).toBe(2);
    expect(out.deadLetters).toEqual([{ stream: 's', key: 'id=1', reason: 'ValidationException: bad attr', payload: '{"id":1,"name":"r1"}' }]);
  });

  it('honours retryAfterMs from errors and from results', async () => {
    let t = 0;
    const { write, sleeps } = setup(
      {
        limits: { maxItemsPerWrite: 2, maxConcurrentWrites: 1 },
        onWrite: ({ call }) =>
          call === 1 ? { throw: new FerryError('THROTTLED', '429', { retryAfterMs: 5000 }) } : call === 2 ? { retryAfterMs: 3000 } : undefined,
      },
      { now: () => t, sleep: async (ms) => void (sleeps.push(ms), (t += ms)) },
    );
    await write(records(4));
    // 5000 after the 429 (more than the backoff window); then the next write waits out the result's 3000.
    expect(sleeps).toEqual([5000, 3000]);
  });

  it('refuses a sink result that loses items', async () => {
    const sink = new MemorySink();
    sink.write = async (_s, items) => ({ accepted: items.length - 1, retry: [], rejected: [] });
    const writer = new BatchWriter({ sink, limiter: new RateLimiter({ limits: {} }), sleep: async () => {} });
    await expect(writer.write(target, records(3), ctx, new AbortController().signal)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('stops waiting and writing when the hard signal aborts', async () => {
    const ac = new AbortController();
    const sink = new MemorySink({
      limits: { maxItemsPerWrite: 1, maxConcurrentWrites: 1 },
      onWrite: ({ call }) => {
        if (call === 2) ac.abort();
      },
    });
    const writer = new BatchWriter({ sink, limiter: new RateLimiter({ limits: {} }) });
    await expect(writer.write(target, records(5), ctx, ac.signal)).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(sink.calls).toBe(2);
  });
});
