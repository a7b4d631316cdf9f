import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../../src/state/index.js';

describe('dry-run reports in the state store', () => {
  it('saves a report row (and no job), lists newest first per plan, and reads the JSON back', async () => {
    let t = Date.parse('2026-11-28T10:00:00Z');
    const store = openStateStore(':memory:', { now: () => t });
    const a = await store.saveDryRunReport({ planName: 'p', planHash: 'h1', verdict: 'ready', report: { version: 1, n: 10n } });
    t += 1000;
    const b = await store.saveDryRunReport({ planName: 'p', planHash: 'h2', verdict: 'blocked', report: { version: 1 } });
    await store.saveDryRunReport({ planName: 'other', planHash: 'h3', verdict: 'ready', report: {} });
    expect(a.id).toMatch(/^dr-20261128-100000-[0-9a-f]{6}$/);
    expect(await store.listJobs()).toEqual([]);
    expect((await store.listDryRunReports({ planName: 'p' })).map((r) => [r.id, r.verdict, r.planHash])).toEqual([
      [b.id, 'blocked', 'h2'],
      [a.id, 'ready', 'h1'],
    ]);
    expect(await store.listDryRunReports()).toHaveLength(3);
    expect(await store.getDryRunReport(a.id)).toEqual({ ...a, report: { version: 1, n: '10' } });
    expect(await store.getDryRunReport('dr-nope')).toBeUndefined();
    await store.close();
  });
});
