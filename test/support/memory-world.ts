/**
 * Wiring for engine tests: a plan over in-memory streams, a store, a job, and a fresh "process" (store, sink and
 * source instances over shared data) per run, so crash-and-resume can be replayed exactly.
 */
import type { CommitInput, JobRecord } from '../../src/core/checkpoint.js';
import type { Limits, OnError, Plan, StreamSpec } from '../../src/plan/types.js';
import type { CrashSwitch } from './memory-crash.js';
import { MemoryCheckpointStore, MemoryStoreData, type MemoryStoreOptions } from './memory-checkpoint-store.js';
import { MemorySink, MemorySinkData, type MemorySinkOptions } from './memory-sink.js';
import { MemorySource, type MemorySourceOptions, type MemoryStream } from './memory-source.js';

export function memoryPlan(streams: StreamSpec[], limits: Limits = {}, onError: OnError = {}): Plan {
  return {
    version: 1,
    kind: 'migration',
    name: 'memory-test',
    source: { type: 'memory' },
    target: { type: 'memory' },
    streams,
    limits,
    on_error: onError,
  };
}

export interface ProcessOptions {
  crash?: CrashSwitch;
  sink?: Omit<MemorySinkOptions, 'data' | 'crash'>;
  source?: Omit<MemorySourceOptions, 'streams' | 'crash'>;
  store?: Omit<MemoryStoreOptions, 'data' | 'crash' | 'now' | 'pid'>;
}

export class MemoryWorld {
  readonly storeData = new MemoryStoreData();
  readonly sinkData = new MemorySinkData();
  /** The store's clock; tests jump it past a lease's TTL to let a "restarted process" take the job. */
  clock = 1_000_000;
  private pid = 1000;
  readonly job: JobRecord;

  constructor(readonly streams: Record<string, MemoryStream>) {
    this.job = this.storeData.addJob({ planName: 'memory-test', planHash: 'h', kind: 'migration', planText: '' }, new Date(this.clock).toISOString());
  }

  /** A store over the shared data, as the current process (or as another one, with `pid`). */
  store(opts: MemoryStoreOptions = {}, pid = this.pid): MemoryCheckpointStore {
    return new MemoryCheckpointStore({ ...opts, data: this.storeData, now: () => this.clock, pid });
  }

  /** A new process: new pid, stale lease expired, new instances over the shared data. */
  process(opts: ProcessOptions = {}): { store: MemoryCheckpointStore; sink: MemorySink; source: MemorySource; job: JobRecord } {
    this.pid += 1;
    this.clock += 10 * 60_000;
    const store = this.store({ ...opts.store, ...(opts.crash ? { crash: opts.crash } : {}) });
    const sink = new MemorySink({ ...opts.sink, data: this.sinkData, ...(opts.crash ? { crash: opts.crash } : {}) });
    const source = new MemorySource({ ...opts.source, streams: this.streams, ...(opts.crash ? { crash: opts.crash } : {}) });
    const job = this.storeData.jobs.get(this.job.id)!;
    return { store, sink, source, job: { ...job } };
  }

  get commits(): { segmentId: string; input: CommitInput }[] {
    return this.storeData.commits;
  }
}
