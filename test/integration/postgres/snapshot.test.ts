/**
 * One snapshot for the whole job: with `snapshot` on (the default), segment reads and counts see the database as it
 * was when the source first listed a stream, whatever is inserted, updated or deleted afterwards, in any table; with
 * `snapshot: false` they see committed data as it is. A resumed job reads a new snapshot and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../../src/core/record.js';
import type { Segment } from '../../../src/core/stream.js';
import { createDatabase, listOne, openSource, readSegment, readStream, recordingLogger, type TestDatabase } from './helpers.js';

let db: TestDatabase;
const signal = new AbortController().signal;
const tuning = { segments: { minRowsPerSegment: 10 } };

beforeAll(async () => {
  db = await createDatabase('pg_snapshot');
});

afterAll(async () => {
  await db?.drop();
});

async function freshTables(): Promise<void> {
  await db.client.query(`
    DROP TABLE IF EXISTS accounts, ledger;
    CREATE TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL);
    INSERT INTO accounts SELECT i, 100 FROM generate_series(1, 100) i;
    CREATE TABLE ledger (id bigint PRIMARY KEY, account int NOT NULL, amount numeric NOT NULL);
    INSERT INTO ledger SELECT i, i, 100 FROM generate_series(1, 100) i;
  `);
}

/** Changes after the source listed its streams: new rows, changed rows, a deleted row, in both tables. */
async function changeEverything(): Promise<void> {
  await db.client.query(`
    BEGIN;
    INSERT INTO accounts SELECT i, 0 FROM generate_series(101, 150) i;
    UPDATE accounts SET balance = balance - 10 WHERE id <= 10;
    DELETE FROM accounts WHERE id = 100;
    INSERT INTO ledger SELECT 1000 + i, i, -10 FROM generate_series(1, 10) i;
    COMMIT;
  `);
}

describe('snapshot', () => {
  it('on (default): every segment of every table and every count sees the instant the streams were listed', async () => {
    await freshTables();
    const source = await openSource(db.url, {}, tuning);
    try {
      const accounts = await listOne(source, 'public.accounts');
      const ledger = await listOne(source, 'public.ledger');
      expect(accounts.meta).toMatchObject({ snapshot: true });
      await changeEverything();
      const a = await readStream(source, accounts, 4, 7);
      expect(a.segments.length).toBeGreaterThan(1);
      expect(a.records).toHaveLength(100);
      expect(a.records.every((r) => String((r.value as Doc)['balance']) === '100')).toBe(true);
      expect(a.records.some((r) => r.key['id'] === 100)).toBe(true);
      expect((await readStream(source, ledger, 3, 9)).records).toHaveLength(100);
      expect(await source.count(accounts, signal)).toBe(100);
      expect(await source.count(ledger, signal)).toBe(100);
    } finally {
      await source[Symbol.asyncDispose]();
    }
  });

  it('off: reads and counts see committed changes as they are', async () => {
    await freshTables();
    const source = await openSource(db.url, {}, tuning);
    try {
      const accounts = await listOne(source, 'public.accounts', { snapshot: false });
      expect(accounts.meta).toMatchObject({ snapshot: false });
      await changeEverything();
      const { segments, records } = await readStream(source, accounts, 4, 7);
      expect(segments.every((s) => (s.spec as { snapshot: boolean }).snapshot === false)).toBe(true);
      expect(records).toHaveLength(149);
      expect(records.filter((r) => String((r.value as Doc)['balance']) === '90')).toHaveLength(10);
      expect(await source.count(accounts, signal)).toBe(149);
    } finally {
      await source[Symbol.asyncDispose]();
    }
  });

  it('holds one extra connection idle in transaction while open, and closes every connection when disposed', async () => {
    const app = `ferry_snap_${Date.now()}`;
    const source = await openSource(db.url, { application_name: app });
    const sessions = async () =>
      (await db.client.query<{ application_name: string; state: string }>(
        'SELECT application_name, state FROM pg_stat_activity WHERE application_name LIKE $1 ORDER BY 1',
        [`${app}%`],
      )).rows;
    try {
      await listOne(source, 'public.accounts');
      expect(await sessions()).toContainEqual({ application_name: `${app} snapshot`, state: 'idle in transaction' });
    } finally {
      await source[Symbol.asyncDispose]();
    }
    for (let i = 0; i < 50 && (await sessions()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await sessions()).toEqual([]);
  });

  it('a resumed job (segments of an earlier run, or a cursor this source did not produce) warns once that its snapshot is new', async () => {
    await freshTables();
    const first = await openSource(db.url, {}, tuning);
    let segments: Segment[];
    let cursor: string;
    try {
      segments = await first.segments(await listOne(first, 'public.accounts'), 2, signal);
      cursor = (await readSegment(first, segments[0]!, 5)).cursors[0]!;
    } finally {
      await first[Symbol.asyncDispose]();
    }

    const logger = recordingLogger();
    const resumed = await openSource(db.url, {}, tuning, logger);
    try {
      await listOne(resumed, 'public.accounts');
      const rest = await readSegment(resumed, segments[0]!, 5, cursor);
      expect(rest.records[0]!.key).toEqual({ id: 6 });
      await readSegment(resumed, segments[1]!, 50);
      const warnings = logger.lines.filter((l) => l.level === 'warn');
      expect(warnings.map((w) => w.msg)).toEqual([
        "this resumed job reads a new snapshot, later than the first run's: rows changed in between are read as they are now",
      ]);
    } finally {
      await resumed[Symbol.asyncDispose]();
    }
  });

  it('a fresh job, and the engine re-opening a read after its last cursor, do not warn', async () => {
    const logger = recordingLogger();
    const source = await openSource(db.url, {}, tuning, logger);
    try {
      const [segment] = await source.segments(await listOne(source, 'public.accounts'), 1, signal);
      const first = await readSegment(source, segment!, 10);
      // A transient failure after batch 3: the engine re-opens after the last cursor it received.
      const partial: string[] = [];
      for await (const b of source.read({ segment: segment!, batchSize: 10, signal })) {
        partial.push(b.cursor);
        if (partial.length === 3) break;
      }
      const rest = await readSegment(source, segment!, 10, partial[2]);
      expect(rest.records).toHaveLength(first.records.length - 30);
      expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    } finally {
      await source[Symbol.asyncDispose]();
    }
  });
});
