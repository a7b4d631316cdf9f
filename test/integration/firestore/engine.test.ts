/**
 * DynamoDB → Firestore under the engine: the real DynamoDB source over dynalite, the real Firestore sink on the
 * emulator, runJob, then verifyStreams: count and checksum match (a dead letter accounted for), and after one
 * Firestore field is changed by hand, the checksum names its key.
 */
import { BatchWriteItemCommand, CreateTableCommand, DeleteTableCommand, type AttributeValue, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions as dynamoOptions } from '../../../src/connectors/dynamodb/options.js';
import { DynamoDbSource } from '../../../src/connectors/dynamodb/source.js';
import { runJob } from '../../../src/engine/index.js';
import type { Plan } from '../../../src/plan/types.js';
import { deadLettersByStream, verifyStreams } from '../../../src/verify/index.js';
import { dynamoDb, serviceEnv, uniqueName } from '../../support/clients.js';
import { MemoryWorld } from '../../support/memory-world.js';
import { collectionName, Collections, signal, sink, source } from './helpers.js';

const client = dynamoDb();
const tracks = uniqueName('tracks');
const albums = uniqueName('albums');
const collections = new Collections();
const cleanup = sink();
const TRACKS = 3000;
const ALBUMS = 400;

function ddbSource(): DynamoDbSource {
  return new DynamoDbSource(dynamoOptions({ region: serviceEnv('AWS_REGION'), endpoint: serviceEnv('DYNAMODB_ENDPOINT') }));
}

async function createTable(name: string, keys: [string, 'S' | 'N'][]): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keys.map(([n, t]) => ({ AttributeName: n, AttributeType: t })),
      KeySchema: keys.map(([n], i) => ({ AttributeName: n, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    }),
  );
}

async function put(table: string, items: Record<string, AttributeValue>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let reqs: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (reqs.length > 0) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: reqs } }));
      reqs = out.UnprocessedItems?.[table] ?? [];
    }
  }
}

function track(i: number): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: `ALBUM#${i % 97}` },
    sk: { N: String(i) },
    name: { S: `Track ${i} — ünïcode/${i % 7}` },
    price: { N: i % 2 ? '0.99' : '1.5' },
    ms: { N: String(180_000 + i * 1234) },
    big: { N: '9007199254740993' },
    tags: { SS: [`t${i % 5}`, 'all'] },
    nums: { NS: ['3', '1', '2.5'] },
    bin: { B: Buffer.from([i & 255, 0, 255]) },
    explicit: { BOOL: i % 3 === 0 },
    none: { NULL: true },
    meta: { M: { composer: { S: `C${i % 11}` }, plays: { N: String(i * 3) }, genres: { L: [{ S: 'rock' }, { N: '1' }] } } },
  };
  // One item Firestore cannot hold as it is: a list directly inside a list.
  if (i === 1234) item['matrix'] = { L: [{ L: [{ N: '1' }] }] };
  return item;
}

beforeAll(async () => {
  await createTable(tracks, [['pk', 'S'], ['sk', 'N']]);
  await createTable(albums, [['AlbumId', 'N']]);
  await put(tracks, Array.from({ length: TRACKS }, (_, i) => track(i)));
  await put(
    albums,
    Array.from({ length: ALBUMS }, (_, i) => ({ AlbumId: { N: String(i) }, ArtistId: { N: String(i % 40) }, Title: { S: `Album ${i}` } })),
  );
}, 120_000);

afterAll(async () => {
  await collections.drop(cleanup);
  await cleanup[Symbol.asyncDispose]();
  for (const t of [tracks, albums]) await client.send(new DeleteTableCommand({ TableName: t })).catch(() => undefined);
  client.destroy();
});

describe('DynamoDB → Firestore', () => {
  it('loads, verifies by count and checksum, and names a key changed afterwards', async () => {
    const trackCollection = collections.add(collectionName('tracks'));
    const artistCollection = collections.add(collectionName('artists'));
    const plan: Plan = {
      version: 1,
      kind: 'migration',
      name: 'dynamodb-to-firestore-test',
      source: { type: 'dynamodb' },
      target: { type: 'firestore' },
      streams: [
        { from: tracks, to: trackCollection, segments: 4 },
        { from: albums, to: `${artistCollection}/\${ArtistId}/albums`, id: '${AlbumId}', segments: 2 },
      ],
      limits: { concurrency: 4, batch_size: 250 },
      verify: ['count', 'checksum'],
      on_error: { max_rejected: 1 },
    };
    const world = new MemoryWorld({});
    const p = world.process();
    const src = ddbSource();
    const s = sink();
    const t0 = performance.now();
    const summary = await runJob({ plan, store: p.store, job: p.job, source: src, sink: s });
    const secs = (performance.now() - t0) / 1000;
    console.log(`dynamodb → firestore: ${TRACKS + ALBUMS} items in ${secs.toFixed(2)} s = ${Math.round((TRACKS + ALBUMS) / secs)} items/s`);
    expect(summary).toMatchObject({ status: 'succeeded', items: TRACKS + ALBUMS - 1, rejected: 1 });
    const dead = await p.store.deadLetters(p.job.id);
    expect(dead).toEqual([
      expect.objectContaining({ key: 'pk=ALBUM#70, sk=1234', reason: expect.stringMatching(/field matrix\[0\]: an array inside an array/) }),
    ]);

    const target = source();
    const verify = () =>
      verifyStreams({
        plan,
        source: src,
        targetSource: target,
        sink: s,
        deadLettersByStream: deadLettersByStream(dead),
        sleep: async () => {},
      });
    const report = await verify();
    expect(report.results.map((r) => [r.stream, r.verifier, r.outcome, r.source.count, r.target.count])).toEqual([
      [tracks, 'count', 'match', TRACKS, TRACKS - 1],
      [tracks, 'checksum', 'match', TRACKS, TRACKS - 1],
      [albums, 'count', 'match', ALBUMS, ALBUMS],
      [albums, 'checksum', 'match', ALBUMS, ALBUMS],
    ]);
    expect(report.outcome).toBe('match');

    // What a document looks like, for the record.
    const doc = (await s.db.doc(`${trackCollection}/ALBUM\\#5#5`).get()).data();
    expect(doc).toMatchObject({ pk: 'ALBUM#5', sk: 5n, price: 0.99, big: 9007199254740993n, tags: ['all', 't0'], nums: [1n, 2.5, 3n] });
    expect((await s.db.doc(`${artistCollection}/7/albums/47`).get()).data()).toEqual({ AlbumId: 47n, ArtistId: 7n, Title: 'Album 47' });

    // Someone edits one document in Firestore: the checksum names it.
    await s.db.doc(`${trackCollection}/ALBUM\\#5#5`).update({ price: 2.5 });
    const after = await verify();
    expect(after.outcome).toBe('differ');
    const checksum = after.results.find((r) => r.stream === tracks && r.verifier === 'checksum')!;
    expect(checksum.changed).toEqual({ total: 1, keys: [`path=${trackCollection}/ALBUM\\#5#5`] });
    expect(checksum.missing.total).toBe(0);
    expect(checksum.extra.total).toBe(0);

    await target[Symbol.asyncDispose]();
    await src[Symbol.asyncDispose]();
    await s[Symbol.asyncDispose]();
  });
});
