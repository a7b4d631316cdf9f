import { describe, expect, it } from 'vitest';
import { Decimal, type Doc, type FerryRecord } from '../../../src/core/record.js';
import { applyFieldMap, compileFieldMap, compileTemplate, FieldMapError, isIdentityMap } from '../../../src/transform/field-map.js';

const rec = (value: Doc, key: FerryRecord['key'] = { invoice_id: 42 }): FerryRecord<Doc> => ({ key, value, sizeBytes: 99 });

describe('field map', () => {
  it('is the identity without a map (and keeps the size estimate)', () => {
    const r = rec({ a: 1 });
    expect(applyFieldMap(undefined, r)).toBe(r);
    expect(applyFieldMap({ exclude: [], rename: {} }, r)).toBe(r);
    expect(isIdentityMap({ nulls: 'null' })).toBe(true);
    expect(isIdentityMap({ nulls: 'omit' })).toBe(false);
  });

  it('includes, excludes, renames, sets, in that order; templates read the source record', () => {
    const out = applyFieldMap(
      {
        include: ['invoice_id', 'billing_country', 'billing_postal_code', 'total'],
        exclude: ['billing_postal_code'],
        rename: { billing_country: 'country', invoice_id: 'id' },
        set: { pk: 'INVOICE#${invoice_id}', sk: '${billing_postal_code}/$${literal}', total_copy: '${total}' },
      },
      rec({ invoice_id: 42, billing_country: 'NO', billing_postal_code: '0171', total: new Decimal('3.96'), comment: 'x' }),
    );
    expect(out.value).toEqual({ id: 42, country: 'NO', total: new Decimal('3.96'), pk: 'INVOICE#42', sk: '0171/${literal}', total_copy: new Decimal('3.96') });
    expect(out.sizeBytes).toBeUndefined();
  });

  it('copies the value with its type when the template is one placeholder; reads nested fields', () => {
    const when = new Date('2024-01-02T03:04:05Z');
    const out = applyFieldMap({ set: { n: '${n}', d: '${when}', t: 'at ${when}', city: '${address.city}' } }, rec({ n: 7, when, address: { city: 'Oslo' } }));
    expect(out.value).toMatchObject({ n: 7, d: when, t: 'at 2024-01-02T03:04:05.000Z', city: 'Oslo' });
  });

  it('makes an unknown or null template field a per-record error, and a non-scalar inside text too', () => {
    const m = compileFieldMap({ set: { pk: 'A#${missing}' } });
    expect(() => m(rec({ a: 1 }))).toThrow(FieldMapError);
    expect(() => m(rec({ a: 1 }))).toThrow('set.pk: the record has no field "missing"');
    expect(() => compileFieldMap({ set: { pk: '${a}' } })(rec({ a: null }))).toThrow('field "a" is null');
    expect(() => compileFieldMap({ set: { pk: 'x${a}' } })(rec({ a: { b: 1 } }))).toThrow('not a scalar');
    try {
      m(rec({}));
    } catch (e) {
      expect(e).toMatchObject({ code: 'ITEM_REJECTED', retry: 'terminal' });
    }
  });

  it('refuses a malformed template when the map is compiled', () => {
    expect(() => compileTemplate('a${b')).toThrow(/unclosed/);
    expect(() => compileFieldMap({ set: { x: '${}' } })).toThrow(/empty/);
  });

  it('omits nulls on request, keeps them by default', () => {
    expect(applyFieldMap({ nulls: 'omit' }, rec({ a: null, b: 1 })).value).toEqual({ b: 1 });
    expect(applyFieldMap({ rename: { b: 'c' } }, rec({ a: null, b: 1 })).value).toEqual({ a: null, c: 1 });
  });

  it('renames key parts with their fields and follows a set that overwrites a key field', () => {
    expect(applyFieldMap({ rename: { invoice_id: 'id' } }, rec({ invoice_id: 42 })).key).toEqual({ id: 42 });
    expect(applyFieldMap({ set: { invoice_id: 'INV-${invoice_id}' } }, rec({ invoice_id: 42 })).key).toEqual({ invoice_id: 'INV-42' });
    // Excluding a key field keeps the record's identity.
    expect(applyFieldMap({ exclude: ['invoice_id'] }, rec({ invoice_id: 42, a: 1 }))).toEqual({ key: { invoice_id: 42 }, value: { a: 1 } });
  });

  it('is pure: the input record is not touched', () => {
    const r = rec({ a: 1, b: null });
    const snapshot = structuredClone(r);
    applyFieldMap({ rename: { a: 'x' }, nulls: 'omit', set: { k: '${a}' } }, r);
    expect(r).toEqual(snapshot);
  });

  it('refuses non-document values', () => {
    expect(() => compileFieldMap({ exclude: ['a'] })({ key: { k: 'x' }, value: new Uint8Array(1) as unknown as Doc })).toThrow(/not a document/);
  });
});
