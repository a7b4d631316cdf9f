import { describe, expect, it } from 'vitest';
import { PRICE_NAMES } from '../../../src/dry-run/price-units.js';
import { loadPriceTable, parsePriceTable, priceOf, withOverrides } from '../../../src/dry-run/prices.js';
import { loadPlanText, PlanError } from '../../../src/plan/index.js';

const table = (prices: string): string => `date: 2026-11-01\ncurrency: USD\nprices:\n${prices}`;

describe('price table', () => {
  it('the built-in table is dated, in USD, and prices every known name', () => {
    const t = loadPriceTable();
    expect(t.date).toBe('2026-11-01');
    expect(t.currency).toBe('USD');
    expect(Object.keys(t.prices).sort()).toEqual([...PRICE_NAMES].sort());
    expect(t.info).toEqual({ date: '2026-11-01', currency: 'USD', source: 'built-in (prices/cloud-prices.yaml)', overridden: [] });
    // Spot checks of list prices as of the table's date.
    expect(t.prices.dynamodb_write_request_units).toBe(0.625);
    expect(t.prices.s3_put_requests).toBe(0.005);
    expect(t.prices.aws_egress_internet_gb).toBe(0.09);
  });

  it('refuses a table that misses a price or names an unknown one (never priced at 0 by omission)', () => {
    const all = PRICE_NAMES.map((n) => `  ${n}: 1`).join('\n');
    expect(() => parsePriceTable(table(all.replace(/\n  firestore_reads: 1/, '')), 'p.yaml')).toThrow(/no price for firestore_reads/);
    expect(() => parsePriceTable(table(`${all}\n  dynamodb_write_request_unit: 2`), 'p.yaml')).toThrow(/unknown price "dynamodb_write_request_unit"; did you mean "dynamodb_write_request_units"/);
    expect(() => parsePriceTable(table(all.replace('s3_put_requests: 1', 's3_put_requests: -1')), 'p.yaml')).toThrow(/s3_put_requests must be a number ≥ 0/);
    expect(() => parsePriceTable('currency: USD\nprices: {}', 'p.yaml')).toThrow(/date/);
  });

  it('plan overrides replace prices by name and are listed; the date stays the table\'s', () => {
    const t = withOverrides(loadPriceTable(), { dynamodb_write_request_units: 1.25 });
    expect(t.prices.dynamodb_write_request_units).toBe(1.25);
    expect(t.info.overridden).toEqual(['dynamodb_write_request_units']);
    expect(t.info.date).toBe('2026-11-01');
    expect(t.info.source).toContain('plan overrides');
    expect(priceOf(t, 'dynamodb_write_request_units', 2_000_000)).toMatchObject({ amount: 2.5, per: 1_000_000, unit: 'WRU' });
  });

  it('a plan\'s prices: block is validated: unknown names with did-you-mean, numbers ≥ 0', () => {
    const plan = (prices: string): string =>
      [
        'version: 1',
        'kind: migration',
        'name: p',
        'source: { type: postgres, url: "postgres://h/db" }',
        'target: { type: dynamodb, region: us-east-1 }',
        'streams:',
        '  - from: public.a',
        'prices:',
        prices,
      ].join('\n');
    expect(loadPlanText(plan('  gcs_class_a_operations: 0.0065'), 'p.yaml').plan.prices).toEqual({ gcs_class_a_operations: 0.0065 });
    let err: PlanError | undefined;
    try {
      loadPlanText(plan('  gcs_class_a_operation: 1\n  firestore_writes: -2'), 'p.yaml');
    } catch (e) {
      err = e as PlanError;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect(err!.format()).toContain('p.yaml:9:3: prices.gcs_class_a_operation: unknown key; did you mean "gcs_class_a_operations"?');
    expect(err!.format()).toContain('prices.firestore_writes: must be a number ≥ 0');
  });
});
