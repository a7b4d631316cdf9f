/**
 * An in-memory document Source for verification tests: records generated lazily from their index (a stream of
 * millions costs no memory), where `make` may return null to leave an index out (a deleted record). Its segments can
 * be contiguous ranges or interleaved (`i % n`), read forwards or backwards, so the two sides of a comparison can be
 * sliced and ordered differently, as two real stores are.
 */
import { keyIdentity, md5Bucket } from '../../src/core/digest.js';
import type { FerryRecord, RecordKey } from '../../src/core/record.js';
import type { BucketSum, KeyBucketPart, ReadRequest, Source, SourceCapabilities } from '../../src/core/source.js';
import type { Batch, Segment, StreamRef } from '../../src/core/stream.js';
import { FerryError } from '../../src/errors.js';

export interface DocStream {
  /** Indexes 0..count-1 are candidates. */
  count: number;
  /** Record number i, or null for none; default `{ key: { id: i }, value: { id: i, name: 'r<i>' } }`. */
  make?: (i: number) => FerryRecord | null;
}

export interface DocSourceOptions {
  streams: Record<string, DocStream>;
  /** `count()` is exact (default true); false makes it an estimate (off by one) that verifiers must not trust. */
  exactCount?: boolean;
  /** Offer `count()` at all (default true). */
  countable?: boolean;
  /** Offer `segments()` (default true). */
  segmentable?: boolean;
  /** Slices: contiguous index ranges (default) or every n-th index. */
  slicing?: 'ranges' | 'interleaved';
  /** Read each segment from its end. */
  reverse?: boolean;
  /** Throw this from the read of a segment once, after that many batches of it (then read normally). */
  failOnce?: { afterBatches: number; error: unknown };
  /** Called before each batch is produced (tests abort from here, or count reads). */
  beforeBatch?: (segmentId: string, signal: AbortSignal) => void;
  /** Offer `lookup` (point reads by key). */
  lookup?: boolean;
  /**
   * Select md5 key buckets "server-side" in `read` (`ReadRequest.keyBuckets`); `wrong-text` renders key values
   * differently from ferry (upper-cased `name=`), as a store with another text form would, so its selection is wrong.
   */
  keyBuckets?: true | 'wrong-text';
  /** Offer `digestBuckets`, which fails with this TRANSIENT message (the verifier must read the source itself). */
  digestFails?: string;
}

interface Slice {
  index: number;
  total: number;
}

export function plainRecord(i: number): FerryRecord {
  return { key: { id: i }, value: { id: i, name: `r${i}` } };
}

export class DocSource implements Source<FerryRecord> {
  readonly capabilities: SourceCapabilities;
  /** Records handed out, over all reads. */
  yielded = 0;
  batches = 0;
  countCalls = 0;
  /** Records returned by `lookup`, and its calls. */
  lookedUp = 0;
  lookupCalls = 0;
  /** Reads asked to select key buckets. */
  bucketReads = 0;
  digestCalls = 0;
  private failed = false;
  private readonly index = new Map<string, Map<string, number>>();

  constructor(private readonly opts: DocSourceOptions) {
    this.capabilities = {
      segmentable: opts.segmentable ?? true,
      exactCount: opts.exactCount ?? true,
      digests: new Set(),
      ...(opts.keyBuckets ? { keyBuckets: true } : {}),
    };
    if (!opts.lookup) Object.defineProperty(this, 'lookup', { value: undefined });
    if (!opts.keyBuckets) Object.defineProperty(this, 'keyBuckets', { value: undefined });
    if (!opts.digestFails) {
      Object.defineProperty(this, 'canDigest', { value: undefined });
      Object.defineProperty(this, 'digestBuckets', { value: undefined });
    }
    // Methods live on the prototype: shadow them on the instance so `source.count` really is absent.
    if (opts.segmentable === false) Object.defineProperty(this, 'segments', { value: undefined });
    if (opts.countable === false) Object.defineProperty(this, 'count', { value: undefined });
  }

  async streams(pattern: string): Promise<StreamRef[]> {
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return Object.keys(this.opts.streams)
      .filter((n) => re.test(n))
      .sort()
      .map((name) => ({ name }));
  }

  async segments(stream: StreamRef, desired: number): Promise<Segment[]> {
    const n = Math.max(1, Math.min(desired, this.stream(stream.name).count || 1));
    return Array.from({ length: n }, (_, index) => ({ id: `${stream.name}#${index}/${n}`, stream: stream.name, index, total: n, spec: { index, total: n } satisfies Slice }));
  }

  async count(stream: StreamRef): Promise<number> {
    this.countCalls += 1;
    const s = this.stream(stream.name);
    const make = s.make ?? plainRecord;
    let n = 0;
    for (let i = 0; i < s.count; i++) if (make(i) !== null) n++;
    return this.capabilities.exactCount ? n : n + 1;
  }

  /** The indexes of a segment, in read order. */
  private indexes(count: number, slice: Slice): number[] {
    const out: number[] = [];
    if ((this.opts.slicing ?? 'ranges') === 'interleaved') {
      for (let i = slice.index; i < count; i += slice.total) out.push(i);
    } else {
      const start = Math.floor((count * slice.index) / slice.total);
      const end = Math.floor((count * (slice.index + 1)) / slice.total);
      for (let i = start; i < end; i++) out.push(i);
    }
    return this.opts.reverse ? out.reverse() : out;
  }

  canDigest(): true {
    return true;
  }

  async digestBuckets(): Promise<BucketSum[]> {
    this.digestCalls += 1;
    // Fail a moment later, as a long aggregate does, while the other side is being read.
    await new Promise((resolve) => setTimeout(resolve, 40));
    throw new FerryError('TRANSIENT', this.opts.digestFails ?? 'no digests here');
  }

  keyBuckets(_stream: StreamRef, parts: readonly KeyBucketPart[]): true | string {
    return parts.length > 0 ? true : 'no parts';
  }

  async lookup(stream: StreamRef, keys: readonly RecordKey[]): Promise<FerryRecord[]> {
    this.lookupCalls += 1;
    const s = this.stream(stream.name);
    const make = s.make ?? plainRecord;
    let index = this.index.get(stream.name);
    if (!index) {
      // Built once, uncounted: a store's own key index.
      index = new Map();
      for (let i = 0; i < s.count; i++) {
        const r = make(i);
        if (r !== null) index.set(keyIdentity(r.key), i);
      }
      this.index.set(stream.name, index);
    }
    const out: FerryRecord[] = [];
    const seen = new Set<string>();
    for (const k of keys) {
      const id = keyIdentity(k);
      if (seen.has(id)) continue;
      seen.add(id);
      const i = index.get(id);
      const r = i === undefined ? null : make(i);
      if (r !== null) out.push(r);
    }
    this.lookedUp += out.length;
    return out;
  }

  async *read(req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    const s = this.stream(req.segment.stream);
    const base = s.make ?? plainRecord;
    const kb = req.keyBuckets;
    if (kb) this.bucketReads += 1;
    const wanted = kb ? new Set(kb.selected) : undefined;
    const text = (v: unknown): string => (v === null || v === undefined ? 'null' : String(v));
    const make = !kb
      ? base
      : (i: number): FerryRecord | null => {
          const r = base(i);
          if (r === null) return null;
          const row = { ...(r.value as Record<string, unknown>), ...r.key };
          let id = kb.parts.map((p) => `${p.name}=${text(row[p.column])}`).join(', ');
          if (this.opts.keyBuckets === 'wrong-text') id = id.toUpperCase();
          return wanted!.has(md5Bucket(id, kb.buckets)) ? r : null;
        };
    const slice = (req.segment.spec as Slice | null) ?? { index: 0, total: 1 };
    // A 1M-record stream read in one segment would allocate an 8 MB index list; fine for tests.
    const order = this.indexes(s.count, slice);
    let pos = req.after === undefined ? 0 : (JSON.parse(req.after) as { pos: number }).pos;
    let batchesHere = 0;
    while (pos < order.length) {
      if (req.signal.aborted) throw new FerryError('INTERRUPTED', 'read aborted');
      this.opts.beforeBatch?.(req.segment.id, req.signal);
      const f = this.opts.failOnce;
      if (f && !this.failed && batchesHere >= f.afterBatches) {
        this.failed = true;
        throw f.error;
      }
      const end = Math.min(order.length, pos + req.batchSize);
      const items: FerryRecord[] = [];
      for (let j = pos; j < end; j++) {
        const r = make(order[j]!);
        if (r !== null) items.push(r);
      }
      pos = end;
      batchesHere += 1;
      this.batches += 1;
      this.yielded += items.length;
      yield { items, cursor: JSON.stringify({ pos }) };
    }
  }

  private stream(name: string): DocStream {
    const s = this.opts.streams[name];
    if (!s) throw new FerryError('NOT_FOUND', `no stream ${name}`);
    return s;
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
