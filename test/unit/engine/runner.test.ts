import { describe, expect, it } from 'vitest';
import { runJob, type ProgressEvent } from '../../../src/engine/index.js';
import { FerryError } from '../../../src/errors.js';
import { memoryPlan, MemoryWorld } from '../../support/memory-world.js';

const instant = { sleep: async () => {}, backoff: { random: () => 0 } };

function expectedRows(n: number, offset = 0): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = offset; i < offset + n; i++) m.set(`id=${i}`, { id: i, name: `r${i}` });
  return m;
}

describe('runJob', () => {
  it('copies every stream and segment, reports events and a summary', async () => {
    const world = new MemoryWorld({ 'public.a': { count: 1234 }, 'public.b': { count: 10 } });
    const p = world.process();
    const events: ProgressEvent[] = [];
    const summary = await runJob({
      plan: memoryPlan([{ from: 'public.*' }], { batch_size: 100, concurrency: 3 }),
      ...p,
      onEvent: (e) => events.push(e),
      ...instant,
    });
    expect(summary.status).toBe('succeeded');
    expect(summary.items).toBe(1244);
    expect(summary.rejected).toBe(0);
    expect(summary.streams.map((s) => [s.stream, s.target, s.totals.items, s.segments, s.doneSegments])).toEqual([
      ['public.a', 'a', 1234, 3, 3],
      ['public.b', 'b', 10, 3, 3],
    ]);
    expect(world.sinkData.rows('a')).toEqual(expectedRows(1234));
    expect(world.sinkData.rows('b')).toEqual(expectedRows(10));
    expect((await p.store.getJob(p.job.id))!.status).toBe('succeeded');
    expect((await p.store.listSegments(p.job.id)).every((s) => s.status === 'done')).toBe(true);
    const types = new Set(events.map((e) => e.type));
    expect([...types]).toEqual(expect.arrayContaining(['job.start', 'stream.count', 'segment.start', 'batch', 'segment.done', 'job.done']));
    const last = events.at(-1)!;
    expect(last.type).toBe('job.done');
    const batches = events.filter((e): e is Extract<ProgressEvent, { type: 'batch' }> => e.type === 'batch');
    expect(batches.reduce((n, b) => n + b.items, 0)).toBe(1244);
    expect(batches.at(-1)!.jobTotals.items).toBe(1244);
    expect(world.storeData.events.map((e) => e.type)).toEqual(expect.arrayContaining(['job.started', 'segment.done', 'job.finished']));
    expect(world.sinkData.prepared).toEqual([
      { target: 'a', mode: 'upsert' },
      { target: 'b', mode: 'upsert' },
    ]);
  });

  it('refuses a job another live runner holds', async () => {
    const world = new MemoryWorld({ s: { count: 5 } });
    const p = world.process();
    world.store({}, 4242).acquireRunner(p.job.id, 60_000);
    await expect(runJob({ plan: memoryPlan([{ from: 's' }]), ...p, ...instant })).rejects.toMatchObject({ code: 'JOB_LOCKED' });
    expect(world.sinkData.prepared).toEqual([]);
  });

  it('rejects an already succeeded job', async () => {
    const world = new MemoryWorld({ s: { count: 5 } });
    const p = world.process();
    await runJob({ plan: memoryPlan([{ from: 's' }]), ...p, ...instant });
    const again = world.process();
    await expect(runJob({ plan: memoryPlan([{ from: 's' }]), ...again, ...instant })).rejects.toBeInstanceOf(FerryError);
  });
});
