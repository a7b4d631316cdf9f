/**
 * Wiring for verification tests: a plan over DocSource streams, verifyStreams with instant retries, and a seeded
 * random for the sample verifier.
 */
import type { FerryRecord } from '../../src/core/record.js';
import type { Sink } from '../../src/core/sink.js';
import type { StreamSpec, VerifySpec } from '../../src/plan/types.js';
import { verifyStreams, type VerifyStreamsOptions } from '../../src/verify/index.js';
import type { VerifyReport } from '../../src/verify/report.js';
import { DocSource } from './doc-source.js';
import { memoryPlan } from './memory-world.js';

export interface VerifyRun extends Partial<Omit<VerifyStreamsOptions, 'plan' | 'source' | 'targetSource' | 'sink' | 'streams' | 'verifiers'>> {
  source: DocSource;
  target: DocSource;
  streams?: StreamSpec[];
  sink?: Pick<Sink<FerryRecord>, 'toTarget'>;
  verify?: VerifySpec[];
  concurrency?: number;
}

export function verifyRun(r: VerifyRun): Promise<VerifyReport> {
  const { source, target, streams, sink, verify, concurrency, ...options } = r;
  return verifyStreams({
    plan: memoryPlan(streams ?? [{ from: 's' }], { concurrency: concurrency ?? 4, batch_size: 100 }),
    source,
    targetSource: target,
    sink: sink ?? {},
    verifiers: verify ?? ['checksum'],
    sleep: async () => {},
    backoff: { random: () => 0 },
    ...options,
  });
}

/** mulberry32: a small seeded generator, so sampled buckets are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
