/**
 * The Firestore sink on the emulator: parallel batched commits under the engine's batch writer, insert and merge
 * modes, a poisoned commit, injected throttling and outages, Firestore's own limits, subcollection paths.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, type FerryRecord, type Value } from '../../../src/core/record.js';
import { parseOptions } from '../../../src/connectors/firestore/options.js';
import { FirestoreSink } from '../../../src/connectors/firestore/sink.js';
import { BatchWriter, RateLimiter } from '../../../src/engine/index.js';
import { collectionName, Collections, grpcError, injectCommits, readAll, record, signal, sink, source, targetStream } from './helpers.js';

const collections = new Collections();
const cleanup = sink();
afterAll(async () => {
  await collections.drop(cleanup);
  await cleanup[Symbol.asyncDispose]();
});

const ctx = (target: string) => ({ segmentId: 'items#0/1', stream: 'Items', target });
const instant = { sleep: async () => {}, backoff: { baseMs: 1, capMs: 1, random: () => 0 } };

function nest(levels: number, leaf: Value): Value {
  let v: Value = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

describe('Firestore sink', () => {
  it('writes 5,000 documents in parallel batched commits; count() agrees', async () => {
    const name = collections.add(collectionName('bulk'));
    const s = sink();
    const st = targetStream(name);
    await s.prepare(st, 'upsert', signal);
    const commits = injectCommits(s, () => undefined);
    let inFlight = 0;
    let maxInFlight = 0;
    const inner = s.committer;
    s.committer = async (writes) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        await inner(writes);
      } finally {
        inFlight -= 1;
      }
    };
    const N = 5000;
    const items = Array.from({ length: N }, (_, i) =>
      s.toTarget(st, record(i, { name: `item ${i}`, price: new Decimal(`${i}.25`), tags: ['a', 'b'] })),
    );
    const writer = new BatchWriter({ sink: s, limiter: new RateLimiter({ limits: {} }) });
    const t0 = performance.now();
    const out = await writer.write(st, items, ctx(name), signal);
    const secs = (performance.now() - t0) / 1000;
    expect(out.accepted).toBe(N);
    expect(out.deadLetters).toEqual([]);
    expect(commits.commits).toEqual(Array(10).fill(500));
    expect(maxInFlight).toBe(8);
    console.log(`firestore sink: ${N} docs in ${secs.toFixed(2)} s = ${Math.round(N / secs)} docs/s (500 per commit, 8 in flight)`);

    const src = source();
    const [ref] = await src.streams(name, signal);
    expect(await src.count(ref!, signal)).toBe(N);
    await src[Symbol.asyncDispose]();
    await s[Symbol.asyncDispose]();
  });

  it('insert creates, and an existing document becomes a dead letter while the rest is written', async () => {
    const name = collections.add(collectionName('ins'));
    const s = sink();
    const st = targetStream(name);
    await s.prepare(st, 'upsert', signal);
    await s.write(st, [s.toTarget(st, record(2, { v: 'old' }))], signal);

    const ins = targetStream(name);
    await s.prepare(ins, 'insert', signal);
    const res = await s.write(ins, [1, 2, 3].map((i) => s.toTarget(ins, record(i, { v: 'new' }))), signal);
    expect(res.accepted).toBe(2);
    expect(res.rejected.map((r) => r.reason)).toEqual([`a document already exists at ${name}/2 (write: insert)`]);
    const src = source();
    const got = new Map((await readAll(src, name)).map((r) => [r.key['path'], r.value]));
    expect(got).toEqual(
      new Map([
        [`${name}/1`, { id: 1, v: 'new' }],
        [`${name}/2`, { id: 2, v: 'old' }],
        [`${name}/3`, { id: 3, v: 'new' }],
      ]),
    );
    await src[Symbol.asyncDispose]();
    await s[Symbol.asyncDispose]();
  });

  it('merge keeps the fields a record lacks; upsert replaces the document', async () => {
    const name = collections.add(collectionName('merge'));
    const s = sink();
    const base = targetStream(name);
    await s.prepare(base, 'upsert', signal);
    await s.write(base, [s.toTarget(base, record(1, { a: 1, b: 1 })), s.toTarget(base, record(2, { a: 1, b: 1 }))], signal);
    const merged = targetStream(name, { merge: true });
    await s.prepare(merged, 'upsert', signal);
    await s.write(merged, [s.toTarget(merged, { key: { id: 1 }, value: { b: 2, c: { x: 1 } } })], signal);
    await s.write(base, [s.toTarget(base, { key: { id: 2 }, value: { b: 2 } })], signal);
    const src = source();
    const got = new Map((await readAll(src, name)).map((r) => [r.key['path'], r.value]));
    expect(got.get(`${name}/1`)).toEqual({ id: 1, a: 1, b: 2, c: { x: 1 } });
    expect(got.get(`${name}/2`)).toEqual({ b: 2 });
    await src[Symbol.asyncDispose]();
    await s[Symbol.asyncDispose]();
  });

  it("isolates the document of a poisoned commit, with Firestore's message; the rest is written", async () => {
    const name = collections.add(collectionName('poison'));
    const s = sink();
    const st = targetStream(name);
    await s.prepare(st, 'upsert', signal);
    const commits = injectCommits(s, () => undefined);
    const items: FerryRecord[] = Array.from({ length: 200 }, (_, i) => s.toTarget(st, record(i, { v: i })));
    // A document Firestore refuses, smuggled past toTarget (which would have refused it first).
    items[123] = { key: { path: `${name}/123` }, value: { nested: [[1, 2]] }, sizeBytes: 100 };
    items[17] = { key: { path: `${name}/__17__` }, value: { v: 17 }, sizeBytes: 100 };
    const res = await s.write(st, items, signal);
    expect(res.accepted).toBe(198);
    expect(res.rejected.map((r) => [r.item.key['path'], r.reason])).toEqual([
      [`${name}/__17__`, expect.stringMatching(/^Firestore refused the document .*__17__: .*reserved/)],
      [`${name}/123`, `Firestore refused the document ${name}/123: Cannot convert an array value in an array value.`],
    ]);
    expect(commits.attempts).toBeLessThan(40);
    const src = source();
    const [ref] = await src.streams(name, signal);
    expect(await src.count(ref!, signal)).toBe(198);
    await src[Symbol.asyncDispose]();
    await s[Symbol.asyncDispose]();
  });

  it('takes the deepest nesting toTarget allows', async () => {
    const name = collections.add(collectionName('deep'));
    const s = sink();
    const st = targetStream(name);
    await s.prepare(st, 'upsert', signal);
    const res = await s.write(st, [s.toTarget(st, record(1, { a: nest(20, 1), b: nest(20, []), c: nest(19, {}) }))], signal);
    expect(res).toMatchObject({ accepted: 1, rejected: [] });
    // What toTarget refuses, the emulator refuses too.
    expect(() => s.toTarget(st, record(2, { b: nest(20, {}) }))).toThrow(/nested deeper/);
    const raw = await s.write(st, [{ key: { path: `${name}/2` }, value: { b: nest(20, {}) }, sizeBytes: 100 }], signal);
    expect(raw.rejected.map((r) => r.reason)).toEqual([`Firestore refused the document ${name}/2: Property b contains an invalid nested entity.`]);
    await s[Symbol.asyncDispose]();
  });

  it('retries throttling and outages through the batch writer until every document is written', async () => {
    const name = collections.add(collectionName('throttle'));
    const s = sink();
    const st = targetStream(name);
    await s.prepare(st, 'upsert', signal);
    const stats = injectCommits(s, (attempt) =>
      attempt <= 2 ? grpcError(8, 'RESOURCE_EXHAUSTED: Quota exceeded.') : attempt <= 4 ? grpcError(14, 'UNAVAILABLE: try later') : undefined,
    );
    const throttles: string[] = [];
    const limiter = new RateLimiter({ limits: { writes: 100_000 }, onChange: (c) => throttles.push(c.reason) });
    const events: string[] = [];
    const writer = new BatchWriter({ sink: s, limiter, ...instant, emit: (e) => events.push(`${e.type}:${(e as { retryability?: string }).retryability}`) });
    const items = Array.from({ length: 300 }, (_, i) => s.toTarget(st, record(i)));
    const out = await writer.write(st, items, ctx(name), signal);
    expect(out.accepted).toBe(300);
    expect(stats.attempts).toBe(5);
    expect(events).toEqual(['retry:throttled', 'retry:throttled', 'retry:transient', 'retry:transient']);
    expect(throttles.length).toBeGreaterThan(0);

    const failing = sink();
    injectCommits(failing, () => grpcError(7, 'PERMISSION_DENIED: Missing or insufficient permissions.'));
    const w2 = new BatchWriter({ sink: failing, limiter: new RateLimiter({ limits: {} }), ...instant });
    await expect(w2.write(st, items.slice(0, 3), ctx(name), signal)).rejects.toMatchObject({ code: 'AUTH' });
    await failing[Symbol.asyncDispose]();
    await s[Symbol.asyncDispose]();
  });

  it('writes subcollections from templated paths', async () => {
    const root = collections.add(collectionName('artists'));
    const s = sink();
    const st = targetStream(`${root}/\${ArtistId}/albums`, { id: '${AlbumId}' }, ['AlbumId']);
    await s.prepare(st, 'upsert', signal);
    const items = [
      { AlbumId: 10, ArtistId: 1, Title: 'A' },
      { AlbumId: 11, ArtistId: 1, Title: 'B' },
      { AlbumId: 20, ArtistId: 2, Title: 'C' },
    ].map((v) => s.toTarget(st, { key: { AlbumId: v.AlbumId }, value: v }));
    expect(items.map((i) => i.key['path'])).toEqual([`${root}/1/albums/10`, `${root}/1/albums/11`, `${root}/2/albums/20`]);
    expect((await s.write(st, items, signal)).accepted).toBe(3);
    const src = source();
    expect((await readAll(src, `${root}/1/albums`)).map((r) => r.value)).toEqual([
      { AlbumId: 10, ArtistId: 1, Title: 'A' },
      { AlbumId: 11, ArtistId: 1, Title: 'B' },
    ]);
    await src[Symbol.asyncDispose]();
    await s[Symbol.asyncDispose]();
  });

  it('fails prepare clearly when the emulator does not answer', async () => {
    const saved = process.env['FIRESTORE_EMULATOR_HOST'];
    delete process.env['FIRESTORE_EMULATOR_HOST'];
    try {
      // The variable wins over the plan's `emulator_host` (the SDK's rule), so it is unset here.
      const s = new FirestoreSink(parseOptions({ project: 'p', emulator_host: '127.0.0.1:1' }));
      const err = await s.prepare(targetStream('x'), 'upsert', signal).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNREACHABLE', hint: expect.stringMatching(/127\.0\.0\.1:1/) });
      await s[Symbol.asyncDispose]();
    } finally {
      process.env['FIRESTORE_EMULATOR_HOST'] = saved;
    }
  });
});
