// The backup sink over an in-memory object store: files written once under names no other write uses, reported
// as outputs; the manifest built from the committed outputs alone, the uncommitted files (a killed run's) deleted
// first; written once; and read back by the set source exactly, typed values included.
import { describe, expect, it } from 'vitest';
import { BackupSink, type DataFileOutput } from '../../../src/backup/backup-sink.js';
import { hasZstd } from '../../../src/backup/compression.js';
import { parseManifest } from '../../../src/backup/manifest.js';
import { BackupSetSource } from '../../../src/backup/set-source.js';
import type { SegmentOutput } from '../../../src/core/checkpoint.js';
import { Decimal, TimeValue, TypedSet, type FerryRecord } from '../../../src/core/record.js';
import type { SinkRun } from '../../../src/core/sink.js';
import { MemoryObjectStore } from '../../support/memory-object-store.js';

const signal = new AbortController().signal;
const logger = { debug() {}, info() {}, warn() {} };
const ctx = { signal, logger };

function records(from: number, n: number): FerryRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const id = from + i;
    return {
      key: { id },
      value: {
        id,
        amount: new Decimal(`${id}.0000000000000000001`),
        big: 2n ** 70n + BigInt(id),
        at: new TimeValue('timestamp', '2024-02-29T23:59:59.123456Z'),
        raw: new Uint8Array([id % 256, 0, 255]),
        tags: new TypedSet('string', ['a', 'b']),
        name: `n-${id} — ñ`,
        none: null,
      },
    };
  });
}

function runOf(outputs: SegmentOutput[]): SinkRun {
  return {
    uploads: { record: async () => {}, forget: async () => {} } as unknown as SinkRun['uploads'],
    job: { id: '20261208-010203-abcdef', createdAt: '2026-12-08T01:02:03.456Z', planName: 'orders-backup', planHash: 'h1' },
    outputs: async () => outputs,
  };
}

const out = (stream: string, data: unknown): SegmentOutput => ({ segmentId: `${stream}#0/1`, stream, target: stream, data });

describe('backup sink', () => {
  it('writes files once, builds the manifest from committed outputs only, deletes the rest, and reads back exactly', async () => {
    const store = new MemoryObjectStore();
    const sink = new BackupSink(store, { prefix: 'dr', create: false, sourceType: 'postgres' }, ctx);
    const committed: SegmentOutput[] = [];
    const run = runOf(committed);
    const stream = { name: 'public.orders' };
    await sink.prepare(stream, 'upsert', signal, run);
    expect(sink.setDir).toBe('dr/orders-backup/20261208T010203Z-abcdef/');

    const a = await sink.write(stream, records(1, 300), signal);
    const b = await sink.write(stream, records(301, 200), signal);
    // A third batch is written, then the process "dies" before its commit: its file is an orphan.
    const orphan = await sink.write(stream, records(501, 50), signal);
    expect([a.accepted, b.accepted, orphan.accepted]).toEqual([300, 200, 50]);
    for (const o of [...a.outputs!, ...b.outputs!]) committed.push(out('public.orders', o));
    const orphanPath = (orphan.outputs![0] as DataFileOutput).path;
    expect(store.objects.has(`${sink.setDir}${orphanPath}`)).toBe(true);
    // Every write used a name of its own.
    expect(new Set(store.puts).size).toBe(store.puts.length);

    await sink.finishStream({ name: 'public.orders' }, { source: undefined as never, stream: { name: 'public.orders', meta: { keyColumns: ['id'], keyTypes: ['bigint'] } } });
    await sink.finishStream({ name: 'public.empty' }, { source: undefined as never, stream: { name: 'public.empty', meta: { keyColumns: ['k'], keyTypes: ['text'] } } });
    await sink.finishJob(run, signal);
    const manifestName = `${sink.setDir}manifest.json`;
    expect(store.objects.has(`${sink.setDir}${orphanPath}`)).toBe(false);
    const m = parseManifest(store.objects.get(manifestName)!.body.toString('utf8'), 'm');
    expect(m.set).toMatchObject({ id: 'abcdef', job: '20261208-010203-abcdef', created_at: '2026-12-08T01:02:03.456Z' });
    expect(m.streams.map((s) => [s.name, s.count, s.files.length, s.key])).toEqual([
      ['public.empty', 0, 0, [{ field: 'k', type: 'text' }]],
      ['public.orders', 500, 2, [{ field: 'id', type: 'bigint' }]],
    ]);
    expect([...store.objects.keys()].filter((k) => k.startsWith(sink.setDir!)).sort()).toEqual(
      [manifestName, ...m.streams[1]!.files.map((f) => `${sink.setDir}${f.path}`)].sort(),
    );

    // Finishing again (a finisher that died after the manifest) changes nothing.
    const puts = store.puts.length;
    await sink.finishJob(run, signal);
    expect(store.puts.length).toBe(puts);

    // Read back through the set source: the same records, every value of its own type.
    const source = new BackupSetSource({ store, prefix: 'dr', plan: 'orders-backup' }, {}, ctx);
    const [ref] = await source.streams('public.*', signal).then((r) => r.filter((x) => x.name === 'public.orders'));
    expect(ref!.meta).toMatchObject({ keyColumns: ['id'], keyTypes: ['bigint'] });
    expect(await source.count(ref!, signal)).toBe(500);
    const segs = await source.segments!(ref!, 4, signal);
    expect(segs).toHaveLength(2);
    const back: FerryRecord[] = [];
    for (const seg of segs) for await (const batch of source.read({ segment: seg, batchSize: 128, signal })) back.push(...batch.items);
    expect(back).toHaveLength(500);
    expect(back.sort((x, y) => Number(x.key['id']) - Number(y.key['id'])).map((r) => r.value)).toEqual(records(1, 500).map((r) => r.value));
  });

  it('resumes a read inside a file from its cursor, and refuses an altered file before using a record of it', async () => {
    const store = new MemoryObjectStore();
    const sink = new BackupSink(store, { prefix: '', create: false, sourceType: 'dynamodb' }, ctx);
    const committed: SegmentOutput[] = [];
    const run = runOf(committed);
    await sink.prepare({ name: 'Orders' }, 'upsert', signal, run);
    for (const o of (await sink.write({ name: 'Orders' }, records(1, 100), signal)).outputs!) committed.push(out('Orders', o));
    await sink.finishStream({ name: 'Orders' }, { source: undefined as never, stream: { name: 'Orders' } });
    await sink.finishJob(run, signal);

    const source = new BackupSetSource({ store, prefix: '', plan: 'orders-backup' }, { set: 'abcdef' }, ctx);
    const [ref] = await source.streams('Orders', signal);
    const [seg] = await source.segments!(ref!, 1, signal);
    const batches = [];
    for await (const b of source.read({ segment: seg!, batchSize: 30, signal })) batches.push(b);
    expect(batches.map((b) => b.items.length)).toEqual([30, 30, 30, 10]);
    const resumed = [];
    for await (const b of source.read({ segment: seg!, after: batches[1]!.cursor, batchSize: 30, signal })) resumed.push(...b.items);
    expect(resumed.map((r) => r.key['id'])).toEqual(Array.from({ length: 40 }, (_, i) => 61 + i));

    store.mangleGet = (name, body) => (name.endsWith('.ndjson.gz') ? Buffer.concat([body.subarray(0, 10), Buffer.from([body[10]! ^ 1]), body.subarray(11)]) : body);
    const fresh = new BackupSetSource({ store, prefix: '', plan: 'orders-backup' }, {}, ctx);
    const got: unknown[] = [];
    await expect(
      (async () => {
        for await (const b of fresh.read({ segment: seg!, batchSize: 30, signal })) got.push(...b.items);
      })(),
    ).rejects.toThrow(/has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64} \(its bytes were altered\)/);
    expect(got).toEqual([]);
  });

  it.runIf(hasZstd())('zstd: files compressed with zstd, named .zst, stated in the manifest, read back exactly', async () => {
    const store = new MemoryObjectStore();
    const sink = new BackupSink(store, { prefix: 'z', create: false, sourceType: 'postgres', compression: 'zstd' }, ctx);
    const committed: SegmentOutput[] = [];
    const run = runOf(committed);
    await sink.prepare({ name: 't' }, 'upsert', signal, run);
    for (const o of (await sink.write({ name: 't' }, records(1, 250), signal)).outputs!) committed.push(out('t', o));
    await sink.finishStream({ name: 't' }, { source: undefined as never, stream: { name: 't' } });
    await sink.finishJob(run, signal);
    const m = parseManifest(store.objects.get(`${sink.setDir}manifest.json`)!.body.toString('utf8'), 'm');
    expect(m.compression).toBe('zstd');
    const file = m.streams[0]!.files[0]!;
    expect(file.path).toMatch(/\.ndjson\.zst$/);
    // zstd's magic number, not gzip's.
    expect(store.objects.get(`${sink.setDir}${file.path}`)!.body.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    const source = new BackupSetSource({ store, prefix: 'z', plan: 'orders-backup' }, {}, ctx);
    const [ref] = await source.streams('t', signal);
    const back: FerryRecord[] = [];
    for (const seg of await source.segments!(ref!, 1, signal)) for await (const b of source.read({ segment: seg, batchSize: 100, signal })) back.push(...b.items);
    expect(back.map((r) => r.value)).toEqual(records(1, 250).map((r) => r.value));
  });
});
