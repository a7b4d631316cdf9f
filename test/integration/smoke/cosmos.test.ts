import { afterAll, expect, it } from 'vitest';
import { cosmos, uniqueName } from '../../support/clients.js';

const client = cosmos();
const databaseId = uniqueName('smoke');

afterAll(async () => {
  await client.database(databaseId).delete().catch(() => undefined);
  client.dispose();
});

interface Item {
  id: string;
  pk: string;
  name?: string;
  bytes?: string;
  doc?: unknown;
  n?: number;
}

it('upserts items with non-ASCII text and base64 bytes, and reads them back through a paged query', async () => {
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  const { container } = await database.containers.createIfNotExists({ id: 'items', partitionKey: { paths: ['/pk'] } });
  const items: Item[] = [
    { id: 'zoë', pk: 'a', name: 'Zoë Ångström', bytes: Buffer.from([0, 1, 2, 255]).toString('base64') },
    { id: '東京', pk: 'a', name: '東京 — 🚢 ferry', n: 9.99 },
    { id: 'nested', pk: 'b', doc: { inner: { list: [1, 'two', null] }, ok: true } },
    { id: 'привет', pk: 'b', name: 'Привет, мир', n: -4 },
    { id: 'plain', pk: 'c', name: 'ascii only' },
  ];
  for (const item of items) await container.items.upsert(item);

  const back: Item[] = [];
  const query = container.items.query<Item & Record<string, unknown>>('SELECT * FROM c', { maxItemCount: 2 });
  let pages = 0;
  while (query.hasMoreResults()) {
    const { resources } = await query.fetchNext();
    if (resources.length) pages += 1;
    // Drop the server's own properties (_rid, _ts, _etag, …).
    back.push(...resources.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_'))) as unknown as Item));
  }
  expect(pages).toBeGreaterThanOrEqual(3);
  const byId = (a: Item, b: Item) => a.id.localeCompare(b.id);
  expect(back.sort(byId)).toEqual([...items].sort(byId));

  const { resource } = await container.item('zoë', 'a').read<Item>();
  expect(Buffer.from(resource?.bytes ?? '', 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
});
