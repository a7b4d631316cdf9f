import { CreateTableCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, type FerryRecord } from '../../../src/core/record.js';
import type { Segment } from '../../../src/core/stream.js';
import type { DynamoDbSource } from '../../../src/connectors/dynamodb/source.js';
import { dynamoDb } from '../../support/clients.js';
import { record, signal, sink, source, tableName, Tables, targetStream } from './helpers.js';

const tables = new Tables();
const client = dynamoDb();
const COUNT = 300;
const prefix = `${tableName('src')}-`;
const name = 'items';
const table = tables.add(`${prefix}${name}`);

beforeAll(async () => {
  const s = sink({ create: true, table_prefix: prefix });
  const stream = targetStream(name);
  await s.prepare(stream, 'upsert', signal);
  const items = Array.from({ length: COUNT }, (_, i) => s.toTarget(stream, record(i, { label: `r${i}` })));
  for (let i = 0; i < items.length; i += 25) {
    const res = await s.write(stream, items.slice(i, i + 25), signal);
    expect(res.accepted).toBe(Math.min(25, items.length - i));
  }
  await s[Symbol.asyncDispose]();
});

afterAll(async () => {
  await tables.drop();
  client.destroy();
});

async function readAll(src: DynamoDbSource, segment: Segment, batchSize = 50, after?: string): Promise<{ records: FerryRecord[]; cursors: string[] }> {
  const records: FerryRecord[] = [];
  const cursors: string[] = [];
  for await (const b of src.read({ segment, batchSize, signal, ...(after === undefined ? {} : { after }) })) {
    records.push(...b.items);
    cursors.push(b.cursor);
  }
  return { records, cursors };
}

const ids = (rs: FerryRecord[]) => rs.map((r) => r.key['id'] as number).sort((a, b) => a - b);
const all = Array.from({ length: COUNT }, (_, i) => i);

describe('DynamoDB source', () => {
  it('lists tables by name or pattern, without the table prefix, with their key schema', async () => {
    const src = source({ table_prefix: prefix });
    const [ref] = await src.streams(name, signal);
    expect(ref).toMatchObject({
      name,
      meta: {
        table,
        keySchema: [{ name: 'id', type: 'HASH', attrType: 'N' }],
        keyColumns: ['id'],
        keyTypes: ['N'],
        consistentRead: false,
      },
    });
    expect(typeof ref!.meta!['itemCount']).toBe('number');
    expect((await src.streams('it*', signal)).map((r) => r.name)).toEqual([name]);
    expect(await src.streams('nope', signal)).toEqual([]);
    expect((await src.streams(name, signal, { consistent_read: true }))[0]!.meta!['consistentRead']).toBe(true);
  });

  it('records: neutral values and the key from the key schema', async () => {
    const src = source({ table_prefix: prefix });
    const [ref] = await src.streams(name, signal);
    const [seg] = await src.segments(ref!, 1);
    const { records } = await readAll(src, seg!, 1000);
    const r7 = records.find((r) => r.key['id'] === 7)!;
    expect(r7).toEqual({ key: { id: 7 }, value: { id: new Decimal('7'), label: 'r7' }, sizeBytes: 2 + 2 + 5 + 2 });
  });

  it('parallel-scan segments cover every item exactly once', async () => {
    const src = source({ table_prefix: prefix });
    const [ref] = await src.streams(name, signal);
    const segs = await src.segments(ref!, 4);
    expect(segs.map((s) => s.spec)).toEqual([0, 1, 2, 3].map((segment) => ({ segment, totalSegments: 4 })));
    expect(segs.map((s) => s.id)).toEqual([0, 1, 2, 3].map((i) => `${name}#${i}/4`));
    const parts = await Promise.all(segs.map((s) => readAll(src, s, 20)));
    for (const p of parts) expect(p.records.length).toBeGreaterThan(0);
    expect(ids(parts.flatMap((p) => p.records))).toEqual(all);
  });

  it('count is exact', async () => {
    const src = source({ table_prefix: prefix });
    const [ref] = await src.streams(name, signal);
    expect(await src.count(ref!, signal)).toBe(COUNT);
  });

  it('resuming after a cursor yields exactly the rest; the last cursor is null and yields nothing', async () => {
    const src = source({ table_prefix: prefix });
    const [ref] = await src.streams(name, signal);
    for (const seg of await src.segments(ref!, 2)) {
      const full = await readAll(src, seg, 7);
      expect(full.cursors.at(-1)).toBe('null');
      const cut = 3;
      const firstPart = full.records.slice(0, cut * 7);
      const cursor = full.cursors[cut - 1]!;
      expect(JSON.parse(cursor)).toEqual({ id: { N: expect.any(String) } });
      const rest = await readAll(src, seg, 11, cursor);
      expect(ids([...firstPart, ...rest.records])).toEqual(ids(full.records));
      expect(new Set(ids(rest.records)).size).toBe(rest.records.length);
      expect(ids(rest.records).some((i) => ids(firstPart).includes(i))).toBe(false);
      expect((await readAll(src, seg, 7, 'null')).records).toEqual([]);
    }
  });

  it('resumes a table keyed by binary and sort key (cursor in AttributeValue JSON, bytes base64)', async () => {
    const t = tables.add(tableName('bin'));
    await client.send(
      new CreateTableCommand({
        TableName: t,
        AttributeDefinitions: [{ AttributeName: 'h', AttributeType: 'B' }, { AttributeName: 'r', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'h', KeyType: 'HASH' }, { AttributeName: 'r', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const s = sink();
    const stream = { name: t, meta: { sourceMeta: { keySchema: [{ name: 'h', type: 'HASH', attrType: 'B' }, { name: 'r', type: 'RANGE', attrType: 'S' }] }, options: {} } };
    await s.prepare(stream, 'upsert', signal);
    const items = Array.from({ length: 40 }, (_, i) => s.toTarget(stream, { key: {}, value: { h: new Uint8Array([i % 5, 255]), r: `r${i}` } }));
    for (let i = 0; i < items.length; i += 25) await s.write(stream, items.slice(i, i + 25), signal);

    const src = source();
    const [ref] = await src.streams(t, signal);
    const [seg] = await src.segments(ref!, 1);
    const full = await readAll(src, seg!, 9);
    expect(full.records).toHaveLength(40);
    const cursor = JSON.parse(full.cursors[1]!) as Record<string, AttributeValue & { B?: unknown }>;
    expect(typeof cursor['h']!.B).toBe('string');
    const rest = await readAll(src, seg!, 9, full.cursors[1]);
    const keyOf = (r: FerryRecord) => `${String(r.key['h'])}/${String(r.key['r'])}`;
    expect([...full.records.slice(0, 18), ...rest.records].map(keyOf).sort()).toEqual(full.records.map(keyOf).sort());
    expect(full.records[0]!.key['h']).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });
});
