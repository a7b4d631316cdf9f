// Retention over generated calendars (UTC, no DST): restic's bucket rules, ISO weeks across year ends, month ends
// and leap days, and the guards of an unattended prune (newest good set, incomplete grace, damaged sets, min_age).
import { describe, expect, it } from 'vitest';
import { applyRetention, isoWeek, type RetainedSet, type RetentionPolicy } from '../../../src/backup/retention.js';

const DAY = 86_400_000;
const at = (iso: string): Date => new Date(iso);
const set = (iso: string, state: RetainedSet['state'] = 'complete'): RetainedSet => ({ id: iso, createdAt: at(iso), state });
/** One set a day at `hour` UTC, from `from` for `days` days. */
const daily = (from: string, days: number, hour = '02:00:00'): RetainedSet[] =>
  Array.from({ length: days }, (_, i) => set(`${new Date(at(`${from}T00:00:00Z`).getTime() + i * DAY).toISOString().slice(0, 10)}T${hour}Z`));
const kept = (sets: RetainedSet[], p: RetentionPolicy, now: string): string[] =>
  applyRetention(sets, p, at(now)).filter((d) => d.keep).map((d) => d.set.id);

describe('retention', () => {
  it('ISO weeks: Monday first, week 1 holds the first Thursday, across year ends', () => {
    expect(isoWeek(at('2026-12-07T10:00:00Z'))).toBe('2026-W50');
    expect(isoWeek(at('2020-12-31T23:59:59Z'))).toBe('2020-W53');
    expect(isoWeek(at('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    expect(isoWeek(at('2021-01-04T00:00:00Z'))).toBe('2021-W01');
    expect(isoWeek(at('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeek(at('2027-01-01T00:00:00Z'))).toBe('2026-W53');
  });

  it('keep_daily keeps the newest set of each of the last N days that have one, skipping days without', () => {
    const sets = [...daily('2026-11-01', 10), set('2026-11-10T20:00:00Z'), set('2026-11-15T02:00:00Z')];
    expect(kept(sets, { keepDaily: 3 }, '2026-11-16T00:00:00Z')).toEqual(['2026-11-15T02:00:00Z', '2026-11-10T20:00:00Z', '2026-11-09T02:00:00Z']);
  });

  it('a year of daily sets under 7 daily, 4 weekly, 12 monthly, 2 yearly: the union of the buckets, with every reason', () => {
    const sets = daily('2025-06-01', 550); // to 2026-12-02
    const decisions = applyRetention(sets, { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 2 }, at('2026-12-03T00:00:00Z'));
    const keep = decisions.filter((d) => d.keep);
    // 7 days (Nov 26 – Dec 2); weeks: W49 (Dec 2), W48 (Nov 29), W47 (Nov 22), W46 (Nov 15); months: Dec 2, Nov 30, Oct 31, …
    // Jan 31 (the 12th month); years: 2026 (Dec 2), 2025 (Dec 31, kept as a yearly only).
    const ids = keep.map((d) => d.set.id.slice(0, 10));
    expect(ids).toEqual([
      '2026-12-02', '2026-12-01', '2026-11-30', '2026-11-29', '2026-11-28', '2026-11-27', '2026-11-26',
      '2026-11-22', '2026-11-15',
      '2026-10-31', '2026-09-30', '2026-08-31', '2026-07-31', '2026-06-30', '2026-05-31', '2026-04-30', '2026-03-31', '2026-02-28', '2026-01-31',
      '2025-12-31',
    ]);
    expect(decisions.find((d) => d.set.id.startsWith('2026-12-02'))!.reasons).toEqual(['daily 2026-12-02', 'weekly 2026-W49', 'monthly 2026-12', 'yearly 2026']);
    expect(decisions.find((d) => d.set.id.startsWith('2025-12-31'))!.reasons).toEqual(['yearly 2025']);
    expect(decisions.filter((d) => !d.keep).every((d) => d.reasons.join() === 'kept by no rule')).toBe(true);
    expect(decisions.length - keep.length).toBe(530);
  });

  it('month ends and a leap day: one second apart is two months; Feb 29 is February', () => {
    const sets = [set('2024-01-31T23:59:59Z'), set('2024-02-01T00:00:00Z'), set('2024-02-29T12:00:00Z'), set('2024-03-01T00:00:00Z')];
    expect(kept(sets, { keepMonthly: 3 }, '2024-03-02T00:00:00Z')).toEqual(['2024-03-01T00:00:00Z', '2024-02-29T12:00:00Z', '2024-01-31T23:59:59Z']);
    expect(kept(sets, { keepDaily: 2 }, '2024-03-02T00:00:00Z')).toEqual(['2024-03-01T00:00:00Z', '2024-02-29T12:00:00Z']);
  });

  it('keep_last counts good sets only; incomplete sets are kept within the grace, then deleted; damaged sets never fill a rule', () => {
    const sets = [
      set('2026-12-07T03:00:00Z', 'incomplete'), // running now
      set('2026-12-06T03:00:00Z', 'damaged'),
      set('2026-12-05T03:00:00Z'),
      set('2026-12-04T03:00:00Z', 'incomplete'), // killed three days ago
      set('2026-12-03T03:00:00Z'),
      set('2026-12-02T03:00:00Z'),
    ];
    const d = applyRetention(sets, { keepLast: 2 }, at('2026-12-07T04:00:00Z'));
    expect(d.map((x) => [x.set.id.slice(0, 10), x.keep, x.reasons[0]])).toEqual([
      ['2026-12-07', true, 'incomplete, within the 24 h grace (it may still be running)'],
      ['2026-12-06', false, 'damaged (a verify failed): kept by no rule, and never counted as a good set'],
      ['2026-12-05', true, 'last 1 of 2'],
      ['2026-12-04', false, 'incomplete (no manifest) and 3 d old'],
      ['2026-12-03', true, 'last 2 of 2'],
      ['2026-12-02', false, 'kept by no rule'],
    ]);
  });

  it('never deletes the newest good set; min_age keeps every young set', () => {
    const sets = daily('2026-01-01', 30);
    expect(kept(sets, { minAgeMs: 7 * DAY }, '2026-12-01T00:00:00Z')).toEqual(['2026-01-30T02:00:00Z']);
    const young = kept(sets, { keepLast: 1, minAgeMs: 3 * DAY }, '2026-02-01T00:00:00Z');
    expect(young).toEqual(['2026-01-30T02:00:00Z', '2026-01-29T02:00:00Z']);
    // The newest good set survives even when every newer set is damaged.
    const bad = [set('2026-02-03T00:00:00Z', 'damaged'), set('2026-02-02T00:00:00Z', 'damaged'), ...sets];
    expect(kept(bad, { minAgeMs: DAY }, '2026-12-01T00:00:00Z')).toEqual(['2026-01-30T02:00:00Z']);
  });

  it('refuses a policy that keeps nothing, and counts that are not whole numbers', () => {
    expect(() => applyRetention([], {}, new Date())).toThrow(/keeps nothing: set at least one of keep_last/);
    expect(() => applyRetention([], { keepLast: 0 }, new Date())).toThrow(/keeps nothing/);
    expect(() => applyRetention([], { keepDaily: 1.5 }, new Date())).toThrow(/whole numbers/);
    expect(applyRetention([], { keepLast: 3 }, new Date())).toEqual([]);
  });
});
