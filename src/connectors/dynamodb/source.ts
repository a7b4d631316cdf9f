/**
 * The DynamoDB source: tables as streams, parallel-scan segments, Scan pages as batches.
 *
 * - `streams(pattern)`: an exact table name (DescribeTable), or a pattern with `*` over ListTables. Names are
 *   without `table_prefix` (a prefix is added to the name to find the table, and only prefixed tables are listed).
 *   Meta: `{ table, keySchema: [{ name, type: 'HASH'|'RANGE', attrType: 'S'|'N'|'B' }], keyColumns, keyTypes,
 *   itemCount, sizeBytes, consistentRead }` (itemCount and sizeBytes are DynamoDB's estimates, refreshed about every 6 hours).
 * - `segments(stream, n)`: n parallel-scan segments, spec `{ segment, totalSegments }`, ids `<name>#<i>/<n>`.
 * - `read`: Scan pages of `Limit = batchSize` (`ConsistentRead` per `consistent_read` of the plan stream, else of
 *   the source block; default false). The cursor after a page is
 *   the JSON of its LastEvaluatedKey in DynamoDB's AttributeValue JSON (B in base64), e.g.
 *   `{"id":{"N":"42"}}`; `null` after the last page. Reading `after` a cursor starts the Scan at
 *   ExclusiveStartKey = that key, so a resumed segment yields exactly the rest.
 * - Records: `value` = the item with neutral values (N → Decimal with DynamoDB's exact text, S → string,
 *   B → Uint8Array, BOOL → boolean, NULL → null, M → Doc, L → array, SS/NS/BS → TypedSet); `key` = the key
 *   attributes in key-schema order (HASH, then RANGE), S → string, N → number (safe integers) / bigint / decimal
 *   text, B → base64 (marshal.ts `keyPartOf`). This is the same form the sink's `toTarget` produces, so a
 *   record read back from a table equals what was written (set order aside).
 * - `lookup(stream, keys)`: the verifier's point reads, BatchGetItem of 100 keys at a time, paid for and backed off
 *   like Scan pages; records as `read` builds them (lookup.ts).
 * - `count`: an exact count by a parallel Scan with `Select: COUNT` over every page (reads the whole table).
 * - Read rate (`rcu_per_second` on the source block): every Scan (segments, tables, counts) asks for
 *   `ReturnConsumedCapacity: TOTAL` and is paid for from one token bucket (read-limiter.ts): it waits until the
 *   bucket is out of debt, takes its estimated cost, then settles the difference with the reported
 *   `ConsumedCapacity`. A server that reports none (some emulators) is charged an estimate from the page's item sizes
 *   (item-size.ts; a COUNT page from ScannedCount × the average item size). With a limit, a page's `Limit` is the
 *   items that cost about one second of the budget (average item size from DescribeTable, then from the pages read),
 *   never more than the batch size.
 * - Throttling (ProvisionedThroughputExceeded and the like) backs off: the same page is asked again after a full
 *   jitter exponential delay (100 ms doubling, windows up to 10 s), up to `THROTTLE_RETRIES` times, and the shared
 *   bucket drops its saved-up burst; only then is THROTTLED (retryable) thrown, and the engine re-opens the segment
 *   after its last cursor with backoff of its own.
 */
import { starPattern } from '../../util/star-pattern.js';
import {
  ListTablesCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type ScanCommandInput,
  type ScanCommandOutput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { ConnectorContext } from '../../core/connector.js';
import type { FerryRecord, KeyPart, RecordKey } from '../../core/record.js';
import type { ReadRequest, Source, SourceCapabilities, SourceEstimate } from '../../core/source.js';
import type { Batch, Segment, StreamRef } from '../../core/stream.js';
import { FerryError } from '../../errors.js';
import { createClient } from './client.js';
import { isThrottling, toFerryError } from './errors.js';
import { itemSize } from './item-size.js';
import { lookupRecords } from './lookup.js';
import { fromItem, itemFromJson, itemToJson, keyPartOf, type Item } from './marshal.js';
import { parseOptions, type DynamoDbOptions } from './options.js';
import { ItemSizeEstimate, pageEstimate, pageLimit, ReadCapacityLimiter, readUnits, realClock, type Clock } from './read-limiter.js';
import { describeTable, tableKeyOf, type TableKey, type TableOps } from './table.js';

export interface ScanSegmentSpec {
  segment: number;
  totalSegments: number;
}

/** Segments DynamoDB allows in one parallel scan. */
export const MAX_TOTAL_SEGMENTS = 1_000_000;
/** `estimate` counts exactly (a Select COUNT scan) tables DynamoDB says are at most this large. */
export const EXACT_ESTIMATE_BYTES = 64 * 1024 * 1024;
const STATS_METHOD = 'DescribeTable ItemCount (DynamoDB refreshes it about every 6 hours)';
/** Parallel segments of `count`. */
const COUNT_SEGMENTS = 4;
/** Upper bound of a COUNT page's `Limit` under a read limit. */
const COUNT_PAGE_ITEMS = 10_000;
/** Times one Scan page is asked again after throttling before THROTTLED reaches the engine. */
export const THROTTLE_RETRIES = 10;
const THROTTLE_BASE_MS = 100;
const THROTTLE_CAP_MS = 10_000;

/** What tests may swap: the clock the limiter and the throttling backoff use, and the jitter. */
export interface SourceDeps {
  clock?: Clock;
  random?: () => number;
}

export interface ReadStats {
  /** Reads DynamoDB throttled, or whose keys a lookup got back unprocessed (each one retried after a backoff). */
  throttled: number;
  /** Milliseconds of throttling backoff asked for. */
  backoffMs: number;
}

export interface KeySchemaEntry {
  name: string;
  type: 'HASH' | 'RANGE';
  attrType: 'S' | 'N' | 'B';
}

export class DynamoDbSource implements Source<FerryRecord> {
  readonly capabilities: SourceCapabilities = { segmentable: true, exactCount: true, digests: new Set() };
  readonly client: DynamoDBClient;
  readonly options: DynamoDbOptions;
  private readonly ops: TableOps;
  private readonly keys = new Map<string, TableKey>();
  /** ConsistentRead per stream, as the plan stream that listed it says. */
  private readonly consistent = new Map<string, boolean>();
  /** Average item size per table, for sizing pages under a read limit and estimating COUNT pages. */
  private readonly sizes = new Map<string, ItemSizeEstimate>();
  /** The shared read-capacity bucket when `rcu_per_second` is set. */
  readonly readLimiter: ReadCapacityLimiter | undefined;
  readonly readStats: ReadStats = { throttled: 0, backoffMs: 0 };
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: ConnectorContext['logger'] | undefined;

  constructor(options: DynamoDbOptions, ctx?: Pick<ConnectorContext, 'logger'>, client?: DynamoDBClient, deps: SourceDeps = {}) {
    this.options = options;
    this.client = client ?? createClient(options, ctx);
    this.ops = { client: this.client, endpoint: options.endpoint, region: options.region };
    this.clock = deps.clock ?? realClock;
    this.random = deps.random ?? Math.random;
    this.logger = ctx?.logger;
    this.readLimiter = options.readRate !== undefined ? new ReadCapacityLimiter({ rate: options.readRate, clock: this.clock }) : undefined;
  }

  private sizeOf(table: string): ItemSizeEstimate {
    let e = this.sizes.get(table);
    if (!e) {
      e = new ItemSizeEstimate();
      this.sizes.set(table, e);
    }
    return e;
  }

  tableName(stream: string): string {
    return `${this.options.tablePrefix}${stream}`;
  }

  private fail(e: unknown, op: string): FerryError {
    return toFerryError(e, { op, endpoint: this.options.endpoint, region: this.options.region });
  }

  private refOf(name: string, t: TableDescription): StreamRef {
    const key = tableKeyOf(t);
    this.keys.set(this.tableName(name), key);
    this.sizeOf(this.tableName(name)).setPrior(t.ItemCount, t.TableSizeBytes);
    const keySchema: KeySchemaEntry[] = [{ name: key.partition.name, type: 'HASH', attrType: key.partition.type }];
    if (key.sort) keySchema.push({ name: key.sort.name, type: 'RANGE', attrType: key.sort.type });
    return {
      name,
      meta: {
        table: this.tableName(name),
        keySchema,
        keyColumns: keySchema.map((k) => k.name),
        keyTypes: keySchema.map((k) => k.attrType),
        itemCount: t.ItemCount ?? 0,
        sizeBytes: t.TableSizeBytes ?? 0,
      },
    };
  }

  async streams(pattern: string, signal: AbortSignal, options?: Record<string, unknown>): Promise<StreamRef[]> {
    const refs = await this.list(pattern, signal);
    // The plan stream's `consistent_read` (else the source block's) applies to the streams it matched.
    const consistent = typeof options?.['consistent_read'] === 'boolean' ? options['consistent_read'] : this.options.consistentRead;
    for (const r of refs) {
      this.consistent.set(r.name, consistent);
      r.meta!['consistentRead'] = consistent;
    }
    return refs;
  }

  private async list(pattern: string, signal: AbortSignal): Promise<StreamRef[]> {
    if (!pattern.includes('*')) {
      const t = await describeTable(this.ops, this.tableName(pattern), signal);
      return t ? [this.refOf(pattern, t)] : [];
    }
    const re = starPattern(pattern);
    const prefix = this.options.tablePrefix;
    const names: string[] = [];
    let start: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(new ListTablesCommand({ ExclusiveStartTableName: start }), { abortSignal: signal });
      } catch (e) {
        throw this.fail(e, 'ListTables');
      }
      for (const t of out.TableNames ?? []) {
        if (t.startsWith(prefix) && re.test(t.slice(prefix.length))) names.push(t.slice(prefix.length));
      }
      start = out.LastEvaluatedTableName;
    } while (start);
    const refs: StreamRef[] = [];
    for (const name of names.sort()) {
      const t = await describeTable(this.ops, this.tableName(name), signal);
      if (t) refs.push(this.refOf(name, t));
    }
    return refs;
  }

  async segments(stream: StreamRef, desired: number): Promise<Segment[]> {
    const n = Math.max(1, Math.min(MAX_TOTAL_SEGMENTS, Math.floor(desired) || 1));
    return Array.from({ length: n }, (_, i) => ({
      id: `${stream.name}#${i}/${n}`,
      stream: stream.name,
      index: i,
      total: n,
      spec: { segment: i, totalSegments: n } satisfies ScanSegmentSpec,
    }));
  }

  private async keyOf(table: string, signal: AbortSignal): Promise<TableKey> {
    let k = this.keys.get(table);
    if (!k) {
      const t = await describeTable(this.ops, table, signal);
      if (!t) throw new FerryError('NOT_FOUND', `DynamoDB table ${table} does not exist`);
      k = tableKeyOf(t);
      this.sizeOf(table).setPrior(t.ItemCount, t.TableSizeBytes);
      this.keys.set(table, k);
    }
    return k;
  }

  private parallel(spec: unknown): { Segment?: number; TotalSegments?: number } {
    const s = spec as Partial<ScanSegmentSpec> | null | undefined;
    if (s && typeof s.segment === 'number' && typeof s.totalSegments === 'number' && s.totalSegments > 1) {
      return { Segment: s.segment, TotalSegments: s.totalSegments };
    }
    return {};
  }

  async *read(req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    if (req.after === 'null') return;
    const table = this.tableName(req.segment.stream);
    const key = await this.keyOf(table, req.signal);
    const names = key.sort ? [key.partition.name, key.sort.name] : [key.partition.name];
    const consistent = this.consistent.get(req.segment.stream) ?? this.options.consistentRead;
    const size = this.sizeOf(table);
    let start: Item | undefined = req.after === undefined ? undefined : itemFromJson(JSON.parse(req.after));
    do {
      if (req.signal.aborted) throw new FerryError('INTERRUPTED', `scan of ${table} aborted`);
      const limit = this.readLimiter
        ? pageLimit(this.readLimiter.rate, size.get(), consistent, req.batchSize)
        : Math.max(1, req.batchSize);
      let items: FerryRecord[] = [];
      const page = await this.scan(
        { TableName: table, Limit: limit, ConsistentRead: consistent, ExclusiveStartKey: start, ...this.parallel(req.segment.spec) },
        `Scan of ${table}`,
        req.signal,
        () => pageEstimate(limit, size.get(), consistent),
        (out) => {
          items = (out.Items ?? []).map((item) => recordOf(item, names));
          const bytes = items.reduce((n, r) => n + (r.sizeBytes ?? 0), 0);
          size.observe(items.length, bytes);
          return readUnits(bytes, consistent);
        },
      );
      start = page.LastEvaluatedKey;
      if (items.length > 0) {
        yield {
          items,
          cursor: start ? JSON.stringify(itemToJson(start)) : 'null',
          sizeBytes: items.reduce((n, r) => n + (r.sizeBytes ?? 0), 0),
        };
      }
    } while (start);
  }

  async count(stream: StreamRef, signal: AbortSignal): Promise<number> {
    const table = this.tableName(stream.name);
    const consistent = this.consistent.get(stream.name) ?? this.options.consistentRead;
    const size = this.sizeOf(table);
    const counts = await Promise.all(
      Array.from({ length: COUNT_SEGMENTS }, async (_, segment) => {
        let n = 0;
        let start: Record<string, AttributeValue> | undefined;
        do {
          // Under a read limit a COUNT page is sized like a read page (a 1 MB page would cost 128 RCU at once).
          const limit = this.readLimiter ? pageLimit(this.readLimiter.rate, size.get(), consistent, COUNT_PAGE_ITEMS) : undefined;
          const page = await this.scan(
            {
              TableName: table,
              Select: 'COUNT',
              ConsistentRead: consistent,
              Segment: segment,
              TotalSegments: COUNT_SEGMENTS,
              ExclusiveStartKey: start,
              ...(limit !== undefined ? { Limit: limit } : {}),
            },
            `Scan (count) of ${table}`,
            signal,
            () => pageEstimate(limit ?? COUNT_PAGE_ITEMS, size.get(), consistent),
            (out) => readUnits((out.ScannedCount ?? 0) * size.get(), consistent),
          );
          n += page.Count ?? 0;
          start = page.LastEvaluatedKey;
        } while (start);
        return n;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Items and bytes for a dry run: DescribeTable's ItemCount and TableSizeBytes (DynamoDB's own figures, refreshed
   * about every 6 hours); a table it says is at most EXACT_ESTIMATE_BYTES is counted exactly with a Select COUNT scan
   * (at most 64 MiB / 4 KB × 0.5 = 8,192 RCU, paid from `rcu_per_second` like every scan). Parallel-scan segments
   * split the key hash space evenly, so each gets its share.
   */
  async estimate(stream: StreamRef, signal: AbortSignal, segments?: readonly Segment[]): Promise<SourceEstimate> {
    const table = this.tableName(stream.name);
    const t = await describeTable(this.ops, table, signal);
    if (!t) throw new FerryError('NOT_FOUND', `DynamoDB table ${table} does not exist`);
    const stated = t.ItemCount ?? 0;
    const bytes = t.TableSizeBytes ?? 0;
    const bytesMethod = 'DescribeTable TableSizeBytes (refreshed about every 6 hours)';
    const share = (n: number): number[] | undefined =>
      segments && segments.length > 0 ? segments.map(() => Math.round(n / segments.length)) : undefined;
    if (bytes <= EXACT_ESTIMATE_BYTES) {
      const count = await this.count(stream, signal);
      const notes = count !== stated ? [`DescribeTable said ${stated} items; the scan counted ${count} (its figures are refreshed about every 6 hours)`] : [];
      const perSegment = share(count);
      // A table DynamoDB has not measured yet says 0 bytes: better no figure (the dry run then uses its samples).
      const sized = !(bytes === 0 && count > 0);
      if (!sized) notes.push('DescribeTable says 0 bytes, not refreshed yet');
      return {
        count,
        exact: true,
        method: `Scan Select COUNT (the table is ${bytes <= 0 ? 'empty or new' : 'under 64 MiB'} by DescribeTable)`,
        ...(sized ? { bytes, bytesExact: false, bytesMethod } : {}),
        ...(perSegment ? { perSegment } : {}),
        notes,
      };
    }
    const perSegment = share(stated);
    return { count: stated, exact: false, method: STATS_METHOD, bytes, bytesExact: false, bytesMethod, ...(perSegment ? { perSegment } : {}) };
  }

  /**
   * One Scan request, paid for from the read limiter when there is one, and asked again after a backoff when
   * DynamoDB throttles it. `estimate` is the page's expected cost (asked before each attempt); `fallback` prices a
   * page whose response carries no ConsumedCapacity (it is also where the caller looks at the page first).
   */
  private async scan(
    input: ScanCommandInput,
    op: string,
    signal: AbortSignal,
    estimate: () => number,
    fallback: (out: ScanCommandOutput) => number,
  ): Promise<ScanCommandOutput> {
    for (let attempt = 0; ; attempt++) {
      const reservation = this.readLimiter ? await this.readLimiter.acquire(estimate(), signal) : undefined;
      let out: ScanCommandOutput;
      try {
        out = await this.client.send(new ScanCommand({ ...input, ReturnConsumedCapacity: 'TOTAL' }), { abortSignal: signal });
      } catch (e) {
        // A refused request consumes no capacity.
        if (reservation) this.readLimiter!.settle(reservation, 0);
        if (!isThrottling(e) || attempt >= THROTTLE_RETRIES || signal.aborted) throw this.fail(e, op);
        this.readLimiter?.throttled();
        await this.backoff(attempt, op, signal);
        continue;
      }
      const reported = out.ConsumedCapacity?.CapacityUnits;
      const units = fallback(out);
      if (reservation) {
        if (typeof reported === 'number') this.readLimiter!.settle(reservation, reported);
        else this.readLimiter!.settle(reservation, units, true);
      }
      return out;
    }
  }

  /** Full-jitter exponential backoff before the `attempt`-th retry in a row (0-based) of a throttled read. */
  private async backoff(attempt: number, op: string, signal: AbortSignal): Promise<void> {
    const window = Math.min(THROTTLE_CAP_MS, THROTTLE_BASE_MS * 2 ** attempt);
    const delay = Math.floor(this.random() * window);
    this.readStats.throttled += 1;
    this.readStats.backoffMs += delay;
    this.logger?.debug('dynamodb read throttled, backing off', { op, attempt: attempt + 1, delayMs: delay });
    await this.clock.sleep(delay, signal);
  }

  /** Point reads for the verifier: BatchGetItem of the keys, records as `read` yields them (lookup.ts). */
  async lookup(stream: StreamRef, keys: readonly RecordKey[], signal: AbortSignal): Promise<FerryRecord[]> {
    const table = this.tableName(stream.name);
    const key = await this.keyOf(table, signal);
    const meta = stream.meta?.['consistentRead'];
    return lookupRecords(
      {
        client: this.client,
        table,
        key,
        consistent: this.consistent.get(stream.name) ?? (typeof meta === 'boolean' ? meta : this.options.consistentRead),
        limiter: this.readLimiter,
        size: this.sizeOf(table),
        retries: THROTTLE_RETRIES,
        backoff: (attempt, op, s) => this.backoff(attempt, op, s),
        recordOf,
        fail: (e, op) => this.fail(e, op),
      },
      keys,
      signal,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.client.destroy();
  }
}

export function recordOf(item: Item, keyNames: readonly string[]): FerryRecord {
  const value = fromItem(item);
  const key: Record<string, KeyPart> = {};
  for (const n of keyNames) {
    const av = item[n];
    key[n] = av === undefined ? null : keyPartOf(av);
  }
  // Sized on first use only: a sink that sizes items itself (Firestore) never pays for DynamoDB's size rules.
  let size: number | undefined;
  return {
    key,
    value,
    get sizeBytes(): number {
      return (size ??= itemSize(value));
    },
  };
}

export async function createDynamoDbSource(options: Record<string, unknown>, ctx: ConnectorContext): Promise<DynamoDbSource> {
  return new DynamoDbSource(parseOptions(options), ctx);
}
