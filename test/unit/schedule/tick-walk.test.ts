// The tick over simulated weeks through DST changes in two zones, on a real SQLite state: a tick every 10 minutes
// runs every due slot exactly once and invents none; a scheduler down for hours records the slots it missed, once;
// a slot due while the previous run lives is skipped (overlap: skip).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJobSpecText } from '../../../src/schedule/job-spec.js';
import { slotKey, slotsBetween } from '../../../src/schedule/slots.js';
import { tick, type ActionResult } from '../../../src/schedule/tick.js';
import { openStateStore } from '../../../src/state/index.js';

const spec = (name: string, cron: string, timezone: string, window = 60, overlap = 'skip') =>
  loadJobSpecText(`version: 1\nname: ${name}\nplan: p.yaml\naction: run\nschedule: { cron: "${cron}", timezone: ${timezone} }\nwindow: ${window}\noverlap: ${overlap}\n`, `/jobs/${name}.yaml`);

function world() {
  const store = openStateStore(path.join(mkdtempSync(path.join(tmpdir(), 'ferry-walk-')), 'ferry.db'));
  const ran: string[] = [];
  const execute = async (job: { spec: { name: string } }, _a: unknown, slot: string): Promise<ActionResult> => {
    ran.push(`${job.spec.name} ${slot}`);
    return { ok: true, code: 0 };
  };
  return { store, ran, execute };
}

async function walk(jobs: ReturnType<typeof spec>[], from: Date, to: Date, stepMs: number, w: ReturnType<typeof world>, skip?: (t: number) => boolean) {
  const outcomes = [];
  for (let t = from.getTime(); t <= to.getTime(); t += stepMs) {
    if (skip?.(t)) continue;
    outcomes.push(...(await tick(jobs, { slots: w.store.scheduleSlots(), state: 'x', env: {}, now: () => new Date(t), log: () => {}, execute: w.execute })));
  }
  return outcomes;
}

describe('ticks over simulated weeks', () => {
  it('spring and autumn changes in Europe/Berlin and America/New_York: every slot once, none invented', async () => {
    const jobs = [spec('berlin-0230', '30 2 * * *', 'Europe/Berlin'), spec('ny-hourly', '0 * * * *', 'America/New_York'), spec('berlin-quarter', '*/15 1-3 * * *', 'Europe/Berlin')];
    for (const [from, to] of [
      ['2026-03-05T00:00:00Z', '2026-03-12T00:00:00Z'], // New York springs forward on 03-08
      ['2026-03-26T00:00:00Z', '2026-04-02T00:00:00Z'], // Berlin on 03-29
      ['2026-10-22T00:00:00Z', '2026-11-05T00:00:00Z'], // Berlin falls back 10-25, New York 11-01
    ] as const) {
      const w = world();
      const a = new Date(from);
      const b = new Date(to);
      const outcomes = await walk(jobs, a, b, 10 * 60_000, w);
      // The first tick (at `a`) starts each job with its newest slot within the window; then every slot up to `b`.
      const want = jobs.flatMap((j) => {
        const first = slotsBetween(j.spec.schedule, new Date(a.getTime() - 60 * 60_000), a).slice(-1);
        return [...first, ...slotsBetween(j.spec.schedule, a, b)].map((d) => `${j.spec.name} ${slotKey(d)}`);
      });
      expect(new Set(w.ran).size).toBe(w.ran.length);
      expect([...w.ran].sort()).toEqual([...want].sort());
      expect(outcomes.filter((o) => o.outcome === 'missed' || o.outcome === 'failed')).toEqual([]);
      await w.store.close();
    }
  }, 60_000);

  it('a scheduler down for six hours: the slots past their window recorded missed once, the next ones run', async () => {
    const w = world();
    const job = spec('hourly', '0 * * * *', 'UTC');
    const down = (t: number) => t > Date.parse('2026-12-08T03:30:00Z') && t < Date.parse('2026-12-08T09:30:00Z');
    const outcomes = await walk([job], new Date('2026-12-08T00:00:00Z'), new Date('2026-12-08T12:00:00Z'), 10 * 60_000, w, down);
    const missed = outcomes.filter((o) => o.outcome === 'missed').map((o) => o.slot);
    // 04:00–08:00 are past their 60-minute window at 09:30; 09:00 is still within it and runs.
    expect(missed).toEqual(['2026-12-08T04:00:00Z', '2026-12-08T05:00:00Z', '2026-12-08T06:00:00Z', '2026-12-08T07:00:00Z', '2026-12-08T08:00:00Z']);
    expect(w.ran.map((r) => r.split(' ')[1]!.slice(11, 13))).toEqual(['00', '01', '02', '03', '09', '10', '11', '12']);
    await w.store.close();
  }, 60_000);

  it('overlap: skip — a slot due while the previous run lives is recorded skipped, and not run', async () => {
    const w = world();
    const job = spec('minutely', '* * * * *', 'UTC', 5);
    const slots = w.store.scheduleSlots();
    const live = await slots.claim('minutely', '2026-12-08T10:00:00Z', 'another host', 600_000);
    expect(live.outcome).toBe('claimed');
    const [o] = await tick([job], { slots, state: 'x', env: {}, now: () => new Date('2026-12-08T10:01:10Z'), log: () => {}, execute: w.execute });
    expect(o).toMatchObject({ slot: '2026-12-08T10:01:00Z', outcome: 'skipped', detail: 'the run of 2026-12-08T10:00:00Z was still alive (overlap: skip)' });
    expect(w.ran).toEqual([]);
    await w.store.close();
  });

  it('overlap: queue — the slot waits while the previous run lives, then runs once it has ended, within its window', async () => {
    const w = world();
    const job = spec('queued', '* * * * *', 'UTC', 5, 'queue');
    const slots = w.store.scheduleSlots();
    const live = await slots.claim('queued', '2026-12-08T10:00:00Z', 'another host', 600_000);
    if (live.outcome !== 'claimed') throw new Error('not claimed');
    const ctx = (t: string) => ({ slots, state: 'x', env: {}, now: () => new Date(t), log: () => {}, execute: w.execute });
    const [first] = await tick([job], ctx('2026-12-08T10:01:10Z'));
    expect(first).toMatchObject({ slot: '2026-12-08T10:01:00Z', outcome: 'queued' });
    expect(w.ran).toEqual([]);
    await slots.finish(live.lease, 'succeeded');
    const later = await tick([job], ctx('2026-12-08T10:01:40Z'));
    expect(later.map((o) => [o.slot, o.outcome])).toEqual([['2026-12-08T10:01:00Z', 'succeeded']]);
    expect(w.ran).toEqual(['queued 2026-12-08T10:01:00Z']);
    await w.store.close();
  });
});
