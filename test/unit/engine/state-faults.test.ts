/**
 * State faults end in a sentence: a state disk that fills up mid-job (SQLite's page limit stands in for the disk)
 * fails the run with a STATE error that says so and how to fix it, the job stays resumable, and a resume on a disk
 * with room finishes with every record counted once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { runJob } from '../../../src/engine/index.js';
import { FerryError } from '../../../src/errors.js';
import { openStateStore } from '../../../src/state/index.js';
import { MemorySink, MemorySinkData } from '../../support/memory-sink.js';
import { MemorySource } from '../../support/memory-source.js';
import { memoryPlan } from '../../support/memory-world.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-state-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STREAMS = { 'app.a': { count: 4000 } };
const plan = memoryPlan([{ from: 'app.*', segments: 1 }], { batch_size: 5, concurrency: 1 });
const instant = { sleep: async () => {}, backoff: { random: () => 0 } };

it('a full state disk fails the job with the reason and the fix; a resume with room finishes it exactly', async () => {
  const path = join(dir, 'full.db');
  const data = new MemorySinkData();
  const first = openStateStore(path, { pid: 910_001, host: 'test', isProcessAlive: () => false });
  const job = await first.createJob({ planName: plan.name, planHash: 'h', kind: 'migration', planText: '' });
  // The file may grow by a few pages only: checkpoint history and events fill them within the job.
  const db = (first as unknown as { db: { database: Database.Database } }).db.database;
  db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 4}`);

  const err = await runJob({ plan, job, store: first, source: new MemorySource({ streams: STREAMS }), sink: new MemorySink({ data }), ...instant }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FerryError);
  expect((err as FerryError).code).toBe('STATE');
  expect((err as FerryError).message).toMatch(/the disk holding the state database .*full\.db is full/);
  expect((err as FerryError).hint).toMatch(/free space on that disk/);
  await first.close();

  const second = openStateStore(path, { pid: 910_002, host: 'test', isProcessAlive: () => false });
  const left = (await second.getJob(job.id))!;
  expect(left.status).not.toBe('succeeded');
  const before = (await second.listSegments(job.id))[0]!.items;
  expect(before).toBeGreaterThan(0);
  expect(before).toBeLessThan(4000);
  const summary = await runJob({ plan, job: left, store: second, source: new MemorySource({ streams: STREAMS }), sink: new MemorySink({ data }), ...instant });
  expect(summary.status).toBe('succeeded');
  expect((await second.listSegments(job.id))[0]!.items).toBe(4000);
  expect(data.rows('a').size).toBe(4000);
  await second.close();
});
