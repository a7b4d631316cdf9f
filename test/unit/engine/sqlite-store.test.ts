/**
 * The engine against the real state store (SQLite): crash at every operation, resume in a "new process" (another
 * pid, whose predecessor is gone), and the target holds exactly the source set with every record counted once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runJob } from '../../../src/engine/index.js';
import { openStateStore, type SqliteStateStore } from '../../../src/state/index.js';
import { CrashError, CrashSwitch } from '../../support/memory-crash.js';
import { crashingStore } from '../../support/memory-crash-store.js';
import { MemorySink, MemorySinkData } from '../../support/memory-sink.js';
import { MemorySource } from '../../support/memory-source.js';
import { memoryPlan } from '../../support/memory-world.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STREAMS = { 'app.a': { count: 37 }, 'app.b': { count: 11 } };
const plan = memoryPlan([{ from: 'app.*', segments: 2 }], { batch_size: 5, concurrency: 2 });
const instant = { sleep: async () => {}, backoff: { random: () => 0 } };
let pid = 900_000;

function processOf(path: string, crash?: CrashSwitch) {
  pid += 1;
  const raw = openStateStore(path, { pid, host: 'test', isProcessAlive: () => false });
  return { raw, store: crash ? crashingStore(raw, crash) : raw };
}

async function crashAndResume(k: number | undefined, n: number): Promise<number> {
  const path = join(dir, `k${n}.db`);
  const sinkData = new MemorySinkData();
  const { raw: setup } = processOf(path);
  const job = await setup.createJob({ planName: plan.name, planHash: 'h', kind: 'migration', planText: '' });
  await setup.close();

  const crash = new CrashSwitch(k);
  const first = processOf(path, crash);
  await runJob({
    plan,
    job,
    store: first.store,
    source: new MemorySource({ streams: STREAMS, crash }),
    sink: new MemorySink({ data: sinkData, crash, limits: { maxItemsPerWrite: 2 } }),
    ...instant,
  }).catch((e: unknown) => {
    expect(e, `k=${k}`).toBeInstanceOf(CrashError);
  });
  first.raw.close();

  const second = processOf(path);
  const resumed = (await second.raw.getJob(job.id))!;
  if (resumed.status !== 'succeeded') {
    const summary = await runJob({ plan, job: resumed, store: second.store, source: new MemorySource({ streams: STREAMS }), sink: new MemorySink({ data: sinkData }), ...instant });
    expect(summary.status).toBe('succeeded');
  }
  const store: SqliteStateStore = second.raw;
  expect((await store.getJob(job.id))!.status, `k=${k}`).toBe('succeeded');
  const segs = await store.listSegments(job.id);
  expect(segs.reduce((a, s) => a + s.items, 0), `k=${k}`).toBe(48);
  expect(sinkData.rows('a').size, `k=${k}`).toBe(37);
  expect(sinkData.rows('b').size, `k=${k}`).toBe(11);
  await store.close();
  return crash.ops;
}

describe('engine on the SQLite state store', () => {
  it('resumes exactly after a crash at every operation', { timeout: 60_000 }, async () => {
    const total = await crashAndResume(undefined, 0);
    expect(total).toBeGreaterThan(30);
    for (let k = 1; k <= total; k++) await crashAndResume(k, k);
  });
});
