/**
 * Firestore helpers of the `dynamodb-firestore` bench, and its two baselines, in the bench's own process with the
 * plain SDK (nothing of ferry's), so they are what an application would write:
 *
 * - naive loop: a DynamoDB Scan, each item converted by hand, one `docRef.set()` per document awaited in sequence.
 *   It stops after a number of documents or seconds; its rate is extrapolated to the whole table.
 * - raw ceiling: no source. Documents converted before the clock starts (a pool of real items, each written under
 *   its own id), sent as 500-document `WriteBatch` commits, W of them in flight.
 *
 * Everything the bench writes goes to its own emulator project (`ferry-bench`), which it clears with the emulator's
 * DELETE endpoint between runs; other projects on the same emulator (the tests' `ferry-test`) are never touched.
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Firestore, type Settings } from '@google-cloud/firestore';
import { BenchInterrupted, cpuSecondsSince, type Interrupted, type WriteStats } from './baselines.js';
import type { Item } from './dynamo.js';
import { toFirestoreData } from './items.js';

/** The emulator project of the bench: cleared between runs, so it must be nobody else's. */
export const BENCH_PROJECT = 'ferry-bench';
/** Documents per commit: Firestore's maximum writes per batch. */
export const COMMIT_SIZE = 500;

/** A plain SDK client on the emulator, in the bench's project. */
export function benchFirestore(host: string): Firestore {
  const settings: Settings = { projectId: BENCH_PROJECT, host, ssl: false };
  // Without it google-gax asks the credentials for their universe, which probes for a metadata server.
  (settings as Settings & { universeDomain?: string }).universeDomain = 'googleapis.com';
  return new Firestore(settings);
}

/** The emulator endpoint that deletes every document of the bench's project (and of no other). */
export function clearUrl(host: string): string {
  return `http://${host}/emulator/v1/projects/${BENCH_PROJECT}/databases/(default)/documents`;
}

/** Delete every document of the bench's project on the emulator. */
export async function clearProject(host: string): Promise<void> {
  const res = await fetch(clearUrl(host), { method: 'DELETE', signal: AbortSignal.timeout(300_000) });
  if (!res.ok) throw new Error(`DELETE ${clearUrl(host)} answered ${res.status} ${res.statusText}: ${(await res.text()).slice(0, 200)}`);
}

/** Documents in a collection, by a `count()` aggregation. */
export async function countDocs(db: Firestore, collection: string): Promise<number> {
  const snap = await db.collection(collection).count().get();
  return snap.data().count;
}

/** The first `n` items of the source, in the raw ceiling's pool form (converted documents). */
export function documentPool(items: readonly Item[]): Record<string, unknown>[] {
  return items.map(toFirestoreData);
}

/**
 * `count` documents (ids 1..count, bodies from the pool in turn, `id` set to the document's number) in 500-document
 * `WriteBatch` commits, `inFlight` at a time. The first failure stops every loop at its next commit and is thrown.
 */
export async function firestoreCeiling(
  db: Firestore,
  collection: string,
  pool: readonly Record<string, unknown>[],
  count: number,
  inFlight: number,
  interrupted: Interrupted,
): Promise<WriteStats> {
  if (pool.length === 0) throw new Error('the raw ceiling needs at least one document in its pool');
  const coll = db.collection(collection);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let calls = 0;
  let failed = false;
  const committer = async (): Promise<void> => {
    for (;;) {
      if (interrupted()) throw new BenchInterrupted('interrupted');
      if (failed) return;
      const from = next;
      if (from >= count) return;
      next = Math.min(count, from + COMMIT_SIZE);
      const batch = db.batch();
      for (let i = from; i < next; i++) batch.set(coll.doc(String(i + 1)), { ...pool[i % pool.length]!, id: i + 1 });
      await batch.commit().catch((e: unknown) => {
        failed = true;
        throw e;
      });
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, committer));
  return { seconds: (performance.now() - t0) / 1000, calls, resent: 0, clientCpuSeconds: cpuSecondsSince(cpu) };
}

export interface NaiveStats extends WriteStats {
  /** Documents written before the loop stopped. */
  docs: number;
  /** Why it stopped: it wrote `maxDocs`, ran out of time, or read the whole table. */
  stoppedBy: 'items' | 'seconds' | 'end';
}

/**
 * The script most people write: Scan the table page by page, and for each item `await doc.set(converted)`. Stops
 * after `maxDocs` documents or `maxSeconds`, whichever comes first (the clock includes the Scan calls).
 */
export async function firestoreNaive(
  ddb: DynamoDBClient,
  table: string,
  db: Firestore,
  collection: string,
  maxDocs: number,
  maxSeconds: number,
  interrupted: Interrupted,
): Promise<NaiveStats> {
  const coll = db.collection(collection);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let docs = 0;
  let calls = 0;
  let start: Item | undefined;
  let stoppedBy: NaiveStats['stoppedBy'] = 'end';
  scan: do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
    calls += 1;
    for (const item of page.Items ?? []) {
      if (interrupted()) throw new BenchInterrupted('interrupted');
      if (docs >= maxDocs) {
        stoppedBy = 'items';
        break scan;
      }
      if ((performance.now() - t0) / 1000 >= maxSeconds) {
        stoppedBy = 'seconds';
        break scan;
      }
      await coll.doc(String(item['id']?.N)).set(toFirestoreData(item));
      docs += 1;
      calls += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  if (stoppedBy === 'end' && docs >= maxDocs) stoppedBy = 'items';
  return { seconds: (performance.now() - t0) / 1000, calls, resent: 0, clientCpuSeconds: cpuSecondsSince(cpu), docs, stoppedBy };
}

/** A counting semaphore: at most `n` holders. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }
}

/**
 * The raw pipeline (a diagnostic, not a baseline of the issue): the best script one would write by hand with the
 * source included. `segments` parallel Scan segments, pages of `pageSize`, each page converted by hand and sent as
 * 500-document commits, `inFlight` commits at most across segments, the next page read while the current one is
 * written; no checkpoints, no mapping rules. What is left between it and ferry is ferry's own overhead.
 */
export async function firestorePipeline(
  ddb: DynamoDBClient,
  table: string,
  db: Firestore,
  collection: string,
  segments: number,
  pageSize: number,
  inFlight: number,
  interrupted: Interrupted,
): Promise<WriteStats & { docs: number }> {
  const coll = db.collection(collection);
  const slots = new Slots(inFlight);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let docs = 0;
  let calls = 0;
  const scanPage = (segment: number, start: Item | undefined) =>
    ddb.send(
      new ScanCommand({
        TableName: table,
        Limit: pageSize,
        ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
  const commit = async (items: readonly Item[]): Promise<void> => {
    const release = await slots.acquire();
    try {
      const batch = db.batch();
      for (const item of items) batch.set(coll.doc(String(item['id']?.N)), toFirestoreData(item));
      await batch.commit();
      docs += items.length;
      calls += 1;
    } finally {
      release();
    }
  };
  const segmentLoop = async (segment: number): Promise<void> => {
    let page = await scanPage(segment, undefined);
    calls += 1;
    for (;;) {
      if (interrupted()) throw new BenchInterrupted('interrupted');
      const items = page.Items ?? [];
      const next = page.LastEvaluatedKey ? scanPage(segment, page.LastEvaluatedKey) : undefined;
      next?.catch(() => {}); // surfaced when awaited
      const writes: Promise<void>[] = [];
      for (let i = 0; i < items.length; i += COMMIT_SIZE) writes.push(commit(items.slice(i, i + COMMIT_SIZE)));
      await Promise.all(writes);
      if (!next) return;
      page = await next;
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: segments }, (_, s) => segmentLoop(s)));
  return { seconds: (performance.now() - t0) / 1000, calls, resent: 0, clientCpuSeconds: cpuSecondsSince(cpu), docs };
}
