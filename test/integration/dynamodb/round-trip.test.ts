/**
 * Every value type through the sink (toTarget → BatchWriteItem) and back through the source (Scan): what is read
 * equals what toTarget said the table would hold, so a checksum of both sides agrees.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, TimeValue, TypedSet, type Doc, type FerryRecord, type Value } from '../../../src/core/record.js';
import type { StreamRef } from '../../../src/core/stream.js';
import { record, signal, sink, source, tableName, Tables, targetStream } from './helpers.js';

const tables = new Tables();
afterAll(() => tables.drop());

const columns = [
  { name: 'id', type: 'integer' },
  { name: 'doc', type: 'jsonb' },
  { name: 'list', type: 'json' },
  { name: 'tags', type: 'text[]', isArray: true },
  { name: 'nums', type: 'numeric[]', isArray: true },
  { name: 'ts', type: 'timestamp with time zone' },
];

/** A row as the Postgres source produces it, with every neutral value type. */
function row(id: number): FerryRecord {
  return record(id, {
    small: 42,
    float: 0.1,
    negative: -17.25,
    huge: 2n ** 70n,
    dec: new Decimal('12345678901234567890.1234567890000'),
    tiny: new Decimal('1E-100'),
    text: 'zoë 東京 🚢 — "quotes" \\ #',
    empty: '',
    yes: true,
    no: false,
    nothing: null,
    ts: new TimeValue('timestamp', '2024-01-31T12:34:56.123456Z'),
    day: new TimeValue('date', '2024-02-29'),
    clock: new TimeValue('time', '23:59:59.999999+05:30'),
    js: new Date('1999-12-31T23:59:59.999Z'),
    bytes: new Uint8Array([0, 1, 2, 254, 255]),
    emptyBytes: new Uint8Array(),
    uuid: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
    doc: { a: new Decimal('1.50'), nested: { list: [1, 'two', null, { deep: true }], empty: {} }, 'odd key.with$': 'v' },
    list: [new Decimal('3'), 'x', [], { k: null }],
    tags: ['b', 'a', 'b'],
    nums: [new Decimal('1.0'), new Decimal('2'), new Decimal('1')],
    ss: new TypedSet('string', ['x', 'y', 'x']),
    ns: new TypedSet('number', [new Decimal('10'), new Decimal('0.5')]),
    bs: new TypedSet('binary', [new Uint8Array([1]), new Uint8Array([2, 3])]),
  });
}

/** Sets come back in no particular order: sort them for comparison. */
function sortSets(v: Value): Value {
  if (v instanceof TypedSet) {
    const text = (x: string | Decimal | Uint8Array) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : String(x));
    return new TypedSet(v.kind, [...v.values].sort((a, b) => text(a).localeCompare(text(b))));
  }
  if (Array.isArray(v)) return (v as Value[]).map(sortSets);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v as Doc).map(([k, x]) => [k, sortSets(x)]));
  }
  return v;
}

async function roundTrip(options: Record<string, unknown>): Promise<{ written: FerryRecord[]; read: FerryRecord[]; stream: StreamRef; table: string }> {
  const table = tables.add(tableName('rt'));
  const s = sink({ create: true });
  const stream = targetStream(table, { columns, options });
  await s.prepare(stream, 'upsert', signal);
  const written = [1, 2, 3].map((i) => s.toTarget(stream, row(i)));
  const res = await s.write(stream, written, signal);
  expect(res).toEqual({ accepted: 3, retry: [], rejected: [] });

  const src = source();
  const [ref] = await src.streams(table, signal);
  const [seg] = await src.segments(ref!, 1);
  const read: FerryRecord[] = [];
  for await (const b of src.read({ segment: seg!, batchSize: 100, signal })) read.push(...b.items);
  read.sort((a, b) => (a.key['id'] as number) - (b.key['id'] as number));
  return { written, read, stream, table };
}

const view = (r: FerryRecord) => ({ key: r.key, value: sortSets(r.value as Doc) });

describe('DynamoDB round trip: sink then source', () => {
  it('default rules: every value reads back equal to what toTarget produced', async () => {
    const { written, read } = await roundTrip({});
    expect(read.map(view)).toEqual(written.map(view));
    const v = read[0]!.value as Doc;
    expect(v['huge']).toEqual(new Decimal('1180591620717411303424'));
    expect(v['dec']).toEqual(new Decimal('12345678901234567890.123456789'));
    expect(v['ts']).toBe('2024-01-31T12:34:56.123456Z');
    expect(v['tags']).toEqual(['b', 'a', 'b']);
    expect(v['doc']).toMatchObject({ a: new Decimal('1.5') });
    expect(read[0]!.key).toEqual({ id: 1 });
  });

  it('epoch timestamps, JSON as text, arrays as sets: read back equal too', async () => {
    const { written, read } = await roundTrip({ timestamps: 'epoch_millis', json: 'string', arrays: 'set' });
    expect(read.map(view)).toEqual(written.map(view));
    const v = read[0]!.value as Doc;
    expect(v['ts']).toEqual(new Decimal('1706704496123.456'));
    expect(v['js']).toEqual(new Decimal('946684799999'));
    expect(typeof v['doc']).toBe('string');
    expect(JSON.parse(v['doc'] as string)).toMatchObject({ a: 1.5 });
    expect(sortSets(v['tags']!)).toEqual(new TypedSet('string', ['a', 'b']));
  });

  it('toTarget of a record read from DynamoDB is that record (DynamoDB → DynamoDB is the identity)', async () => {
    const { read, table } = await roundTrip({});
    const s = sink();
    const [ref] = await source().streams(table, signal);
    const again = { name: 'copy', meta: { source: ref!.name, sourceMeta: ref!.meta, options: {} } };
    for (const r of read) expect(view(s.toTarget(again, r))).toEqual(view({ key: r.key, value: r.value }));
  });
});
