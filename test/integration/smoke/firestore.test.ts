import { Timestamp } from '@google-cloud/firestore';
import { afterAll, expect, it } from 'vitest';
import { firestore, uniqueName } from '../../support/clients.js';

const db = firestore();
const collection = db.collection(uniqueName('smoke'));

afterAll(async () => {
  await db.recursiveDelete(collection);
  await db.terminate();
});

it('writes documents with non-ASCII text, bytes, maps and timestamps, and reads them back', async () => {
  const docs: Record<string, Record<string, unknown>> = {
    'zoë': { name: 'Zoë Ångström', bytes: Buffer.from([0, 1, 2, 255]), n: 1 },
    '東京': { name: '東京 — 🚢 ferry', tags: ['b', 'a'], price: 9.99, ok: true },
    'nested': { doc: { inner: { list: [1, 'two', null] } }, at: Timestamp.fromMillis(Date.UTC(2024, 1, 29, 12, 34, 56, 789)) },
    'привет': { name: 'Привет, мир', empty: {}, nothing: null, big: 2 ** 53 - 1 },
  };
  const batch = db.batch();
  for (const [id, data] of Object.entries(docs)) batch.set(collection.doc(id), data);
  await batch.commit();

  const snapshot = await collection.get();
  const back = Object.fromEntries(snapshot.docs.map((d) => [d.id, d.data()]));
  expect(back).toEqual(docs);
  expect((back['nested']?.['at'] as Timestamp).toDate().toISOString()).toBe('2024-02-29T12:34:56.789Z');
});
