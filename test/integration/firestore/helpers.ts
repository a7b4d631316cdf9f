/**
 * Firestore connector tests against the Cloud Firestore emulator (scripts/services): sinks and sources on the test
 * emulator, unique collection names, target streams as the engine hands them over, and a committer wrapper that
 * injects what the emulator never does (throttling, outages).
 */
import type { Doc, FerryRecord } from '../../../src/core/record.js';
import type { Segment, StreamRef } from '../../../src/core/stream.js';
import { parseOptions } from '../../../src/connectors/firestore/options.js';
import { FirestoreSink } from '../../../src/connectors/firestore/sink.js';
import { FirestoreSource } from '../../../src/connectors/firestore/source.js';
import { serviceEnv, uniqueName } from '../../support/clients.js';

export const signal: AbortSignal = new AbortController().signal;

/** Connection block of the test emulator (as a plan's `target:` would hold it, without `type`). */
export function connection(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { project: serviceEnv('FIRESTORE_PROJECT_ID'), emulator_host: serviceEnv('FIRESTORE_EMULATOR_HOST'), ...extra };
}

export function sink(extra: Record<string, unknown> = {}): FirestoreSink {
  return new FirestoreSink(parseOptions(connection(extra)));
}

export function source(extra: Record<string, unknown> = {}): FirestoreSource {
  return new FirestoreSource(parseOptions(connection(extra)));
}

export function collectionName(prefix = 'fs'): string {
  return uniqueName(prefix);
}

/** A target stream as the engine hands it to the sink, from a DynamoDB source keyed `keys`. */
export function targetStream(name: string, options: Record<string, unknown> = {}, keys: string[] = ['id']): StreamRef {
  return {
    name,
    meta: {
      source: 'Items',
      sourceMeta: {
        table: 'Items',
        keySchema: keys.map((k, i) => ({ name: k, type: i === 0 ? 'HASH' : 'RANGE', attrType: 'S' })),
        keyColumns: keys,
      },
      options,
      map: {},
    },
  };
}

export function record(id: number | string, value: Doc = {}): FerryRecord {
  return { key: { id }, value: { id, ...value } };
}

/** Every record of a stream, read through the source's segments one after another. */
export async function readAll(src: FirestoreSource, name: string, segments = 1, batchSize = 500): Promise<FerryRecord[]> {
  const [ref] = await src.streams(name, signal);
  if (!ref) return [];
  const out: FerryRecord[] = [];
  for (const seg of await src.segments(ref, segments, signal)) {
    for await (const b of src.read({ segment: seg, batchSize, signal })) out.push(...b.items);
  }
  return out;
}

export async function readSegment(src: FirestoreSource, seg: Segment, batchSize = 500, after?: string): Promise<{ items: FerryRecord[]; cursors: string[] }> {
  const items: FerryRecord[] = [];
  const cursors: string[] = [];
  for await (const b of src.read({ segment: seg, batchSize, signal, ...(after === undefined ? {} : { after }) })) {
    items.push(...b.items);
    cursors.push(b.cursor);
  }
  return { items, cursors };
}

/** An SDK-like gRPC error. */
export function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(`${code} ${message}`), { code, details: message });
}

/**
 * Wraps the sink's committer: `fail(attempt, writes)` may return an error to throw instead of committing (the batch
 * then never reaches the emulator). Counts attempts and the writes of each commit that went through.
 */
export function injectCommits(s: FirestoreSink, fail: (attempt: number, writes: number) => Error | undefined): { attempts: number; commits: number[] } {
  const stats = { attempts: 0, commits: [] as number[] };
  const commit = s.committer;
  s.committer = async (writes) => {
    stats.attempts += 1;
    const e = fail(stats.attempts, writes.length);
    if (e) throw e;
    await commit(writes);
    stats.commits.push(writes.length);
  };
  return stats;
}

/** Deletes the documents the tests wrote under these root collections (recursively), in afterAll. */
export class Collections {
  private readonly names = new Set<string>();
  add(name: string): string {
    this.names.add(name);
    return name;
  }
  async drop(s: FirestoreSink): Promise<void> {
    for (const n of this.names) await s.db.recursiveDelete(s.db.collection(n)).catch(() => undefined);
  }
}
