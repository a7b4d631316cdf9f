/**
 * The job lifecycle every front end shares (engine/lifecycle.ts), on in-memory connectors and store: a new job is
 * refused beside a running or unfinished one and recorded only after both connectors opened; a run is verified
 * (`after`) with the connectors still open and closed afterwards; a run that ends without a summary leaves its job
 * failed and resumable; a resume is refused for a finished or held job and gets the stored plan back.
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../../../src/core/checkpoint.js';
import type { OpenConnectors } from '../../../src/engine/index.js';
import { newJobOf, resumableJob, runPlanJob } from '../../../src/engine/index.js';
import { FerryError } from '../../../src/errors.js';
import type { LoadedPlan } from '../../../src/plan/index.js';
import { MemoryCheckpointStore, MemoryStoreData } from '../../support/memory-checkpoint-store.js';
import { MemorySink, MemorySinkData } from '../../support/memory-sink.js';
import { MemorySource } from '../../support/memory-source.js';
import { memoryPlan } from '../../support/memory-world.js';

const PLAN_TEXT = 'version: 1\nkind: migration\nname: lifecycle\nsource: { type: postgres, url: "${env:LC_PGURL}" }\ntarget: { type: dynamodb }\nstreams: [{ from: public.a }]\n';
const logger = { debug: () => {}, info: () => {}, warn: () => {} };

function loaded(): LoadedPlan {
  return { plan: memoryPlan([{ from: 'public.*' }], { batch_size: 50, concurrency: 2 }) as LoadedPlan['plan'], path: 'plans/lifecycle.yaml', text: PLAN_TEXT, storedText: PLAN_TEXT, hash: 'sha256:lc', warnings: [] };
}

function world() {
  const data = new MemoryStoreData();
  const sinkData = new MemorySinkData();
  let t = 1_000_000;
  const store = (pid = 1000): CheckpointStore => new MemoryCheckpointStore({ data, now: () => t, pid });
  const opened = { count: 0, disposed: 0 };
  const openConnectors = async (): Promise<OpenConnectors> => {
    opened.count += 1;
    return {
      source: new MemorySource({ streams: { 'public.a': { count: 120 } } }),
      sink: new MemorySink({ data: sinkData }),
      [Symbol.asyncDispose]: async () => void (opened.disposed += 1),
    };
  };
  return { data, sinkData, store, opened, openConnectors, advance: (ms: number) => void (t += ms) };
}

describe('job lifecycle', () => {
  it('creates the job only once the connectors opened; an unreachable store leaves no job', async () => {
    const w = world();
    const store = w.store();
    const create = await newJobOf(store, loaded(), { planFile: 'plans/lifecycle.yaml', allowNew: false });
    const down = new FerryError('UNREACHABLE', 'cannot reach 127.0.0.1:1');
    await expect(runPlanJob({ loaded: loaded(), store, job: create, openConnectors: () => Promise.reject(down), connectorCtx: { signal: new AbortController().signal, logger } })).rejects.toBe(down);
    expect(await store.listJobs()).toEqual([]);

    const seen: string[] = [];
    const r = await runPlanJob({
      loaded: loaded(),
      store,
      job: create,
      openConnectors: w.openConnectors,
      connectorCtx: { signal: new AbortController().signal, logger },
      onJob: (job) => seen.push(`job ${job.id}`),
      after: async (job, summary, conns) => {
        // Verification runs with the connectors still open.
        seen.push(`after ${job.id} ${summary.status} ${w.opened.disposed} ${conns.sink instanceof MemorySink}`);
      },
    });
    expect(r.summary?.status).toBe('succeeded');
    expect(r.summary?.items).toBe(120);
    expect(seen).toEqual([`job ${r.job.id}`, `after ${r.job.id} succeeded 0 true`]);
    expect(w.opened).toEqual({ count: 1, disposed: 1 });
    expect((await store.getJob(r.job.id))?.status).toBe('succeeded');
    expect(await store.getPlanText(r.job.id)).toBe(PLAN_TEXT);
    expect(w.sinkData.rows('a').size).toBe(120);
  });

  it('refuses a new job beside an unfinished one unless asked, and beside a running one always', async () => {
    const w = world();
    const store = w.store();
    const create = await newJobOf(store, loaded(), { planFile: 'plans/lifecycle.yaml', allowNew: false });
    const first = await create(); // holds this process's runner lock
    const other = w.store(2000);
    const running = await newJobOf(other, loaded(), { planFile: 'plans/lifecycle.yaml', allowNew: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(running).toMatchObject({ code: 'PLAN_RUNNING' });
    expect((running as Error).message).toContain(`already running as job ${first.id}`);

    w.advance(10 * 60_000); // the runner is gone: its lease expired
    const unfinished = await newJobOf(other, loaded(), { planFile: 'plans/lifecycle.yaml', allowNew: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(unfinished).toMatchObject({ code: 'USAGE' });
    expect((unfinished as FerryError).hint).toContain(`ferry resume ${first.id}`);
    const again = await newJobOf(other, loaded(), { planFile: 'plans/lifecycle.yaml', allowNew: true });
    expect((await again()).id).not.toBe(first.id);
  });

  it('a run that fails leaves the job failed and resumable, and the resume finishes it from the stored plan', async () => {
    const w = world();
    const store = w.store();
    const create = await newJobOf(store, loaded(), { planFile: 'plans/lifecycle.yaml', allowNew: false });
    let writes = 0;
    const failing = async (): Promise<OpenConnectors> => {
      const sink = new MemorySink({ data: w.sinkData });
      const write = sink.write.bind(sink);
      sink.write = async (...args: Parameters<typeof write>) => {
        if (++writes > 1) throw new FerryError('INTERNAL', 'the target broke for good');
        return write(...args);
      };
      return { source: new MemorySource({ streams: { 'public.a': { count: 120 } } }), sink, [Symbol.asyncDispose]: async () => {} };
    };
    const r = await runPlanJob({ loaded: loaded(), store, job: create, openConnectors: failing, connectorCtx: { signal: new AbortController().signal, logger } });
    expect(r.summary).toBeUndefined();
    expect(r.failure).toMatchObject({ message: expect.stringContaining('the target broke for good') });
    expect((await store.getJob(r.job.id))?.status).toBe('failed');

    w.advance(10 * 60_000);
    const later = w.store(3000);
    const { job, loaded: again } = await resumableJob(later, r.job.id, { LC_PGURL: 'postgres://x@127.0.0.1/db' });
    expect(again.text).toBe(PLAN_TEXT);
    const resumed = await runPlanJob({ loaded: { ...again, plan: loaded().plan }, store: later, job, openConnectors: w.openConnectors, connectorCtx: { signal: new AbortController().signal, logger } });
    expect(resumed.summary?.status).toBe('succeeded');
    expect(w.sinkData.rows('a').size).toBe(120);
    await expect(resumableJob(later, r.job.id, {})).rejects.toMatchObject({ code: 'JOB_FINISHED' });
  });

  it('a resume is refused for an unknown job and for one a live runner holds, before anything connects', async () => {
    const w = world();
    const store = w.store();
    await expect(resumableJob(store, '20261207-000000-000000', {})).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    const job = await (await newJobOf(store, loaded(), { planFile: 'p.yaml', allowNew: false }))();
    await expect(resumableJob(w.store(2000), job.id, {})).rejects.toMatchObject({ code: 'JOB_LOCKED', message: expect.stringContaining('pid 1000') });
  });
});
