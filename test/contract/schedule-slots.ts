// The ScheduleSlots contract, run by every state that implements it (SQLite, the shared PostgreSQL state): a slot is
// taken once however many takers race for it; a live taker keeps it; a dead one's slot is taken over once its lease
// lapses; missed and skipped slots are recorded once and never run.
import { describe, expect, it } from 'vitest';
import type { ScheduleSlots } from '../../src/core/schedule-store.js';

export interface SlotWorld {
  open(): Promise<{ slots: ScheduleSlots; close(): Promise<void> }> | { slots: ScheduleSlots; close(): Promise<void> };
  advance(ms: number): void;
}

const TTL = 30_000;
const SLOT = '2026-12-08T02:00:00Z';

export function scheduleSlotsContract(name: string, world: () => SlotWorld): void {
  describe(`${name}: the ScheduleSlots contract`, () => {
    it('ten takers racing for one slot: exactly one claims it; the others see it running', async () => {
      const w = world();
      const stores = await Promise.all(Array.from({ length: 10 }, () => w.open()));
      const results = await Promise.all(stores.map((s, i) => s.slots.claim('nightly', SLOT, `taker-${i}`, TTL)));
      expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
      for (const r of results) if (r.outcome === 'taken') expect(r.record).toMatchObject({ status: 'running', attempts: 1 });
      for (const s of stores) await s.close();
    });

    it('a live taker keeps its slot; a dead one\'s is taken over after its lease, once; a finished slot is never taken again', async () => {
      const w = world();
      const a = await w.open();
      const b = await w.open();
      const first = await a.slots.claim('nightly', SLOT, 'a', TTL);
      expect(first.outcome).toBe('claimed');
      if (first.outcome !== 'claimed') return;
      w.advance(TTL / 2);
      expect(await a.slots.renew(first.lease, TTL)).toBe(true);
      w.advance(TTL / 2 + 1);
      expect((await b.slots.claim('nightly', SLOT, 'b', TTL)).outcome).toBe('taken'); // renewed: still alive
      expect((await b.slots.running('nightly'))?.holder).toBe('a');
      w.advance(TTL + 1); // a died
      const over = await b.slots.claim('nightly', SLOT, 'b', TTL);
      expect(over).toMatchObject({ outcome: 'claimed', lease: { attempt: 2 } });
      // The dead taker's late renewal and finish change nothing.
      expect(await a.slots.renew(first.lease, TTL)).toBe(false);
      await a.slots.finish(first.lease, 'failed', 'late');
      if (over.outcome !== 'claimed') return;
      await b.slots.setJobId(over.lease, '20261208-020000-abcdef');
      await b.slots.finish(over.lease, 'succeeded');
      const [rec] = await a.slots.list('nightly');
      expect(rec).toMatchObject({ slot: SLOT, status: 'succeeded', attempts: 2, holder: 'b', jobId: '20261208-020000-abcdef' });
      w.advance(10 * TTL);
      expect((await a.slots.claim('nightly', SLOT, 'a', TTL)).outcome).toBe('taken');
      expect(await a.slots.running('nightly')).toBeUndefined();
      await a.close();
      await b.close();
    });

    it('missed and skipped slots are recorded once, newest first, and never claimed; a secret in a detail is redacted', async () => {
      const w = world();
      const s = await w.open();
      expect(await s.slots.note('nightly', '2026-12-06T02:00:00Z', 'missed', 'no tick within the 60-minute window')).toBe(true);
      expect(await s.slots.note('nightly', '2026-12-06T02:00:00Z', 'missed', 'again')).toBe(false);
      expect(await s.slots.note('nightly', '2026-12-07T02:00:00Z', 'skipped', 'the run of 2026-12-06 was still alive; password=hunter2')).toBe(true);
      expect((await s.slots.claim('nightly', '2026-12-07T02:00:00Z', 'x', TTL)).outcome).toBe('taken');
      const list = await s.slots.list('nightly');
      expect(list.map((r) => [r.slot, r.status])).toEqual([
        ['2026-12-07T02:00:00Z', 'skipped'],
        ['2026-12-06T02:00:00Z', 'missed'],
      ]);
      expect(list[0]!.detail).not.toContain('hunter2');
      // A dead taker's slot past its window is abandoned as failed, once; a live one is not.
      const c = await s.slots.claim('nightly', '2026-12-08T02:00:00Z', 'x', TTL);
      expect(c.outcome).toBe('claimed');
      expect(await s.slots.abandon('nightly', '2026-12-08T02:00:00Z', 'died')).toBe(false);
      w.advance(TTL + 1);
      expect(await s.slots.abandon('nightly', '2026-12-08T02:00:00Z', 'died')).toBe(true);
      expect(await s.slots.abandon('nightly', '2026-12-08T02:00:00Z', 'died')).toBe(false);
      expect((await s.slots.list('nightly', 1))[0]).toMatchObject({ status: 'failed', detail: 'died' });
      expect(await s.slots.list('other')).toEqual([]);
      await s.close();
    });
  });
}
