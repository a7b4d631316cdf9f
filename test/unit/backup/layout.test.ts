// Backup set names: sortable UTC timestamps, checked path segments, and sets found (with their completeness) from
// one listing of a plan's prefix.
import { describe, expect, it } from 'vitest';
import { findSets, planPrefix, setPrefix, setTimestamp } from '../../../src/backup/layout.js';

describe('backup set layout', () => {
  it('names a set <prefix>/<plan>/<UTC timestamp>-<id>/, in time order as text', () => {
    const d = new Date('2026-12-07T22:46:55.123Z');
    expect(setTimestamp(d)).toBe('20261207T224655Z');
    expect(setPrefix('backups/prod/', 'orders', d, 'a1b2c3')).toBe('backups/prod/orders/20261207T224655Z-a1b2c3/');
    expect(setPrefix('', 'orders', d, 'x')).toBe('orders/20261207T224655Z-x/');
    expect(planPrefix('/b/', 'p')).toBe('b/p/');
    const names = ['2026-01-02T00:00:00Z', '2025-12-31T23:59:59Z', '2026-01-01T00:00:00Z'].map((t) => setPrefix('', 'p', new Date(t), 'i'));
    expect([...names].sort()).toEqual([names[1], names[2], names[0]]);
  });

  it('refuses a plan name or id that is not one safe path segment', () => {
    const d = new Date();
    expect(() => setPrefix('b', 'a/b', d, 'x')).toThrow(/plan name "a\/b" cannot be a path segment/);
    expect(() => setPrefix('b', '..', d, 'x')).toThrow(/cannot be a path segment/);
    expect(() => setPrefix('b', 'p', d, 'Bad_Id')).toThrow(/must be 1-63 of a-z/);
  });

  it('finds the sets of one plan from a listing, newest first, complete only with a manifest', () => {
    const listing = [
      { name: 'bk/orders/20261205T020000Z-aaa/orders/part-00000.ndjson.gz', size: 100 },
      { name: 'bk/orders/20261205T020000Z-aaa/manifest.json', size: 10 },
      { name: 'bk/orders/20261206T020000Z-bbb/orders/part-00000.ndjson.gz', size: 70 }, // killed: no manifest
      { name: 'bk/orders/20261207T020000Z-ccc/manifest.json', size: 12 },
      { name: 'bk/orders/20261207T020000Z-ccc/x/manifest.json', size: 5 }, // a data file so named is not the manifest
      { name: 'bk/orders/notes.txt', size: 1 },
      { name: 'bk/orders/20261399T020000Z-bad/manifest.json', size: 1 }, // not a date
      { name: 'bk/orders-eu/20261207T020000Z-ddd/manifest.json', size: 1 }, // another plan
    ];
    const sets = findSets(listing, 'bk', 'orders');
    expect(sets.map((s) => [s.id, s.state, s.objects, s.bytes, s.prefix, s.createdAt.toISOString()])).toEqual([
      ['ccc', 'complete', 2, 17, 'bk/orders/20261207T020000Z-ccc/', '2026-12-07T02:00:00.000Z'],
      ['bbb', 'incomplete', 1, 70, 'bk/orders/20261206T020000Z-bbb/', '2026-12-06T02:00:00.000Z'],
      ['aaa', 'complete', 2, 110, 'bk/orders/20261205T020000Z-aaa/', '2026-12-05T02:00:00.000Z'],
    ]);
  });
});
