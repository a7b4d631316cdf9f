/**
 * The Firestore source on the emulator: streams by name, pattern, template and collection group; segments that
 * cover every document exactly once (the emulator has no PartitionQuery: ferry's sampled split points); resume from
 * a cursor; count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryRecord } from '../../../src/core/record.js';
import { collectionName, Collections, readSegment, record, signal, sink, source, targetStream } from './helpers.js';

const collections = new Collections();
const writer = sink();
const N = 1000;
let name: string;
let artists: string;

beforeAll(async () => {
  name = collections.add(collectionName('src'));
  const st = targetStream(name);
  await writer.prepare(st, 'upsert', signal);
  // Ids of several shapes, so split points fall between strings of different lengths and scripts.
  const ids = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? String(i) : i % 3 === 1 ? `k-${i}` : `é${i}`));
  for (let i = 0; i < N; i += 500) {
    await writer.write(st, ids.slice(i, i + 500).map((id, j) => writer.toTarget(st, record(id, { n: i + j }))), signal);
  }
  artists = collections.add(collectionName('artists'));
  const albums = targetStream(`${artists}/\${ArtistId}/albums`, { id: '${AlbumId}' }, ['AlbumId']);
  await writer.prepare(albums, 'upsert', signal);
  const rows = Array.from({ length: 30 }, (_, i) => ({ AlbumId: i, ArtistId: i % 4, Title: `t${i}` }));
  await writer.write(albums, rows.map((v) => writer.toTarget(albums, { key: { AlbumId: v.AlbumId }, value: v })), signal);
  // Same collection id elsewhere: not part of `${artists}/${ArtistId}/albums`.
  const other = targetStream(`${artists}/1/albums/0/albums`);
  await writer.write(other, [writer.toTarget(other, record('deeper'))], signal);
});

afterAll(async () => {
  await collections.drop(writer);
  await writer[Symbol.asyncDispose]();
});

function paths(items: readonly FerryRecord[]): string[] {
  return items.map((r) => r.key['path'] as string);
}

describe('Firestore source', () => {
  it('lists a collection by name, only when it has documents', async () => {
    const src = source();
    const refs = await src.streams(name, signal);
    expect(refs).toEqual([{ name, meta: { selector: { kind: 'collection', path: name }, keyColumns: ['path'], keyTypes: ['string'] } }]);
    expect(await src.streams(`${name}-missing`, signal)).toEqual([]);
    const prefix = name.slice(0, -4);
    expect((await src.streams(`${prefix}*`, signal)).map((r) => r.name)).toEqual([name]);
    await src[Symbol.asyncDispose]();
  });

  it('splits a collection into segments that cover every document exactly once', async () => {
    const src = source();
    const [ref] = await src.streams(name, signal);
    expect(await src.count(ref!, signal)).toBe(N);
    for (const n of [1, 4, 7]) {
      const segs = await src.segments(ref!, n, signal);
      expect(segs.length).toBe(n);
      expect(segs.map((s) => s.id)).toEqual(Array.from({ length: n }, (_, i) => `${name}#${i}/${n}`));
      const all: string[] = [];
      const sizes: number[] = [];
      for (const seg of segs) {
        const { items } = await readSegment(src, seg, 97);
        sizes.push(items.length);
        all.push(...paths(items));
      }
      expect(all.length).toBe(N);
      expect(new Set(all).size).toBe(N);
      // Sampled split points: even slices.
      for (const s of sizes) expect(Math.abs(s - N / n)).toBeLessThanOrEqual(2);
    }
    await src[Symbol.asyncDispose]();
  });

  it('resumes after a cursor with exactly the rest', async () => {
    const src = source();
    const [ref] = await src.streams(name, signal);
    const segs = await src.segments(ref!, 3, signal);
    for (const seg of segs) {
      const whole = await readSegment(src, seg, 50);
      expect(whole.cursors.length).toBeGreaterThan(2);
      const cut = whole.cursors[2]!;
      const rest = await readSegment(src, seg, 50, cut);
      const at = paths(whole.items).indexOf(cut);
      expect(paths(rest.items)).toEqual(paths(whole.items).slice(at + 1));
      // After the last cursor: nothing.
      expect((await readSegment(src, seg, 50, whole.cursors[whole.cursors.length - 1]!)).items).toEqual([]);
    }
    await src[Symbol.asyncDispose]();
  });

  it('reads a templated path (a sink\'s `to:`) as the matching subcollections, in segments', async () => {
    const src = source();
    const pattern = `${artists}/\${ArtistId}/albums`;
    const refs = await src.streams(pattern, signal);
    expect(refs.map((r) => r.name)).toEqual([pattern]);
    expect(await src.count(refs[0]!, signal)).toBe(30);
    const all: FerryRecord[] = [];
    for (const seg of await src.segments(refs[0]!, 4, signal)) all.push(...(await readSegment(src, seg, 7)).items);
    expect(all.length).toBe(30);
    expect(new Set(paths(all))).toEqual(new Set(Array.from({ length: 30 }, (_, i) => `${artists}/${i % 4}/albums/${i}`)));
    expect(all.find((r) => r.key['path'] === `${artists}/3/albums/7`)!.value).toEqual({ AlbumId: 7, ArtistId: 3, Title: 't7' });

    // A collection group takes every `albums`, the deeper one too (and others tests wrote: at least ours).
    const [group] = await src.streams('albums', signal, { collection_group: true });
    expect(group!.meta).toMatchObject({ selector: { kind: 'group', id: 'albums' } });
    const inGroup: string[] = [];
    for (const seg of await src.segments(group!, 2, signal)) inGroup.push(...paths((await readSegment(src, seg)).items));
    expect(inGroup.filter((p) => p.startsWith(`${artists}/`)).length).toBe(31);
    await src[Symbol.asyncDispose]();
  });
});
