import { describe, expect, it } from 'vitest';
import { errorFinding, planFindings, sequential, streamFindings, type StreamFacts } from '../../../src/dry-run/findings.js';
import { loadPriceTable, withOverrides } from '../../../src/dry-run/prices.js';
import type { StreamDryRun, TargetState } from '../../../src/dry-run/report.js';
import { FerryError } from '../../../src/errors.js';
import type { Plan } from '../../../src/plan/types.js';

const prices = loadPriceTable();
const now = new Date('2026-11-28T00:00:00Z');

function plan(target: Plan['target'] = { type: 'dynamodb' }, extra: Partial<Plan> = {}): Plan {
  return { version: 1, kind: 'migration', name: 'p', source: { type: 'postgres' }, target, streams: [{ from: 'x' }], ...extra };
}

function stream(over: Partial<StreamDryRun> = {}, state: Partial<TargetState> = {}): StreamDryRun {
  return {
    stream: 'public.t',
    target: 't',
    count: { value: 1000, exact: true, method: 'count(*)' },
    bytes: { value: 1000, exact: true, method: 'x' },
    segments: [],
    samples: [],
    targetState: { exists: true, empty: true, notes: [], ...state },
    estimate: { durationS: 1, limitedBy: 'x', units: {}, cost: [] },
    ...over,
  };
}

function facts(s: StreamDryRun, over: Partial<StreamFacts> = {}): StreamFacts {
  return { stream: s, mode: 'upsert', sampled: 5, refusals: [], nearLimit: [], maxItemBytes: 409_600, ...over };
}

const codes = (fs: { severity: string; code: string }[]) => fs.map((f) => `${f.severity}:${f.code}`);

describe('stream findings', () => {
  it('a clean stream into an existing empty table has none', () => {
    expect(streamFindings(facts(stream()), { plan: plan(), prices, now })).toEqual([]);
  });

  it('records the target refuses are blockers with a fix and their keys, estimated over the stream', () => {
    const f = streamFindings(
      facts(stream(), { refusals: [{ key: 'id=3', kind: 'too-large', reason: 'id=3 is 500,008 bytes as dynamodb counts them, over its limit of 409,600' }] }),
      { plan: plan(), prices, now },
    );
    expect(codes(f)).toEqual(['blocker:item-too-large']);
    expect(f[0]!.message).toContain('1 sampled record of 5 is larger than t allows');
    expect(f[0]!.message).toContain('about 200 of 1,000 by the sample');
    expect(f[0]!.fix).toContain('map.exclude');
    expect(f[0]!.keys).toEqual(['id=3']);
    // Within on_error.max_rejected the run would dead-letter them: a warning.
    const tolerated = streamFindings(facts(stream(), { refusals: [{ key: 'id=3', kind: 'rejected', reason: 'no key', hint: 'name the key' }] }), {
      plan: plan(undefined, { on_error: { max_rejected: 500 } }),
      prices,
      now,
    });
    expect(codes(tolerated)).toEqual(['warning:item-rejected']);
    expect(tolerated[0]!.fix).toBe('name the key');
    // The stream's largest record, fetched besides the samples: not extrapolated.
    const largest = streamFindings(facts(stream(), { refusals: [{ key: 'id=9', kind: 'too-large', reason: 'id=9 is 500,000 bytes', largest: true }] }), { plan: plan(), prices, now });
    expect(codes(largest)).toEqual(['blocker:item-too-large']);
    expect(largest[0]!.message).toBe("the stream's largest record can never be written to t: id=9 is 500,000 bytes");
  });

  it('a largest object over the store limit is a blocker; a largest row only measured in the source is a warning', () => {
    const obj = streamFindings(facts(stream(), { objects: true, maxItemBytes: 100, largest: { key: 'big.bin', bytes: 101 } }), { plan: plan({ type: 'gcs' }), prices, now });
    expect(codes(obj)).toEqual(['blocker:item-too-large']);
    const row = streamFindings(facts(stream(), { largest: { key: 'id=7', bytes: 500_000 } }), { plan: plan(), prices, now });
    expect(codes(row)).toEqual(['warning:item-maybe-too-large']);
    const checked = streamFindings(facts(stream(), { largest: { key: 'id=7', bytes: 500_000, checked: true } }), { plan: plan(), prices, now });
    expect(checked).toEqual([]);
    const near = streamFindings(facts(stream(), { nearLimit: [{ key: 'id=1', bytes: 350_000 }] }), { plan: plan(), prices, now });
    expect(codes(near)).toEqual(['warning:size-near-limit']);
  });

  it('the target: missing without create blocks, with create warns; a key mismatch blocks; non-empty blocks insert and warns upsert', () => {
    const p = { plan: plan(), prices, now };
    expect(codes(streamFindings(facts(stream({}, { exists: false, created: false })), p))).toEqual(['blocker:target-missing']);
    expect(codes(streamFindings(facts(stream({}, { exists: false, created: true })), p))).toEqual(['warning:target-created']);
    const mismatch = streamFindings(facts(stream({}, { keySchema: 'pk (S) HASH', keyMatches: false, notes: ['the plan keys it id (N)'] })), p);
    expect(codes(mismatch)).toEqual(['blocker:key-schema-mismatch']);
    expect(mismatch[0]!.message).toContain('keyed pk (S) HASH');
    expect(mismatch[0]!.message).toContain('the plan keys it id (N)');
    const full = stream({}, { empty: false, items: 42 });
    expect(codes(streamFindings(facts(full, { mode: 'insert' }), p))).toEqual(['blocker:target-not-empty']);
    expect(codes(streamFindings(facts(full, { mode: 'upsert' }), p))).toEqual(['warning:target-not-empty']);
    expect(codes(streamFindings(facts(full, { mode: 'replace' }), p))).toEqual(['warning:target-replaced']);
  });

  it('what the target\'s preparation would refuse is a blocker with its fix', () => {
    const f = streamFindings(facts(stream({}, { problems: [{ message: 'write: replace deletes and re-creates t, which needs `create: true`', fix: 'set `create: true`' }] })), { plan: plan(), prices, now });
    expect(f).toEqual([{ severity: 'blocker', stream: 'public.t', code: 'target-refuses', message: 'write: replace deletes and re-creates t, which needs `create: true`', fix: 'set `create: true`' }]);
  });

  it('estimated counts and empty sources warn', () => {
    const p = { plan: plan(), prices, now };
    const est = streamFindings(facts(stream({ count: { value: 5_000_000, exact: false, method: 'pg_class.reltuples' } })), p);
    expect(codes(est)).toEqual(['warning:count-estimated']);
    expect(est[0]!.message).toBe('5,000,000 items is an estimate (pg_class.reltuples); duration and cost scale with it');
    expect(codes(streamFindings(facts(stream({ count: { value: 0, exact: true, method: 'count(*)' } })), p))).toEqual(['warning:source-empty']);
  });

  it('sequential Firestore ids without ramp-up warn; with ramp_up they do not', () => {
    expect(sequential(['1', '2', '3'])).toBe(true);
    expect(sequential(['2024-01-01T00:00:01Z', '2024-01-01T00:00:02Z'])).toBe(true);
    expect(sequential(['aZ3kq9', 'Qm2x1P', '0bLw7c'])).toBe(false);
    const s = stream();
    const ids = { documentIds: ['1', '2', '3'] };
    expect(codes(streamFindings(facts(s, ids), { plan: plan({ type: 'firestore' }), prices, now }))).toEqual(['warning:sequential-ids']);
    expect(streamFindings(facts(s, ids), { plan: plan({ type: 'firestore' }, { limits: { ramp_up: true } }), prices, now })).toEqual([]);
    expect(streamFindings(facts(s, ids), { plan: plan({ type: 'firestore', ramp_up: true }), prices, now })).toEqual([]);
  });
});

describe('plan findings', () => {
  const costly = (amount: number) =>
    stream({ estimate: { durationS: 1, limitedBy: 'x', units: {}, cost: [{ what: 'data transfer out of AWS to Google Cloud (internet egress: often the biggest line)', quantity: 1, unit: 'GB', unitPrice: 0.09, per: 1, amount }] } });

  it('egress above the threshold warns with its share of the total', () => {
    const s = costly(45);
    const f = planFindings({ streams: [s], totals: { items: 1, bytes: 1, durationS: 1, cost: 50, currency: 'USD' } }, { plan: plan({ type: 'firestore' }, { source: { type: 'dynamodb' } }), prices, now });
    expect(codes(f)).toEqual(['warning:egress-cost']);
    expect(f[0]!.message).toBe("data transfer out of the source's cloud costs about USD 45.00, 90% of the estimate");
    expect(planFindings({ streams: [costly(1)], totals: { items: 1, bytes: 1, durationS: 1, cost: 1, currency: 'USD' } }, { plan: plan(), prices, now })).toEqual([]);
  });

  it('an old price table warns (unless the plan set its own prices); an unknown source cloud with much data warns', () => {
    const later = new Date('2028-01-01T00:00:00Z');
    const totals = { items: 1, bytes: 1, durationS: 1, cost: 0, currency: 'USD' };
    expect(codes(planFindings({ streams: [], totals }, { plan: plan(), prices, now: later }))).toEqual(['warning:prices-outdated']);
    const own = withOverrides(prices, { dynamodb_write_request_units: 0.7 });
    expect(planFindings({ streams: [], totals }, { plan: plan(), prices: own, now: later })).toEqual([]);
    const big = stream({ bytes: { value: 5 * 1024 ** 3, exact: false, method: 'x' } });
    const f = planFindings({ streams: [big], totals }, { plan: plan(), prices, now });
    expect(codes(f)).toEqual(['warning:egress-unknown']);
    expect(f[0]!.message).toContain('5.0 GB');
    expect(f[0]!.message).toContain('0.45 USD');
  });

  it('errors met while looking are blockers with a code and the error\'s own fix', () => {
    expect(errorFinding('s', 'opening', new FerryError('AUTH', 'refused', { hint: 'log in' }))).toEqual({ severity: 'blocker', stream: 's', code: 'auth-failed', message: 'opening: refused', fix: 'log in' });
    expect(errorFinding(undefined, 'opening', new FerryError('UNREACHABLE', 'no answer'))).toMatchObject({ code: 'unreachable', fix: expect.stringContaining('endpoint') });
    expect(errorFinding(undefined, 'x', new Error('boom'))).toMatchObject({ code: 'error', message: 'x: boom' });
  });
});
