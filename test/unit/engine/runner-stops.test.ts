/**
 * How a run ends early and how it resumes: max_rejected, graceful stop, hard abort, lease loss, failures; and
 * what a resume reuses (done segments, recorded segment splits, target modes).
 */
import { describe, expect, it } from 'vitest';
import type { FerryRecord } from '../../../src/core/record.js';
import { runJob, type ProgressEvent } from '../../../src/engine/index.js';
import { FerryError } from '../../../src/errors.js';
import type { Plan } from '../../../src/plan/types.js';
import { memoryPlan, MemoryWorld } from '../../support/memory-world.js';

const instant = { sleep: async () => {}, backoff: { random: () => 0 } };

function expectedRows(n: number, skip: (i: number) => boolean = () => false): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i < n; i++) if (!skip(i)) m.set(`id=${i}`, { id: i, name: `r${i}` });
  return m;
}

const rejectMultiplesOf = (k: number) => () => ({ reject: (i: FerryRecord) => (Number(i.key.id) % k === 0 ? 'bad item' : undefined) });

/** Keys under committed cursors (MemorySource cursors are the next index of the segment's range). */
function committedKeys(world: MemoryWorld): Set<string> {
  const keys = new Set<string>();
  for (const seg of world.storeData.segments.get(world.job.id)!.values()) {
    const spec = seg.spec as { start: number; end: number };
    const end = seg.status === 'done' ? spec.end : seg.cursor ? (JSON.parse(seg.cursor) as { pos: number }).pos : spec.start;
    for (let i = spec.start; i < end; i++) keys.add(`id=${i}`);
  }
  return keys;
}

describe('max_rejected', () => {
  const plan = (max: number): Plan => memoryPlan([{ from: 's' }], { batch_size: 10, concurrency: 2 }, { max_rejected: max });

  it('stops the job after committing what was flushed, dead letters included, and resumes with a raised limit', async () => {
    const world = new MemoryWorld({ s: { count: 200 } });
    const p = world.process({ sink: { onWrite: rejectMultiplesOf(7) } });
    const err = await runJob({ plan: plan(2), ...p, ...instant }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_MANY_REJECTED' });
    expect((await p.store.getJob(p.job.id))!.status).toBe('failed');
    const dls = await p.store.deadLetters(p.job.id);
    expect(dls.length).toBeGreaterThan(2);
    expect(dls.every((d) => d.reason === 'bad item')).toBe(true);
    // What is durable is committed, and the other way round.
    expect(new Set(world.sinkData.rows('s').keys())).toEqual(new Set([...committedKeys(world)].filter((k) => Number(k.slice(3)) % 7 !== 0)));

    // Resuming with the same limit stops at once, without writing anything.
    const again = world.process({ sink: { onWrite: rejectMultiplesOf(7) } });
    await expect(runJob({ plan: plan(2), ...again, ...instant })).rejects.toMatchObject({ code: 'TOO_MANY_REJECTED' });
    expect(again.sink.calls).toBe(0);

    // A raised limit continues where it stopped.
    const raised = world.process({ sink: { onWrite: rejectMultiplesOf(7) } });
    const summary = await runJob({ plan: plan(100), ...raised, ...instant });
    expect(summary.status).toBe('succeeded');
    expect(summary.rejected).toBe(29); // 0, 7, ..., 196
    expect(world.sinkData.rows('s')).toEqual(expectedRows(200, (i) => i % 7 === 0));
    expect(new Set((await raised.store.deadLetters(raised.job.id)).map((d) => d.key)).size).toBe(29);
  });

  it('sends oversize items and mapping failures to dead letters within the limit', async () => {
    const world = new MemoryWorld({
      s: { count: 30, make: (i) => ({ key: { id: i }, value: { id: i, ...(i % 10 === 3 ? {} : { code: `c${i}` }) } }) },
    });
    // The sink's own size measure (as DynamoDB would count item bytes): item 5 is too large.
    const p = world.process({ sink: { limits: { maxItemBytes: 1000 }, sizeOf: (i) => (i.key.id === 5 ? 5000 : 20) } });
    const events: ProgressEvent[] = [];
    const summary = await runJob({
      plan: memoryPlan([{ from: 's', map: { set: { pk: 'X#${code}' } } }], { batch_size: 7 }, { max_rejected: 10 }),
      ...p,
      onEvent: (e) => events.push(e),
      ...instant,
    });
    expect(summary).toMatchObject({ status: 'succeeded', items: 26, rejected: 4 });
    const reasons = (await p.store.deadLetters(p.job.id)).map((d) => [d.key, d.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['id=3', 'set.pk: the record has no field "code"'],
        ['id=13', 'set.pk: the record has no field "code"'],
        ['id=23', 'set.pk: the record has no field "code"'],
      ]),
    );
    expect(reasons).toContainEqual(['id=5', 'item is 5000 bytes, over the target\'s limit of 1000 bytes per item (s)']);
    expect(world.sinkData.rows('s').get('id=0')).toEqual({ id: 0, code: 'c0', pk: 'X#c0' });
    expect(events.filter((e) => e.type === 'dead-letter')).toHaveLength(4);
  });
});

describe('stopping', () => {
  const plan = memoryPlan([{ from: 's', segments: 3 }], { batch_size: 10, concurrency: 3 });

  it('graceful stop: finishes and commits in-flight batches, marks the job interrupted, and resumes exactly', async () => {
    const world = new MemoryWorld({ s: { count: 300 } });
    const p = world.process();
    const stop = new AbortController();
    let batches = 0;
    const err = await runJob({
      plan,
      ...p,
      stopSignal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'batch' && ++batches === 4) stop.abort();
      },
      ...instant,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INTERRUPTED' });
    expect((await p.store.getJob(p.job.id))!.status).toBe('interrupted');
    // Nothing was written that is not committed: the in-flight batches were flushed and committed.
    const committed = committedKeys(world);
    expect(new Set(world.sinkData.rows('s').keys())).toEqual(committed);
    expect(committed.size).toBeGreaterThanOrEqual(40);
    expect(committed.size).toBeLessThan(300);
    expect(await p.store.runnerOf(p.job.id)).toBeUndefined(); // lease released

    const r = world.process();
    const summary = await runJob({ plan, ...r, ...instant });
    expect(summary.status).toBe('succeeded');
    expect(summary.items).toBe(300);
    expect(summary.run.items).toBe(300 - committed.size);
    expect(world.sinkData.rows('s')).toEqual(expectedRows(300));
    // Nothing committed was re-written.
    for (const k of r.sink.writesPerKey.keys()) expect(committed.has(k)).toBe(false);
  });

  it('hard abort: cancels in-flight writes, commits nothing unflushed, marks interrupted, and resumes', async () => {
    const world = new MemoryWorld({ s: { count: 300 } });
    const abort = new AbortController();
    const p = world.process({
      sink: {
        onWrite: async ({ call }) => {
          if (call === 30) abort.abort();
          await new Promise((r) => setTimeout(r, 1));
        },
      },
    });
    let commitsAtAbort = -1;
    abort.signal.addEventListener('abort', () => (commitsAtAbort = world.commits.length));
    const err = await runJob({ plan, ...p, abortSignal: abort.signal, ...instant }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INTERRUPTED' });
    expect(world.commits.length).toBe(commitsAtAbort);
    expect((await p.store.getJob(p.job.id))!.status).toBe('interrupted');
    // Durable ⊇ committed (the aborted batch may be half written: idempotent re-write on resume).
    const committed = committedKeys(world);
    for (const k of committed) expect(world.sinkData.rows('s').has(k)).toBe(true);

    const r = world.process();
    await runJob({ plan, ...r, ...instant });
    expect(world.sinkData.rows('s')).toEqual(expectedRows(300));
    expect((await r.store.listSegments(r.job.id)).reduce((n, s) => n + s.items, 0)).toBe(300);
  });

  it('stops at once, without committing, when the lease cannot be renewed', async () => {
    const world = new MemoryWorld({ s: { count: 1_000_000 } });
    let renewals = 0;
    let commitsAtLoss = -1;
    const p = world.process({
      source: { beforeBatch: () => new Promise((r) => setTimeout(r, 2)) },
      store: {
        onRenew: () => {
          if (++renewals === 3) {
            commitsAtLoss = world.commits.length;
            throw new FerryError('JOB_LOCKED', 'taken over by pid 99');
          }
        },
      },
    });
    const err = await runJob({ plan, ...p, leaseTtlMs: 60, ...instant }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'JOB_LOCKED' });
    expect((err as Error).message).toMatch(/lost the runner lease.*taken over by pid 99/);
    expect(commitsAtLoss).toBeGreaterThan(0);
    expect(world.commits.length).toBe(commitsAtLoss);
    // The job is someone else's now: no status, no events written after the loss.
    expect((await p.store.getJob(p.job.id))!.status).toBe('running');
    expect(world.storeData.events.map((e) => e.type)).not.toContain('job.finished');
  });

  it('a terminal sink error fails the job; other segments commit their in-flight batch; resume completes', async () => {
    const world = new MemoryWorld({ s: { count: 300 } });
    const p = world.process({ sink: { onWrite: ({ call }) => (call === 20 ? { throw: new FerryError('AUTH', 'token expired') } : undefined) } });
    const events: ProgressEvent[] = [];
    await expect(runJob({ plan, ...p, onEvent: (e) => events.push(e), ...instant })).rejects.toMatchObject({ code: 'AUTH' });
    expect(await p.store.getJob(p.job.id)).toMatchObject({ status: 'failed', error: 'token expired' });
    const done = events.at(-1) as Extract<ProgressEvent, { type: 'job.done' }>;
    expect(done.summary).toMatchObject({ status: 'failed', error: { code: 'AUTH', message: 'token expired' } });
    expect((await p.store.listSegments(p.job.id)).some((s) => s.status === 'failed')).toBe(true);

    const r = world.process();
    await runJob({ plan, ...r, ...instant });
    expect(world.sinkData.rows('s')).toEqual(expectedRows(300));
  });

  it('retries a retryable flush failure by writing the batch again', async () => {
    const world = new MemoryWorld({ s: { count: 30 } });
    const p = world.process({ sink: { onFlush: (n) => (n === 2 ? Promise.reject(new FerryError('TRANSIENT', 'flush timeout')) : undefined) } });
    const summary = await runJob({ plan: memoryPlan([{ from: 's', segments: 1 }], { batch_size: 10 }), ...p, ...instant });
    expect(summary.items).toBe(30);
    expect(world.sinkData.rows('s')).toEqual(expectedRows(30));
    expect(p.sink.writeSizes.reduce((a, b) => a + b, 0)).toBe(40);
  });
});

describe('source failures', () => {
  it('re-opens a read after a transient failure, after the last batch it produced', async () => {
    const world = new MemoryWorld({ s: { count: 50 } });
    let batches = 0;
    const p = world.process({
      source: {
        beforeBatch: () => {
          batches += 1;
          if (batches === 3 || batches === 4) throw new FerryError('TRANSIENT', 'connection reset');
        },
      },
    });
    const events: ProgressEvent[] = [];
    const summary = await runJob({ plan: memoryPlan([{ from: 's', segments: 1 }], { batch_size: 10 }), ...p, onEvent: (e) => events.push(e), ...instant });
    expect(summary.items).toBe(50);
    expect(world.sinkData.rows('s')).toEqual(expectedRows(50));
    expect(p.source.reads.map((r) => r.after)).toEqual([undefined, '{"pos":20}', '{"pos":20}']);
    expect(p.sink.writeSizes.reduce((a, b) => a + b, 0)).toBe(50); // nothing read twice
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });

  it('fails the job on a terminal read error', async () => {
    const world = new MemoryWorld({ s: { count: 50 } });
    const p = world.process({ source: { beforeBatch: () => Promise.reject(new FerryError('AUTH', 'password authentication failed')) } });
    await expect(runJob({ plan: memoryPlan([{ from: 's' }]), ...p, ...instant })).rejects.toMatchObject({ code: 'AUTH' });
    expect((await p.store.getJob(p.job.id))!.status).toBe('failed');
  });
});

describe('resume', () => {
  it('skips done segments, never re-splits a recorded stream, and prepares resumed targets with upsert', async () => {
    const world = new MemoryWorld({ a: { count: 100 }, b: { count: 50 } });
    const first = memoryPlan([{ from: 'a', segments: 4, write: 'replace' }, { from: 'b', to: 'B_${name}', segments: 2, write: 'replace' }], {
      batch_size: 10,
      concurrency: 2,
    });
    const p = world.process();
    const stop = new AbortController();
    await runJob({
      plan: first,
      ...p,
      stopSignal: stop.signal,
      onEvent: (e) => e.type === 'segment.done' && stop.abort(),
      ...instant,
    }).catch(() => {});
    const before = await p.store.listSegments(p.job.id);
    const done = before.filter((s) => s.status === 'done').map((s) => s.id);
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(world.sinkData.prepared).toEqual([
      { target: 'a', mode: 'replace' },
      { target: 'B_b', mode: 'replace' },
    ]);

    // Same job, plan asking for other splits: the recorded ones are kept.
    const r = world.process();
    let splits = 0;
    const segmentsOf = r.source.segments.bind(r.source);
    r.source.segments = async (...args) => {
      splits += 1;
      return segmentsOf(...args);
    };
    world.sinkData.prepared.length = 0;
    const summary = await runJob({ plan: { ...first, streams: first.streams.map((s) => ({ ...s, segments: 7 })) }, ...r, ...instant });
    expect(summary.status).toBe('succeeded');
    expect(splits).toBe(0);
    expect((await r.store.listSegments(r.job.id)).map((s) => s.id)).toEqual(before.map((s) => s.id));
    for (const id of done) expect(r.source.reads.map((x) => x.segmentId)).not.toContain(id);
    // `a` has progress, so it is not wiped; `b` may have none yet and then is prepared as asked.
    expect(world.sinkData.prepared[0]).toEqual({ target: 'a', mode: 'upsert' });
    expect(world.sinkData.rows('a')).toEqual(expectedRows(100));
    expect(world.sinkData.rows('B_b')).toEqual(expectedRows(50));
  });

  it('names targets, refuses a stream sent twice to one target and a pattern that matches nothing', async () => {
    const world = new MemoryWorld({ 'public.a': { count: 1 }, 'logs/2024/': { count: 1 } });
    const s = await runJob({ plan: memoryPlan([{ from: 'public.a' }, { from: 'logs/*' }, { from: 'public.a', to: 'copy_${name}' }]), ...world.process(), ...instant });
    expect(s.streams.map((x) => `${x.stream}->${x.target}`)).toEqual(['public.a->a', 'logs/2024/->logs/2024/', 'public.a->copy_a']);

    const w2 = new MemoryWorld({ 'public.a': { count: 1 } });
    await expect(runJob({ plan: memoryPlan([{ from: 'public.a' }, { from: 'public.*' }]), ...w2.process(), ...instant })).rejects.toMatchObject({
      code: 'PLAN_INVALID',
    });
    const w3 = new MemoryWorld({ 'public.a': { count: 1 } });
    await expect(runJob({ plan: memoryPlan([{ from: 'nope.*' }]), ...w3.process(), ...instant })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
