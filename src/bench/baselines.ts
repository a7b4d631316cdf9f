/**
 * The two baselines ferry is measured against, in the bench's own process:
 *
 * - naive loop: what most migration scripts do. One cursor over the table, each row marshalled by hand, then
 *   25-item BatchWriteItem calls awaited one after another (UnprocessedItems re-sent).
 * - raw ceiling: no source and no mapping. Items marshalled before the clock starts (a pool of real rows, each
 *   written under its own id), sent by W concurrent writers of 25-item BatchWriteItem calls: what the server
 *   accepts at best.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { marshalRow, QUALIFIED_TABLE, type BenchRow } from './dataset.js';
import { writeBatch, type Item } from './dynamo.js';

export interface WriteStats {
  seconds: number;
  calls: number;
  /** Items re-sent because the server returned them as UnprocessedItems. */
  resent: number;
  /** CPU seconds this process spent (client side: reading, marshalling, the SDK). */
  clientCpuSeconds: number;
}

/** Stops a loop between two calls (Ctrl-C). */
export type Interrupted = () => boolean;

export class BenchInterrupted extends Error {
  override readonly name = 'BenchInterrupted';
}

export function isInterrupted(e: unknown): boolean {
  return e instanceof BenchInterrupted;
}

export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

const BATCH = 25;
const FETCH = 1000;

export async function naiveLoop(pgUrl: string, client: DynamoDBClient, table: string, interrupted: Interrupted): Promise<WriteStats> {
  const db = new pg.Client({ connectionString: pgUrl, application_name: 'ferry-bench-naive' });
  await db.connect();
  try {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    let calls = 0;
    let resent = 0;
    await db.query('BEGIN');
    await db.query(`DECLARE bench_rows NO SCROLL CURSOR FOR SELECT * FROM ${QUALIFIED_TABLE} ORDER BY id`);
    for (;;) {
      const { rows } = await db.query<BenchRow>(`FETCH ${FETCH} FROM bench_rows`);
      if (rows.length === 0) break;
      for (let i = 0; i < rows.length; i += BATCH) {
        if (interrupted()) throw new BenchInterrupted('interrupted');
        const r = await writeBatch(client, table, rows.slice(i, i + BATCH).map(marshalRow));
        calls += r.calls;
        resent += r.resent;
      }
    }
    await db.query('COMMIT');
    return { seconds: (performance.now() - t0) / 1000, calls, resent, clientCpuSeconds: cpuSecondsSince(cpu) };
  } finally {
    await db.end().catch(() => {});
  }
}

/** The first `n` rows of the table, marshalled: the raw ceiling's item pool (and a sample of item sizes). */
export async function loadItemPool(pgUrl: string, n: number): Promise<Item[]> {
  const db = new pg.Client({ connectionString: pgUrl, application_name: 'ferry-bench-pool' });
  await db.connect();
  try {
    const { rows } = await db.query<BenchRow>(`SELECT * FROM ${QUALIFIED_TABLE} ORDER BY id LIMIT $1`, [n]);
    return rows.map(marshalRow);
  } finally {
    await db.end().catch(() => {});
  }
}

/**
 * `count` items, `itemAt(0)` … `itemAt(count - 1)`, by `writers` concurrent loops of 25-item BatchWriteItem calls
 * (UnprocessedItems re-sent). The first failure stops every loop at its next call and is thrown.
 */
export async function writeParallel(
  client: DynamoDBClient,
  table: string,
  count: number,
  itemAt: (i: number) => Item,
  writers: number,
  interrupted: Interrupted,
): Promise<WriteStats> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let calls = 0;
  let resent = 0;
  let failed = false;
  const writer = async (): Promise<void> => {
    for (;;) {
      if (interrupted()) throw new BenchInterrupted('interrupted');
      if (failed) return;
      const from = next;
      if (from >= count) return;
      next = Math.min(count, from + BATCH);
      const items: Item[] = [];
      for (let i = from; i < next; i++) items.push(itemAt(i));
      const r = await writeBatch(client, table, items).catch((e: unknown) => {
        failed = true; // the other writers stop at their next call
        throw e;
      });
      calls += r.calls;
      resent += r.resent;
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  return { seconds: (performance.now() - t0) / 1000, calls, resent, clientCpuSeconds: cpuSecondsSince(cpu) };
}

/**
 * `rows` items (ids 1..rows, bodies from the pool in turn) by `writers` concurrent BatchWriteItem loops. Building a
 * call's 25 items is a shallow copy each; everything else was marshalled before the clock started.
 */
export async function rawCeiling(
  client: DynamoDBClient,
  table: string,
  pool: readonly Item[],
  rows: number,
  writers: number,
  interrupted: Interrupted,
): Promise<WriteStats> {
  if (pool.length === 0) throw new Error('the raw ceiling needs at least one item in its pool');
  return writeParallel(client, table, rows, (i) => ({ ...pool[i % pool.length]!, id: { N: String(i + 1) } }), writers, interrupted);
}
