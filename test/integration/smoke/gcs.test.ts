import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { fingerprints } from '../../support/bytes.js';
import { gcs, uniqueName } from '../../support/clients.js';

const storage = gcs();
const bucket = storage.bucket(uniqueName('smoke'));

afterAll(async () => {
  await bucket.deleteFiles({ force: true }).catch(() => undefined);
  await bucket.delete().catch(() => undefined);
});

it('uploads objects with non-ASCII names and binary bodies (simple and resumable), lists and downloads them', async () => {
  await storage.createBucket(bucket.name);
  const objects: Record<string, Buffer> = {
    'plain.txt': Buffer.from('hello'),
    'dir/zoë Ångström.txt': Buffer.from('Zoë — 東京 🚢', 'utf8'),
    'dir/東京/bytes.bin': Buffer.from([0, 1, 2, 255, 0]),
    'big/random.bin': randomBytes(3 * 1024 * 1024 + 17),
  };
  for (const [name, body] of Object.entries(objects)) {
    // The large one goes through a resumable upload session (its URL comes back from the server's -external-url).
    await bucket.file(name).save(body, { resumable: body.length > 1024 * 1024, contentType: 'application/octet-stream' });
  }

  const names: string[] = [];
  let query: { maxResults: number; pageToken?: string; autoPaginate: false } | null = { maxResults: 2, autoPaginate: false };
  while (query) {
    const [files, next] = await bucket.getFiles(query);
    names.push(...files.map((f) => f.name));
    query = next as typeof query;
  }
  expect(names.sort()).toEqual(Object.keys(objects).sort());

  const back: Record<string, Buffer> = {};
  for (const name of names) [back[name]] = (await bucket.file(name).download()) as [Buffer];
  expect(fingerprints(back)).toEqual(fingerprints(objects));

  const [metadata] = await bucket.file('dir/東京/bytes.bin').getMetadata();
  expect(Number(metadata.size)).toBe(5);
});
