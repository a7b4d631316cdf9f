import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { fingerprints } from '../../support/bytes.js';
import { azureBlob, uniqueName } from '../../support/clients.js';

const service = azureBlob();
const container = service.getContainerClient(uniqueName('smoke'));

afterAll(async () => {
  await container.deleteIfExists();
});

it('uploads block blobs with non-ASCII names, binary bodies and metadata, lists in pages and downloads them', async () => {
  await container.create();
  const blobs: Record<string, Buffer> = {
    'plain.txt': Buffer.from('hello'),
    'dir/zoë Ångström.txt': Buffer.from('Zoë — 東京 🚢', 'utf8'),
    'dir/東京/bytes.bin': Buffer.from([0, 1, 2, 255, 0]),
    'big/random.bin': randomBytes(2 * 1024 * 1024 + 3),
  };
  for (const [name, body] of Object.entries(blobs)) {
    await container.getBlockBlobClient(name).uploadData(body, {
      metadata: { origin: 'ferry-smoke' },
      blockSize: 1024 * 1024, // the big one goes up as staged blocks plus a commit
      maxSingleShotSize: 1024 * 1024,
    });
  }

  const names: string[] = [];
  let pages = 0;
  for await (const page of container.listBlobsFlat({ includeMetadata: true }).byPage({ maxPageSize: 2 })) {
    pages += 1;
    for (const blob of page.segment.blobItems) {
      expect(blob.metadata).toEqual({ origin: 'ferry-smoke' });
      names.push(blob.name);
    }
  }
  expect(pages).toBe(2);
  expect(names.sort()).toEqual(Object.keys(blobs).sort());

  const back: Record<string, Buffer> = {};
  for (const name of names) back[name] = await container.getBlockBlobClient(name).downloadToBuffer();
  expect(fingerprints(back)).toEqual(fingerprints(blobs));
});
