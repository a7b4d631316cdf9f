/**
 * The DynamoDB sink.
 *
 * - `toTarget` (to-target.ts): values in their DynamoDB form per the plan's type rules, `key` = the target key.
 * - `limits`: 25 items and 16 MiB per BatchWriteItem, 400 KiB per item (DynamoDB's item-size rules, item-size.ts),
 *   8 writes in flight. `cost` = 1 WCU per started KB of each item.
 * - `prepare`: the table must exist with the key the plan derives (key.ts), or is created with `create: true`
 *   (on-demand, or provisioned with `capacity`) and waited for until ACTIVE. A table keyed differently is a CONFIG
 *   error naming both keys; a missing table without `create` is NOT_FOUND.
 *   `write: replace` needs `create: true`: it deletes the table and creates it anew with the plan's key (refused
 *   for a table with secondary indexes, which ferry could not re-create).
 *   `write: insert` writes each item with PutItem on condition that its key does not exist yet (BatchWriteItem has
 *   no conditions); an existing key is a dead letter. It is slower than upsert.
 * - `write` (upsert/replace): one BatchWriteItem per ≤ 25 items; duplicate target keys within one call are
 *   collapsed (the later item wins, the earlier ones count as accepted); every UnprocessedItems entry comes back in
 *   `retry`; throttling throws THROTTLED; a ValidationException (one bad item poisons the whole batch) is isolated by
 *   writing the items one by one with PutItem: the refused ones are `rejected` with DynamoDB's message.
 * - `flush`: a BatchWriteItem is durable when it returns, so there is nothing to flush.
 */
import { BatchWriteItemCommand, PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ConnectorContext } from '../../core/connector.js';
import { isDoc, type Doc, type FerryRecord } from '../../core/record.js';
import type { Rejection, RateUnit, Sink, SinkLimits, WriteMode, WriteResult } from '../../core/sink.js';
import type { StreamRef } from '../../core/stream.js';
import type { TargetState } from '../../dry-run/report.js';
import { FerryError } from '../../errors.js';
import { createClient } from './client.js';
import { errorName, toFerryError } from './errors.js';
import { itemSize, writeUnits } from './item-size.js';
import { describeKey, sameKey } from './key.js';
import { itemKeyText, toItem, type Item } from './marshal.js';
import { parseOptions, type DynamoDbOptions } from './options.js';
import { createTable, deleteTable, describeTable, tableKeyOf, waitForTable, type TableKey, type TableOps } from './table.js';
import { compileStreamTarget, toTargetRecord, type StreamTarget } from './to-target.js';

export const DYNAMODB_LIMITS: SinkLimits = {
  maxItemsPerWrite: 25,
  maxBytesPerWrite: 16 * 1024 * 1024,
  maxItemBytes: 400 * 1024,
  maxConcurrentWrites: 8,
};

/** PutItem calls in flight while isolating a poisoned batch or inserting. */
const PUT_CONCURRENCY = 5;

interface Entry {
  record: FerryRecord;
  item: Item;
  key: string;
  size: number;
}

interface Outcome {
  accepted: number;
  retry: FerryRecord[];
  rejected: Rejection<FerryRecord>[];
}

export class DynamoDbSink implements Sink<FerryRecord> {
  readonly limits: SinkLimits = { ...DYNAMODB_LIMITS };
  readonly client: DynamoDBClient;
  readonly options: DynamoDbOptions;
  private readonly ops: TableOps;
  private readonly targets = new WeakMap<StreamRef, StreamTarget>();
  private readonly modes = new Map<string, WriteMode>();
  /** Key of each prepared table, as DynamoDB describes it. */
  private readonly tableKeys = new Map<string, TableKey>();

  constructor(options: DynamoDbOptions, ctx?: Pick<ConnectorContext, 'logger'>, client?: DynamoDBClient) {
    this.options = options;
    this.client = client ?? createClient(options, ctx);
    this.ops = { client: this.client, endpoint: options.endpoint, region: options.region };
  }

  /** The DynamoDB table a target stream is written to: `table_prefix` + the stream name. */
  tableName(stream: StreamRef): string {
    return `${this.options.tablePrefix}${stream.name}`;
  }

  private target(stream: StreamRef): StreamTarget {
    let t = this.targets.get(stream);
    if (!t) {
      t = compileStreamTarget(stream, this.options.rules);
      this.targets.set(stream, t);
    }
    return t;
  }

  toTarget(stream: StreamRef, record: FerryRecord): FerryRecord {
    return toTargetRecord(this.target(stream), record);
  }

  sizeOf(item: FerryRecord): number {
    return isDoc(item.value) ? itemSize(item.value) : (item.sizeBytes ?? 0);
  }

  cost(items: readonly FerryRecord[]): Partial<Record<RateUnit, number>> {
    let wcu = 0;
    for (const i of items) wcu += writeUnits(this.sizeOf(i));
    return { wcu };
  }

  async prepare(stream: StreamRef, mode: WriteMode, signal: AbortSignal): Promise<void> {
    const table = this.tableName(stream);
    const st = this.target(stream);
    const want = st.key;
    const from = want?.origin === 'plan' ? "the stream's `key:`" : 'the source key';
    if (want?.composite && st.columns.has(want.partition.name) && !want.composite.includes(want.partition.name)) {
      throw new FerryError(
        'CONFIG',
        `${stream.name}: the source key has ${want.composite.length} columns, so ferry would key the table by a composite attribute "${want.partition.name}", but the source already has a column of that name`,
        { hint: 'set the stream\'s `key:` (e.g. `map.set` a key attribute and name it in `key: { partition }`)' },
      );
    }
    const noKey = (): FerryError =>
      new FerryError('CONFIG', `cannot tell how to key the DynamoDB table ${table}: the source names no key for ${stream.name}`, {
        hint: "set the stream's `key: { partition, sort? }`",
      });

    let t = await describeTable(this.ops, table, signal);
    if (mode === 'replace') {
      if (!this.options.create) {
        throw new FerryError('CONFIG', `write: replace deletes and re-creates the DynamoDB table ${table}, which needs \`create: true\``, {
          hint: 'set `create: true` in the target block to allow it, or use `write: upsert`',
        });
      }
      if (!want) throw noKey();
      if (t) {
        const indexes = [...(t.GlobalSecondaryIndexes ?? []), ...(t.LocalSecondaryIndexes ?? [])].map((i) => i.IndexName);
        if (indexes.length > 0) {
          throw new FerryError('CONFIG', `write: replace would delete the DynamoDB table ${table} and lose its indexes (${indexes.join(', ')})`, {
            hint: 'empty the table yourself and use `write: upsert`, or write to a new table',
          });
        }
        await deleteTable(this.ops, table, signal);
        await waitForTable(this.ops, table, 'deleted', signal);
      }
      await createTable(this.ops, table, want, this.options, signal);
      t = await waitForTable(this.ops, table, 'active', signal);
    } else if (!t) {
      if (!this.options.create) {
        throw new FerryError('NOT_FOUND', `DynamoDB table ${table} does not exist`, {
          hint: 'create it or set `create: true` in the target block',
        });
      }
      if (!want) throw noKey();
      await createTable(this.ops, table, want, this.options, signal);
      t = await waitForTable(this.ops, table, 'active', signal);
    } else if (t.TableStatus !== 'ACTIVE') {
      t = await waitForTable(this.ops, table, 'active', signal);
    }
    const have = tableKeyOf(t!);
    if (want && !sameKey(want, have)) {
      throw new FerryError(
        'CONFIG',
        `DynamoDB table ${table} is keyed ${describeKey(have)}, but ${from} keys it ${describeKey(want)}`,
        {
          hint: "make the stream's `key:` (with `partition_type`/`sort_type`) match the table, or write to another table",
        },
      );
    }
    this.tableKeys.set(table, have);
    this.modes.set(stream.name, mode);
  }

  /**
   * The target table as it stands, read-only (`ferry plan dry-run`): DescribeTable for existence, key schema and
   * billing, and a one-item Scan (0.5 RCU) for emptiness, since DescribeTable's ItemCount lags by up to ~6 hours.
   */
  async inspect(stream: StreamRef, signal: AbortSignal, mode: WriteMode = 'upsert'): Promise<TargetState> {
    const table = this.tableName(stream);
    const st = this.target(stream);
    const want = st.key;
    const t = await describeTable(this.ops, table, signal);
    // What prepare() would refuse, said before any write.
    const problems: { message: string; fix: string }[] = [];
    if (want?.composite && st.columns.has(want.partition.name) && !want.composite.includes(want.partition.name)) {
      problems.push({
        message: `the source key has ${want.composite.length} columns, so ferry would key ${table} by a composite attribute "${want.partition.name}", but the source already has a column of that name`,
        fix: "set the stream's `key:` (e.g. `map.set` a key attribute and name it in `key: { partition }`)",
      });
    }
    if (!want && (!t || mode === 'replace')) {
      problems.push({ message: `cannot tell how to key the DynamoDB table ${table}: the source names no key`, fix: "set the stream's `key: { partition, sort? }`" });
    }
    if (mode === 'replace' && !this.options.create) {
      problems.push({ message: `write: replace deletes and re-creates ${table}, which needs \`create: true\``, fix: 'set `create: true` in the target block to allow it, or use `write: upsert`' });
    }
    const indexNames = t ? [...(t.GlobalSecondaryIndexes ?? []), ...(t.LocalSecondaryIndexes ?? [])].map((i) => i.IndexName ?? '?') : [];
    if (mode === 'replace' && indexNames.length > 0) {
      problems.push({ message: `write: replace would delete ${table} and lose its indexes (${indexNames.join(', ')})`, fix: 'empty the table yourself and use `write: upsert`, or write to a new table' });
    }
    const withProblems = problems.length > 0 ? { problems } : {};
    if (!t) {
      const planned = this.options.billing === 'provisioned' ? { mode: 'provisioned' as const, ...(this.options.capacity ? { readUnits: this.options.capacity.read, writeUnits: this.options.capacity.write } : {}) } : { mode: 'on_demand' as const };
      return {
        exists: false,
        empty: true,
        items: 0,
        created: this.options.create,
        capacity: planned,
        ...withProblems,
        notes: [
          this.options.create
            ? `DynamoDB table ${table} does not exist; the run creates it (${this.options.billing === 'provisioned' ? 'provisioned' : 'on-demand'})${want ? `, keyed ${describeKey(want)}` : ''}`
            : `DynamoDB table ${table} does not exist, and the target block has no \`create: true\``,
        ],
      };
    }
    const have = tableKeyOf(t);
    const notes: string[] = [];
    let empty: boolean;
    try {
      const out = await this.client.send(new ScanCommand({ TableName: table, Limit: 1, Select: 'COUNT' }), { abortSignal: signal });
      empty = (out.Count ?? 0) === 0 && out.LastEvaluatedKey === undefined;
    } catch (e) {
      throw toFerryError(e, { op: `Scan (one item) of ${table}`, endpoint: this.options.endpoint, region: this.options.region });
    }
    if (t.TableStatus && t.TableStatus !== 'ACTIVE') notes.push(`the table is ${t.TableStatus}`);
    notes.push(`about ${t.ItemCount ?? 0} items by DescribeTable (refreshed about every 6 hours)`);
    if (indexNames.length > 0) notes.push(`secondary indexes: ${indexNames.join(', ')} (each write to the table also writes them, and costs WCU there)`);
    const billing: 'provisioned' | 'on_demand' = t.BillingModeSummary?.BillingMode === 'PROVISIONED' || (t.BillingModeSummary === undefined && (t.ProvisionedThroughput?.WriteCapacityUnits ?? 0) > 0) ? 'provisioned' : 'on_demand';
    const capacity: TargetState['capacity'] =
      billing === 'provisioned'
        ? { mode: billing, readUnits: t.ProvisionedThroughput?.ReadCapacityUnits ?? 0, writeUnits: t.ProvisionedThroughput?.WriteCapacityUnits ?? 0 }
        : { mode: billing };
    return {
      exists: true,
      empty,
      items: t.ItemCount ?? 0,
      keySchema: `${have.partition.name} (${have.partition.type}) HASH${have.sort ? `, ${have.sort.name} (${have.sort.type}) RANGE` : ''}`,
      ...(want ? { keyMatches: sameKey(want, have) } : {}),
      capacity,
      ...withProblems,
      notes: want && !sameKey(want, have) ? [`the plan keys it ${describeKey(want)}`, ...notes] : notes,
    };
  }

  /** Names of the key attributes of a target table: as described at prepare, else as the plan derives, else the record's. */
  private keyNames(stream: StreamRef, sample: FerryRecord | undefined): string[] {
    const k = this.tableKeys.get(this.tableName(stream)) ?? this.target(stream).key;
    if (k) return k.sort ? [k.partition.name, k.sort.name] : [k.partition.name];
    return sample ? Object.keys(sample.key) : [];
  }

  async write(stream: StreamRef, items: readonly FerryRecord[], signal: AbortSignal): Promise<WriteResult<FerryRecord>> {
    const table = this.tableName(stream);
    const mode = this.modes.get(stream.name) ?? 'upsert';
    const names = this.keyNames(stream, items[0]);
    const result: Outcome = { accepted: 0, retry: [], rejected: [] };

    const entries: Entry[] = [];
    for (const record of items) {
      try {
        if (!isDoc(record.value)) throw new FerryError('ITEM_REJECTED', 'the record is not a document');
        const item = toItem(record.value as Doc);
        entries.push({ record, item, key: itemKeyText(item, names), size: itemSize(record.value as Doc) });
      } catch (e) {
        result.rejected.push({ item: record, reason: e instanceof Error ? e.message : String(e) });
      }
    }

    // One call may not hold the same key twice. Upsert: the later item wins, the earlier ones are accepted (they
    // would have been overwritten anyway). Insert: the first one wins, the later ones would find it there.
    const byKey = new Map<string, Entry>();
    for (const e of entries) {
      const prev = byKey.get(e.key);
      if (!prev) {
        byKey.set(e.key, e);
      } else if (mode === 'insert') {
        result.rejected.push({ item: e.record, reason: 'another item of the same batch has this key (write: insert keeps the first)' });
      } else {
        byKey.delete(e.key);
        byKey.set(e.key, e);
        result.accepted += 1;
      }
    }
    const unique = [...byKey.values()];

    if (mode === 'insert') {
      merge(result, await this.putEach(table, unique, names, true, signal));
      return result;
    }
    for (const chunk of chunks(unique, this.limits.maxItemsPerWrite, this.limits.maxBytesPerWrite ?? Infinity)) {
      merge(result, await this.batchWrite(table, chunk, names, signal));
    }
    return result;
  }

  private async batchWrite(table: string, chunk: readonly Entry[], names: readonly string[], signal: AbortSignal): Promise<Outcome> {
    let out;
    try {
      out = await this.client.send(
        new BatchWriteItemCommand({ RequestItems: { [table]: chunk.map((e) => ({ PutRequest: { Item: e.item } })) } }),
        { abortSignal: signal },
      );
    } catch (e) {
      if (errorName(e) === 'ValidationException' && !signal.aborted) {
        // One bad item fails the whole batch: find it by writing the items one by one.
        return this.putEach(table, chunk, names, false, signal);
      }
      throw toFerryError(e, { op: `BatchWriteItem on ${table}`, endpoint: this.options.endpoint, region: this.options.region });
    }
    const unprocessed = out.UnprocessedItems?.[table] ?? [];
    if (unprocessed.length === 0) return { accepted: chunk.length, retry: [], rejected: [] };
    const pending = new Map(chunk.map((e) => [e.key, e]));
    const retry: FerryRecord[] = [];
    for (const req of unprocessed) {
      const item = req.PutRequest?.Item;
      const e = item ? pending.get(itemKeyText(item, names)) : undefined;
      // An entry we cannot match (never expected): re-send the whole chunk rather than risk dropping an item.
      if (!e) return { accepted: 0, retry: chunk.map((c) => c.record), rejected: [] };
      pending.delete(e.key);
      retry.push(e.record);
    }
    return { accepted: chunk.length - retry.length, retry, rejected: [] };
  }

  /**
   * PutItem each entry (`conditional`: only if its key does not exist yet). DynamoDB's refusals become rejections,
   * throttled and transient failures come back to retry, anything else fails the write.
   */
  private async putEach(table: string, entries: readonly Entry[], names: readonly string[], conditional: boolean, signal: AbortSignal): Promise<Outcome> {
    const res: Outcome = { accepted: 0, retry: [], rejected: [] };
    const condition = conditional
      ? { ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': names[0] ?? '' } }
      : {};
    let fatal: FerryError | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length && fatal === undefined) {
        const e = entries[next++]!;
        try {
          await this.client.send(new PutItemCommand({ TableName: table, Item: e.item, ...condition }), { abortSignal: signal });
          res.accepted += 1;
        } catch (err) {
          const name = errorName(err);
          const said = err instanceof Error ? err.message : String(err);
          if (name === 'ValidationException' && !signal.aborted) {
            res.rejected.push({ item: e.record, reason: `DynamoDB refused the item: ${said}` });
          } else if (name === 'ConditionalCheckFailedException') {
            res.rejected.push({ item: e.record, reason: `an item with this key already exists in ${table} (write: insert)` });
          } else {
            const f = toFerryError(err, { op: `PutItem on ${table}`, endpoint: this.options.endpoint, region: this.options.region });
            if (f.retry === 'terminal' || signal.aborted) fatal ??= f;
            else res.retry.push(e.record);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, entries.length) }, worker));
    if (fatal) throw fatal;
    return res;
  }

  async flush(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {
    this.client.destroy();
  }
}

function merge(into: Outcome, from: Outcome): void {
  into.accepted += from.accepted;
  into.retry.push(...from.retry);
  into.rejected.push(...from.rejected);
}

function* chunks(entries: readonly Entry[], maxItems: number, maxBytes: number): Generator<Entry[]> {
  let chunk: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (chunk.length > 0 && (chunk.length >= maxItems || bytes + e.size > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += e.size;
  }
  if (chunk.length > 0) yield chunk;
}

export async function createDynamoDbSink(options: Record<string, unknown>, ctx: ConnectorContext): Promise<DynamoDbSink> {
  return new DynamoDbSink(parseOptions(options), ctx);
}
