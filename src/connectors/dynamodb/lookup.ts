/**
 * Point reads for the verifier (`DynamoDbSource.lookup`): record keys → DynamoDB keys → BatchGetItem.
 *
 * - Keys: each record key part goes back to an AttributeValue of its key-schema type (N: its decimal text in
 *   DynamoDB's canonical form, S: its text, B: base64-decoded). A key that lacks a part, or whose part cannot be a
 *   key of that type (not a number, empty, over DynamoDB's key size, not base64), names no item that can exist:
 *   it is left out rather than sent, since one such key makes DynamoDB refuse the whole request.
 * - Duplicates (also `42` and `"42"` for an N key) are read once: DynamoDB refuses a request that names a key twice.
 * - Requests of at most 100 keys (BatchGetItem's limit), LOOKUP_IN_FLIGHT at a time, `ConsistentRead` as the
 *   stream's reads, paid from the source's read limiter like Scan pages (estimated before, settled with the
 *   reported ConsumedCapacity, else with 4 KB-rounded units per item as BatchGetItem charges).
 * - UnprocessedKeys (throttling, or the 16 MB response limit) are asked again after a full-jitter backoff; a round
 *   that returned nothing counts towards the source's throttle retries, and after them a retryable THROTTLED is
 *   thrown: an unprocessed key is never taken for an absent one.
 * - Records are built by `recordOf` as Scan pages are, and come back in the order of the keys asked for.
 */
import { BatchGetItemCommand, type AttributeValue, type BatchGetItemCommandOutput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FerryRecord, KeyPart, RecordKey } from '../../core/record.js';
import { FerryError } from '../../errors.js';
import { isThrottling } from './errors.js';
import type { KeyAttr } from './key.js';
import { itemKeyText, type Item } from './marshal.js';
import { canonicalNumber } from './number.js';
import { readUnits, type ItemSizeEstimate, type ReadCapacityLimiter } from './read-limiter.js';
import type { TableKey } from './table.js';
import { MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from './to-target.js';

/** Keys per BatchGetItem (DynamoDB's limit). */
export const LOOKUP_BATCH_KEYS = 100;
/** BatchGetItem requests in flight per lookup. */
export const LOOKUP_IN_FLIGHT = 4;

/** What a lookup needs from its source. */
export interface LookupContext {
  client: DynamoDBClient;
  table: string;
  key: TableKey;
  consistent: boolean;
  limiter: ReadCapacityLimiter | undefined;
  size: ItemSizeEstimate;
  /** Times a request may be asked again without progress before THROTTLED. */
  retries: number;
  /** Sleep a full-jitter backoff for the `attempt`-th retry in a row (0-based). */
  backoff(attempt: number, op: string, signal: AbortSignal): Promise<void>;
  recordOf(item: Item, names: readonly string[]): FerryRecord;
  fail(e: unknown, op: string): FerryError;
}

type WellFormed = string & { isWellFormed(): boolean };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A record key part as a key AttributeValue of `attr`'s type, or undefined when no item can have it. */
export function keyAttributeOf(v: KeyPart | undefined, attr: KeyAttr, maxBytes: number): AttributeValue | undefined {
  if (v === undefined || v === null) return undefined;
  switch (attr.type) {
    case 'N': {
      if (typeof v === 'boolean' || (typeof v === 'number' && !Number.isFinite(v))) return undefined;
      const c = canonicalNumber(String(v));
      return c.ok ? { N: c.text } : undefined;
    }
    case 'S': {
      const s = String(v);
      if (s === '' || !(s as WellFormed).isWellFormed() || Buffer.byteLength(s, 'utf8') > maxBytes) return undefined;
      return { S: s };
    }
    case 'B': {
      if (typeof v !== 'string' || v === '' || !BASE64.test(v)) return undefined;
      const bytes = Buffer.from(v, 'base64');
      // Only text that is the base64 of some bytes (not text Buffer.from would quietly skip over).
      if (bytes.byteLength === 0 || bytes.byteLength > maxBytes || bytes.toString('base64').replace(/=+$/, '') !== v.replace(/=+$/, '')) return undefined;
      return { B: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    }
    default:
      return undefined;
  }
}

/** The DynamoDB key of a record key, or undefined when it cannot name an item of this table. */
export function dynamoKeyOf(key: RecordKey, tk: TableKey): Item | undefined {
  const hash = keyAttributeOf(key[tk.partition.name], tk.partition, MAX_PARTITION_KEY_BYTES);
  if (!hash) return undefined;
  if (!tk.sort) return { [tk.partition.name]: hash };
  const range = keyAttributeOf(key[tk.sort.name], tk.sort, MAX_SORT_KEY_BYTES);
  return range ? { [tk.partition.name]: hash, [tk.sort.name]: range } : undefined;
}

export function keyNamesOf(tk: TableKey): string[] {
  return tk.sort ? [tk.partition.name, tk.sort.name] : [tk.partition.name];
}

export async function lookupRecords(ctx: LookupContext, keys: readonly RecordKey[], signal: AbortSignal): Promise<FerryRecord[]> {
  const names = keyNamesOf(ctx.key);
  // Distinct keys in the order first asked; the position orders the results.
  const order = new Map<string, number>();
  const wanted: Item[] = [];
  for (const k of keys) {
    const item = dynamoKeyOf(k, ctx.key);
    if (!item) continue;
    const text = itemKeyText(item, names);
    if (order.has(text)) continue;
    order.set(text, wanted.length);
    wanted.push(item);
  }
  if (wanted.length === 0) return [];
  if (signal.aborted) throw new FerryError('INTERRUPTED', `lookup in ${ctx.table} aborted`);

  const batches: Item[][] = [];
  for (let i = 0; i < wanted.length; i += LOOKUP_BATCH_KEYS) batches.push(wanted.slice(i, i + LOOKUP_BATCH_KEYS));
  // One failed batch stops the others (their requests are aborted); the caller's abort stops all.
  const inner = new AbortController();
  const onAbort = (): void => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const found: { at: number; record: FerryRecord }[] = [];
  let failure: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < batches.length) {
      const batch = batches[next++]!;
      try {
        for (const item of await getBatch(ctx, batch, names, inner.signal)) {
          found.push({ at: order.get(itemKeyText(item, names)) ?? Number.MAX_SAFE_INTEGER, record: ctx.recordOf(item, names) });
        }
      } catch (e) {
        failure ??= e;
        inner.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(LOOKUP_IN_FLIGHT, batches.length) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw new FerryError('INTERRUPTED', `lookup in ${ctx.table} aborted`, { cause: failure });
  if (failure !== undefined) throw failure instanceof FerryError ? failure : ctx.fail(failure, `BatchGetItem on ${ctx.table}`);
  return found.sort((a, b) => a.at - b.at).map((f) => f.record);
}

/** Units one BatchGetItem charges: each item rounded up to 4 KB on its own (unlike a Scan page's total). */
function batchUnits(records: readonly FerryRecord[], consistent: boolean): number {
  return records.reduce((n, r) => n + readUnits(Math.max(1, r.sizeBytes ?? 0), consistent), 0);
}

/** The items of up to 100 keys: asks again for UnprocessedKeys until none are left. */
async function getBatch(ctx: LookupContext, keys: Item[], names: readonly string[], signal: AbortSignal): Promise<Item[]> {
  const op = `BatchGetItem on ${ctx.table}`;
  const items: Item[] = [];
  let pending = keys;
  // Requests in a row that got nothing done (throttled, or every key sent back unprocessed).
  let misses = 0;
  while (pending.length > 0) {
    if (signal.aborted) throw new FerryError('INTERRUPTED', `lookup in ${ctx.table} aborted`);
    const perItem = readUnits(Math.max(1, ctx.size.get()), ctx.consistent);
    const reservation = ctx.limiter ? await ctx.limiter.acquire(pending.length * perItem, signal) : undefined;
    let out: BatchGetItemCommandOutput;
    try {
      out = await ctx.client.send(
        new BatchGetItemCommand({
          RequestItems: { [ctx.table]: { Keys: pending, ConsistentRead: ctx.consistent } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
        { abortSignal: signal },
      );
    } catch (e) {
      // A refused request consumes no capacity.
      if (reservation) ctx.limiter!.settle(reservation, 0);
      if (!isThrottling(e) || misses >= ctx.retries || signal.aborted) throw ctx.fail(e, op);
      ctx.limiter?.throttled();
      await ctx.backoff(misses++, op, signal);
      continue;
    }
    const got = out.Responses?.[ctx.table] ?? [];
    const records = got.map((item) => ctx.recordOf(item, names));
    const bytes = records.reduce((n, r) => n + (r.sizeBytes ?? 0), 0);
    ctx.size.observe(records.length, bytes);
    if (reservation) {
      const reported = out.ConsumedCapacity?.filter((c) => c.TableName === undefined || c.TableName === ctx.table);
      if (reported && reported.length > 0 && reported.every((c) => typeof c.CapacityUnits === 'number')) {
        ctx.limiter!.settle(reservation, reported.reduce((n, c) => n + c.CapacityUnits!, 0));
      } else {
        ctx.limiter!.settle(reservation, batchUnits(records, ctx.consistent), true);
      }
    }
    items.push(...got);
    const unprocessed = out.UnprocessedKeys?.[ctx.table]?.Keys ?? [];
    if (unprocessed.length === 0) break;
    // Some keys done (e.g. the 16 MB response limit): not throttling, the count of misses starts again.
    if (got.length > 0 || unprocessed.length < pending.length) misses = 0;
    else {
      if (misses >= ctx.retries) {
        throw new FerryError('THROTTLED', `DynamoDB ${op}: ${unprocessed.length} keys still unprocessed after ${ctx.retries} retries`, {
          hint: 'ferry retries the verification later; raise the table\'s read capacity or lower `rcu_per_second` if this persists',
          details: { table: ctx.table, unprocessed: unprocessed.length },
        });
      }
      ctx.limiter?.throttled();
    }
    pending = unprocessed;
    await ctx.backoff(misses++, op, signal);
  }
  return items;
}
