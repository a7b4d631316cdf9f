/**
 * The Firestore source's point reads (`lookup`) on the emulator: getAll in chunks, records equal to what `read`
 * yields for the same documents, absent documents and paths that cannot be documents of the stream left out
 * without a read, subcollections and templated (collection-group) streams.
 */
import type { DocumentReference, DocumentSnapshot } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryRecord, RecordKey } from '../../../src/core/record.js';
import { LOOKUP_CHUNK } from '../../../src/connectors/firestore/lookup.js';
import type { FirestoreSource } from '../../../src/connectors/firestore/source.js';
import { FerryError } from '../../../src/errors.js';
import { collectionName, Collections, readAll, record, signal, sink, source, targetStream } from './helpers.js';

const collections = new Collections();
const writer = sink();
const N = 450;
let name: string;
let artists: string;
const albumsTemplate = (): string => `${artists}/\${ArtistId}/albums`;

beforeAll(async () => {
  name = collections.add(collectionName('lkp'));
  const st = targetStream(name);
  await writer.prepare(st, 'upsert', signal);
  const values = (i: number) => ({
    n: i,
    big: 2n ** 62n + BigInt(i),
    f: i + 0.5,
    when: new Date(Date.UTC(2024, 0, 1, 0, 0, i % 60)),
    raw: new Uint8Array([i & 0xff, 0, 255]),
    nested: { a: [1, `x${i}`, null], ok: i % 2 === 0 },
  });
  const ids = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? String(i) : i % 3 === 1 ? `k-${i}` : `é ${i}`));
  for (let i = 0; i < N; i += 150) {
    const res = await writer.write(st, ids.slice(i, i + 150).map((id, j) => writer.toTarget(st, record(id, values(i + j)))), signal);
    expect(res.accepted).toBe(Math.min(150, N - i));
  }
  artists = collections.add(collectionName('artists'));
  const albums = targetStream(albumsTemplate(), { id: '${AlbumId}' }, ['AlbumId']);
  await writer.prepare(albums, 'upsert', signal);
  const rows = Array.from({ length: 30 }, (_, i) => ({ AlbumId: i, ArtistId: i % 4, Title: `t${i}` }));
  await writer.write(albums, rows.map((v) => writer.toTarget(albums, { key: { AlbumId: v.AlbumId }, value: v })), signal);
  // Same collection id deeper down: not a document of `${artists}/${ArtistId}/albums`.
  const other = targetStream(`${artists}/1/albums/5/albums`);
  await writer.write(other, [writer.toTarget(other, record('deeper'))], signal);
});

afterAll(async () => {
  await collections.drop(writer);
  await writer[Symbol.asyncDispose]();
});

/** Counts the documents of each getAll call (the calls still go to the emulator). */
function countGetAll(src: FirestoreSource): number[] {
  const calls: number[] = [];
  const getAll = src.db.getAll.bind(src.db);
  src.db.getAll = ((...refs: DocumentReference[]): Promise<DocumentSnapshot[]> => {
    calls.push(refs.length);
    return getAll(...refs);
  }) as typeof src.db.getAll;
  return calls;
}

const pathOf = (r: FerryRecord): string => r.key['path'] as string;

async function byPath(src: FirestoreSource, stream: string): Promise<Map<string, FerryRecord>> {
  return new Map((await readAll(src, stream, 1, 97)).map((r) => [pathOf(r), r]));
}

describe('Firestore source lookup', () => {
  it('reads present documents in chunks, equal to read(); absent ones and duplicates left out', async () => {
    const src = source();
    const all = await byPath(src, name);
    expect(all.size).toBe(N);
    const [ref] = await src.streams(name, signal);
    const calls = countGetAll(src);
    const present: RecordKey[] = [...all.keys()].map((path) => ({ path }));
    const absent: RecordKey[] = Array.from({ length: 40 }, (_, i) => ({ path: `${name}/missing-${i}` }));
    const keys = [...absent.slice(0, 20), ...present, ...absent.slice(20), ...present.slice(0, 30), { path: `${name}/0` }];

    const got = await src.lookup(ref!, keys, signal);
    expect(got).toHaveLength(N);
    // In the order asked, each equal to read()'s record (values, key and size).
    expect(got.map(pathOf)).toEqual([...all.keys()]);
    for (const r of got) expect(r).toEqual(all.get(pathOf(r)));
    const sample = got.find((r) => pathOf(r) === `${name}/3`)!;
    expect(sample.value).toMatchObject({ n: 3, big: 2n ** 62n + 3n, f: 3.5, raw: new Uint8Array([3, 0, 255]) });

    // 490 distinct paths: chunks of at most LOOKUP_CHUNK, each path asked once.
    expect(calls.reduce((a, b) => a + b, 0)).toBe(N + 40);
    expect(calls.length).toBe(Math.ceil((N + 40) / LOOKUP_CHUNK));
    expect(Math.max(...calls)).toBeLessThanOrEqual(LOOKUP_CHUNK);

    expect(await src.lookup(ref!, absent, signal)).toEqual([]);
    await src[Symbol.asyncDispose]();
  });

  it('paths that cannot be documents of the stream are left out without a read or an error', async () => {
    const src = source();
    const [ref] = await src.streams(name, signal);
    const calls = countGetAll(src);
    const invalid: RecordKey[] = [
      {},
      { path: 5 },
      { path: null },
      { path: '' },
      { path: name }, // a collection
      { path: `${name}/1/sub` }, // a collection
      { path: `/${name}/1` }, // the SDK would read `${name}/1`
      { path: `${name}//1` },
      { path: `${name}/1/` },
      { path: `${name}/__x__` },
      { path: `${name}/..` },
      { path: `${artists}/1/albums/1` }, // exists, but in another collection
      { path: `x/1/${name}/1` }, // same collection id, another parent
    ];
    expect(await src.lookup(ref!, invalid, signal)).toEqual([]);
    expect(calls).toEqual([]);
    const got = await src.lookup(ref!, [...invalid, { path: `${name}/3` }, { path: `${name}/k-1` }], signal);
    expect(got.map(pathOf)).toEqual([`${name}/3`, `${name}/k-1`]);
    expect(calls).toEqual([2]);
    await src[Symbol.asyncDispose]();
  });

  it('subcollection streams: a document path under a document, and a templated path (collection group)', async () => {
    const src = source();
    // One artist's albums: a collection path of three segments.
    const sub = `${artists}/1/albums`;
    const subAll = await byPath(src, sub);
    expect(subAll.size).toBe(8);
    const [subRef] = await src.streams(sub, signal);
    const subGot = await src.lookup(subRef!, [...[...subAll.keys()].map((path) => ({ path })), { path: `${artists}/2/albums/2` }, { path: `${sub}/99` }], signal);
    expect(subGot.map(pathOf)).toEqual([...subAll.keys()]);
    for (const r of subGot) expect(r).toEqual(subAll.get(pathOf(r)));

    // Every artist's albums, as a sink's templated `to:` is read back; the deeper `albums` document is not one of them.
    const all = await byPath(src, albumsTemplate());
    expect(all.size).toBe(30);
    const [ref] = await src.streams(albumsTemplate(), signal);
    expect(ref!.meta!['selector']).toMatchObject({ kind: 'group', id: 'albums' });
    const deeper = `${artists}/1/albums/5/albums/deeper`;
    expect((await src.db.doc(deeper).get()).exists).toBe(true);
    const keys = [{ path: deeper }, ...[...all.keys()].reverse().map((path) => ({ path })), { path: `${artists}/0/albums/1` }];
    const got = await src.lookup(ref!, keys, signal);
    expect(got.map(pathOf)).toEqual([...all.keys()].reverse());
    for (const r of got) expect(r).toEqual(all.get(pathOf(r)));
    await src[Symbol.asyncDispose]();
  });

  it('a stream named without listing it first, and the abort signal', async () => {
    const src = source();
    const got = await src.lookup({ name }, [{ path: `${name}/0` }], signal);
    expect(got.map(pathOf)).toEqual([`${name}/0`]);
    const ac = new AbortController();
    ac.abort();
    const err = await src.lookup({ name }, [{ path: `${name}/0` }], ac.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('INTERRUPTED');
    await src[Symbol.asyncDispose]();
  });
});
