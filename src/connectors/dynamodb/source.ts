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
 * - `count`: an exact count by a parallel Scan with `Select: COUNT` over every page (reads the whole table).
 */
import { ListTablesCommand, ScanCommand, type AttributeValue, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { ConnectorContext } from '../../core/connector.js';
import type { FerryRecord, KeyPart } from '../../core/record.js';
import type { ReadRequest, Source, SourceCapabilities } from '../../core/source.js';
import type { Batch, Segment, StreamRef } from '../../core/stream.js';
import { FerryError } from '../../errors.js';
import { createClient } from './client.js';
import { toFerryError } from './errors.js';
import { itemSize } from './item-size.js';
import { fromItem, itemFromJson, itemToJson, keyPartOf, type Item } from './marshal.js';
import { parseOptions, type DynamoDbOptions } from './options.js';
import { describeTable, tableKeyOf, type TableKey, type TableOps } from './table.js';

export interface ScanSegmentSpec {
  segment: number;
  totalSegments: number;
}

/** Segments DynamoDB allows in one parallel scan. */
export const MAX_TOTAL_SEGMENTS = 1_000_000;
/** Parallel segments of `count`. */
const COUNT_SEGMENTS = 4;

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

  constructor(options: DynamoDbOptions, ctx?: Pick<ConnectorContext, 'logger'>, client?: DynamoDBClient) {
    this.options = options;
    this.client = client ?? createClient(options, ctx);
    this.ops = { client: this.client, endpoint: options.endpoint, region: options.region };
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
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
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
    let start: Item | undefined = req.after === undefined ? undefined : itemFromJson(JSON.parse(req.after));
    do {
      if (req.signal.aborted) throw new FerryError('INTERRUPTED', `scan of ${table} aborted`);
      let page;
      try {
        page = await this.client.send(
          new ScanCommand({
            TableName: table,
            Limit: Math.max(1, req.batchSize),
            ConsistentRead: this.consistent.get(req.segment.stream) ?? this.options.consistentRead,
            ExclusiveStartKey: start,
            ...this.parallel(req.segment.spec),
          }),
          { abortSignal: req.signal },
        );
      } catch (e) {
        throw this.fail(e, `Scan of ${table}`);
      }
      start = page.LastEvaluatedKey;
      const items = (page.Items ?? []).map((item) => recordOf(item, names));
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
    const counts = await Promise.all(
      Array.from({ length: COUNT_SEGMENTS }, async (_, segment) => {
        let n = 0;
        let start: Record<string, AttributeValue> | undefined;
        do {
          let page;
          try {
            page = await this.client.send(
              new ScanCommand({
                TableName: table,
                Select: 'COUNT',
                ConsistentRead: this.consistent.get(stream.name) ?? this.options.consistentRead,
                Segment: segment,
                TotalSegments: COUNT_SEGMENTS,
                ExclusiveStartKey: start,
              }),
              { abortSignal: signal },
            );
          } catch (e) {
            throw this.fail(e, `Scan (count) of ${table}`);
          }
          n += page.Count ?? 0;
          start = page.LastEvaluatedKey;
        } while (start);
        return n;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
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
  return { key, value, sizeBytes: itemSize(value) };
}

export async function createDynamoDbSource(options: Record<string, unknown>, ctx: ConnectorContext): Promise<DynamoDbSource> {
  return new DynamoDbSource(parseOptions(options), ctx);
}
