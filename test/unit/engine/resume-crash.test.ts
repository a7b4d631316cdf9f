/**
 * Resume from every possible interruption point: the run "dies" at its k-th operation (store, sink or source
 * call) for every k, and a fresh process resumes the same job. The target must end up holding exactly the source's
 * records; committed totals must count every record exactly once; dead letters must be recorded exactly once; and a
 * resume may re-write only what was in flight (at most one uncommitted batch per running segment).
 */
import { describe, expect, it } from 'vitest';
import type { FerryRecord } from '../../../src/core/record.js';
import { runJob } from '../../../src/engine/index.js';
import { FerryError } from '../../../src/errors.js';
import type { Plan } from '../../../src/plan/types.js';
import { CrashError, CrashSwitch } from '../../support/memory-crash.js';
import type { WriteDirective } from '../../support/memory-sink.js';
import { memoryPlan, MemoryWorld } from '../../support/memory-world.js';

const STREAMS = { 'app.a': { count: 57 }, 'app.b': { count: 23 } };
const TOTAL = 80;
const BATCH = 10;
const CONCURRENCY = 2;
const instant = { sleep: async () => {}, backoff: { random: () => 0 } };

const plan: Plan = memoryPlan([{ from: 'app.*', segments: 2 }], { batch_size: BATCH, concurrency: CONCURRENCY }, { max_rejected: 1000 });

/** Items whose id is a multiple of 13 are refused by the target (dead letters). */
const rejectSome = (): WriteDirective => ({ reject: (i: FerryRecord) => (Number(i.key.id) % 13 === 0 ? 'invalid' : undefined) });

function expected(name: string, count: number, withRejects: boolean): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i < count; i++) if (!(withRejects && i % 13 === 0)) m.set(`id=${i}`, { id: i, name: `r${i}` });
  void name;
  return m;
}

async function totalOps(withRejects: boolean): Promise<number> {
  const world = new MemoryWorld(STREAMS);
  const crash = new CrashSwitch();
  const p = world.process({ crash, sink: withRejects ? { onWrite: rejectSome } : {} });
  await runJob({ plan, ...p, ...instant });
  return crash.ops;
}

async function crashThenResume(k: number, withRejects: boolean): Promise<void> {
  const world = new MemoryWorld(STREAMS);
  const sinkOpts = { limits: { maxItemsPerWrite: 4, maxConcurrentWrites: 2 }, ...(withRejects ? { onWrite: rejectSome } : {}) };
  const crash = new CrashSwitch(k);
  const first = world.process({ crash, sink: sinkOpts });
  const err = await runJob({ plan, ...first, ...instant }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (crash.dead) expect(err, `k=${k}`).toBeInstanceOf(CrashError);

  const durableBefore = new Map([...world.sinkData.durable].map(([t, rows]) => [t, new Set(rows.keys())]));
  const committedKeys = committedItems(world);
  const second = world.process({ sink: sinkOpts });
  const summary = await runJob({ plan, ...second, ...instant });
  expect(summary.status, `k=${k}`).toBe('succeeded');

  // Exactly the source set in the target.
  expect(world.sinkData.rows('a'), `k=${k}`).toEqual(expected('a', 57, withRejects));
  expect(world.sinkData.rows('b'), `k=${k}`).toEqual(expected('b', 23, withRejects));

  // Every record counted once across both runs.
  const segs = await second.store.listSegments(second.job.id);
  expect(segs.every((s) => s.status === 'done'), `k=${k}`).toBe(true);
  const rejects = withRejects ? [0, 13, 26, 39, 52].length + [0, 13].length : 0;
  expect(segs.reduce((n, s) => n + s.items, 0), `k=${k}`).toBe(TOTAL - rejects);
  expect(segs.reduce((n, s) => n + s.rejected, 0), `k=${k}`).toBe(rejects);
  const dls = await second.store.deadLetters(second.job.id);
  expect(dls.length, `k=${k}`).toBe(rejects);
  expect(new Set(dls.map((d) => `${d.stream}/${d.key}`)).size, `k=${k}`).toBe(rejects);

  // Re-writes limited to what was durable but not yet committed when the process died.
  let rewritten = 0;
  for (const key of second.sink.writesPerKey.keys()) {
    for (const [target, keys] of durableBefore) if (keys.has(key) && !committedKeys.get(target)?.has(key)) rewritten += 1;
  }
  expect(rewritten, `k=${k}`).toBeLessThanOrEqual(CONCURRENCY * BATCH);
  // Nothing committed was read again.
  for (const r of second.source.reads) {
    const seg = segs.find((s) => s.id === r.segmentId)!;
    expect(seg, `k=${k}`).toBeDefined();
  }
}

/** Keys covered by committed cursors, per target (cursor = next index of the segment's range). */
function committedItems(world: MemoryWorld): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const seg of world.storeData.segments.get(world.job.id)?.values() ?? []) {
    const spec = seg.spec as { start: number; end: number };
    const end = seg.cursor ? (JSON.parse(seg.cursor) as { pos: number }).pos : spec.start;
    const set = out.get(seg.target) ?? new Set<string>();
    for (let i = spec.start; i < end; i++) set.add(`id=${i}`);
    out.set(seg.target, set);
  }
  return out;
}

describe('resume after a crash at every operation', () => {
  it('loses nothing and duplicates nothing, for every crash point', async () => {
    const n = await totalOps(false);
    expect(n).toBeGreaterThan(50);
    for (let k = 1; k <= n + 1; k++) await crashThenResume(k, false);
  });

  it('records each dead letter exactly once, for every crash point', async () => {
    const n = await totalOps(true);
    for (let k = 1; k <= n + 1; k++) await crashThenResume(k, true);
  });

  it('survives repeated crashes at random points until the job ends', async () => {
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 20; trial++) {
      const world = new MemoryWorld(STREAMS);
      let done = false;
      for (let run = 0; run < 100 && !done; run++) {
        const crash = new CrashSwitch(15 + Math.floor(rand() * 60));
        const p = world.process({ crash, sink: { limits: { maxItemsPerWrite: 3, maxConcurrentWrites: 3 } } });
        done = await runJob({ plan, ...p, ...instant }).then(
          () => true,
          (e: unknown) => {
            if (e instanceof FerryError && e.code === 'JOB_FINISHED') return true;
            expect(e).toBeInstanceOf(CrashError);
            return false;
          },
        );
      }
      expect(done).toBe(true);
      expect(world.sinkData.rows('a')).toEqual(expected('a', 57, false));
      expect(world.sinkData.rows('b')).toEqual(expected('b', 23, false));
      const segs = [...world.storeData.segments.get(world.job.id)!.values()];
      expect(segs.reduce((n, s) => n + s.items, 0)).toBe(TOTAL);
    }
  });
});
