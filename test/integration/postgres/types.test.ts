/**
 * Every PostgreSQL type the source maps, read through the source and compared with the exact neutral value it must
 * become (README, "PostgreSQL source": the type table).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, TimeValue, type Doc } from '../../../src/core/record.js';
import type { PostgresSource } from '../../../src/connectors/postgres/source.js';
import { createDatabase, listOne, openSource, readStream, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let source: PostgresSource;
let rows: Map<number, Doc>;

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const ts = (iso: string) => new TimeValue('timestamp', iso);

beforeAll(async () => {
  db = await createDatabase('pg_types');
  const c = db.client;
  await c.query(`
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
    CREATE TABLE all_types (
      id int PRIMARY KEY,
      i2 smallint, i4 integer, i8 bigint, num numeric, num2 numeric(10, 2), f4 real, f8 double precision,
      t text, vc varchar(20), ch char(5), nm name, ci citext, b boolean,
      d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, u uuid,
      j json, jb jsonb, ta text[], ia2 int[][], ba bytea, mo mood, moa mood[], iv interval, mn money,
      ip inet, net cidr, mac macaddr, pt point, tsv tsvector, x xml, bt bit(4), vb varbit, r int4range, dom posint,
      boxes box[], tsa timestamptz[], numa numeric[], ja jsonb[], baa bytea[], oidc oid
    )`);
  await c.query(`INSERT INTO all_types VALUES (
      1,
      32767, -2147483648, 9223372036854775807, 12345678901234567890.123456789, -12.3, 'NaN', 'Infinity',
      'Zoë Ångström — 東京 🚢', 'Привет', 'ab', 'a_name', 'MiXeD', true,
      '2024-02-29', '2024-01-31 12:34:56.123456', '2024-03-01 02:00:00.000001+05', '12:34:56.789', '12:00:00+05', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      '{"big": 12345678901234567890, "f": 1.5, "s": "x", "a": [1, null, true], "__proto__": {"p": 1}}',
      '{"big": -98765432109876543210, "small": 42, "pi": 3.141592653589793, "long": 0.12345678901234567890123}',
      '{a,"b c",NULL,"NULL","","q\\"uote"}', '{{1,2},{3,4}}', $1, 'happy', '{sad,happy}', '1 year 2 mons 3 days 04:05:06.5', 12.34,
      '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '(1,2)', 'b a', '<a>1</a>', B'1010', B'101', '[1,5)', 5,
      ARRAY[box '((1,2),(3,4))', box '((0,0),(1,1))'], ARRAY['2024-01-01 00:00:00+01'::timestamptz, NULL], '{1.50,NaN,-7}',
      ARRAY['{"k": [1, 2]}'::jsonb, 'null'::jsonb], ARRAY['\\x00ff'::bytea], 4000000000
    )`, [Buffer.from(allBytes)]);
  await c.query('INSERT INTO all_types (id) VALUES (2)');
  await c.query(`INSERT INTO all_types (id, f4, f8, d, ts, tstz, num, i8, tmtz, ia2) VALUES
      (3, 1.5, '-Infinity', 'infinity', '-infinity', '0044-03-15 00:00:00+00 BC', '-Infinity', -9223372036854775808, '23:59:59.999999-03:30', '[0:1][1:1]={{7},{8}}'),
      (4, '-0', 0.1, '0044-03-15 BC', '10000-01-01 00:00:00', '1800-01-01 12:00:00+00:19:32', 'NaN', 0, '00:00:00+00', '{}')`);
  source = await openSource(db.url);
  const ref = await listOne(source, 'public.all_types');
  const { records } = await readStream(source, ref, 1, 2);
  rows = new Map(records.map((r) => [r.key['id'] as number, r.value as Doc]));
});

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  await db?.drop();
});

describe('PostgreSQL values → neutral values', () => {
  it('numbers: int2/int4 numbers, int8 bigint, numeric exact Decimal, floats with NaN and infinities', () => {
    const r = rows.get(1)!;
    expect(r['i2']).toBe(32767);
    expect(r['i4']).toBe(-2147483648);
    expect(r['i8']).toBe(9223372036854775807n);
    expect(r['num']).toEqual(new Decimal('12345678901234567890.123456789'));
    expect(r['num2']).toEqual(new Decimal('-12.30'));
    expect(r['f4']).toBeNaN();
    expect(r['f8']).toBe(Number.POSITIVE_INFINITY);
    expect(r['oidc']).toBe(4000000000);
    expect(rows.get(3)!['f8']).toBe(Number.NEGATIVE_INFINITY);
    expect(rows.get(3)!['f4']).toBe(1.5);
    expect(rows.get(3)!['num']).toEqual(new Decimal('-Infinity'));
    expect(rows.get(3)!['i8']).toBe(-9223372036854775808n);
    expect(rows.get(4)!['num']).toEqual(new Decimal('NaN'));
    expect(rows.get(4)!['f8']).toBe(0.1);
    expect(Object.is(rows.get(4)!['f4'], -0)).toBe(true);
  });

  it('text types, boolean, uuid, enum: strings (char keeps its padding), non-ASCII intact', () => {
    const r = rows.get(1)!;
    expect(r['t']).toBe('Zoë Ångström — 東京 🚢');
    expect(r['vc']).toBe('Привет');
    expect(r['ch']).toBe('ab   ');
    expect(r['nm']).toBe('a_name');
    expect(r['ci']).toBe('MiXeD');
    expect(r['b']).toBe(true);
    expect(r['u']).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(r['mo']).toBe('happy');
    expect(r['moa']).toEqual(['sad', 'happy']);
    expect(r['dom']).toBe(5);
  });

  it('dates, times and timestamps: TimeValue in UTC with microseconds; infinities as strings; BC and 5-digit years', () => {
    const r = rows.get(1)!;
    expect(r['d']).toEqual(new TimeValue('date', '2024-02-29'));
    expect(r['ts']).toEqual(ts('2024-01-31T12:34:56.123456Z'));
    expect(r['tstz']).toEqual(ts('2024-02-29T21:00:00.000001Z'));
    expect(r['tm']).toEqual(new TimeValue('time', '12:34:56.789'));
    expect(r['tmtz']).toEqual(new TimeValue('time', '12:00:00+05:00'));
    expect(r['tsa']).toEqual([ts('2023-12-31T23:00:00Z'), null]);
    const r3 = rows.get(3)!;
    expect(r3['d']).toBe('infinity');
    expect(r3['ts']).toBe('-infinity');
    expect(r3['tstz']).toEqual(ts('-000043-03-15T00:00:00Z'));
    expect(r3['tmtz']).toEqual(new TimeValue('time', '23:59:59.999999-03:30'));
    const r4 = rows.get(4)!;
    expect(r4['d']).toEqual(new TimeValue('date', '-000043-03-15'));
    expect(r4['ts']).toEqual(ts('+010000-01-01T00:00:00Z'));
    expect(r4['tstz']).toEqual(ts('1800-01-01T11:40:28Z'));
  });

  it('json and jsonb: parsed; integers beyond 2^53 and long fractions stay exact as Decimal; __proto__ stays data', () => {
    const j = rows.get(1)!['j'] as Doc;
    expect(j['big']).toEqual(new Decimal('12345678901234567890'));
    expect(j['f']).toBe(1.5);
    expect(j['s']).toBe('x');
    expect(j['a']).toEqual([1, null, true]);
    expect(Object.getPrototypeOf(j)).toBe(Object.prototype);
    expect(Object.keys(j)).toContain('__proto__');
    const jb = rows.get(1)!['jb'] as Doc;
    expect(jb['big']).toEqual(new Decimal('-98765432109876543210'));
    expect(jb['small']).toBe(42);
    expect(jb['pi']).toBe(3.141592653589793);
    expect(jb['long']).toEqual(new Decimal('0.12345678901234567890123'));
    expect(rows.get(1)!['ja']).toEqual([{ k: [1, 2] }, null]);
  });

  it('arrays: nested, NULL elements, quoted "NULL", escapes, box with its ; delimiter, lower bounds dropped', () => {
    const r = rows.get(1)!;
    expect(r['ta']).toEqual(['a', 'b c', null, 'NULL', '', 'q"uote']);
    expect(r['ia2']).toEqual([[1, 2], [3, 4]]);
    expect(r['boxes']).toEqual(['(3,4),(1,2)', '(1,1),(0,0)']);
    expect(r['numa']).toEqual([new Decimal('1.50'), new Decimal('NaN'), new Decimal('-7')]);
    expect(r['baa']).toEqual([Uint8Array.from([0, 255])]);
    expect(rows.get(3)!['ia2']).toEqual([[7], [8]]);
    expect(rows.get(4)!['ia2']).toEqual([]);
  });

  it('bytea: a plain Uint8Array with all 256 byte values', () => {
    const ba = rows.get(1)!['ba'] as Uint8Array;
    expect(ba.constructor).toBe(Uint8Array);
    expect(ba.byteLength).toBe(256);
    expect(ba.buffer.byteLength).toBe(256);
    expect([...ba]).toEqual([...allBytes]);
  });

  it('everything else: the text PostgreSQL prints (interval in ISO 8601)', () => {
    const r = rows.get(1)!;
    expect(r['iv']).toBe('P1Y2M3DT4H5M6.5S');
    expect(r['mn']).toMatch(/12\.34/);
    expect(r['ip']).toBe('192.168.0.1/24');
    expect(r['net']).toBe('10.0.0.0/8');
    expect(r['mac']).toBe('08:00:2b:01:02:03');
    expect(r['pt']).toBe('(1,2)');
    expect(r['tsv']).toBe("'a' 'b'");
    expect(r['x']).toBe('<a>1</a>');
    expect(r['bt']).toBe('1010');
    expect(r['vb']).toBe('101');
    expect(r['r']).toBe('[1,5)');
  });

  it('NULLs are null, every column present', () => {
    const r = rows.get(2)!;
    expect(Object.keys(r)).toHaveLength(45);
    for (const [k, v] of Object.entries(r)) if (k !== 'id') expect(v, k).toBeNull();
  });

  it('describes the columns in StreamRef.meta with format_type names, enums marked', async () => {
    const ref = await listOne(source, 'all_types');
    const meta = ref.meta as Record<string, any>;
    expect(meta).toMatchObject({ schema: 'public', table: 'all_types', kind: 'table', keyColumns: ['id'], keyTypes: ['integer'], keySource: 'primary key', snapshot: true });
    const col = (name: string) => (meta['columns'] as any[]).find((c) => c.name === name);
    expect(col('id')).toEqual({ name: 'id', type: 'integer', udtName: 'int4', nullable: false, isArray: false });
    expect(col('num2')).toMatchObject({ type: 'numeric(10,2)', udtName: 'numeric', nullable: true });
    expect(col('tstz')).toMatchObject({ type: 'timestamp with time zone', udtName: 'timestamptz' });
    expect(col('ta')).toMatchObject({ type: 'text[]', udtName: '_text', isArray: true, elementType: 'text' });
    expect(col('mo')).toMatchObject({ type: 'mood', udtName: 'mood', isArray: false, enumValues: ['sad', 'ok', 'happy'] });
    expect(col('moa')).toMatchObject({ type: 'mood[]', isArray: true, elementType: 'mood', enumValues: ['sad', 'ok', 'happy'] });
    expect(col('dom')).toMatchObject({ type: 'posint', udtName: 'posint', isArray: false });
    expect(JSON.parse(JSON.stringify(meta))).toEqual(meta);
  });

  it('keys records by the primary key, with a size estimate', async () => {
    const ref = await listOne(source, 'all_types');
    const { records } = await readStream(source, ref, 1, 10);
    expect(records.map((r) => r.key)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
    expect(records[0]!.sizeBytes).toBeGreaterThan(512);
  });
});
