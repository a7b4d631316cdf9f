/**
 * The DynamoDB source of `dynamodb-firestore`: N realistic mixed-type items of about 300 bytes each (DynamoDB's
 * item size), every value a function of the item's number, so two runs with the same N read the same bytes.
 *
 * | attribute    | type | example                                                  |
 * | ------------ | ---- | -------------------------------------------------------- |
 * | id           | N    | 42 (the partition key; the Firestore document id)        |
 * | customer     | S    | Customer 3f2a9c1e                                        |
 * | email        | S    | user42@a87ff6.example.com                                |
 * | plan         | S    | pro                                                      |
 * | balance      | N    | 12345.67 (decimal)                                       |
 * | visits       | N    | 1302 (integer)                                           |
 * | score        | N    | -12.345 (decimal, signed)                                |
 * | active       | BOOL | true                                                     |
 * | referrer     | NULL | or S for one item in five                                |
 * | created_at   | S    | 2021-03-04T05:06:07.089Z                                 |
 * | address      | M    | { street, city, zip, geo: { lat, lon } } (nested map)    |
 * | orders       | L    | 1–2 maps { sku, qty, price }                             |
 * | tags         | SS   | 1–3 distinct strings                                     |
 * | avatar       | B    | 16 bytes                                                 |
 *
 * The table (`ferry_bench_items`, key `id` N) is loaded with parallel BatchWriteItem calls, then tagged with the
 * generator version and N: a table already tagged so (and holding N items) is reused by the next bench.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { writeParallel, type Interrupted } from './baselines.js';
import { countItems, createTable, tableTag, tagTable, TABLE_PREFIX, type Item } from './dynamo.js';

export const SOURCE_TABLE = `${TABLE_PREFIX}items`;
/** Changes whenever the generator below changes, so an old table is not taken for a new one. */
const GENERATOR_VERSION = 1;
const TAG = 'ferry-bench';

const PLANS = ['free', 'pro', 'team', 'enterprise'];
const CITIES = ['Lisbon', 'Porto', 'Berlin', 'Lyon', 'Austin', 'Osaka', 'Leeds', 'Turin', 'Quebec', 'Perth'];
const TAGS = ['vip', 'beta', 'churn-risk', 'newsletter', 'partner', 'eu', 'us', 'apac'];
const EPOCH_2020 = Date.UTC(2020, 0, 1);

/** A decimal with `digits` fraction digits, in its shortest exact text (what `String(number)` prints). */
const decimal = (units: number, digits: number): string => String(units / 10 ** digits);

/** Item number `g` (1-based). */
export function benchItem(g: number): Item {
  const h = createHash('md5').update(`ferry-bench/${g}`).digest();
  const hex = h.toString('hex');
  const u = (i: number): number => h.readUInt32BE(i);
  const orders: AttributeValue[] = [];
  for (let k = 0; k < 1 + (g % 2); k++) {
    orders.push({
      M: {
        sku: { S: `SKU-${(u(k) % 100000).toString().padStart(5, '0')}` },
        qty: { N: String(1 + ((g + k) % 9)) },
        price: { N: decimal(99 + ((u(k + 1) + k * 7919) % 50000), 2) },
      },
    });
  }
  const tags = new Set<string>();
  for (let k = 0; k < 1 + (g % 3); k++) tags.add(TAGS[(h[k]! + k) % TAGS.length]!);
  return {
    id: { N: String(g) },
    customer: { S: `Customer ${hex.slice(0, 8)}` },
    email: { S: `user${g}@${hex.slice(8, 14)}.example.com` },
    plan: { S: PLANS[g % PLANS.length]! },
    balance: { N: decimal((g * 7919) % 10_000_000, 2) },
    visits: { N: String(u(4) % 5000) },
    score: { N: decimal((u(8) % 200_001) - 100_000, 3) },
    active: { BOOL: g % 3 !== 0 },
    referrer: g % 5 === 0 ? { S: `https://ref.example.org/${hex.slice(14, 20)}` } : { NULL: true },
    created_at: { S: new Date(EPOCH_2020 + g * 37_000 + (u(12) % 1000)).toISOString() },
    address: {
      M: {
        street: { S: `${1 + (g % 999)} ${hex.slice(20, 26)} Street` },
        city: { S: CITIES[g % CITIES.length]! },
        zip: { S: String(10000 + (u(2) % 90000)) },
        geo: { M: { lat: { N: decimal((u(6) % 18_000_001) - 9_000_000, 5) }, lon: { N: decimal((u(10) % 36_000_001) - 18_000_000, 5) } } },
      },
    },
    orders: { L: orders },
    tags: { SS: [...tags] },
    avatar: { B: Uint8Array.from(h) },
  };
}

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Bytes of a number as DynamoDB counts them: about one per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (v.BS !== undefined) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + utf8(k) + 1 + valueBytes(x), 0);
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueBytes(x), 0);
  return 0;
}

/** An item's size by DynamoDB's rules (attribute names plus values), as an estimate. */
export function itemBytes(item: Item): number {
  return Object.entries(item).reduce((n, [k, v]) => n + utf8(k) + valueBytes(v), 0);
}

/** Average item size over the first `sample` items. */
export function averageItemBytes(items: number, sample = 1000): number {
  const k = Math.min(items, sample);
  let total = 0;
  for (let g = 1; g <= k; g++) total += itemBytes(benchItem(g));
  return Math.round(total / k);
}

function fromAttribute(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL !== undefined) return null;
  if (v.B !== undefined) return Buffer.from(v.B);
  if (v.M !== undefined) return toFirestoreData(v.M);
  if (v.L !== undefined) return v.L.map(fromAttribute);
  if (v.SS !== undefined) return [...v.SS].sort();
  if (v.NS !== undefined) return v.NS.map(Number).sort((a, b) => a - b);
  if (v.BS !== undefined) return v.BS.map((b) => Buffer.from(b));
  throw new Error(`unknown DynamoDB value ${JSON.stringify(Object.keys(v))}`);
}

/**
 * The textbook DynamoDB → Firestore conversion an application writes by hand (the baselines' documents): S → string,
 * N → number, BOOL, NULL → null, B → Buffer (bytes), M → map, L → array, sets → sorted arrays. The same document
 * shape ferry writes for these items.
 */
export function toFirestoreData(item: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = fromAttribute(v);
  return out;
}

export interface SourceInfo {
  table: string;
  items: number;
  reused: boolean;
  /** Seconds the load took (0 when reused). */
  seconds: number;
  avgItemBytes: number;
}

/** Make sure `ferry_bench_items` holds exactly this generator's `items` items. */
export async function ensureSourceTable(client: DynamoDBClient, items: number, log: (line: string) => void, interrupted: Interrupted): Promise<SourceInfo> {
  const table = SOURCE_TABLE;
  const tag = `generator v${GENERATOR_VERSION}, ${items} items`;
  const avgItemBytes = averageItemBytes(items);
  if ((await tableTag(client, table, TAG)) === tag) {
    // The tag is set last: a table with it is complete. Still, check the count is what it claims.
    const counted = await countItems(client, table);
    if (counted === items) {
      log(`reusing the DynamoDB table ${table} (${items.toLocaleString('en-US')} items of generator v${GENERATOR_VERSION})`);
      return { table, items, reused: true, seconds: 0, avgItemBytes };
    }
  }
  log(`loading ${items.toLocaleString('en-US')} items (about ${avgItemBytes} bytes each) into the DynamoDB table ${table}`);
  await createTable(client, table);
  const s = await writeParallel(client, table, items, (i) => benchItem(i + 1), 8, interrupted);
  await tagTable(client, table, TAG, tag);
  log(`loaded ${table} in ${s.seconds.toFixed(1)} s (${Math.round(items / s.seconds).toLocaleString('en-US')} items/s)`);
  return { table, items, reused: false, seconds: s.seconds, avgItemBytes };
}
