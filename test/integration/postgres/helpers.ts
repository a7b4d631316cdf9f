/**
 * Shared by the PostgreSQL source tests: a throwaway database per test file, a source opened on it, and readers
 * that collect every record and cursor of a segment.
 */
import pg from 'pg';
import type { ConnectorContext, Logger } from '../../../src/core/connector.js';
import type { FerryRecord } from '../../../src/core/record.js';
import type { Segment, StreamRef } from '../../../src/core/stream.js';
import { openPostgresSource, type PostgresSource, type PostgresSourceTuning } from '../../../src/connectors/postgres/source.js';
import { serviceEnv, uniqueName } from '../../support/clients.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn';
  msg: string;
  data?: Record<string, unknown>;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    debug: (msg, data) => void lines.push({ level: 'debug', msg, ...(data ? { data } : {}) }),
    info: (msg, data) => void lines.push({ level: 'info', msg, ...(data ? { data } : {}) }),
    warn: (msg, data) => void lines.push({ level: 'warn', msg, ...(data ? { data } : {}) }),
  };
}

export function context(logger: Logger = recordingLogger()): ConnectorContext {
  return { signal: new AbortController().signal, logger };
}

/** PGURL with another database name. */
export function databaseUrl(database: string, base = serviceEnv('PGURL')): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A plain pg client on the database (values parsed by pg's defaults), for fixtures. */
  client: pg.Client;
  drop(): Promise<void>;
}

/** A fresh database, so tests can create types, extensions and tables without meeting other runs. */
export async function createDatabase(prefix: string): Promise<TestDatabase> {
  const name = uniqueName(prefix).replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    name,
    url,
    client,
    async drop() {
      await client.end().catch(() => {});
      const a = new pg.Client({ connectionString: serviceEnv('PGURL') });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

export async function openSource(url: string, options: Record<string, unknown> = {}, tuning: PostgresSourceTuning = {}, logger?: Logger): Promise<PostgresSource> {
  return openPostgresSource({ url, ...options }, context(logger), tuning);
}

const never = new AbortController().signal;

export async function listOne(source: PostgresSource, name: string, options?: Record<string, unknown>): Promise<StreamRef> {
  const refs = await source.streams(name, never, options);
  if (refs.length !== 1) throw new Error(`expected one stream for ${name}, got ${refs.map((r) => r.name).join(', ') || 'none'}`);
  return refs[0]!;
}

export interface SegmentRead {
  records: FerryRecord[];
  /** The cursor after each batch. */
  cursors: string[];
  /** Records per batch. */
  sizes: number[];
}

export async function readSegment(source: PostgresSource, segment: Segment, batchSize: number, after?: string, signal: AbortSignal = never): Promise<SegmentRead> {
  const out: SegmentRead = { records: [], cursors: [], sizes: [] };
  for await (const batch of source.read({ segment, batchSize, signal, ...(after === undefined ? {} : { after }) })) {
    out.records.push(...batch.items);
    out.cursors.push(batch.cursor);
    out.sizes.push(batch.items.length);
  }
  return out;
}

export async function readStream(source: PostgresSource, ref: StreamRef, desired: number, batchSize: number): Promise<{ segments: Segment[]; records: FerryRecord[] }> {
  const segments = await source.segments(ref, desired, never);
  const records: FerryRecord[] = [];
  for (const s of segments) records.push(...(await readSegment(source, s, batchSize)).records);
  return { segments, records };
}

/** A record key as text, for set comparisons (bigints included). */
export function keyString(r: FerryRecord): string {
  return JSON.stringify(r.key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
