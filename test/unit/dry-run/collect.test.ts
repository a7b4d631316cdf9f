import { describe, expect, it } from 'vitest';
import { collectDryRun, describeBlock, describeSegment } from '../../../src/dry-run/collect.js';
import type { FerryRecord } from '../../../src/core/record.js';
import type { Sink } from '../../../src/core/sink.js';
import type { Source } from '../../../src/core/source.js';
import type { StreamRef } from '../../../src/core/stream.js';
import type { TargetState } from '../../../src/dry-run/report.js';
import { FerryError } from '../../../src/errors.js';
import type { LoadedPlan, Plan } from '../../../src/plan/types.js';
import { MemorySink } from '../../support/memory-sink.js';
import { MemorySource } from '../../support/memory-source.js';
import { memoryPlan } from '../../support/memory-world.js';

const now = new Date('2026-11-28T10:00:00Z');

function loaded(plan: Plan): LoadedPlan {
  const p = { ...plan, streams: plan.streams.map((s) => ({ write: 'upsert' as const, ...s })), limits: { concurrency: 2, batch_size: 100, max_retries: 8, ...plan.limits }, verify: [], on_error: { max_rejected: 0, ...plan.on_error } };
  return { plan: p, path: 'memory.yaml', text: '', storedText: '', hash: 'h'.repeat(64), warnings: [] };
}

/** A sink that fails the test if anything tries to write. */
function watchedSink(extra: Partial<Pick<Sink<FerryRecord>, 'toTarget' | 'inspect'>> & ConstructorParameters<typeof MemorySink>[0] = {}): MemorySink {
  const sink = new MemorySink({
    ...extra,
    onWrite: () => {
      throw new Error('a dry run wrote to the target');
    },
  });
  if (extra.toTarget) Object.assign(sink, { toTarget: extra.toTarget });
  if (extra.inspect) Object.assign(sink, { inspect: extra.inspect });
  sink.prepare = () => Promise.reject(new Error('a dry run prepared the target'));
  return sink;
}

const signal = new AbortController().signal;

describe('collectDryRun', () => {
  it('counts, splits and samples every stream, maps the samples, and never prepares, writes or flushes the target', async () => {
    const source = new MemorySource({ streams: { 'public.a': { count: 1234 }, 'public.b': { count: 10 } } });
    const sink = watchedSink({ cost: (items) => ({ wcu: items.length * 2 }), sizeOf: () => 100, limits: { maxItemBytes: 400 * 1024 } });
    const plan = memoryPlan([{ from: 'public.*', map: { rename: { name: 'title' } } }], { wcu: 100 });
    const r = await collectDryRun(loaded(plan), source, sink, { sample: 3, signal, now });
    expect(sink.calls).toBe(0);
    expect(sink.flushes).toBe(0);
    expect(sink.data.prepared).toEqual([]);
    expect(r.verdict).toBe('ready');
    expect(r.generatedAt).toBe('2026-11-28T10:00:00.000Z');
    expect(r.prices.date).toBe('2026-11-01');
    expect(r.streams.map((s) => [s.stream, s.target, s.count.value, s.count.exact, s.segments.length])).toEqual([
      ['public.a', 'a', 1234, true, 2],
      ['public.b', 'b', 10, true, 2],
    ]);
    const a = r.streams[0]!;
    expect(a.samples).toHaveLength(3);
    expect(a.samples[0]).toEqual({ key: 'id=0', before: { id: 0, name: 'r0' }, after: { id: 0, title: 'r0' }, targetBytes: 100, problems: [] });
    // Units per item from sink.cost, scaled to the count; the pace from the plan's wcu.
    expect(a.estimate.units['wcu']).toBe(2468);
    expect(a.estimate.durationS).toBeCloseTo(24.68, 6);
    expect(a.estimate.limitedBy).toBe('target units: plan limit wcu 100/s');
    expect(r.totals.items).toBe(1244);
    expect(a.targetState).toEqual({ exists: 'unknown', empty: 'unknown', notes: ['a memory target cannot be inspected without writing'] });
    // Bytes: no estimate from the source, so from the samples.
    expect(a.bytes.exact).toBe(false);
    expect(a.bytes.method).toBe("3 sampled records' average size × count");
  });

  it('records the target refuses or that are too large are blockers; the report is blocked', async () => {
    const source = new MemorySource({ streams: { t: { count: 100 } } });
    const sink = watchedSink({
      limits: { maxItemBytes: 1000 },
      sizeOf: (item) => ((item.key['id'] as number) === 2 ? 5000 : 10),
      toTarget: (_s: StreamRef, rec: FerryRecord) => {
        if (rec.key['id'] === 1) throw new FerryError('ITEM_REJECTED', 'attribute x: NaN cannot be stored', { hint: 'set `non_finite: string`' });
        return rec;
      },
    });
    const r = await collectDryRun(loaded(memoryPlan([{ from: 't' }])), source, sink, { sample: 4, signal, now });
    expect(r.verdict).toBe('blocked');
    const blockers = r.findings.filter((f) => f.severity === 'blocker');
    expect(blockers.map((f) => [f.code, f.keys])).toEqual([
      ['item-rejected', ['id=1']],
      ['item-too-large', ['id=2']],
    ]);
    expect(blockers[0]!.fix).toBe('set `non_finite: string`');
    const s = r.streams[0]!.samples;
    expect(s[1]).toMatchObject({ key: 'id=1', after: null, problems: ['attribute x: NaN cannot be stored'] });
    expect(s[2]!.problems).toEqual(['5,000 bytes as memory counts them, over its limit of 1,000']);
  });

  it('the target as inspected: a key mismatch blocks; estimates and per-segment counts from the source are used', async () => {
    const source = new MemorySource({ streams: { t: { count: 50 } } });
    Object.assign(source, {
      estimate: async (_ref: StreamRef, _sig: AbortSignal, segs?: readonly unknown[]) => ({
        count: 5_000_000,
        exact: false,
        method: 'statistics',
        bytes: 5e9,
        perSegment: (segs ?? []).map(() => 2_500_000),
      }),
    });
    const inspect = async (): Promise<TargetState> => ({ exists: true, empty: false, items: 7, keySchema: 'pk (S) HASH', keyMatches: false, notes: [] });
    const r = await collectDryRun(loaded(memoryPlan([{ from: 't' }])), source, watchedSink({ inspect }), { sample: 1, signal, now });
    expect(r.verdict).toBe('blocked');
    expect(r.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['blocker:key-schema-mismatch', 'warning:target-not-empty', 'warning:count-estimated', 'warning:egress-unknown']);
    const st = r.streams[0]!;
    expect(st.count).toEqual({ value: 5_000_000, exact: false, method: 'statistics' });
    expect(st.bytes).toEqual({ value: 5e9, exact: false, method: 'statistics' });
    expect(st.segments.map((x) => x.estimate)).toEqual([2_500_000, 2_500_000]);
  });

  it('a source that fails to list, or lists nothing, is a finding, not a crash', async () => {
    const source = new MemorySource({ streams: { t: { count: 5 } } });
    const failing: Source<FerryRecord> = Object.assign(Object.create(source) as MemorySource, {
      streams: async (pattern: string) => {
        if (pattern === 'bad') throw new FerryError('AUTH', 'password authentication failed', { hint: 'check SOURCE_PGURL' });
        return source.streams(pattern);
      },
    });
    const r = await collectDryRun(loaded(memoryPlan([{ from: 'bad' }, { from: 'nothing*' }, { from: 't' }])), failing, watchedSink(), { sample: 1, signal, now });
    expect(r.verdict).toBe('blocked');
    expect(r.findings.filter((f) => f.severity === 'blocker')).toEqual([
      { severity: 'blocker', stream: 'bad', code: 'auth-failed', message: 'listing memory streams matching "bad": password authentication failed', fix: 'check SOURCE_PGURL' },
      expect.objectContaining({ stream: 'nothing*', code: 'stream-not-found' }),
    ]);
    expect(r.streams.map((s) => s.stream)).toEqual(['t']);
  });

  it('a target that cannot be reached is one plan-wide blocker, asked once', async () => {
    let asked = 0;
    const inspect = async (): Promise<TargetState> => {
      asked++;
      throw new FerryError('UNREACHABLE', 'cannot reach http://127.0.0.1:2 (ECONNREFUSED)', { hint: 'check the endpoint' });
    };
    const source = new MemorySource({ streams: { a: { count: 1 }, b: { count: 1 }, c: { count: 1 } } });
    const r = await collectDryRun(loaded(memoryPlan([{ from: '*' }])), source, watchedSink({ inspect }), { sample: 1, signal, now });
    expect(asked).toBe(1);
    expect(r.findings).toEqual([{ severity: 'blocker', code: 'unreachable', message: 'inspecting the memory target: cannot reach http://127.0.0.1:2 (ECONNREFUSED)', fix: 'check the endpoint' }]);
    expect(r.streams.map((x) => x.targetState.notes)).toEqual([
      ['cannot reach http://127.0.0.1:2 (ECONNREFUSED)'],
      ['not inspected: cannot reach http://127.0.0.1:2 (ECONNREFUSED)'],
      ['not inspected: cannot reach http://127.0.0.1:2 (ECONNREFUSED)'],
    ]);
  });

  it('plan price overrides are applied and named in the report', async () => {
    const plan = { ...memoryPlan([{ from: 't' }]), prices: { firestore_writes: 0.18 } };
    const r = await collectDryRun(loaded(plan), new MemorySource({ streams: { t: { count: 1 } } }), watchedSink(), { sample: 0, signal, now });
    expect(r.prices).toMatchObject({ date: '2026-11-01', overridden: ['firestore_writes'] });
    expect(r.sampleSize).toBe(0);
    expect(r.streams[0]!.samples).toEqual([]);
  });
});

describe('describing', () => {
  const seg = (spec: unknown) => ({ id: 'x#0/1', stream: 'x', index: 0, total: 1, spec });
  it('segments of every store in words', () => {
    expect(describeSegment(seg(null))).toBe('the whole stream');
    expect(describeSegment(seg({ key: ['id'], upper: [100], snapshot: true }))).toBe('id ≤ 100');
    expect(describeSegment(seg({ key: ['a', 'b'], lower: [1, 'x'], upper: [2, 'y'], snapshot: true }))).toBe('(1, "x") < (a, b) ≤ (2, "y")');
    expect(describeSegment(seg({ key: ['id'], snapshot: true, where: 'x > 1' }))).toBe('every row where x > 1');
    expect(describeSegment(seg({ segment: 2, totalSegments: 4 }))).toBe('parallel scan segment 3 of 4');
    expect(describeSegment(seg({ selector: { kind: 'collection', path: 'c' }, end: 'c/m' }))).toBe('documents from the first to before c/m');
    expect(describeSegment(seg({ after: 'data/a', before: 'data/m' }))).toBe('names after "data/a" up to "data/m"');
    expect(describeSegment(seg({}))).toBe('every name');
  });

  it('connection blocks without secrets', () => {
    expect(describeBlock({ type: 'postgres', url: 'postgres://u:secret@db.internal:5432/billing' })).toBe('postgres db.internal:5432/billing');
    expect(describeBlock({ type: 'dynamodb', region: 'us-east-1', table_prefix: 'stg_', secret_access_key: 'k' })).toBe('dynamodb us-east-1 tables stg_*');
    expect(describeBlock({ type: 's3', bucket: 'b', region: 'eu-west-1' })).toBe('s3 bucket b eu-west-1');
  });
});
