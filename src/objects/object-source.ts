/**
 * Any object store as a ferry source. Streams are prefixes (`from: logs/2024/`, `''` = the whole bucket), segments
 * are key ranges (key-ranges.ts), batches are listing pages, and a segment's cursor is the last name handed over, so
 * a resumed range lists strictly after it.
 *
 * For a copy, a record's value is an `ObjectValue` (the listed object and its store); the sink streams the content.
 * For verification (`purpose: 'verify'`) it is `{ size, md5 }`: the MD5 the store states, or, where it states none
 * (S3 multipart ETags, Azure blobs without Content-MD5, GCS composites), the MD5 of the content read now. A
 * comparison is never made on size alone.
 */
import type { ConnectorContext } from '../core/connector.js';
import type { ObjectInfo, ObjectStore } from '../core/object.js';
import type { Doc, FerryRecord } from '../core/record.js';
import type { ReadRequest, Source, SourceCapabilities, SourceEstimate } from '../core/source.js';
import type { Batch, Segment, StreamRef } from '../core/stream.js';
import { FerryError } from '../errors.js';
import { splitKeyRanges, type KeyRange } from './key-ranges.js';
import { nameFilter } from './name-glob.js';
import { objectRecord } from './object-value.js';
import { md5OfObject } from './read-hash.js';

/** StreamRef.meta of an object stream. */
export interface ObjectStreamMeta {
  objectPrefix: string;
  match?: string;
  [k: string]: unknown;
}

const LIST_PAGE = 1000;
/** Objects hashed at once when verification must read them. */
const HASH_CONCURRENCY = 4;

function cursorName(after: string | undefined): string | undefined {
  if (after === undefined) return undefined;
  const v = JSON.parse(after) as unknown;
  if (typeof v !== 'string') throw new FerryError('STATE', `object cursor ${after} is not a name`);
  return v;
}

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) >= 0 ? a : b;
}

export class ObjectSource implements Source<FerryRecord> {
  /** `match` per stream name, learnt in streams(): a Segment carries only the stream's name. */
  private readonly matches = new Map<string, string | undefined>();
  readonly capabilities: SourceCapabilities = { segmentable: true, exactCount: true, digests: new Set() };

  constructor(
    readonly store: ObjectStore,
    private readonly ctx: ConnectorContext,
  ) {}

  async streams(pattern: string, signal: AbortSignal, options?: Record<string, unknown>): Promise<StreamRef[]> {
    await this.store.check(signal);
    const meta: ObjectStreamMeta = { objectPrefix: pattern };
    if (typeof options?.['match'] === 'string') meta.match = options['match'];
    this.matches.set(pattern, meta.match);
    return [{ name: pattern, meta }];
  }

  async segments(stream: StreamRef, desired: number, signal: AbortSignal): Promise<Segment[]> {
    const prefix = prefixOf(stream);
    const ranges = await splitKeyRanges(this.store, prefix, desired, signal);
    return ranges.map((spec, index) => ({ id: `${stream.name}#${index}/${ranges.length}`, stream: stream.name, index, total: ranges.length, spec }));
  }

  async *read(req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    const prefix = req.segment.stream;
    const range = (req.segment.spec ?? {}) as KeyRange;
    const filter = nameFilter(this.matches.get(req.segment.stream));
    const resumeAfter = cursorName(req.after);
    const after = laterOf(range.after, resumeAfter);
    const verify = req.purpose === 'verify';
    const batchSize = Math.max(1, req.batchSize);

    let items: FerryRecord[] = [];
    let last: string | undefined;
    const emit = async (): Promise<Batch<FerryRecord>> => {
      const out = verify ? await this.verifyRecords(items as FerryRecord<never>[], prefix, req.signal) : items;
      items = [];
      return { items: out, cursor: JSON.stringify(last) };
    };
    const take = (info: ObjectInfo): void => {
      last = info.name;
      if (filter(info.name.slice(prefix.length))) items.push(objectRecord(this.store, prefix, info));
    };

    const listed = this.store.list({
      prefix,
      ...(after === undefined ? {} : { startAfter: after }),
      ...(range.before === undefined ? {} : { endBefore: range.before }),
      pageSize: LIST_PAGE,
      signal: req.signal,
    });
    for await (const page of listed) {
      for (const info of page) {
        take(info);
        if (items.length >= batchSize) yield await emit();
      }
    }
    // The boundary object itself belongs to this range (see key-ranges.ts).
    if (range.before !== undefined && (resumeAfter === undefined || resumeAfter !== range.before)) {
      const edge = await this.store.head(range.before, req.signal);
      if (edge) take(edge);
    }
    if (items.length > 0 || (last !== undefined && last !== resumeAfter)) yield await emit();
  }

  async count(stream: StreamRef, signal: AbortSignal): Promise<number> {
    const prefix = prefixOf(stream);
    const filter = nameFilter((stream.meta as ObjectStreamMeta | undefined)?.match);
    let n = 0;
    for await (const page of this.store.list({ prefix, pageSize: LIST_PAGE, signal })) {
      for (const info of page) if (filter(info.name.slice(prefix.length))) n++;
    }
    return n;
  }

  /**
   * Objects and bytes for a dry run, exactly, from a listing of each segment's key range (the same requests a copy
   * lists with: one LIST per 1,000 names), with the largest object and the sizes by power-of-two class.
   */
  async estimate(stream: StreamRef, signal: AbortSignal, segments?: readonly Segment[]): Promise<SourceEstimate> {
    const prefix = prefixOf(stream);
    const filter = nameFilter((stream.meta as ObjectStreamMeta | undefined)?.match);
    const ranges: KeyRange[] = segments && segments.length > 0 ? segments.map((s) => (s.spec ?? {}) as KeyRange) : [{}];
    const perSegment: number[] = [];
    const classes = new Map<number, { count: number; bytes: number }>();
    let count = 0;
    let bytes = 0;
    let requests = 0;
    let largest: { key: string; bytes: number } | undefined;
    const take = (info: ObjectInfo): boolean => {
      if (!filter(info.name.slice(prefix.length))) return false;
      count++;
      bytes += info.size;
      if (!largest || info.size > largest.bytes) largest = { key: info.name, bytes: info.size };
      const upTo = info.size <= 1024 ? 1024 : 2 ** Math.ceil(Math.log2(info.size));
      const c = classes.get(upTo) ?? { count: 0, bytes: 0 };
      c.count++;
      c.bytes += info.size;
      classes.set(upTo, c);
      return true;
    };
    for (const range of ranges) {
      let n = 0;
      const listed = this.store.list({
        prefix,
        ...(range.after === undefined ? {} : { startAfter: range.after }),
        ...(range.before === undefined ? {} : { endBefore: range.before }),
        pageSize: LIST_PAGE,
        signal,
      });
      for await (const page of listed) {
        requests++;
        for (const info of page) if (take(info)) n++;
      }
      if (range.before !== undefined) {
        const edge = await this.store.head(range.before, signal);
        if (edge && take(edge)) n++;
      }
      perSegment.push(n);
    }
    return {
      count,
      exact: true,
      method: `listing of ${this.store.url}/${prefix} (${requests} page${requests === 1 ? '' : 's'})`,
      bytes,
      bytesExact: true,
      ...(segments && segments.length > 0 ? { perSegment } : {}),
      ...(largest ? { largest } : {}),
      sizes: [...classes.entries()].sort((a, b) => a[0] - b[0]).map(([upTo, c]) => ({ upTo, ...c })),
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.store[Symbol.asyncDispose]();
  }

  /** `{ size, md5 }` per object, reading the ones whose store states no MD5. */
  private async verifyRecords(records: FerryRecord<never>[], prefix: string, signal: AbortSignal): Promise<FerryRecord[]> {
    const out: FerryRecord[] = new Array(records.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < records.length; i = next++) {
        const r = records[i] as unknown as FerryRecord<{ info: ObjectInfo }>;
        const info = r.value.info;
        const md5 = info.md5 ?? (await md5OfObject(this.store, info, signal));
        const value: Doc = { size: info.size, md5 };
        out[i] = { key: { name: info.name.slice(prefix.length) }, value, sizeBytes: info.size };
      }
    };
    await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, records.length) }, worker));
    return out;
  }
}

function prefixOf(stream: StreamRef): string {
  const p = (stream.meta as ObjectStreamMeta | undefined)?.objectPrefix;
  return typeof p === 'string' ? p : stream.name;
}

export function createObjectSource(store: ObjectStore, _options: Record<string, unknown>, ctx: ConnectorContext): Source<FerryRecord> {
  return new ObjectSource(store, ctx);
}
