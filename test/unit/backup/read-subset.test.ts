// --read-subset: t disjoint, stable slices that together cover every file; auto/t rotates by the UTC day; a byte
// budget leaves files out and lists them.
import { describe, expect, it } from 'vitest';
import { chooseSubset, parseSubset, sliceOf, sliceOfDay, SubsetError } from '../../../src/backup/read-subset.js';

const files = Array.from({ length: 500 }, (_, i) => ({ path: `public.orders/part-${i % 7}-${String(i).padStart(5, '0')}.ndjson.gz`, bytes: 1000 + i }));
const now = new Date('2026-12-07T23:00:00Z');

describe('read subsets', () => {
  it('parses n/t, auto/t and all, and refuses the rest with the fix', () => {
    expect([parseSubset('2/7'), parseSubset('auto/30'), parseSubset('all')]).toEqual([{ slice: 2, of: 7 }, { slice: 'auto', of: 30 }, undefined]);
    for (const bad of ['0/7', '8/7', '1/0', 'x/7', '1-7', '']) expect(() => parseSubset(bad)).toThrow(SubsetError);
    expect(() => parseSubset('8/7')).toThrow('--read-subset: n is 1 to 7, not 8');
  });

  it('the t slices are disjoint, cover every file, are stable, and roughly even', () => {
    const slices = Array.from({ length: 7 }, (_, i) => chooseSubset(files, { slice: i + 1, of: 7 }, { now }).read.map((f) => f.path));
    const all = slices.flat();
    expect(all.length).toBe(files.length);
    expect(new Set(all).size).toBe(files.length);
    expect(chooseSubset(files, { slice: 3, of: 7 }, { now }).read.map((f) => f.path)).toEqual(slices[2]);
    for (const s of slices) expect(s.length).toBeGreaterThan(40);
    expect(sliceOf('a', 1)).toBe(1);
  });

  it('auto/t takes the slice of the UTC day, so t days read everything', () => {
    const seen = new Set<string>();
    for (let d = 0; d < 7; d++) {
      const day = new Date(now.getTime() + d * 86_400_000);
      const c = chooseSubset(files, { slice: 'auto', of: 7 }, { now: day });
      expect(c.slice).toBe(sliceOfDay(day, 7));
      for (const f of c.read) seen.add(f.path);
    }
    expect(seen.size).toBe(files.length);
    expect(sliceOfDay(new Date('2026-12-07T00:00:00Z'), 7)).toBe(sliceOfDay(new Date('2026-12-07T23:59:59Z'), 7));
  });

  it('a byte budget reads whole files up to it (at least one) and lists what it left', () => {
    const c = chooseSubset(files, undefined, { now, maxBytes: 10_000 });
    expect(c.read.reduce((n, f) => n + f.bytes, 0)).toBeLessThanOrEqual(10_000);
    expect(c.read.length + c.skipped.length).toBe(files.length);
    expect(chooseSubset([{ path: 'big', bytes: 10 ** 9 }], undefined, { now, maxBytes: 1 }).read.map((f) => f.path)).toEqual(['big']);
  });
});
