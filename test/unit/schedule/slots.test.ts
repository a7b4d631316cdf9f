// Schedule slots through DST changes: a local time skipped by spring-forward fires once just after the gap, one
// repeated by fall-back fires once; a walk over a simulated week invents no slot and loses none.
import { describe, expect, it } from 'vitest';
import { nextSlot, scheduleProblem, slotKey, slotsBetween } from '../../../src/schedule/slots.js';

const keys = (ds: Date[]): string[] => ds.map(slotKey);

describe('schedule slots', () => {
  it('Europe/Berlin 02:30 daily over spring-forward (2026-03-29): once a day, the skipped day just after the gap', () => {
    expect(keys(slotsBetween({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date('2026-03-27T00:00:00Z'), new Date('2026-03-31T00:00:00Z')))).toEqual([
      '2026-03-27T01:30:00Z',
      '2026-03-28T01:30:00Z',
      '2026-03-29T01:00:00Z', // 03:00 CEST: 02:30 does not exist that night
      '2026-03-30T00:30:00Z',
    ]);
  });

  it('Europe/Berlin 02:30 daily over fall-back (2026-10-25): the repeated hour fires once', () => {
    expect(keys(slotsBetween({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date('2026-10-24T00:00:00Z'), new Date('2026-10-27T00:00:00Z')))).toEqual([
      '2026-10-24T00:30:00Z',
      '2026-10-25T00:30:00Z',
      '2026-10-26T01:30:00Z',
    ]);
  });

  it('America/New_York hourly across both changes: 23 slots on the short day, 25 on the long one', () => {
    const ny = { cron: '0 * * * *', timezone: 'America/New_York' };
    // 2026-03-08: 02:00 EST → 03:00 EDT; the local day is 05:00Z to 04:00Z next day.
    expect(slotsBetween(ny, new Date('2026-03-08T04:59:59Z'), new Date('2026-03-09T03:59:59Z'))).toHaveLength(23);
    // 2026-11-01: 02:00 EDT → 01:00 EST; the local day is 04:00Z to 05:00Z next day.
    const long = slotsBetween(ny, new Date('2026-11-01T03:59:59Z'), new Date('2026-11-02T04:59:59Z'));
    expect(long).toHaveLength(25);
    expect(new Set(keys(long)).size).toBe(25);
  });

  it('a simulated week through a DST change: each slot of the walk exactly once, minute by minute ticks or all at once', () => {
    const s = { cron: '15 */6 * * *', timezone: 'Europe/Berlin' };
    const from = new Date('2026-03-26T00:00:00Z');
    const to = new Date('2026-04-02T00:00:00Z');
    const whole = keys(slotsBetween(s, from, to));
    const walked: string[] = [];
    for (let t = from.getTime(); t < to.getTime(); t += 60_000) walked.push(...keys(slotsBetween(s, new Date(t), new Date(t + 60_000))));
    expect(walked).toEqual(whole);
    expect(whole).toHaveLength(7 * 4);
    expect(slotKey(nextSlot(s, new Date('2026-03-29T00:00:00Z'))!)).toBe('2026-03-29T04:15:00Z'); // 06:15 CEST
  });

  it('UTC by default; a bad expression or zone is named', () => {
    expect(keys(slotsBetween({ cron: '0 0 * * *' }, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-03T00:00:00Z')))).toEqual(['2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z']);
    expect(scheduleProblem({ cron: '61 * * * *' })).toMatch(/minute|61|range/i);
    expect(scheduleProblem({ cron: '0 0 * * *', timezone: 'Mars/Olympus' })).toBeDefined();
    expect(scheduleProblem({ cron: '0 3 * * 1', timezone: 'Europe/Berlin' })).toBeUndefined();
  });
});
