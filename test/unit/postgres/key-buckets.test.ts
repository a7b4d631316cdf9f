/**
 * The key-bucket SQL builder (src/connectors/postgres/key-buckets.ts): literal escaping, the identity expression per
 * column form, parameter numbering, and which types are accepted. Its agreement with md5Bucket is tested against a
 * real PostgreSQL in test/integration/postgres/key-buckets.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  bucketColumns,
  checkBucketNumbers,
  identitySql,
  keyBucketCondition,
  keyTextForm,
  sqlLiteral,
  type KeyColumnType,
} from '../../../src/connectors/postgres/key-buckets.js';

const base = (name: string): KeyColumnType => ({ name, kind: 'b', isArray: false });

describe('sqlLiteral', () => {
  it('doubles single quotes', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral("''")).toBe("''''''");
    expect(sqlLiteral('')).toBe("''");
  });

  it('writes backslashes in an E literal, so standard_conforming_strings does not matter', () => {
    expect(sqlLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(sqlLiteral("\\'")).toBe("E'\\\\'''");
  });

  it('leaves everything else as it is', () => {
    expect(sqlLiteral('Zoë "x" 東京 🚢 $$ --')).toBe(`'Zoë "x" 東京 🚢 $$ --'`);
  });
});

describe('identitySql', () => {
  it('one part: the name as a literal, the column quoted, NULL as null', () => {
    expect(identitySql([{ name: 'id', column: 'id', form: 'cast' }])).toBe(`'id=' || coalesce("id"::text, 'null')`);
  });

  it("a name with a single quote is escaped; a column with a double quote is quoted", () => {
    expect(identitySql([{ name: "O'Brien", column: 'we"ird', form: 'cast' }])).toBe(`'O''Brien=' || coalesce("we""ird"::text, 'null')`);
  });

  it('parts in the given order, joined by a comma and a space', () => {
    expect(
      identitySql([
        { name: 'a', column: 'col_a', form: 'cast' },
        { name: 'InvoiceId', column: 'invoice_id', form: 'cast' },
      ]),
    ).toBe(`'a=' || coalesce("col_a"::text, 'null') || ', ' || 'InvoiceId=' || coalesce("invoice_id"::text, 'null')`);
  });

  it('char(n) keeps its padding (concat, not ::text); dates go through the ISO year rewrite', () => {
    expect(identitySql([{ name: 'c', column: 'c', form: 'padded' }])).toBe(`'c=' || coalesce(CASE WHEN "c" IS NOT NULL THEN concat("c") END, 'null')`);
    const date = identitySql([{ name: 'd', column: 'd', form: 'date' }]);
    expect(date).toMatch(/^'d=' \|\| coalesce\(CASE WHEN NOT isfinite\("d"\) OR "d" BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' THEN "d"::text ELSE /);
    expect(date).not.toContain('\\');
  });
});

describe('keyBucketCondition', () => {
  it('hashes the UTF-8 identity and passes the bucket count and selection as parameters after those already there', () => {
    const values: unknown[] = ['lower', 'upper'];
    const sql = keyBucketCondition([{ name: "it's", column: 'id', form: 'cast' }], 65536, [3, 6064], values);
    expect(sql).toBe(
      `('x' || substr(md5(convert_to('it''s=' || coalesce("id"::text, 'null'), 'UTF8')), 1, 8))::bit(32)::int8 % $3::int8 = ANY($4::int8[])`,
    );
    expect(values).toEqual(['lower', 'upper', 65536, [3, 6064]]);
  });
});

describe('keyTextForm', () => {
  it.each(['int2', 'int4', 'int8', 'numeric', 'text', 'varchar', 'name', 'citext', 'uuid', 'bool'])('%s: ::text', (t) => {
    expect(keyTextForm(base(t))).toBe('cast');
  });

  it('enums, char(n) and dates', () => {
    expect(keyTextForm({ name: 'mood', kind: 'e', isArray: false })).toBe('cast');
    expect(keyTextForm(base('bpchar'))).toBe('padded');
    expect(keyTextForm(base('date'))).toBe('date');
  });

  it.each(['timestamptz', 'timestamp', 'time', 'timetz', 'float4', 'float8', 'bytea', 'json', 'jsonb', 'inet', 'interval', 'money', 'oid'])(
    '%s: refused',
    (t) => {
      expect(keyTextForm(base(t))).toBeUndefined();
    },
  );

  it('arrays, composites, ranges and unknown kinds are refused', () => {
    expect(keyTextForm({ name: '_int4', kind: 'b', isArray: true })).toBeUndefined();
    expect(keyTextForm({ name: 'pair', kind: 'c', isArray: false })).toBeUndefined();
    expect(keyTextForm({ name: 'int4range', kind: 'r', isArray: false })).toBeUndefined();
    expect(keyTextForm({ name: 'int4', kind: '?', isArray: false })).toBeUndefined();
  });
});

describe('bucketColumns', () => {
  const columns: Record<string, string> = { id: 'int4', created_at: 'timestamptz', code: 'bpchar' };
  const typeOf = (c: string) => (columns[c] ? { type: base(columns[c]), shown: columns[c] } : undefined);

  it('forms of every part, in the given order', () => {
    expect(bucketColumns('public.t', [{ name: 'Code', column: 'code' }, { name: 'Id', column: 'id' }], typeOf)).toEqual([
      { name: 'Code', column: 'code', form: 'padded' },
      { name: 'Id', column: 'id', form: 'cast' },
    ]);
  });

  it('says why not', () => {
    expect(bucketColumns('public.t', [{ name: 'id', column: 'id' }, { name: 'created_at', column: 'created_at' }], typeOf)).toBe(
      "key column created_at is timestamptz; its text differs from ferry's",
    );
    expect(bucketColumns('public.t', [{ name: 'x', column: 'missing' }], typeOf)).toBe('key column missing is not a column of public.t');
    expect(bucketColumns('public.t', [], typeOf)).toBe('no key parts to bucket by');
    expect(bucketColumns('public.t', [{ name: 'a\u0000b', column: 'id' }], typeOf)).toMatch(/NUL/);
  });
});

describe('checkBucketNumbers', () => {
  it('accepts bucket counts from 1 to 2^32 and buckets below the count', () => {
    expect(() => checkBucketNumbers(1, [0])).not.toThrow();
    expect(() => checkBucketNumbers(2 ** 32, [2 ** 32 - 1])).not.toThrow();
    expect(() => checkBucketNumbers(65536, [])).not.toThrow();
  });

  it('refuses anything else', () => {
    for (const [buckets, selected] of [
      [0, []],
      [1.5, []],
      [2 ** 32 + 1, []],
      [8, [8]],
      [8, [-1]],
      [8, [1.5]],
    ] as const) {
      expect(() => checkBucketNumbers(buckets, selected), `${buckets} ${selected.join()}`).toThrow(/key buckets/);
    }
  });
});
