/**
 * The sink's write logic without a server: a Firestore client that never connects, and a committer that looks at
 * each batch (the paths and kinds of its writes) and fails it as a test says.
 */
import { Firestore } from '@google-cloud/firestore';
import { afterEach, describe, expect, it } from 'vitest';
import type { FerryRecord } from '../../../src/core/record.js';
import type { StreamRef } from '../../../src/core/stream.js';
import { parseOptions } from '../../../src/connectors/firestore/options.js';
import { FirestoreSink } from '../../../src/connectors/firestore/sink.js';
import { FerryError } from '../../../src/errors.js';

const signal = new AbortController().signal;
const sinks: FirestoreSink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) await s[Symbol.asyncDispose]();
});

interface Call {
  paths: string[];
  kinds: string[];
}

function makeSink(opts: Record<string, unknown> = {}, emulator = true): FirestoreSink {
  const db = new Firestore({ projectId: 'unit', host: '127.0.0.1:9', ssl: false, universeDomain: 'googleapis.com' } as never);
  const s = new FirestoreSink(parseOptions(opts), undefined, { db, host: '127.0.0.1:9', emulator });
  sinks.push(s);
  return s;
}

/** The committer records each batch and throws what `fail` returns for it. */
function script(s: FirestoreSink, fail: (paths: string[], n: number) => Error | undefined = () => undefined): Call[] {
  const calls: Call[] = [];
  s.committer = async (writes) => {
    if (writes.length === 0) return; // prepare()'s first contact
    const paths = writes.map((w) => w.path);
    calls.push({ paths, kinds: writes.map((w) => w.op) });
    const e = fail(paths, calls.length);
    if (e) throw e;
  };
  return calls;
}

/** Lets prepare() pass without a server: its first-contact commit is an empty one that never leaves. */
function offline(s: FirestoreSink): void {
  const inner = s.committer;
  s.committer = async (writes) => (writes.length === 0 ? undefined : inner(writes));
}

function grpc(code: number, message: string): Error {
  return Object.assign(new Error(`${code} ${message}`), { code, details: message });
}

function stream(options: Record<string, unknown> = {}, name = 'items'): StreamRef {
  return { name, meta: { source: 'Items', sourceMeta: {}, options, map: {} } };
}

function records(s: FirestoreSink, st: StreamRef, ids: (number | string)[]): FerryRecord[] {
  return ids.map((id) => s.toTarget(st, { key: { id }, value: { id, v: `value ${id}` } }));
}

describe('Firestore sink: write', () => {
  it('sets every document in one batch, and says its limits and cost', async () => {
    const s = makeSink();
    const calls = script(s);
    const st = stream();
    const items = records(s, st, [1, 2, 3]);
    expect(await s.write(st, items, signal)).toEqual({ accepted: 3, retry: [], rejected: [] });
    expect(calls).toEqual([{ paths: ['items/1', 'items/2', 'items/3'], kinds: ['set', 'set', 'set'] }]);
    expect(s.limits).toEqual({ maxItemsPerWrite: 500, maxBytesPerWrite: 3 * 1024 * 1024, maxItemBytes: 1024 * 1024, maxConcurrentWrites: 8 });
    expect(makeSink({}, false).limits.maxBytesPerWrite).toBe(9 * 1024 * 1024);
    expect(s.cost(items)).toEqual({ writes: 3 });
    expect(s.sizeOf(items[0]!)).toBe(items[0]!.sizeBytes);
  });

  it('splits by item count and bytes', async () => {
    const s = makeSink();
    const calls = script(s);
    const st = stream();
    const many = records(s, st, Array.from({ length: 1001 }, (_, i) => i));
    expect((await s.write(st, many, signal)).accepted).toBe(1001);
    expect(calls.map((c) => c.paths.length)).toEqual([500, 500, 1]);

    calls.length = 0;
    const big = [1, 2, 3, 4].map((id) => s.toTarget(st, { key: { id }, value: { blob: new Uint8Array(900 * 1024) } }));
    expect((await s.write(st, big, signal)).accepted).toBe(4);
    expect(calls.map((c) => c.paths.length)).toEqual([3, 1]);
  });

  it('collapses duplicate paths: upsert keeps the later, insert the first, merge keeps all', async () => {
    const s = makeSink();
    offline(s);
    const calls = script(s);
    const up = stream();
    const dup = (st: StreamRef) => [
      s.toTarget(st, { key: { id: 1 }, value: { v: 'first' } }),
      s.toTarget(st, { key: { id: 2 }, value: { v: 'x' } }),
      s.toTarget(st, { key: { id: 1 }, value: { v: 'second' } }),
    ];
    expect(await s.write(up, dup(up), signal)).toEqual({ accepted: 3, retry: [], rejected: [] });
    expect(calls[0]!.paths).toEqual(['items/2', 'items/1']);

    const ins = stream({}, 'ins');
    await s.prepare(ins, 'insert', signal);
    const res = await s.write(ins, dup(ins), signal);
    expect(res.accepted).toBe(2);
    expect(res.rejected.map((r) => r.reason)).toEqual(['another item of the same batch has the document path ins/1 (write: insert keeps the first)']);
    expect(calls[1]).toEqual({ paths: ['ins/1', 'ins/2'], kinds: ['create', 'create'] });

    const mer = stream({ merge: true }, 'mer');
    expect((await s.write(mer, dup(mer), signal)).accepted).toBe(3);
    expect(calls[2]).toEqual({ paths: ['mer/1', 'mer/2', 'mer/1'], kinds: ['merge', 'merge', 'merge'] });
  });

  it('refuses insert with merge at prepare', async () => {
    const s = makeSink({ merge: true });
    offline(s);
    await expect(s.prepare(stream(), 'insert', signal)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/`merge: true` cannot apply/) });
  });

  it('isolates the documents a commit is refused for, and commits the rest', async () => {
    const s = makeSink();
    const bad = new Set(['items/13', 'items/77']);
    const calls = script(s, (paths) => (paths.some((p) => bad.has(p)) ? grpc(3, 'Cannot convert an array value in an array value.') : undefined));
    const st = stream();
    const items = records(s, st, Array.from({ length: 100 }, (_, i) => i));
    const res = await s.write(st, items, signal);
    expect(res.accepted).toBe(98);
    expect(res.retry).toEqual([]);
    expect(res.rejected.map((r) => [r.item.key['path'], r.reason])).toEqual([
      ['items/13', 'Firestore refused the document items/13: Cannot convert an array value in an array value.'],
      ['items/77', 'Firestore refused the document items/77: Cannot convert an array value in an array value.'],
    ]);
    // Halving, not one by one: far fewer commits than documents.
    expect(calls.length).toBeLessThan(30);
    const committed = calls.filter((c) => !c.paths.some((p) => bad.has(p))).flatMap((c) => c.paths);
    expect(new Set(committed).size).toBe(98);
  });

  it('rejects an existing document under insert, and splits a commit the server finds too large', async () => {
    const s = makeSink();
    offline(s);
    const st = stream();
    await s.prepare(st, 'insert', signal);
    script(s, (paths) => (paths.includes('items/2') ? grpc(6, 'entity already exists: EntityRef{path=/items/2}') : undefined));
    const res = await s.write(st, records(s, st, [1, 2, 3]), signal);
    expect(res.accepted).toBe(2);
    expect(res.rejected.map((r) => r.reason)).toEqual(['a document already exists at items/2 (write: insert)']);

    const s2 = makeSink();
    const calls = script(s2, (paths) => (paths.length > 2 ? grpc(8, 'gRPC message exceeds maximum size 4194304: 5000000') : undefined));
    const st2 = stream();
    expect(await s2.write(st2, records(s2, st2, [1, 2, 3, 4, 5]), signal)).toMatchObject({ accepted: 5, rejected: [] });
    expect(calls.filter((c) => c.paths.length <= 2).flatMap((c) => c.paths).sort()).toEqual(['items/1', 'items/2', 'items/3', 'items/4', 'items/5']);
  });

  it('throws THROTTLED, TRANSIENT and AUTH while nothing is committed, and hands back the rest once something is', async () => {
    const st = stream();
    for (const [code, expected] of [
      [8, 'THROTTLED'],
      [14, 'TRANSIENT'],
      [4, 'TRANSIENT'],
      [10, 'TRANSIENT'],
      [13, 'TRANSIENT'],
      [7, 'AUTH'],
      [16, 'AUTH'],
    ] as const) {
      const s = makeSink();
      script(s, () => grpc(code, 'injected'));
      const err = await s.write(st, records(s, st, [1]), signal).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(FerryError);
      expect((err as FerryError).code).toBe(expected);
    }

    // A poisoned batch is being isolated; the first half commits, then the server throttles: the rest comes back.
    const s = makeSink();
    script(s, (paths, n) => (n === 1 ? grpc(3, 'bad') : n === 2 ? undefined : grpc(8, 'Quota exceeded.')));
    const res = await s.write(st, records(s, st, [1, 2, 3, 4]), signal);
    expect(res.accepted).toBe(2);
    expect(res.retry.map((r) => r.key['path'])).toEqual(['items/3', 'items/4']);
    expect(res.rejected).toEqual([]);
  });

  it('rejects records that did not pass through toTarget', async () => {
    const s = makeSink();
    script(s);
    const res = await s.write(stream(), [{ key: { id: 1 }, value: { a: 1 } }], signal);
    expect(res.rejected.map((r) => r.reason)).toEqual(['the record has no document path (it did not pass through toTarget)']);
  });
});
