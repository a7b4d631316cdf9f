/**
 * What `ferry reports` reads: dry runs, plan verification runs and job verifications in one newest-first list, with
 * the plan and kind filters and the limit applied to the merged list; a job's entry is its latest result per stream
 * and verifier.
 */
import { describe, expect, it } from 'vitest';
import { clock, memStore, newJob } from './helpers.js';

async function seeded() {
  const c = clock(Date.parse('2026-11-28T10:00:00.000Z'));
  const store = memStore({ now: c.now });
  const dry = await store.saveDryRunReport({
    planName: 'p',
    planHash: 'h',
    verdict: 'blocked',
    report: { streams: [{}, {}, {}], findings: [{ severity: 'blocker' }, { severity: 'warning' }, { severity: 'blocker' }] },
  });
  c.advance(1000);
  const run = { runId: await store.newPlanVerifyRunId(), planName: 'p', planHash: 'h', planPath: '/plans/p.yaml' };
  await store.savePlanVerifyResult(run, { stream: 'a', verifier: 'count', outcome: 'match', report: {} });
  await store.savePlanVerifyResult(run, { stream: 'a', verifier: 'checksum', outcome: 'inconclusive', report: {} });
  c.advance(10);
  await store.savePlanVerifyResult(run, { stream: 'b', verifier: 'count', outcome: 'match', report: {} });
  c.advance(1000);
  const job = await store.createJob(newJob({ planName: 'q' }));
  await store.saveVerifyResult(job.id, { stream: 'a', verifier: 'count', outcome: 'differ', report: { n: 1 } });
  await store.saveVerifyResult(job.id, { stream: 'a', verifier: 'checksum', outcome: 'match', report: { n: 2 } });
  c.advance(1000);
  // Re-verified after a repair: the newest count result replaces the differing one.
  await store.saveVerifyResult(job.id, { stream: 'a', verifier: 'count', outcome: 'match', report: { n: 3 } });
  const other = await store.createJob(newJob({ planName: 'never-verified' }));
  return { store, dry, run, job, other };
}

describe('stored reports (ferry reports)', () => {
  it('lists dry runs, plan verification runs and job verifications together, newest first', async () => {
    const { store, dry, run, job } = await seeded();
    expect(await store.listStoredReports()).toEqual([
      { id: job.id, kind: 'verify', jobId: job.id, planName: 'q', at: '2026-11-28T10:00:03.010Z', outcome: 'match', streams: 1, checks: 2 },
      { id: run.runId, kind: 'verify', planName: 'p', at: '2026-11-28T10:00:01.010Z', outcome: 'inconclusive', streams: 2, checks: 3 },
      { id: dry.id, kind: 'dry-run', planName: 'p', at: '2026-11-28T10:00:00.000Z', outcome: 'blocked', blockers: 2, warnings: 1, streams: 3 },
    ]);
    await store.close();
  });

  it('filters by plan and kind, and limits the merged list', async () => {
    const { store, dry, run, job } = await seeded();
    expect((await store.listStoredReports({ planName: 'p' })).map((r) => r.id)).toEqual([run.runId, dry.id]);
    expect((await store.listStoredReports({ kind: 'dry-run' })).map((r) => r.id)).toEqual([dry.id]);
    expect((await store.listStoredReports({ kind: 'verify' })).map((r) => r.id)).toEqual([job.id, run.runId]);
    expect((await store.listStoredReports({ kind: 'verify', planName: 'p' })).map((r) => r.id)).toEqual([run.runId]);
    expect((await store.listStoredReports({ limit: 2 })).map((r) => r.id)).toEqual([job.id, run.runId]);
    expect(await store.listStoredReports({ planName: 'nope' })).toEqual([]);
    await store.close();
  });

  it('a report without findings or streams counts zero of each', async () => {
    const store = memStore();
    await store.saveDryRunReport({ planName: 'p', planHash: 'h', verdict: 'ready', report: {} });
    expect((await store.listStoredReports())[0]).toMatchObject({ outcome: 'ready', blockers: 0, warnings: 0, streams: 0 });
    await store.close();
  });

  it("reads a job's latest result per stream and verifier, oldest first", async () => {
    const { store, job, other } = await seeded();
    expect((await store.latestVerifyResults(job.id)).map((r) => [r.verifier, r.outcome, r.report])).toEqual([
      ['checksum', 'match', { n: 2 }],
      ['count', 'match', { n: 3 }],
    ]);
    expect(await store.latestVerifyResults(other.id)).toEqual([]);
    await store.close();
  });
});
