/**
 * The dated price table (prices/cloud-prices.yaml, loaded with `yaml`) and the plan's overrides (`prices:`).
 * A table that lacks a known price, or has one this code does not know, is refused: a dry run must not price
 * something at 0 by omission.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { FerryError } from '../errors.js';
import { suggestion } from '../plan/did-you-mean.js';
import type { PriceTableInfo } from './report.js';
import { isPriceName, PRICE_NAMES, PRICE_UNITS, type PriceName } from './price-units.js';

export const DEFAULT_PRICE_FILE = path.resolve(import.meta.dirname, '../../prices/cloud-prices.yaml');

export interface PriceTable {
  /** ISO date the prices were checked. */
  date: string;
  currency: string;
  prices: Record<PriceName, number>;
  info: PriceTableInfo;
}

function bad(file: string, why: string): FerryError {
  return new FerryError('CONFIG', `price table ${file}: ${why}`, {
    hint: 'restore prices/cloud-prices.yaml from the ferry sources, or fix the entry named',
  });
}

/** Parse price-table YAML text (`file` names it in messages). */
export function parsePriceTable(text: string, file: string): PriceTable {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw bad(file, `not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof doc !== 'object' || doc === null) throw bad(file, 'not a mapping');
  const d = doc as Record<string, unknown>;
  // YAML 1.2 reads `2026-11-01` as a string; a YAML 1.1 reader could make it a date: accept both.
  const rawDate = d['date'] instanceof Date ? d['date'].toISOString().slice(0, 10) : d['date'];
  if (typeof rawDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(rawDate)) throw bad(file, '`date:` must be YYYY-MM-DD');
  if (typeof d['currency'] !== 'string' || d['currency'] === '') throw bad(file, '`currency:` is missing');
  const given = d['prices'];
  if (typeof given !== 'object' || given === null) throw bad(file, '`prices:` is missing');
  const prices: Partial<Record<PriceName, number>> = {};
  for (const [name, v] of Object.entries(given as Record<string, unknown>)) {
    if (!isPriceName(name)) throw bad(file, `unknown price "${name}"${suggestion(name, PRICE_NAMES)}`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(file, `${name} must be a number ≥ 0`);
    prices[name] = v;
  }
  const missing = PRICE_NAMES.filter((n) => prices[n] === undefined);
  if (missing.length > 0) throw bad(file, `no price for ${missing.join(', ')}`);
  return {
    date: rawDate,
    currency: d['currency'],
    prices: prices as Record<PriceName, number>,
    info: { date: rawDate, currency: d['currency'], source: `built-in (prices/${path.basename(file)})`, overridden: [] },
  };
}

export function loadPriceTable(file: string = DEFAULT_PRICE_FILE): PriceTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw bad(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parsePriceTable(text, file);
}

/**
 * The table with the plan's `prices:` applied (names and values were validated by the plan schema). The info says
 * which were overridden; the date stays the table's, since the others are still its prices.
 */
export function withOverrides(table: PriceTable, overrides: Record<string, unknown> | undefined): PriceTable {
  if (!overrides) return table;
  const prices = { ...table.prices };
  const overridden: string[] = [];
  for (const [name, v] of Object.entries(overrides)) {
    if (!isPriceName(name)) {
      throw new FerryError('PLAN_INVALID', `prices.${name}: unknown price${suggestion(name, PRICE_NAMES)}`, { hint: `known prices: ${PRICE_NAMES.join(', ')}` });
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FerryError('PLAN_INVALID', `prices.${name}: must be a number ≥ 0`);
    prices[name] = v;
    overridden.push(name);
  }
  if (overridden.length === 0) return table;
  return {
    ...table,
    prices,
    info: { ...table.info, source: `${table.info.source} with plan overrides`, overridden: overridden.sort() },
  };
}

/** Price of `quantity` units of `name`, in the table's currency. */
export function priceOf(table: PriceTable, name: PriceName, quantity: number): { unitPrice: number; per: number; amount: number; unit: string; what: string } {
  const u = PRICE_UNITS[name];
  const unitPrice = table.prices[name];
  return { unitPrice, per: u.per, amount: (quantity / u.per) * unitPrice, unit: u.unit, what: u.what };
}
