import { describe, expect, it } from 'vitest';
import { DocSource, plainRecord } from '../../support/doc-source.js';
import { verifyRun } from '../../support/verify-helpers.js';

const without = (...ids: number[]) => (i: number) => (ids.includes(i) ? null : plainRecord(i));

describe('count verifier', () => {
  it('matches equal counts, using each side’s exact count()', async () => {
    const source = new DocSource({ streams: { s: { count: 250 } } });
    const target = new DocSource({ streams: { s: { count: 250 } } });
    const r = (await verifyRun({ source, target, verify: ['count'] })).results[0]!;
    expect(r).toMatchObject({ verifier: 'count', outcome: 'match', source: { count: 250 }, target: { count: 250 }, expectedAbsent: 0, notes: [] });
    expect(source.countCalls).toBe(1);
    expect(source.batches + target.batches).toBe(0);
  });

  it('counts by reading a side that cannot count exactly (or at all)', async () => {
    const source = new DocSource({ streams: { s: { count: 250 } }, exactCount: false });
    const target = new DocSource({ streams: { s: { count: 250 } }, countable: false, segmentable: false });
    const r = (await verifyRun({ source, target, verify: ['count'] })).results[0]!;
    expect(r).toMatchObject({ outcome: 'match', source: { count: 250 }, target: { count: 250 } });
    expect(r.notes).toEqual(['source counted by reading (it cannot count exactly)', 'target counted by reading (it cannot count exactly)']);
    expect(source.countCalls).toBe(0);
    expect(source.yielded).toBe(250);
  });

  it('reports a gap as a difference', async () => {
    const source = new DocSource({ streams: { s: { count: 100 } } });
    const fewer = (await verifyRun({ source, target: new DocSource({ streams: { s: { count: 100, make: without(1, 2, 3) } } }), verify: ['count'] })).results[0]!;
    expect(fewer).toMatchObject({ outcome: 'differ', missing: { total: 3, keys: [] }, extra: { total: 0 } });
    expect(fewer.notes).toEqual(['target has 3 fewer than the source', 'a checksum names the keys']);
    const more = (await verifyRun({ source, target: new DocSource({ streams: { s: { count: 102 } } }), verify: ['count'] })).results[0]!;
    expect(more).toMatchObject({ outcome: 'differ', extra: { total: 2 }, missing: { total: 0 } });
  });

  it('accounts for the job’s dead letters: N fewer with N dead letters is a match with a note', async () => {
    const source = new DocSource({ streams: { s: { count: 100 } } });
    const target = new DocSource({ streams: { s: { count: 100, make: without(13, 31) } } });
    const r = (await verifyRun({ source, target, verify: ['count'], deadLettersByStream: { s: 2 } })).results[0]!;
    expect(r).toMatchObject({ outcome: 'match', expectedAbsent: 2, missing: { total: 0 } });
    expect(r.notes).toEqual(["target has 2 fewer: the job's 2 dead letter(s)"]);

    // Dead letters do not cover a larger gap.
    const short = (await verifyRun({ source, target: new DocSource({ streams: { s: { count: 100, make: without(1, 2, 3) } } }), verify: ['count'], deadLettersByStream: { s: { count: 2 } } })).results[0]!;
    expect(short).toMatchObject({ outcome: 'differ', expectedAbsent: 2, missing: { total: 1 } });
    expect(short.notes[0]).toBe('target has 3 fewer than the source (the job has 2 dead letter(s))');

    // Dead letters of another stream do not count here.
    const other = (await verifyRun({ source, target, verify: ['count'], deadLettersByStream: { elsewhere: 2 } })).results[0]!;
    expect(other.outcome).toBe('differ');
  });
});
