/**
 * Verification as a library call (engine/verify-job.ts): every result recorded as it comes, under the job or as one
 * plan verification run, in the order verified, and the report returned for the caller to print.
 */
import { describe, expect, it } from 'vitest';
import { verifyJob } from '../../../src/engine/index.js';
import { openStateStore } from '../../../src/state/index.js';
import { DocSource, plainRecord } from '../../support/doc-source.js';
import { memoryPlan } from '../../support/memory-world.js';

const logger = { debug: () => {}, info: () => {}, warn: () => {} };
const plan = { ...memoryPlan([{ from: 's' }], { concurrency: 2, batch_size: 100 }), verify: ['count', 'checksum'] as ('count' | 'checksum')[] };
const ctx = () => ({ signal: new AbortController().signal, logger });

describe('verifyJob', () => {
  it('records a job\'s results under the job, in order, and returns the report', async () => {
    const store = openStateStore(':memory:');
    const job = await store.createJob({ planName: 'memory-test', planHash: 'h', kind: 'migration', planText: '' });
    const target = new DocSource({ streams: { s: { count: 120, make: (i) => (i === 7 ? null : plainRecord(i)) } } });
    const { report, run } = await verifyJob({
      plan,
      store,
      jobId: job.id,
      source: new DocSource({ streams: { s: { count: 120 } } }),
      sink: {} as never,
      openTargetSource: async () => target,
      connectorCtx: ctx(),
    });
    expect(run).toBeUndefined();
    expect(report.outcome).toBe('differ');
    expect(report.results.map((r) => [r.verifier, r.outcome])).toEqual([
      ['count', 'differ'],
      ['checksum', 'differ'],
    ]);
    const stored = await store.verifyResults(job.id);
    expect(stored.map((r) => [r.stream, r.verifier, r.outcome])).toEqual([
      ['s', 'count', 'differ'],
      ['s', 'checksum', 'differ'],
    ]);
    expect(JSON.stringify(stored[1]!.report)).toContain('id=7');
    await store.close();
  });

  it('records a plan verified without a job as one run, with the plan file', async () => {
    const store = openStateStore(':memory:');
    const { report, run } = await verifyJob({
      plan,
      store,
      planRun: { hash: 'sha256:p', path: '/plans/p.yaml' },
      source: new DocSource({ streams: { s: { count: 50 } } }),
      sink: {} as never,
      openTargetSource: async () => new DocSource({ streams: { s: { count: 50 } } }),
      connectorCtx: ctx(),
    });
    expect(report.outcome).toBe('match');
    expect(run?.runId).toMatch(/^vr-/);
    const rows = await store.planVerifyResults({ runId: run!.runId });
    expect(rows.map((r) => [r.planName, r.planHash, r.planPath, r.verifier, r.outcome])).toEqual([
      ['memory-test', 'sha256:p', '/plans/p.yaml', 'count', 'match'],
      ['memory-test', 'sha256:p', '/plans/p.yaml', 'checksum', 'match'],
    ]);
    await store.close();
  });
});
