/**
 * The DynamoDB source's point reads (`lookup`) against dynalite: BatchGetItem in requests of at most 100 distinct
 * keys, records equal to what `read` yields for the same items, absent and impossible keys left out, and
 * UnprocessedKeys (which dynalite never returns, so a client middleware injects them) asked again until none is lost.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  type AttributeValue,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyText, type FerryRecord, type RecordKey } from '../../../src/core/record.js';
import { parseOptions } from '../../../src/connectors/dynamodb/options.js';
import { itemKeyText } from '../../../src/connectors/dynamodb/marshal.js';
import { DynamoDbSource, THROTTLE_RETRIES } from '../../../src/connectors/dynamodb/source.js';
import { waitForTable } from '../../../src/connectors/dynamodb/table.js';
import { FerryError } from '../../../src/errors.js';
import { dynamoDb } from '../../support/clients.js';
import { connection, signal, tableName, Tables } from './helpers.js';

const tables = new Tables();
const client = dynamoDb();

type Item = Record<string, AttributeValue>;
type Attr = { name: string; type: 'S' | 'N' | 'B' };

async function createTable(hash: Attr, range?: Attr): Promise<string> {
  const t = tables.add(tableName('lkp'));
  const attrs = range ? [hash, range] : [hash];
  await client.send(
    new CreateTableCommand({
      TableName: t,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attrs.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
      KeySchema: attrs.map((a, i) => ({ AttributeName: a.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    }),
  );
  await waitForTable({ client }, t, 'active', signal);
  return t;
}

async function putAll(table: string, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let reqs: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (reqs.length > 0) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: reqs } }));
      reqs = out.UnprocessedItems?.[table] ?? [];
    }
  }
}

function open(extra: Record<string, unknown> = {}): DynamoDbSource {
  // No jitter: backoffs sleep 0 ms, so retries are exercised without waiting.
  return new DynamoDbSource(parseOptions(connection(extra)), undefined, undefined, { random: () => 0 });
}

/** Every record `read` yields (purpose verify), by key text. */
async function readAll(src: DynamoDbSource, table: string): Promise<Map<string, FerryRecord>> {
  const [ref] = await src.streams(table, signal);
  const out = new Map<string, FerryRecord>();
  for (const segment of await src.segments(ref!, 1)) {
    for await (const b of src.read({ segment, batchSize: 77, signal, purpose: 'verify' })) {
      for (const r of b.items) out.set(keyText(r.key), r);
    }
  }
  return out;
}

/** Every BatchGetItem request as sent: its keys, and whether it asked for consistent reads. */
function recordRequests(c: DynamoDBClient): { keys: Item[]; consistent: boolean | undefined }[] {
  const calls: { keys: Item[]; consistent: boolean | undefined }[] = [];
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchGetItemCommand') {
        for (const req of Object.values((args.input as BatchGetItemCommandInput).RequestItems ?? {})) {
          calls.push({ keys: req.Keys ?? [], consistent: req.ConsistentRead });
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'ferryTestRecordBatchGets' },
  );
  return calls;
}

/**
 * Makes BatchGetItem send some keys back in UnprocessedKeys, as DynamoDB does under load: `hold(keyText, timesSeen,
 * request)` picks the keys to hold back; the others go to the real server. Counts the keys held back.
 */
function holdUnprocessed(c: DynamoDBClient, names: string[], hold: (key: string, timesSeen: number, request: number) => boolean): { held: number; requests: number } {
  const seen = new Map<string, number>();
  const stats = { held: 0, requests: 0 };
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchGetItemCommand') return next(args);
      stats.requests += 1;
      const input = args.input as BatchGetItemCommandInput;
      const send: Record<string, KeysAndAttributes> = {};
      const held: Record<string, KeysAndAttributes> = {};
      for (const [table, req] of Object.entries(input.RequestItems ?? {})) {
        for (const k of req.Keys ?? []) {
          const text = itemKeyText(k, names);
          const n = (seen.get(text) ?? 0) + 1;
          seen.set(text, n);
          const bucket = hold(text, n, stats.requests) ? held : send;
          (bucket[table] ??= { ...req, Keys: [] }).Keys!.push(k);
        }
      }
      for (const req of Object.values(held)) stats.held += req.Keys!.length;
      if (Object.keys(send).length === 0) {
        return { output: { Responses: {}, UnprocessedKeys: held, $metadata: {} }, response: {} } as never;
      }
      const result = await next({ ...args, input: { ...input, RequestItems: send } });
      const output = result.output as BatchGetItemCommandOutput;
      const unprocessed = output.UnprocessedKeys ?? {};
      for (const [table, req] of Object.entries(held)) {
        unprocessed[table] = { ...req, Keys: [...(unprocessed[table]?.Keys ?? []), ...req.Keys!] };
      }
      output.UnprocessedKeys = unprocessed;
      return result;
    },
    { step: 'initialize', name: 'ferryTestHoldUnprocessed' },
  );
  return stats;
}

const keysOf = (rs: readonly FerryRecord[]): string[] => rs.map((r) => keyText(r.key));

// A hash-only N table: small integers, a bigint and a decimal key, and values of every kind.
let numbers: string;
const BIG = 2n ** 60n;
const N_ITEMS = 250;
// A hash + range table, S then N.
let ranged: string;
// Hash-only S and B tables, and a B + S table.
let strings: string;
let binaries: string;
let binRange: string;

function bytes(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i * 7) & 0xff, 0xfb, 0xff]);
}

beforeAll(async () => {
  [numbers, ranged, strings, binaries, binRange] = await Promise.all([
    createTable({ name: 'id', type: 'N' }),
    createTable({ name: 'pk', type: 'S' }, { name: 'sk', type: 'N' }),
    createTable({ name: 'id', type: 'S' }),
    createTable({ name: 'id', type: 'B' }),
    createTable({ name: 'h', type: 'B' }, { name: 'r', type: 'S' }),
  ]);
  const numberItems: Item[] = Array.from({ length: N_ITEMS }, (_, i) => ({
    id: { N: String(i) },
    label: { S: `r${i}` },
    price: { N: `${i}.25` },
    raw: { B: bytes(i) },
    flags: { M: { on: { BOOL: i % 2 === 0 }, none: { NULL: true } } },
    tags: { SS: ['a', `t${i % 3}`] },
    nums: { NS: ['1', '2.5'] },
    list: { L: [{ S: 'x' }, { N: '-1' }] },
  }));
  numberItems.push({ id: { N: BIG.toString() }, label: { S: 'big' } }, { id: { N: '2.5' }, label: { S: 'decimal' } }, { id: { N: '-7' }, label: { S: 'negative' } });
  await Promise.all([
    putAll(numbers, numberItems),
    putAll(ranged, Array.from({ length: 150 }, (_, i) => ({ pk: { S: `p${i % 5}` }, sk: { N: String(i) }, v: { S: `v${i}` } }))),
    putAll(strings, Array.from({ length: 120 }, (_, i) => ({ id: { S: i % 2 ? `s-${i}` : `é/#${i}` }, n: { N: String(i) } }))),
    putAll(binaries, Array.from({ length: 120 }, (_, i) => ({ id: { B: bytes(i) }, n: { N: String(i) } }))),
    putAll(binRange, Array.from({ length: 60 }, (_, i) => ({ h: { B: bytes(i % 4) }, r: { S: `r${i}` }, n: { N: String(i) } }))),
  ]);
});

afterAll(async () => {
  await tables.drop();
  client.destroy();
});

describe('DynamoDB source lookup', () => {
  it('hash-only N table: every present key in several batches, equal to read(), absent keys left out, duplicates read once', async () => {
    const src = open();
    const calls = recordRequests(src.client);
    const all = await readAll(src, numbers);
    expect(all.size).toBe(N_ITEMS + 3);
    const present = [...all.values()].map((r) => r.key);
    expect(present).toContainEqual({ id: BIG });
    expect(present).toContainEqual({ id: '2.5' });
    const absent: RecordKey[] = Array.from({ length: 60 }, (_, i) => ({ id: 10_000 + i }));
    // The same item three ways: as read keys it, as text, and once more.
    const dupes: RecordKey[] = [{ id: 42 }, { id: '42' }, { id: 42 }, { id: BIG.toString() }, { id: '2.50' }];
    const keys = [...present, ...absent, ...dupes];
    const [ref] = await src.streams(numbers, signal);

    const got = await src.lookup(ref!, keys, signal);
    expect(got).toHaveLength(N_ITEMS + 3);
    // In the order asked, each equal to read()'s record of the same item (values, key form and size).
    expect(keysOf(got)).toEqual(present.map(keyText));
    for (const r of got) expect(r).toEqual(all.get(keyText(r.key)));
    expect(got.find((r) => r.key['id'] === 7)!.sizeBytes).toBe(all.get('id=7')!.sizeBytes);

    // 253 + 60 distinct keys: four requests of at most 100, no key twice, every key sent once.
    expect(calls.map((c) => c.keys.length).sort((a, b) => b - a)).toEqual([100, 100, 100, 13]);
    const sent = calls.flatMap((c) => c.keys.map((k) => itemKeyText(k, ['id'])));
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent).toHaveLength(N_ITEMS + 3 + 60);
    expect(calls.every((c) => c.consistent === false)).toBe(true);
    await src[Symbol.asyncDispose]();
  });

  it('keys that cannot name an item are left out without a request or an error', async () => {
    const src = open();
    const calls = recordRequests(src.client);
    const [num] = await src.streams(numbers, signal);
    const [rng] = await src.streams(ranged, signal);
    const [str] = await src.streams(strings, signal);
    const [bin] = await src.streams(binaries, signal);
    const impossibleN: RecordKey[] = [{}, { id: null }, { id: 'abc' }, { id: true }, { id: Number.NaN }, { id: '1'.repeat(40) }, { other: 1 }];
    expect(await src.lookup(num!, impossibleN, signal)).toEqual([]);
    expect(await src.lookup(rng!, [{ pk: 'p1' }, { sk: 1 }, { pk: 'p1', sk: 'x' }, { pk: '', sk: 1 }], signal)).toEqual([]);
    expect(await src.lookup(str!, [{ id: '' }, { id: 'x'.repeat(2049) }, { id: '\ud800' }], signal)).toEqual([]);
    expect(await src.lookup(bin!, [{ id: 'not base64!' }, { id: '' }, { id: 12 }, { id: 'A' }], signal)).toEqual([]);
    expect(calls).toHaveLength(0);
    // Mixed with keys that exist: only those come back, in one request.
    const got = await src.lookup(num!, [...impossibleN, { id: 3 }, { id: 'zz' }, { id: 4 }], signal);
    expect(keysOf(got)).toEqual(['id=3', 'id=4']);
    expect(calls.map((c) => c.keys.length)).toEqual([2]);
    expect(await src.lookup(num!, [], signal)).toEqual([]);
    await src[Symbol.asyncDispose]();
  });

  it('hash + range table (S, N): present pairs, absent sort keys and absent partitions', async () => {
    const src = open();
    const all = await readAll(src, ranged);
    expect(all.size).toBe(150);
    const [ref] = await src.streams(ranged, signal);
    const present: RecordKey[] = [...all.values()].map((r) => r.key);
    expect(present[0]).toEqual({ pk: expect.any(String), sk: expect.any(Number) });
    const absent: RecordKey[] = [
      { pk: 'p1', sk: 2 }, // i = 2 lives under p2
      { pk: 'p9', sk: 1 },
      { pk: 'p0', sk: 1000 },
    ];
    const got = await src.lookup(ref!, [...absent, ...present, { sk: 5, pk: 'p0' }], signal);
    expect(got).toHaveLength(150);
    for (const r of got) expect(r).toEqual(all.get(keyText(r.key)));
    // Key parts in key-schema order, as read() has them, whatever the order of the key asked.
    expect(Object.keys(got[0]!.key)).toEqual(['pk', 'sk']);
    await src[Symbol.asyncDispose]();
  });

  it('S, B and B + S keyed tables: base64 keys decode back to the same items', async () => {
    const src = open();
    for (const table of [strings, binaries, binRange]) {
      const all = await readAll(src, table);
      const [ref] = await src.streams(table, signal);
      const present = [...all.values()].map((r) => r.key);
      const absent: RecordKey[] = table === strings ? [{ id: 'nope' }] : table === binaries ? [{ id: 'AAAA' }] : [{ h: 'AAAA', r: 'r1' }, { h: present[0]!['h']!, r: 'zz' }];
      const got = await src.lookup(ref!, [...absent, ...present], signal);
      expect(got).toHaveLength(all.size);
      expect(keysOf(got)).toEqual(present.map(keyText));
      for (const r of got) expect(r).toEqual(all.get(keyText(r.key)));
      if (table === binaries) expect(got[0]!.value).toMatchObject({ id: expect.any(Uint8Array) });
    }
    await src[Symbol.asyncDispose]();
  });

  it('UnprocessedKeys are asked again (with backoff) until every key is read; nothing is lost', async () => {
    const src = open({ rcu_per_second: 1_000_000 });
    const calls = recordRequests(src.client);
    // Request 1 gets nothing done (every key held: a throttled round); afterwards every third key is held back
    // the first two times it is seen.
    const stats = holdUnprocessed(src.client, ['id'], (key, n, request) => request === 1 || (n <= 2 && key.length % 3 === 0));
    const all = await readAll(src, numbers);
    const [ref] = await src.streams(numbers, signal);
    const keys = [...all.values()].map((r) => r.key);
    const scanPages = src.readLimiter!.stats.pages;
    const got = await src.lookup(ref!, [...keys, { id: 99_999 }], signal);
    expect(stats.held).toBeGreaterThan(100);
    expect(got).toHaveLength(all.size);
    expect(keysOf(got)).toEqual(keys.map(keyText));
    for (const r of got) expect(r).toEqual(all.get(keyText(r.key)));
    // Three first-round batches plus the retries of what was held back.
    expect(calls.length).toBeGreaterThan(3);
    expect(src.readStats.throttled).toBeGreaterThan(0);
    // The round that got nothing done counted as throttling: the shared bucket gave up its burst.
    expect(src.readLimiter!.stats.throttles).toBeGreaterThan(0);
    // Each request, retries too, was paid for.
    expect(src.readLimiter!.stats.pages - scanPages).toBe(calls.length);
    await src[Symbol.asyncDispose]();
  });

  it('keys that stay unprocessed end in a retryable THROTTLED after a bounded number of tries', async () => {
    const src = open();
    const stats = holdUnprocessed(src.client, ['id'], () => true);
    const [ref] = await src.streams(numbers, signal);
    const err = await src.lookup(ref!, [{ id: 1 }, { id: 2 }], signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('THROTTLED');
    expect((err as FerryError).retry).toBe('throttled');
    expect(stats.requests).toBe(THROTTLE_RETRIES + 1);
    await src[Symbol.asyncDispose]();
  });

  it('charges the read limiter with the capacity the server reports, with consistent reads as the stream says', async () => {
    const src = open({ rcu_per_second: 1_000_000 });
    const calls = recordRequests(src.client);
    const reported: number[] = [];
    src.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'BatchGetItemCommand') {
          for (const c of (result.output as BatchGetItemCommandOutput).ConsumedCapacity ?? []) reported.push(c.CapacityUnits ?? 0);
        }
        return result;
      },
      { step: 'initialize', name: 'ferryTestConsumed' },
    );
    const [ref] = await src.streams(numbers, signal, { consistent_read: true });
    const keys = Array.from({ length: 150 }, (_, i) => ({ id: i }));
    const got = await src.lookup(ref!, keys, signal);
    expect(got).toHaveLength(150);
    expect(calls.map((c) => c.consistent)).toEqual([true, true]);
    const limiter = src.readLimiter!;
    expect(limiter.stats.pages).toBe(2);
    // dynalite reports ConsumedCapacity: one 4 KB unit per (small) item, strongly consistent; nothing estimated.
    expect(reported.reduce((a, b) => a + b, 0)).toBe(150);
    expect(limiter.stats.consumed).toBe(150);
    expect(limiter.stats.estimated).toBe(0);
    await src[Symbol.asyncDispose]();
  });

  it('honours the abort signal', async () => {
    const src = open();
    const [ref] = await src.streams(numbers, signal);
    const ac = new AbortController();
    ac.abort();
    const err = await src.lookup(ref!, [{ id: 1 }], ac.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('INTERRUPTED');
    await src[Symbol.asyncDispose]();
  });
});
