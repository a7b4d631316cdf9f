/**
 * PostgreSQL as a source: tables (and views, when named) read in key order by keyset pagination, split into key
 * ranges for parallelism, resumable after any batch, all from one exported snapshot by default.
 *
 * Loaded lazily by index.ts (`await import('./source.js')`), so `ferry --help` never pays for pg.
 */
import type { ConnectorContext, Logger } from '../../core/connector.js';
import { Decimal, keyText, TimeValue, type Doc, type FerryRecord, type KeyPart, type RecordKey, type Value } from '../../core/record.js';
import type { BucketSum, DigestSpec, KeyBucketPart, ReadRequest, Source, SourceCapabilities, SourceEstimate } from '../../core/source.js';
import type { Batch, Segment, StreamRef } from '../../core/stream.js';
import { FerryError } from '../../errors.js';
import { suggestion } from '../../plan/did-you-mean.js';
import { describeRelation, listRelations, loadTypes, type PgColumnMeta, type Relation, type RelationKind } from './catalog.js';
import { connectionSetup } from './connection.js';
import { PgConnections, type Query } from './connections.js';
import { OID, TypeDecoders, type TextDecode } from './decode.js';
import { bucketColumns, checkBucketNumbers, keyBucketCondition, type BucketColumn, type KeyColumnType } from './key-buckets.js';
import { digestBucketsSql, foldWordSums, valueForm, type DigestColumn } from './record-digest-sql.js';
import { decodeCursor, encodeCursor, pageQuery, rangeCondition, tupleOf, type KeysetShape, type KeyTuple, type SegmentSpec } from './keyset.js';
import { Gate } from './gate.js';
import { DEFAULT_SEGMENT_TUNING, segmentBounds, type SegmentTuning } from './segment-bounds.js';
import { SnapshotCoordinator } from './snapshot.js';
import { parseStreamPattern, qualified, quoteIdent } from './stream-pattern.js';

/** StreamRef.meta of a PostgreSQL stream (JSON-serialisable). */
export interface PostgresStreamMeta {
  schema: string;
  table: string;
  kind: RelationKind;
  /** The columns rows are identified, ordered and paged by. */
  keyColumns: string[];
  /** `format_type` of each key column. */
  keyTypes: string[];
  /** Where the key comes from: the table's primary key, or the plan stream's `key_columns`. */
  keySource: 'primary key' | 'key_columns';
  columns: PgColumnMeta[];
  /** pg_class.reltuples (null: never analysed, or a view). */
  estimatedRows: number | null;
  /** The plan stream's `where`, if any. */
  where?: string;
  /** Read in the job's exported snapshot (the plan stream's `snapshot`, default true). */
  snapshot: boolean;
}

/** The plan stream keys this source understands (others, e.g. the target's, are ignored). */
interface StreamOptions {
  keyColumns?: string[];
  where?: string;
  snapshot: boolean;
}

interface ResolvedStream {
  name: string;
  meta: PostgresStreamMeta;
  shape: KeysetShape;
  /** Index of each key column among the columns. */
  keyIndexes: number[];
  /** Type OID of each column, in column order. */
  columnTypes: number[];
  /** int2/int4 key columns: JSON numbers in tuples and numbers in record keys. */
  smallKey: boolean[];
}

export interface PostgresSourceTuning {
  segments?: Partial<SegmentTuning>;
}

const RESUMED_SNAPSHOT_WARNING = "this resumed job reads a new snapshot, later than the first run's: rows changed in between are read as they are now";

const SMALL_INT_OIDS = new Set<number>([OID.int2, OID.int4]);

/** `estimate` counts exactly (count(*) and the rows' text size, one scan) below this many estimated rows. */
export const EXACT_ESTIMATE_BELOW = 1_000_000;
/** `estimate` names the largest row when it is at least this large (as text). */
export const LARGE_ROW_BYTES = 64 * 1024;

function streamOptions(options: Record<string, unknown> | undefined): StreamOptions {
  const o = options ?? {};
  const keyColumns = Array.isArray(o['key_columns']) ? (o['key_columns'] as unknown[]).map(String) : undefined;
  const where = typeof o['where'] === 'string' && o['where'].trim() !== '' ? o['where'] : undefined;
  return { ...(keyColumns ? { keyColumns } : {}), ...(where ? { where } : {}), snapshot: o['snapshot'] !== false };
}

function streamName(schema: string, table: string): string {
  return `${schema}.${table}`;
}

/** A record key part: the neutral value in a form every target can index (numbers, bigints, strings). */
function keyPartOf(v: Value): KeyPart {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (v instanceof Decimal) return v.text;
  if (v instanceof TimeValue) return v.iso;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return JSON.stringify(v);
}

export class PostgresSource implements Source<FerryRecord> {
  readonly capabilities: SourceCapabilities = { segmentable: true, exactCount: true, digests: new Set(), keyBuckets: true };
  private readonly decoders = new TypeDecoders();
  private readonly byName = new Map<string, ResolvedStream>();
  /** Streams this source instance split: reading any other stream's segments means they come from an earlier run. */
  private readonly segmented = new Set<string>();
  /** Last cursor produced per segment: a re-open after it (the engine's retry) is not a resume. */
  private readonly lastCursor = new Map<string, string>();
  private snapshotOpening: Promise<SnapshotCoordinator> | undefined;
  private warnedResume = false;
  private closed = false;
  private readonly tuning: SegmentTuning;
  private readonly logger: Logger;
  private readonly counting: Gate;

  constructor(
    private readonly conns: PgConnections,
    private readonly openSnapshot: () => Promise<SnapshotCoordinator>,
    private readonly defaultSchema: string,
    ctx: ConnectorContext,
    tuning: PostgresSourceTuning = {},
  ) {
    this.logger = ctx.logger;
    this.tuning = { ...DEFAULT_SEGMENT_TUNING, ...tuning.segments };
    // Counts are full scans that the engine starts all at once for progress bars: leave most connections to reads.
    this.counting = new Gate(Math.max(1, Math.floor(conns.max / 4)));
  }

  /** The job's snapshot, exported on first need (the first stream listed with `snapshot` on) and then kept. */
  private snapshot(): Promise<SnapshotCoordinator> {
    if (!this.snapshotOpening) {
      this.snapshotOpening = this.openSnapshot();
      this.snapshotOpening.catch(() => (this.snapshotOpening = undefined));
    }
    return this.snapshotOpening;
  }

  async streams(pattern: string, signal: AbortSignal, options?: Record<string, unknown>): Promise<StreamRef[]> {
    const opts = streamOptions(options);
    // Before anything is read or counted, so every stream of the job sees the same instant.
    if (opts.snapshot) await this.snapshot();
    const parsed = parseStreamPattern(pattern, this.defaultSchema);
    return this.conns.with(signal, { doing: `listing ${pattern}` }, async (query) => {
      const relations = await listRelations(query, parsed);
      if (relations.length === 0 && parsed.explicit) await this.refuseMissing(query, `${parsed.schema.exact}.${parsed.table.exact}`);
      const refs: StreamRef[] = [];
      for (const rel of relations) {
        const resolved = await this.resolve(query, rel, opts, parsed.explicit);
        refs.push({ name: resolved.name, meta: resolved.meta as unknown as Record<string, unknown> });
      }
      return refs;
    });
  }

  private async refuseMissing(query: Query, name: string): Promise<never> {
    const { rows } = await query(
      `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') LIMIT 5000`,
    );
    const hint = suggestion(name, rows.map((r) => r[0] as string));
    throw new FerryError('NOT_FOUND', `table ${name} does not exist${hint}`, {
      hint: 'check the stream\'s `from:` (schema.table; names are case-sensitive as the catalog holds them)',
    });
  }

  /**
   * Columns, key and checks of one relation; remembered by name for reads and counts. The key is the primary key;
   * else the plan stream's `key_columns`; else the relation is refused. `knownKey` (from a StreamRef's meta or a
   * segment spec) is the key chosen when the job started: cursors are tuples of it, so it is kept as it is.
   */
  private async resolve(query: Query, rel: Relation, opts: StreamOptions, explicit: boolean, knownKey?: readonly string[]): Promise<ResolvedStream> {
    const name = streamName(rel.schema, rel.table);
    const shape = await describeRelation(query, rel);
    this.decoders.add(shape.types);
    const columnNames = shape.columns.map((c) => c.name);
    const sameAsPk = (cols: readonly string[]): boolean => cols.join('\u0000') === shape.primaryKey.join('\u0000');
    const checkExists = (cols: readonly string[]): void => {
      const unknown = cols.filter((c) => !columnNames.includes(c));
      if (unknown.length > 0) {
        throw new FerryError('CONFIG', `key_columns of ${name} names ${unknown.join(', ')}, which ${rel.kind} ${name} does not have${suggestion(unknown[0]!, columnNames)}`, {
          hint: `its columns: ${columnNames.join(', ')}`,
        });
      }
    };

    let keyColumns: string[];
    let keySource: PostgresStreamMeta['keySource'];
    if (knownKey) {
      checkExists(knownKey);
      keyColumns = [...knownKey];
      keySource = sameAsPk(knownKey) ? 'primary key' : 'key_columns';
    } else if (shape.primaryKey.length > 0) {
      keyColumns = shape.primaryKey;
      keySource = 'primary key';
      if (explicit && opts.keyColumns && !sameAsPk(opts.keyColumns)) {
        this.logger.warn(`${name} has a primary key (${keyColumns.join(', ')}); its stream's key_columns (${opts.keyColumns.join(', ')}) are for tables without one, and are not used`, { stream: name });
      }
    } else if (opts.keyColumns) {
      checkExists(opts.keyColumns);
      keyColumns = opts.keyColumns;
      keySource = 'key_columns';
      await this.checkKeyColumns(query, rel, name, keyColumns, shape.columns, shape.uniqueKeys);
    } else {
      throw new FerryError('CONFIG', `${rel.kind} ${name} has no primary key; name unique, non-null columns with \`key_columns: [col, ...]\` on its stream`, {
        hint: 'ferry reads, splits and resumes by a key; pick columns that identify each row',
        details: { stream: name, columns: columnNames },
      });
    }

    const keyIndexes = keyColumns.map((k) => columnNames.indexOf(k));
    const meta: PostgresStreamMeta = {
      schema: rel.schema,
      table: rel.table,
      kind: rel.kind,
      keyColumns,
      keyTypes: keyIndexes.map((i) => shape.columns[i]!.type),
      keySource,
      columns: shape.columns,
      estimatedRows: rel.estimatedRows,
      ...(opts.where ? { where: opts.where } : {}),
      snapshot: opts.snapshot,
    };
    const resolved: ResolvedStream = {
      name,
      meta,
      shape: { schema: rel.schema, table: rel.table, columns: columnNames, key: keyColumns, keyTypes: meta.keyTypes },
      keyIndexes,
      columnTypes: shape.columnTypes,
      smallKey: keyIndexes.map((i) => SMALL_INT_OIDS.has(this.decoders.resolve(shape.columnTypes[i]!))),
    };
    this.byName.set(this.cacheKey(name, keyColumns), resolved);
    this.byName.set(name, resolved);
    return resolved;
  }

  private cacheKey(name: string, key: readonly string[] | undefined): string {
    return key ? `${name}\u0000${key.join('\u0000')}` : name;
  }

  /**
   * Keyset paging skips rows whose key is NULL, and rows sharing a key at a page boundary: refuse NULLs (one scan,
   * only when the catalog does not rule them out), and warn when no unique index vouches for uniqueness.
   */
  private async checkKeyColumns(query: Query, rel: Relation, name: string, key: string[], columns: PgColumnMeta[], uniqueKeys: string[][]) {
    const nullable = key.filter((k) => columns.find((c) => c.name === k)?.nullable);
    if (nullable.length > 0) {
      const { rows } = await query(
        `SELECT EXISTS (SELECT 1 FROM ${qualified(rel.schema, rel.table)} WHERE ${nullable.map((k) => `${quoteIdent(k)} IS NULL`).join(' OR ')})`,
      );
      if (rows[0]![0] === 't') {
        throw new FerryError('CONFIG', `key_columns of ${name} must not hold NULL, but ${nullable.join(' or ')} does in some rows`, {
          hint: 'name unique, non-null columns in the stream\'s `key_columns`',
        });
      }
    }
    if (!uniqueKeys.some((u) => u.every((c) => key.includes(c)))) {
      this.logger.warn(`no unique index of ${name} covers its key_columns (${key.join(', ')}); ferry trusts they are unique. Rows sharing a key could be skipped, which the count verifier would report`, { stream: name });
    }
  }

  /** The stream a segment or a StreamRef names, from memory or from the catalog (e.g. a verifier's own source). */
  private async resolveStream(name: string, key: readonly string[] | undefined, opts: StreamOptions, signal: AbortSignal): Promise<ResolvedStream> {
    const known = this.byName.get(this.cacheKey(name, key));
    if (known) return known;
    return this.conns.with(signal, { doing: `describing ${name}` }, async (query) => {
      const dot = name.indexOf('.');
      const parsed = parseStreamPattern(`"${name.slice(0, dot).replaceAll('"', '""')}"."${name.slice(dot + 1).replaceAll('"', '""')}"`, this.defaultSchema);
      const [rel] = await listRelations(query, parsed);
      if (!rel) return this.refuseMissing(query, name);
      return this.resolve(query, rel, opts, true, key);
    });
  }

  /** A StreamRef's stream, with the `where` and `snapshot` its meta carries (two plan streams may differ there). */
  private async streamOf(ref: StreamRef, signal: AbortSignal): Promise<{ s: ResolvedStream; where: string | undefined; snapshot: boolean }> {
    const m = ref.meta as Partial<PostgresStreamMeta> | undefined;
    const s = await this.resolveStream(ref.name, m?.keyColumns, { ...(m?.where ? { where: m.where } : {}), snapshot: m?.snapshot ?? true }, signal);
    return m ? { s, where: m.where, snapshot: m.snapshot ?? true } : { s, where: s.meta.where, snapshot: s.meta.snapshot };
  }

  async segments(stream: StreamRef, desired: number, signal: AbortSignal): Promise<Segment[]> {
    const { s, where, snapshot } = await this.streamOf(stream, signal);
    const cuts = await this.conns.with(signal, { doing: `splitting ${s.name}`, relation: s.name, ...whereHint(where) }, (query) =>
      segmentBounds(query, {
        shape: s.shape,
        smallKey: s.smallKey,
        estimatedRows: s.meta.estimatedRows,
        sampleable: s.meta.kind === 'table' || s.meta.kind === 'partitioned table' || s.meta.kind === 'materialized view',
        ...(where ? { where } : {}),
        desired,
        tuning: this.tuning,
      }),
    );
    this.segmented.add(s.name);
    const total = cuts.length + 1;
    return Array.from({ length: total }, (_, i) => {
      const spec: SegmentSpec = {
        key: s.meta.keyColumns,
        ...(i > 0 ? { lower: cuts[i - 1]! } : {}),
        ...(i < total - 1 ? { upper: cuts[i]! } : {}),
        ...(where ? { where } : {}),
        snapshot,
      };
      return { id: `${s.name}#${i}/${total}`, stream: s.name, index: i, total, spec };
    });
  }

  async count(stream: StreamRef, signal: AbortSignal): Promise<number> {
    const { s, where, snapshot } = await this.streamOf(stream, signal);
    const snap = snapshot ? await this.snapshot() : undefined;
    const values: unknown[] = [];
    const sql = `SELECT count(*) FROM ${qualified(s.meta.schema, s.meta.table)}${rangeCondition(s.shape, { ...(where ? { where } : {}) }, values)}`;
    const { rows } = await this.counting
      .run(signal, () =>
        this.conns.with(signal, { doing: `counting ${s.name}`, relation: s.name, ...whereHint(where) }, (query) =>
          inTransaction(query, snap, () => query(sql, values)),
        ),
      )
      .catch((e: unknown) => {
        throw signal.aborted ? new FerryError('INTERRUPTED', `counting ${s.name}: cancelled`) : e;
      });
    return Number(rows[0]![0]);
  }

  /**
   * Rows and bytes for a dry run. The planner's estimate first (`EXPLAIN`: pg_class.reltuples for a table, with the
   * stream's `where` applied); below EXACT_ESTIMATE_BELOW rows, one exact scan per segment in the job's snapshot:
   * count(*) and the sum of the rows' text sizes (what ferry reads: every value as PostgreSQL prints it). Above, the
   * statistics: reltuples and pg_table_size (heap and TOAST, without indexes, which are not moved), or the planner's
   * rows × width for a view or a filtered stream; segments are sized from the same statistics, so each gets its
   * share.
   */
  async estimate(stream: StreamRef, signal: AbortSignal, segments?: readonly Segment[]): Promise<SourceEstimate> {
    const { s, where, snapshot } = await this.streamOf(stream, signal);
    const rel = qualified(s.meta.schema, s.meta.table);
    const ctx = { doing: `estimating ${s.name}`, relation: s.name, ...whereHint(where) };
    const planned = await this.conns.with(signal, ctx, async (query) => {
      const { rows } = await query(`EXPLAIN (FORMAT JSON) SELECT * FROM ${rel}${where ? ` WHERE (${where})` : ''}`);
      const raw = rows[0]![0];
      const plan = ((typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: { 'Plan Rows': number; 'Plan Width': number } }[])[0]!.Plan;
      let tableBytes: number | null = null;
      if (!where && (s.meta.kind === 'table' || s.meta.kind === 'partitioned table' || s.meta.kind === 'materialized view')) {
        const size = await query(
          `SELECT CASE WHEN c.relkind = 'p'
                  THEN (SELECT coalesce(sum(pg_table_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
                  ELSE pg_table_size(c.oid) END::int8
           FROM pg_class c WHERE c.oid = $1::regclass`,
          [rel],
        );
        tableBytes = Number(size.rows[0]![0]);
      }
      return { rows: plan['Plan Rows'], width: plan['Plan Width'], tableBytes };
    });
    const statsRows = !where && s.meta.estimatedRows !== null ? s.meta.estimatedRows : Math.round(planned.rows);
    const statsMethod = !where && s.meta.estimatedRows !== null ? 'pg_class.reltuples' : `planner estimate (EXPLAIN${where ? ' with the stream\'s `where`' : ''})`;

    if (statsRows >= EXACT_ESTIMATE_BELOW) {
      const bytes = planned.tableBytes ?? Math.round(planned.rows * planned.width);
      const total = segments?.length ?? 0;
      return {
        count: statsRows,
        exact: false,
        method: statsMethod,
        bytes,
        bytesExact: false,
        bytesMethod: planned.tableBytes !== null ? 'pg_table_size (heap and TOAST, without indexes)' : 'planner rows × row width',
        ...(total > 0 ? { perSegment: Array.from({ length: total }, () => Math.round(statsRows / total)) } : {}),
        notes: [`over ${EXACT_ESTIMATE_BELOW.toLocaleString('en-US')} rows, not counted (an exact count scans the table)`],
      };
    }

    const snap = snapshot ? await this.snapshot() : undefined;
    const slices: { lower?: KeyTuple; upper?: KeyTuple }[] =
      segments && segments.length > 0 ? segments.map((seg) => (seg.spec ?? {}) as { lower?: KeyTuple; upper?: KeyTuple }) : [{}];
    const perSegment: number[] = [];
    let count = 0;
    let bytes = 0;
    let maxRow = 0;
    for (const slice of slices) {
      const values: unknown[] = [];
      const cond = rangeCondition(
        s.shape,
        { ...(slice.lower ? { lower: slice.lower } : {}), ...(slice.upper ? { upper: slice.upper } : {}), ...(where ? { where } : {}) },
        values,
      );
      const sql = `SELECT count(*), coalesce(sum(octet_length(t::text)), 0)::int8, coalesce(max(octet_length(t::text)), 0)::int8 FROM ${rel} t${cond}`;
      const { rows } = await this.counting
        .run(signal, () => this.conns.with(signal, ctx, (query) => inTransaction(query, snap, () => query(sql, values))))
        .catch((e: unknown) => {
          throw signal.aborted ? new FerryError('INTERRUPTED', `estimating ${s.name}: cancelled`) : e;
        });
      const n = Number(rows[0]![0]);
      perSegment.push(n);
      count += n;
      bytes += Number(rows[0]![1]);
      maxRow = Math.max(maxRow, Number(rows[0]![2]));
    }
    // A row large enough to matter to a target (DynamoDB takes 400 KB): find which one it is.
    let largest: SourceEstimate['largest'];
    if (maxRow >= LARGE_ROW_BYTES) {
      const values: unknown[] = [];
      const cond = rangeCondition(s.shape, { ...(where ? { where } : {}) }, values);
      const cols = s.shape.columns.map((c) => `t.${quoteIdent(c)}`).join(', ');
      const sql = `SELECT ${cols}, octet_length(t::text) FROM ${rel} t${cond} ORDER BY octet_length(t::text) DESC LIMIT 1`;
      const result = await this.conns.with(signal, ctx, async (query) => {
        const r = await inTransaction(query, snap, () => query(sql, values));
        await this.learnTypes(query, r.fields.map((f) => f.dataTypeID));
        return r;
      });
      const row = result.rows[0];
      if (row) {
        const n = s.shape.columns.length;
        const decode = result.fields.slice(0, n).map((f) => this.decoders.decoder(f.dataTypeID));
        const record = this.toRecord(s, row.slice(0, n), decode);
        largest = { key: keyText(record.key), bytes: Number(row[n]), record };
      }
    }
    return {
      count,
      exact: true,
      method: `count(*)${snap ? ' in the snapshot' : ''} (about ${statsRows.toLocaleString('en-US')} rows by ${statsMethod}, under ${EXACT_ESTIMATE_BELOW.toLocaleString('en-US')})`,
      bytes,
      bytesExact: true,
      bytesMethod: 'sum of the rows\' text sizes (what ferry reads)',
      ...(segments && segments.length > 0 ? { perSegment } : {}),
      ...(largest ? { largest } : {}),
    };
  }

  /**
   * Whether PostgreSQL can compute the identity of `parts` for the verifier's key buckets (see key-buckets.ts for the
   * types it can). Synchronous, so it answers from the stream as this source described it (`streams`, a read), else
   * from the StreamRef's meta, where a domain shows under its own name and is refused.
   */
  keyBuckets(stream: StreamRef, parts: readonly KeyBucketPart[]): true | string {
    const columns = bucketColumns(stream.name, parts, this.columnTypes(stream));
    return typeof columns === 'string' ? columns : true;
  }

  /**
   * Whether PostgreSQL can digest the stream's rows as ferry does (record-digest-sql.ts lists the column types), from
   * what this source knows of the stream, as `keyBuckets`. The server's version and encoding are checked by
   * `digestBuckets` itself.
   */
  canDigest(stream: StreamRef, spec: DigestSpec): true | string {
    const d = this.digestColumnsOf(stream, spec);
    return typeof d === 'string' ? d : true;
  }

  /** The checksum's first pass in PostgreSQL: per md5 key bucket, the count and digest sum of the stream's rows. */
  async digestBuckets(stream: StreamRef, spec: DigestSpec, signal: AbortSignal): Promise<BucketSum[]> {
    const { s, where, snapshot } = await this.streamOf(stream, signal);
    const d = this.digestColumnsOf({ name: s.name, meta: s.meta as unknown as Record<string, unknown> }, spec);
    if (typeof d === 'string') throw new FerryError('UNSUPPORTED', `PostgreSQL cannot digest ${s.name}: ${d}`);
    checkBucketNumbers(spec.buckets, []);
    const snap = snapshot ? await this.snapshot() : undefined;
    const ctx = { doing: `digesting ${s.name}`, relation: s.name, ...whereHint(where) };
    const rows = await this.conns
      .with(signal, ctx, (query) =>
        inTransaction(query, snap, async () => {
          const { rows: env } = await query(`SELECT current_setting('server_version_num')::int, current_setting('server_encoding')`);
          const [version, encoding] = env[0] as [number, string];
          // trim_scale is PostgreSQL 13+; a non-UTF8 database writes text in other bytes than ferry hashes.
          if (version < 130000) throw new FerryError('UNSUPPORTED', `PostgreSQL ${version} has no trim_scale (13+ does)`);
          if (encoding !== 'UTF8') throw new FerryError('UNSUPPORTED', `the database's encoding is ${encoding}, not UTF8`);
          const values: unknown[] = [];
          const sql = digestBucketsSql(qualified(s.meta.schema, s.meta.table), where, spec, d.keyParts, d.fields, values);
          return (await query(sql, values)).rows;
        }),
      )
      .catch((e: unknown) => {
        throw signal.aborted ? new FerryError('INTERRUPTED', `digesting ${s.name}: cancelled`) : e;
      });
    return rows.map((r) => {
      const row = r as unknown[];
      return { bucket: Number(row[0]), count: Number(row[1]), sum: foldWordSums(row.slice(2, 6) as string[]) };
    });
  }

  private digestColumnsOf(stream: StreamRef, spec: DigestSpec): { keyParts: BucketColumn[]; fields: DigestColumn[] } | string {
    const typeOf = this.columnTypes(stream);
    const keyParts = bucketColumns(stream.name, spec.keyParts, typeOf);
    if (typeof keyParts === 'string') return keyParts;
    if (spec.fields.length === 0) return 'no fields to digest';
    const fields: DigestColumn[] = [];
    for (const f of spec.fields) {
      if (f.name.includes('\u0000')) return `field name ${JSON.stringify(f.name)} holds a NUL character`;
      const t = typeOf(f.column);
      if (!t) return `column ${f.column} is not a column of ${stream.name}`;
      const form = valueForm(t.type);
      if (!form) return `column ${f.column} is ${t.shown}; PostgreSQL does not write its canonical text as ferry does`;
      fields.push({ name: f.name, column: f.column, form });
    }
    return { keyParts, fields };
  }

  /**
   * A column's type as bucketing and digests see it. Synchronous, so it answers from the stream as this source
   * described it (`streams`, a read), else from the StreamRef's meta, where a domain shows under its own name (and
   * is refused).
   */
  private columnTypes(stream: StreamRef): (column: string) => { type: KeyColumnType; shown: string } | undefined {
    const m = stream.meta as Partial<PostgresStreamMeta> | undefined;
    const known = this.byName.get(this.cacheKey(stream.name, m?.keyColumns));
    if (known) {
      return (column) => {
        const i = known.shape.columns.indexOf(column);
        if (i < 0) return undefined;
        const info = this.decoders.info(this.decoders.resolve(known.columnTypes[i]!));
        const c = known.meta.columns[i]!;
        const type: KeyColumnType = info ? { name: info.name, kind: info.kind, isArray: c.isArray } : { name: c.udtName, kind: '?', isArray: c.isArray };
        return { type, shown: c.isArray || !info ? c.type : info.name };
      };
    }
    const metaColumns = m?.columns ?? [];
    return (column) => {
      const c = metaColumns.find((x) => x.name === column);
      return c && { type: { name: c.udtName, kind: c.enumValues && !c.isArray ? 'e' : 'b', isArray: c.isArray }, shown: c.isArray ? c.type : c.udtName };
    };
  }

  private bucketColumnsOf(s: ResolvedStream, parts: readonly KeyBucketPart[]): BucketColumn[] | string {
    return bucketColumns(s.name, parts, this.columnTypes({ name: s.name, meta: { keyColumns: s.meta.keyColumns } }));
  }

  async *read(req: ReadRequest): AsyncGenerator<Batch<FerryRecord>, void, undefined> {
    const { segment, signal } = req;
    const spec = segment.spec as SegmentSpec | null;
    const s = spec
      ? await this.resolveStream(segment.stream, spec.key, { ...(spec.where ? { where: spec.where } : {}), snapshot: spec.snapshot }, signal)
      : await this.resolveStream(segment.stream, undefined, { snapshot: true }, signal);
    const where = spec ? spec.where : s.meta.where;
    const useSnapshot = spec ? spec.snapshot : s.meta.snapshot;
    const upper = spec?.upper;
    let lower: KeyTuple | undefined = req.after !== undefined ? decodeCursor(req.after, s.shape.key.length) : spec?.lower;

    const snap = useSnapshot ? await this.snapshot() : undefined;
    if (snap && !this.warnedResume && (!this.segmented.has(s.name) || (req.after !== undefined && this.lastCursor.get(segment.id) !== req.after))) {
      this.warnedResume = true;
      this.logger.warn(RESUMED_SNAPSHOT_WARNING, { stream: s.name, segment: segment.id });
    }

    // The verifier's key buckets: the server keeps only their rows, so the others never cross the wire.
    let extra: ((values: unknown[]) => string) | undefined;
    if (req.keyBuckets) {
      const { buckets, selected } = req.keyBuckets;
      const columns = this.bucketColumnsOf(s, req.keyBuckets.parts);
      if (typeof columns === 'string') {
        throw new FerryError('UNSUPPORTED', `${s.name}: cannot select key buckets in PostgreSQL: ${columns}`, {
          hint: 'ask keyBuckets() first; without its yes, read the whole stream',
        });
      }
      checkBucketNumbers(buckets, selected);
      if (selected.length === 0) return;
      extra = (values) => keyBucketCondition(columns, buckets, selected, values);
    }

    const ctx = { doing: `reading ${s.name}`, relation: s.name, ...whereHint(where) };
    const batchSize = Math.max(1, Math.floor(req.batchSize));
    for (;;) {
      if (signal.aborted || this.closed) throw new FerryError('INTERRUPTED', `reading ${s.name}: cancelled`);
      const range = { ...(lower ? { lower } : {}), ...(upper ? { upper } : {}), ...(where ? { where } : {}), ...(extra ? { extra } : {}) };
      const { text, values } = pageQuery(s.shape, range, batchSize);
      const result = await this.conns.with(signal, ctx, async (query) => {
        const r = await inTransaction(query, snap, () => query(text, values));
        await this.learnTypes(query, r.fields.map((f) => f.dataTypeID));
        return r;
      });
      if (result.rows.length === 0) return;
      const decode = result.fields.map((f) => this.decoders.decoder(f.dataTypeID));
      const items: FerryRecord[] = [];
      let bytes = 0;
      for (const raw of result.rows) {
        const record = this.toRecord(s, raw, decode);
        bytes += record.sizeBytes!;
        items.push(record);
      }
      lower = tupleOf(result.rows[result.rows.length - 1]!, s.keyIndexes, s.smallKey);
      const cursor = encodeCursor(lower);
      this.lastCursor.set(segment.id, cursor);
      yield { items, cursor, sizeBytes: bytes };
      if (result.rows.length < batchSize) return;
    }
  }

  /** Types the catalog pass did not see (a column altered since): learn them before decoding. */
  private async learnTypes(query: Query, oids: number[]): Promise<void> {
    const missing = oids.filter((o) => !this.decoders.knows(o));
    if (missing.length > 0) this.decoders.add(await loadTypes(query, missing));
  }

  private toRecord(s: ResolvedStream, raw: unknown[], decode: TextDecode[]): FerryRecord<Doc> {
    const value: Doc = {};
    const cols = s.shape.columns;
    let size = 2;
    for (let i = 0; i < cols.length; i++) {
      const text = raw[i] as string | null;
      const v = text === null ? null : decode[i]!(text);
      const name = cols[i]!;
      // A column may be called __proto__; it must stay data.
      if (name === '__proto__') Object.defineProperty(value, name, { value: v, enumerable: true, writable: true, configurable: true });
      else value[name] = v;
      size += name.length + 3 + (text === null ? 4 : text.length);
    }
    const key: Record<string, KeyPart> = {};
    for (const ix of s.keyIndexes) key[cols[ix]!] = keyPartOf(value[cols[ix]!] ?? null);
    return { key: key as RecordKey, value, sizeBytes: size };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const snap = this.snapshotOpening;
    this.snapshotOpening = undefined;
    if (snap) await snap.then((c) => c.close()).catch(() => {});
    await this.conns.end();
  }
}

function whereHint(where: string | undefined): { sqlHint?: string } {
  return where ? { sqlHint: `check the stream's \`where\` (${where}) and \`key_columns\`` } : {};
}

/** Run `fn` inside a read transaction in the snapshot (or as it is, without one). */
async function inTransaction<T>(query: Query, snap: SnapshotCoordinator | undefined, fn: () => Promise<T>): Promise<T> {
  if (!snap) return fn();
  await query(snap.beginSql());
  const out = await fn();
  await query('COMMIT');
  return out;
}

export async function openPostgresSource(options: Record<string, unknown>, ctx: ConnectorContext, tuning: PostgresSourceTuning = {}): Promise<PostgresSource> {
  const setup = await connectionSetup(options);
  const max = typeof options['max_connections'] === 'number' ? options['max_connections'] : 10;
  const conns = new PgConnections(setup, max, ctx.logger);
  try {
    // Connect now: an unreachable server or a refused password must fail `ferry run` before it records a job.
    await conns.with(ctx.signal, {}, (query) => query('SELECT 1'));
  } catch (e) {
    await conns.end();
    throw e;
  }
  const schema = typeof options['schema'] === 'string' && options['schema'] !== '' ? options['schema'] : 'public';
  return new PostgresSource(conns, () => SnapshotCoordinator.open(setup, ctx.logger), schema, ctx, tuning);
}
