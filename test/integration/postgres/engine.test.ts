/**
 * The source under the real engine (runJob with an in-memory sink and checkpoint store): plan stream keys reach
 * `streams()` (key_columns, where), segments run in parallel, and a job stopped halfway and resumed by a new
 * process (a new source, so a new snapshot, which it says) ends with every row exactly as in the table.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Doc } from '../../../src/core/record.js';
import { runJob } from '../../../src/engine/runner.js';
import { memoryPlan, MemoryWorld } from '../../support/memory-world.js';
import { MemorySink } from '../../support/memory-sink.js';
import { createDatabase, openSource, recordingLogger, type TestDatabase } from './helpers.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createDatabase('pg_engine');
  await db.client.query(`
    CREATE TABLE orders (id bigint PRIMARY KEY, region text NOT NULL, amount numeric(12, 2) NOT NULL);
    INSERT INTO orders SELECT i, (ARRAY['eu', 'us'])[1 + i % 2], i * 0.25 FROM generate_series(1, 3000) i;
    CREATE TABLE events (at timestamptz NOT NULL, seq int NOT NULL, note text, UNIQUE (at, seq));
    INSERT INTO events SELECT '2024-01-01'::timestamptz + (i / 10) * interval '1 hour', i % 10, 'n' || i FROM generate_series(1, 1000) i;
    ANALYZE;
  `);
});

afterAll(async () => {
  await db?.drop();
});

it('runs a plan, stops halfway, and a resumed run completes it exactly', async () => {
  const plan = memoryPlan(
    [
      { from: 'public.orders', to: 'Orders', where: "region = 'eu'", segments: 3 },
      { from: 'public.events', to: 'Events', key_columns: ['at', 'seq'], segments: 2 },
    ],
    { concurrency: 3, batch_size: 100 },
  );
  const world = new MemoryWorld({});
  const tuning = { segments: { minRowsPerSegment: 100 } };

  // First run: a graceful stop after a few flushes.
  const first = world.process();
  const stop = new AbortController();
  let flushes = 0;
  const sink1 = new MemorySink({ data: world.sinkData, onFlush: () => void (++flushes === 4 && stop.abort()) });
  const source1 = await openSource(db.url, {}, tuning);
  try {
    await expect(runJob({ plan, store: first.store, job: first.job, source: source1, sink: sink1, stopSignal: stop.signal })).rejects.toMatchObject({
      code: 'INTERRUPTED',
    });
  } finally {
    await source1[Symbol.asyncDispose]();
  }
  const partial = world.sinkData.rows('Orders').size + world.sinkData.rows('Events').size;
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(2500);

  // Rows changed between the runs are read as they are now (a new snapshot).
  await db.client.query("UPDATE orders SET amount = 0 WHERE id = 2998");

  const second = world.process();
  const logger = recordingLogger();
  const source2 = await openSource(db.url, {}, tuning, logger);
  try {
    const s2 = await runJob({ plan, store: second.store, job: second.job, source: source2, sink: new MemorySink({ data: world.sinkData }) });
    expect(s2.status).toBe('succeeded');
    expect(s2.items).toBe(2500);
  } finally {
    await source2[Symbol.asyncDispose]();
  }
  expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toContain(
    "this resumed job reads a new snapshot, later than the first run's: rows changed in between are read as they are now",
  );

  const orders = world.sinkData.rows('Orders');
  expect(orders.size).toBe(1500);
  expect([...orders.values()].every((v) => (v as Doc)['region'] === 'eu')).toBe(true);
  expect(String((orders.get('id=2998') as Doc)['amount'])).toMatch(/^(0\.00|749\.50)$/);
  expect(world.sinkData.rows('Events').size).toBe(1000);
});
