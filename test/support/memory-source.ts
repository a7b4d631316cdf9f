/**
 * An in-memory Source whose records are generated lazily from their index (so a stream of millions costs no
 * memory), split into contiguous index ranges, with JSON cursors `{"pos":n}` (next index to read).
 */
import type { Doc, FerryRecord } from '../../src/core/record.js';
import type { Source, SourceCapabilities, ReadRequest } from '../../src/core/source.js';
import type { Batch, Segment, StreamRef } from '../../src/core/stream.js';
import { FerryError } from '../../src/errors.js';
import type { CrashSwitch } from './memory-crash.js';

export interface MemoryStream {
  count: number;
  /** Record number i; default `{ key: { id: i }, value: { id: i, name: 'r<i>' } }`. */
  make?: (i: number) => FerryRecord;
}

export interface MemorySourceOptions {
  streams: Record<string, MemoryStream>;
  /** Support `segments()` (default true). */
  segmentable?: boolean;
  exactCount?: boolean;
  crash?: CrashSwitch;
  /** Called when a batch is handed to the engine (tests count items held in flight). */
  onYield?: (segmentId: string, items: number) => void;
  /** Await this before producing each batch (slow or blocking sources). */
  beforeBatch?: (segmentId: string, signal: AbortSignal) => Promise<void> | void;
}

export function defaultRecord(i: number): FerryRecord<Doc> {
  return { key: { id: i }, value: { id: i, name: `r${i}` } };
}

interface Spec {
  start: number;
  end: number;
}

export class MemorySource implements Source<FerryRecord> {
  readonly capabilities: SourceCapabilities;
  readonly reads: { segmentId: string; after: string | undefined }[] = [];
  yielded = 0;

  constructor(private readonly opts: MemorySourceOptions) {
    this.capabilities = { segmentable: opts.segmentable ?? true, exactCount: opts.exactCount ?? true, digests: new Set() };
    if (opts.segmentable === false) delete (this as Partial<MemorySource>).segments;
  }

  async streams(pattern: string): Promise<StreamRef[]> {
    this.opts.crash?.tick('source.streams');
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return Object.keys(this.opts.streams)
      .filter((n) => re.test(n))
      .sort()
      .map((name) => ({ name, meta: { count: this.opts.streams[name]!.count } }));
  }

  async segments(stream: StreamRef, desired: number): Promise<Segment[]> {
    this.opts.crash?.tick('source.segments');
    const count = this.stream(stream.name).count;
    const n = Math.max(1, Math.min(desired, count));
    const out: Segment[] = [];
    for (let i = 0; i < n; i++) {
      const spec: Spec = { start: Math.floor((count * i) / n), end: Math.floor((count * (i + 1)) / n) };
      out.push({ id: `${stream.name}#${i}/${n}`, stream: stream.name, index: i, total: n, spec });
    }
    return out;
  }

  async count(stream: StreamRef): Promise<number> {
    return this.stream(stream.name).count;
  }

  async *read(req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    this.reads.push({ segmentId: req.segment.id, after: req.after });
    const s = this.stream(req.segment.stream);
    const spec = (req.segment.spec as Spec | null) ?? { start: 0, end: s.count };
    const make = s.make ?? defaultRecord;
    let pos = req.after === undefined ? spec.start : (JSON.parse(req.after) as { pos: number }).pos;
    while (pos < spec.end) {
      if (req.signal.aborted) throw new FerryError('INTERRUPTED', 'read aborted');
      await this.opts.beforeBatch?.(req.segment.id, req.signal);
      this.opts.crash?.tick('source.read');
      const end = Math.min(spec.end, pos + req.batchSize);
      const items: FerryRecord[] = [];
      for (let i = pos; i < end; i++) items.push(make(i));
      pos = end;
      this.yielded += items.length;
      this.opts.onYield?.(req.segment.id, items.length);
      yield { items, cursor: JSON.stringify({ pos }) };
    }
  }

  private stream(name: string): MemoryStream {
    const s = this.opts.streams[name];
    if (!s) throw new FerryError('NOT_FOUND', `no stream ${name}`);
    return s;
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
