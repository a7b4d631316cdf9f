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
