/**
 * The generic object source and sink over in-memory stores: key ranges, resume, incremental skips, proofs, per-object
 * failures, mirror deletes and previews. The real stores are exercised against real servers in test/integration.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../../../src/core/connector.js';
import type { FerryRecord } from '../../../src/core/record.js';
import type { PlannedAction } from '../../../src/core/sink.js';
import type { StreamRef } from '../../../src/core/stream.js';
import { runJob } from '../../../src/engine/index.js';
import { FerryError } from '../../../src/errors.js';
import { splitKeyRanges } from '../../../src/objects/key-ranges.js';
import { createObjectSink, ObjectSink } from '../../../src/objects/object-sink.js';
import { ObjectSource } from '../../../src/objects/object-source.js';
import { META_SOURCE_ETAG, META_SOURCE_MD5 } from '../../../src/objects/object-value.js';
import type { Plan, StreamSpec } from '../../../src/plan/types.js';
import { MemoryCheckpointStore, MemoryStoreData } from '../../support/memory-checkpoint-store.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

const signal = new AbortController().signal;
const logged: string[] = [];
const ctx: ConnectorContext = {
  signal,
  logger: { debug: () => {}, info: (m) => logged.push(m), warn: (m) => logged.push(m) },
};
const instant = { sleep: async () => {}, backoff: { random: () => 0 } };

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

function names(n: number): string[] {
  const out: string[] = [];
  const alphabet = ['a', 'b', 'B', '0', '9', 'z', 'é', '東', '🚢', '-', '_'];
  for (let i = 0; i < n; i++) out.push(`${alphabet[i % alphabet.length]}${alphabet[(i * 7) % alphabet.length]}/${i}.txt`);
  return out;
}

async function readAll(source: ObjectSource, stream: StreamRef, segments: number): Promise<string[]> {
  const segs = await source.segments(stream, segments, signal);
  const out: string[] = [];
  for (const segment of segs) {
    for await (const b of source.read({ segment, batchSize: 7, signal })) for (const r of b.items) out.push(String(r.key['name']));
  }
  return out;
}

function plan(streams: StreamSpec[], extra: Partial<Plan> = {}): Plan {
  return {
    version: 1,
    kind: 'migration',
    name: 'objects',
    source: { type: 'memory' },
    target: { type: 'memory' },
    streams,
    limits: { concurrency: 3, batch_size: 10 },
    on_error: {},
    verify: [],
    ...extra,
  };
}

describe('key ranges', () => {
  it('cover every name exactly once, including names equal to a boundary and non-ASCII ones', async () => {
    const store = new MemoryObjectStore();
    const all = [...names(300), 'p/a', 'p/b', 'p/é', 'p/東', 'p/🚢'].map((n) => (n.startsWith('p/') ? n : `p/${n}`));
    for (const n of all) store.add(n, n);
    store.add('other/x', 'x');
    const source = new ObjectSource(store, ctx);
    const [stream] = await source.streams('p/', signal);
    const ranges = await splitKeyRanges(store, 'p/', 8, signal);
    expect(ranges.length).toBeGreaterThan(4);
    const read = await readAll(source, stream!, 8);
    expect(read.sort()).toEqual(all.map((n) => n.slice(2)).sort());
    expect(new Set(read).size).toBe(read.length);
  });

  it('descends a level when one character holds every name, and gives one range for an empty prefix', async () => {
    const store = new MemoryObjectStore();
    for (let d = 10; d < 30; d++) store.add(`logs/2024-01-${d}.gz`, 'x');
    const ranges = await splitKeyRanges(store, 'logs/', 4, signal);
    expect(ranges.length).toBe(4);
    expect(await splitKeyRanges(store, 'nothing/', 4, signal)).toEqual([{}]);
  });

  it('a resumed range lists strictly after its cursor, and `match` filters names below the prefix', async () => {
    const store = new MemoryObjectStore();
    for (const n of ['d/a.json', 'd/b.csv', 'd/c.json', 'd/x/y.json']) store.add(n, n);
    const source = new ObjectSource(store, ctx);
    const [stream] = await source.streams('d/', signal, { match: '*.json' });
    const segment = { id: 's', stream: 'd/', index: 0, total: 1, spec: {} };
    const batches: string[][] = [];
    for await (const b of source.read({ segment, after: JSON.stringify('d/a.json'), batchSize: 10, signal })) batches.push(b.items.map((r) => String(r.key['name'])));
    expect(batches.flat()).toEqual(['c.json']);
    expect(await source.count(stream!, signal)).toBe(2);
  });
});

describe('verification reads', () => {
  it('yield {size, md5}, hashing the content of objects whose store states no MD5', async () => {
    const store = new MemoryObjectStore();
    store.add('v/stated', 'hello');
    store.add('v/multipart', 'world!', { statesMd5: false, etag: 'abc-2' });
    const source = new ObjectSource(store, ctx);
    await source.streams('v/', signal);
    const segment = { id: 's', stream: 'v/', index: 0, total: 1, spec: {} };
    const values: unknown[] = [];
    for await (const b of source.read({ segment, batchSize: 10, signal, purpose: 'verify' })) values.push(...b.items.map((r) => [r.key, r.value]));
    expect(values).toEqual([
      [{ name: 'multipart' }, { size: 6, md5: md5('world!') }],
      [{ name: 'stated' }, { size: 5, md5: md5('hello') }],
    ]);
    expect(store.calls.get).toBe(1);
  });
});

async function records(store: MemoryObjectStore, prefix: string): Promise<FerryRecord[]> {
  const source = new ObjectSource(store, ctx);
  await source.streams(prefix, signal);
  const out: FerryRecord[] = [];
  for await (const b of source.read({ segment: { id: 's', stream: prefix, index: 0, total: 1, spec: {} }, batchSize: 1000, signal })) out.push(...b.items);
  return out;
}

const target = (name: string, options: Record<string, unknown> = {}): StreamRef => ({ name, meta: { options } });

describe('the object sink', () => {
  it('copies with metadata, records the source hash, proves each copy, and skips what is already identical', async () => {
    const src = new MemoryObjectStore({ url: 'mem://src', detailedListing: false });
    const body = randomBytes(10_000);
    src.add('in/a.bin', body, { metadata: { owner: 'ops' }, contentType: 'application/x-thing' });
    src.add('in/b.bin', 'bbb', { statesMd5: false, etag: 'deadbeef-3' });
    const dst = new MemoryObjectStore({ url: 'mem://dst' });
    const sink = new ObjectSink(dst, { transfers: 4, largeTransfers: 1, largeBytes: 1 << 20, create: false }, ctx);
    await sink.prepare(target('out/'), 'upsert', signal);
    const items = await records(src, 'in/');
    expect(await sink.write(target('out/'), items, signal)).toEqual({ accepted: 2, retry: [], rejected: [] });
    const a = dst.objects.get('out/a.bin')!;
    expect(a.body.equals(body)).toBe(true);
    expect(a.contentType).toBe('application/x-thing');
    expect(a.metadata).toEqual({ owner: 'ops', [META_SOURCE_ETAG]: md5(body), [META_SOURCE_MD5]: md5(body) });
    expect(dst.objects.get('out/b.bin')!.metadata).toEqual({ [META_SOURCE_ETAG]: 'deadbeef-3' });
    expect(sink.stats.snapshot()).toMatchObject({ copied: 2, skipped: 0, proofs: { md5: 1, 'md5 (target)': 1 }, sizeOnly: { count: 0 } });

    // A second run: both proved identical (by MD5, and by the recorded ETag of the multipart-like source).
    const again = new ObjectSink(dst, { transfers: 4, largeTransfers: 1, largeBytes: 1 << 20, create: false }, ctx);
    expect((await again.write(target('out/'), await records(src, 'in/'), signal)).accepted).toBe(2);
    expect(again.stats.snapshot()).toMatchObject({ copied: 0, skipped: 2, proofs: { 'md5 (skip)': 1, 'etag (skip)': 1 } });
    expect(dst.puts).toEqual(['out/a.bin', 'out/b.bin']);

    // The source changes: only that object is copied again.
    src.add('in/b.bin', 'BBBB', { statesMd5: false, etag: 'cafe-3' });
    const third = new ObjectSink(dst, { transfers: 4, largeTransfers: 1, largeBytes: 1 << 20, create: false }, ctx);
    await third.write(target('out/'), await records(src, 'in/'), signal);
    expect(dst.puts).toEqual(['out/a.bin', 'out/b.bin', 'out/b.bin']);
    expect(dst.objects.get('out/b.bin')!.body.toString()).toBe('BBBB');
  });

  it('never skips on size alone: a same-size target without a shared hash is copied again', async () => {
    const src = new MemoryObjectStore();
    src.add('s/x', 'same', { statesMd5: false, etag: 'e-1' });
    const dst = new MemoryObjectStore();
    dst.add('t/x', 'SAME', { statesMd5: false, etag: 'other' });
    const sink = createObjectSink(dst, {}, ctx) as ObjectSink;
    await sink.write(target('t/'), await records(src, 's/'), signal);
    expect(dst.objects.get('t/x')!.body.toString()).toBe('same');
  });

  it('names the copies that no hash could prove (size only) in its report', async () => {
    const src = new MemoryObjectStore();
    src.add('s/x', 'xx', { statesMd5: false, etag: 'e-1' });
    const dst = new MemoryObjectStore({ reportsMd5: false, serverChecks: [] });
    const sink = createObjectSink(dst, {}, ctx) as ObjectSink;
    await sink.write(target('t/'), await records(src, 's/'), signal);
    const r = sink.report();
    expect(r.data).toMatchObject({ objects: { sizeOnly: { count: 1, names: ['t/x'] }, proofs: { 'size only': 1 } } });
    expect(r.lines.join('\n')).toContain('1 copied objects could be checked by size only');
  });

  it('hands back for retry a copy whose bytes do not match the source MD5, and dead-letters a vanished object', async () => {
    const src = new MemoryObjectStore();
    src.add('s/bad', 'content');
    src.add('s/gone', 'soon gone');
    let corrupt = true;
    src.mangleGet = (_n, b) => (corrupt ? Buffer.concat([b.subarray(0, 1), Buffer.from('X'), b.subarray(2)]) : b);
    const dst = new MemoryObjectStore();
    const sink = createObjectSink(dst, {}, ctx) as ObjectSink;
    const items = await records(src, 's/');
    src.objects.delete('s/gone');
    const first = await sink.write(target('t/'), items, signal);
    expect(first.accepted).toBe(0);
    expect(first.retry.map((r) => r.key['name'])).toEqual(['bad']);
    expect(first.rejected.map((r) => [r.item.key['name'], r.reason])).toEqual([['gone', 'source object mem://bucket/s/gone disappeared after it was listed']]);
    corrupt = false;
    expect((await sink.write(target('t/'), first.retry, signal)).accepted).toBe(1);
    expect(dst.objects.get('t/bad')!.body.toString()).toBe('content');
  });

  it('stops the job on a store-wide failure instead of dead-lettering every object', async () => {
    const src = new MemoryObjectStore();
    src.add('s/a', 'a');
    const dst = new MemoryObjectStore();
    dst.beforePut = () => {
      throw new FerryError('AUTH', 'access denied');
    };
    const sink = createObjectSink(dst, {}, ctx);
    await expect(sink.write(target('t/'), await records(src, 's/'), signal)).rejects.toMatchObject({ code: 'AUTH' });
  });

  it('with write: insert, refuses to overwrite a different object but accepts an identical one', async () => {
    const src = new MemoryObjectStore();
    src.add('s/same', 'one');
    src.add('s/diff', 'two');
    const dst = new MemoryObjectStore();
    dst.add('t/same', 'one');
    dst.add('t/diff', 'TWO');
    const sink = createObjectSink(dst, {}, ctx);
    await sink.prepare(target('t/'), 'insert', signal);
    const r = await sink.write(target('t/'), await records(src, 's/'), signal);
    expect(r.accepted).toBe(1);
    expect(r.rejected.map((x) => x.reason)).toEqual([expect.stringContaining('write: insert never overwrites')]);
    expect(dst.objects.get('t/diff')!.body.toString()).toBe('TWO');
  });
});

describe('mirrors and previews', () => {
  function world(): { src: MemoryObjectStore; dst: MemoryObjectStore; source: ObjectSource; sink: ObjectSink } {
    const src = new MemoryObjectStore({ url: 'mem://src' });
    const dst = new MemoryObjectStore({ url: 'mem://dst' });
    for (const n of ['a', 'b', 'c']) src.add(`s/${n}`, n);
    dst.add('t/a', 'a');
    dst.add('t/b', 'B');
    dst.add('t/extra1', 'x');
    dst.add('t/extra2', 'y');
    dst.add('u/untouched', 'z');
    return { src, dst, source: new ObjectSource(src, ctx), sink: createObjectSink(dst, {}, ctx) as ObjectSink };
  }

  it('previews copy, skip, delete and keep without writing anything', async () => {
    const w = world();
    const [stream] = await w.source.streams('s/', signal);
    const seen: PlannedAction[] = [];
    for await (const a of w.sink.preview(target('t/', { delete_extraneous: true }), { source: w.source, stream: stream! }, signal)) seen.push(a);
    expect(seen.map((a) => [a.action, a.name, a.reason])).toEqual([
      ['skip', 't/a', 'identical by md5'],
      ['copy', 't/b', 'MD5 differs'],
      ['copy', 't/c', 'new'],
      ['delete', 't/extra1', 'not in the source'],
      ['delete', 't/extra2', 'not in the source'],
    ]);
    expect(w.dst.calls.put + w.dst.calls.delete).toBe(0);
  });

  it('deletes extraneous objects only when asked, and refuses above max_delete without deleting any', async () => {
    const w = world();
    const [stream] = await w.source.streams('s/', signal);
    await w.sink.finishStream(target('t/'), { source: w.source, stream: stream! }, signal);
    expect(w.dst.objects.has('t/extra1')).toBe(true);
    await expect(w.sink.finishStream(target('t/', { delete_extraneous: true, max_delete: 1 }), { source: w.source, stream: stream! }, signal)).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining('more than 1 objects under mem://dst/t/ are not in the source; none was deleted'),
    });
    expect(w.dst.calls.delete).toBe(0);
    await w.sink.finishStream(target('t/', { delete_extraneous: true }), { source: w.source, stream: stream! }, signal);
    expect([...w.dst.objects.keys()].sort()).toEqual(['t/a', 't/b', 'u/untouched']);
    expect(w.sink.stats.snapshot().deleted).toBe(2);
  });
});

describe('an object job through the engine', () => {
  it('copies a prefix in parallel ranges, resumes after a crash without copying a durable object twice, and mirrors', async () => {
    const src = new MemoryObjectStore({ url: 'mem://src', detailedListing: false });
    const all = names(240);
    for (const n of all) src.add(`data/${n}`, `body of ${n}`);
    const dst = new MemoryObjectStore({ url: 'mem://dst' });
    dst.add('copy/stale', 'left over');
    const storeData = new MemoryStoreData();
    let clock = 1_000_000;
    const store = (pid: number) => new MemoryCheckpointStore({ data: storeData, now: () => clock, pid });
    const p = plan([{ from: 'data/', to: 'copy/', delete_extraneous: true }]);
    const job = await store(1).createJob({ planName: 'objects', planHash: 'h', kind: 'migration', planText: '' });

    // Run 1 dies (a terminal failure) after 100 objects were put.
    let puts = 0;
    dst.beforePut = () => {
      if (++puts > 100) throw new FerryError('INTERNAL', 'simulated crash');
    };
    await expect(runJob({ plan: p, store: store(2), job, source: new ObjectSource(src, ctx), sink: createObjectSink(dst, {}, ctx), ...instant })).rejects.toThrow('simulated crash');
    const committed = storeData.commits.reduce((n, c) => n + c.input.items, 0);
    expect(committed).toBeGreaterThan(0);
    expect(dst.objects.has('copy/stale')).toBe(true);

    // Run 2 resumes: durable objects are not put again.
    dst.beforePut = undefined;
    clock += 10 * 60_000;
    const sink = createObjectSink(dst, {}, ctx) as ObjectSink;
    const summary = await runJob({ plan: p, store: store(3), job: storeData.jobs.get(job.id)!, source: new ObjectSource(src, ctx), sink, ...instant });
    expect(summary.status).toBe('succeeded');
    expect(summary.items).toBe(240);
    const copied = new Map<string, number>();
    for (const n of dst.puts) copied.set(n, (copied.get(n) ?? 0) + 1);
    expect(copied.size).toBe(240);
    // The 100 objects run 1 completed are proved identical and skipped: none is put twice.
    expect([...copied.values()].filter((c) => c > 1)).toEqual([]);
    for (const n of all) expect(dst.objects.get(`copy/${n}`)!.body.toString()).toBe(`body of ${n}`);
    expect(dst.objects.has('copy/stale')).toBe(false);
    expect(summary.target?.lines.join('\n')).toContain('deleted 1 target objects not in the source');
  });
});
