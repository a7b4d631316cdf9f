/**
 * Table control: describe, create, delete, and wait for a table's state (a small waiter that polls DescribeTable
 * from 200 ms up to 2 s, honours the abort signal, and gives up after `timeoutMs`).
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { FerryError } from '../../errors.js';
import { errorName, toFerryError } from './errors.js';
import type { KeyAttr } from './key.js';
import type { KeyAttrType } from './options.js';
import { sleep } from '../../util/sleep.js';

export interface TableKey {
  partition: KeyAttr;
  sort?: KeyAttr;
}

export interface TableOps {
  client: DynamoDBClient;
  endpoint?: string | undefined;
  region?: string | undefined;
}

export const TABLE_WAIT_MS = 10 * 60_000;
const NOT_FOUND_GRACE_MS = 30_000;

export async function describeTable(ops: TableOps, table: string, signal: AbortSignal): Promise<TableDescription | undefined> {
  try {
    const out = await ops.client.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
    return out.Table;
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') return undefined;
    throw toFerryError(e, { op: `DescribeTable ${table}`, endpoint: ops.endpoint, region: ops.region });
  }
}

/** The key schema of a described table. */
export function tableKeyOf(t: TableDescription): TableKey {
  const typeOf = (name: string): KeyAttrType =>
    (t.AttributeDefinitions?.find((d) => d.AttributeName === name)?.AttributeType ?? 'S') as KeyAttrType;
  const hash = t.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
  const range = t.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  return { partition: { name: hash, type: typeOf(hash) }, ...(range ? { sort: { name: range, type: typeOf(range) } } : {}) };
}

export interface CreateTableOptions {
  billing: 'on_demand' | 'provisioned';
  capacity?: { read: number; write: number } | undefined;
}

/** CreateTable; a table that appeared meanwhile (another runner) is fine. Does not wait. */
export async function createTable(ops: TableOps, table: string, key: TableKey, o: CreateTableOptions, signal: AbortSignal): Promise<void> {
  const attrs: AttributeDefinition[] = [{ AttributeName: key.partition.name, AttributeType: key.partition.type }];
  const schema: KeySchemaElement[] = [{ AttributeName: key.partition.name, KeyType: 'HASH' }];
  if (key.sort) {
    attrs.push({ AttributeName: key.sort.name, AttributeType: key.sort.type });
    schema.push({ AttributeName: key.sort.name, KeyType: 'RANGE' });
  }
  const billing =
    o.billing === 'provisioned'
      ? {
          BillingMode: 'PROVISIONED' as const,
          ProvisionedThroughput: { ReadCapacityUnits: o.capacity?.read ?? 5, WriteCapacityUnits: o.capacity?.write ?? 5 },
        }
      : { BillingMode: 'PAY_PER_REQUEST' as const };
  try {
    await ops.client.send(
      new CreateTableCommand({ TableName: table, AttributeDefinitions: attrs, KeySchema: schema, ...billing }),
      { abortSignal: signal },
    );
  } catch (e) {
    if (errorName(e) === 'ResourceInUseException') return;
    throw toFerryError(e, { op: `CreateTable ${table}`, endpoint: ops.endpoint, region: ops.region });
  }
}

export async function deleteTable(ops: TableOps, table: string, signal: AbortSignal): Promise<void> {
  try {
    await ops.client.send(new DeleteTableCommand({ TableName: table }), { abortSignal: signal });
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') return;
    throw toFerryError(e, { op: `DeleteTable ${table}`, endpoint: ops.endpoint, region: ops.region });
  }
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  sleep(ms, signal, () => new FerryError('INTERRUPTED', 'aborted while waiting for a table'));

/** Wait until the table is ACTIVE (`until: 'active'`) or gone (`until: 'deleted'`). */
export async function waitForTable(
  ops: TableOps,
  table: string,
  until: 'active' | 'deleted',
  signal: AbortSignal,
  timeoutMs = TABLE_WAIT_MS,
): Promise<TableDescription | undefined> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let delay = 200;
  for (;;) {
    const t = await describeTable(ops, table, signal);
    if (until === 'deleted' && t === undefined) return undefined;
    if (until === 'active' && t?.TableStatus === 'ACTIVE') return t;
    // DescribeTable is eventually consistent: right after CreateTable it may not see the table yet.
    if (until === 'active' && t === undefined && Date.now() - started > NOT_FOUND_GRACE_MS) {
      throw new FerryError('NOT_FOUND', `DynamoDB table ${table} does not exist (ferry was waiting for it to become ACTIVE)`);
    }
    if (Date.now() > deadline) {
      throw new FerryError(
        'TRANSIENT',
        `DynamoDB table ${table} is still ${t?.TableStatus ?? 'present'} after ${Math.round(timeoutMs / 1000)} s`,
        { hint: 'check the table in the AWS console, then `ferry resume` the job' },
      );
    }
    await pause(delay, signal);
    delay = Math.min(2_000, Math.round(delay * 1.5));
  }
}
