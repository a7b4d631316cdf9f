/**
 * DynamoDB connector tests against dynalite (scripts/services): sinks and sources on the test endpoint, unique
 * table names, and client middlewares that inject what dynalite never does (UnprocessedItems, throttling).
 */
import { DeleteTableCommand, type BatchWriteItemCommandInput, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Doc, FerryRecord } from '../../../src/core/record.js';
import type { StreamRef } from '../../../src/core/stream.js';
import { parseOptions } from '../../../src/connectors/dynamodb/options.js';
import { DynamoDbSink } from '../../../src/connectors/dynamodb/sink.js';
import { DynamoDbSource } from '../../../src/connectors/dynamodb/source.js';
import { dynamoDb, serviceEnv, uniqueName } from '../../support/clients.js';

export const signal: AbortSignal = new AbortController().signal;

/** Connection block of the test server (as a plan's `target:` would hold it, without `type`). */
export function connection(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { region: serviceEnv('AWS_REGION'), endpoint: serviceEnv('DYNAMODB_ENDPOINT'), ...extra };
}

export function sink(extra: Record<string, unknown> = {}): DynamoDbSink {
  return new DynamoDbSink(parseOptions(connection(extra)));
}

export function source(extra: Record<string, unknown> = {}): DynamoDbSource {
  return new DynamoDbSource(parseOptions(connection(extra)));
}

export function tableName(prefix = 'ddb'): string {
  return uniqueName(prefix);
}

/** A target stream as the engine hands it to the sink, from a Postgres-like source. */
export function targetStream(
  name: string,
  opts: { keyColumns?: string[]; columns?: { name: string; type: string; isArray?: boolean }[]; options?: Record<string, unknown> } = {},
): StreamRef {
  const columns = (opts.columns ?? [{ name: 'id', type: 'integer' }]).map((c) => ({ nullable: true, isArray: false, ...c }));
  const keyColumns = opts.keyColumns ?? ['id'];
  return {
    name,
    meta: {
      source: `public.${name}`,
      sourceMeta: {
        schema: 'public',
        table: name,
        keyColumns,
        keyTypes: keyColumns.map((k) => columns.find((c) => c.name === k)?.type ?? 'text'),
        columns,
        estimatedRows: 0,
      },
      options: opts.options ?? {},
    },
  };
}

export function record(id: number, value: Doc = {}): FerryRecord {
  return { key: { id }, value: { id, ...value } };
}

/** Tables created by a test file, deleted in afterAll. */
export class Tables {
  private readonly names = new Set<string>();
  add(name: string): string {
    this.names.add(name);
    return name;
  }
  async drop(): Promise<void> {
    const c = dynamoDb();
    await Promise.all([...this.names].map((n) => c.send(new DeleteTableCommand({ TableName: n })).catch(() => undefined)));
    c.destroy();
  }
}

export interface BatchCall {
  items: number;
  table: string;
}

/** Records every BatchWriteItem request (items per table) as sent to the server. */
export function recordBatches(client: DynamoDBClient): BatchCall[] {
  const calls: BatchCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand') {
        const input = args.input as BatchWriteItemCommandInput;
        for (const [table, reqs] of Object.entries(input.RequestItems ?? {})) calls.push({ table, items: reqs.length });
      }
      return next(args);
    },
    { step: 'initialize', name: 'ferryTestRecordBatches' },
  );
  return calls;
}

/**
 * Makes BatchWriteItem leave some items unprocessed, as DynamoDB does under load: `drop(request, attempt)` picks
 * the requests to hold back; the others go to the real server, and the held-back ones come back in
 * UnprocessedItems. Returns how many were held back in total.
 */
export function dropUnprocessed(client: DynamoDBClient, drop: (req: WriteRequest, timesSeen: number) => boolean): { dropped: number } {
  const seen = new Map<string, number>();
  const stats = { dropped: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteItemCommand') return next(args);
      const input = args.input as BatchWriteItemCommandInput;
      const send: Record<string, WriteRequest[]> = {};
      const held: Record<string, WriteRequest[]> = {};
      for (const [table, reqs] of Object.entries(input.RequestItems ?? {})) {
        for (const req of reqs) {
          const k = `${table}/${JSON.stringify(req.PutRequest?.Item ?? req.DeleteRequest?.Key)}`;
          const n = (seen.get(k) ?? 0) + 1;
          seen.set(k, n);
          const bucket = drop(req, n) ? held : send;
          (bucket[table] ??= []).push(req);
        }
      }
      for (const reqs of Object.values(held)) stats.dropped += reqs.length;
      if (Object.keys(send).length === 0) {
        return { output: { UnprocessedItems: held, $metadata: {} }, response: {} } as never;
      }
      const result = await next({ ...args, input: { ...input, RequestItems: send } });
      const output = result.output as { UnprocessedItems?: Record<string, WriteRequest[]> };
      const unprocessed = output.UnprocessedItems ?? {};
      for (const [table, reqs] of Object.entries(held)) unprocessed[table] = [...(unprocessed[table] ?? []), ...reqs];
      output.UnprocessedItems = unprocessed;
      return result;
    },
    { step: 'initialize', name: 'ferryTestDropUnprocessed' },
  );
  return stats;
}

export function sdkError(name: string, status: number, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(`${name} (injected)`), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

/**
 * Fails the first `times` attempts of a command with `error`, below the SDK's retry middleware (so the SDK's own
 * retry strategy sees the error, as it would see DynamoDB's). Counts attempts.
 */
export function failAttempts(client: DynamoDBClient, command: string, times: number, error: () => Error): { attempts: number } {
  const stats = { attempts: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== command) return next(args);
      stats.attempts += 1;
      if (stats.attempts <= times) throw error();
      return next(args);
    },
    { step: 'deserialize', name: `ferryTestFail${command}` },
  );
  return stats;
}
