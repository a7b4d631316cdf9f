/**
 * The Firestore source: collections as streams (collection-selector.ts), document-id ranges as segments, pages
 * ordered by document name as batches.
 *
 * - `streams(pattern, _, { collection_group })`: a collection path (listed when it has at least one document); a
 *   `*` pattern in the last segment over the collections under the root or a document; a path with wildcards or
 *   `${field}` templates in earlier segments (a sink's templated `to:`), read as a filtered collection group and
 *   always listed. Meta: `{ selector, keyColumns: ['path'], keyTypes: ['string'] }`.
 * - `segments(stream, n)`: split points are document paths. Firestore's own `PartitionQuery` (`getPartitions` on
 *   the collection group) where the server has it; the emulator does not (UNIMPLEMENTED), and there ferry samples
 *   the `__name__` order itself: the paths at offsets k·count/n (an offset costs reads on real Firestore, which is
 *   why it is only the fallback). Segment i reads [point i-1, point i): every document exactly once. Spec:
 *   `{ selector, start?, end? }`, ids `<name>#<i>/<n>`.
 * - `read`: queries ordered by `__name__`, `limit = batchSize`, within the segment's range, after the cursor. The
 *   cursor after a page is the path of its last document; a resumed segment starts after it and yields exactly
 *   the rest. Reads are not one snapshot: a document changed during the read is seen as it is when its page is read.
 * - Records: `key` = `{ path }` (the document path relative to the database, as the sink's `toTarget` keys it), `value`
 *   = the document's fields as neutral values (marshal.ts), `sizeBytes` by Firestore's size rules.
 * - `lookup(stream, keys)`: the verifier's point reads, `getAll` of the keys' paths in chunks; paths that cannot be
 *   documents of the stream are left out unread (lookup.ts).
 * - `count`: the `count()` aggregation of the collection or group; a filtered group (templated path) is counted by
 *   reading its document names.
 */
import { FieldPath, type DocumentSnapshot, type Firestore, type Query, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { ConnectorContext } from '../../core/connector.js';
import type { FerryRecord, RecordKey } from '../../core/record.js';
import type { ReadRequest, Source, SourceCapabilities, SourceEstimate } from '../../core/source.js';
import type { Batch, Segment, StreamRef } from '../../core/stream.js';
import { FerryError, isFerryError } from '../../errors.js';
import type { Gapic } from './gapic.js';
import { createClient, type FirestoreClient } from './client.js';
import { groupIdOf, parseStreamName, type CollectionSelector } from './collection-selector.js';
import { documentSize } from './document-size.js';
import { STATUS, statusOf, toFerryError } from './errors.js';
import { lookupDocuments } from './lookup.js';
import { fromSdkData } from './marshal.js';
import { parseOptions, type FirestoreOptions } from './options.js';

export interface RangeSegmentSpec {
  selector: CollectionSelector;
  /** Inclusive lower bound (a document path); absent: from the start. */
  start?: string;
  /** Exclusive upper bound; absent: to the end. */
  end?: string;
}

/** Segments per stream at most. */
export const MAX_SEGMENTS = 256;
/** Names read per page when counting a filtered group. */
const NAME_PAGE = 1000;

export class FirestoreSource implements Source<FerryRecord> {
  readonly capabilities: SourceCapabilities = { segmentable: true, exactCount: true, digests: new Set() };
  readonly db: Firestore;
  readonly host: string;
  readonly options: FirestoreOptions;
  private readonly selectors = new Map<string, CollectionSelector>();
  /** PartitionQuery with ferry's call options (gapic.ts); opened on first use, closed with the source. */
  private readonly gapic: (() => Gapic) | undefined;
  private gapicOpened = false;

  constructor(options: FirestoreOptions, ctx?: Pick<ConnectorContext, 'logger'>, client?: FirestoreClient) {
    this.options = options;
    const c = client ?? createClient(options, ctx);
    this.db = c.db;
    this.host = c.host;
    this.gapic = c.gapic;
  }

  private fail(e: unknown, op: string): FerryError {
    return toFerryError(e, { op, host: this.host });
  }

  private refOf(name: string, selector: CollectionSelector): StreamRef {
    this.selectors.set(name, selector);
    return { name, meta: { selector, keyColumns: ['path'], keyTypes: ['string'] } };
  }

  async streams(pattern: string, signal: AbortSignal, options?: Record<string, unknown>): Promise<StreamRef[]> {
    const parsed = parseStreamName(pattern, options?.['collection_group'] === true);
    if (parsed.kind === 'selector') {
      const s = parsed.selector;
      if (s.kind === 'group') return [this.refOf(pattern, s)];
      return (await this.hasDocuments(s.path, signal)) ? [this.refOf(pattern, s)] : [];
    }
    let cols;
    try {
      cols = parsed.parent === undefined ? await this.db.listCollections() : await this.db.doc(parsed.parent).listCollections();
    } catch (e) {
      throw this.fail(e, `listing the collections of ${parsed.parent ?? 'the database'}`);
    }
    return cols
      .filter((c) => parsed.match.test(c.id))
      .map((c) => c.path)
      .sort()
      .map((path) => this.refOf(path, { kind: 'collection', path }));
  }

  private async hasDocuments(path: string, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted');
    try {
      const snap = await this.db.collection(path).select().limit(1).get();
      return !snap.empty;
    } catch (e) {
      throw this.fail(e, `read of ${path}`);
    }
  }

  /** The selector of a stream: as listed, else from its name. */
  selectorOf(stream: StreamRef | string): CollectionSelector {
    const name = typeof stream === 'string' ? stream : stream.name;
    const meta = typeof stream === 'string' ? undefined : (stream.meta?.['selector'] as CollectionSelector | undefined);
    const known = meta ?? this.selectors.get(name);
    if (known) return known;
    const parsed = parseStreamName(name);
    if (parsed.kind !== 'selector') throw new FerryError('CONFIG', `Firestore stream "${name}" is a pattern; list it with streams() first`);
    return parsed.selector;
  }

  private base(s: CollectionSelector): Query {
    return s.kind === 'collection' ? this.db.collection(s.path) : this.db.collectionGroup(s.id);
  }

  async segments(stream: StreamRef, desired: number, signal: AbortSignal): Promise<Segment[]> {
    const selector = this.selectorOf(stream);
    const n = Math.max(1, Math.min(MAX_SEGMENTS, Math.floor(desired) || 1));
    const points = n > 1 ? await this.splitPoints(selector, n, signal) : [];
    const bounds: (string | undefined)[] = [undefined, ...points, undefined];
    const total = bounds.length - 1;
    return Array.from({ length: total }, (_, i) => {
      const spec: RangeSegmentSpec = { selector };
      if (bounds[i] !== undefined) spec.start = bounds[i]!;
      if (bounds[i + 1] !== undefined) spec.end = bounds[i + 1]!;
      return { id: `${stream.name}#${i}/${total}`, stream: stream.name, index: i, total, spec };
    });
  }

  /** Up to n - 1 document paths, strictly increasing in `__name__` order, that split the stream's documents. */
  async splitPoints(selector: CollectionSelector, n: number, signal: AbortSignal): Promise<string[]> {
    let points: string[] | undefined;
    try {
      if (!this.gapic) throw new FerryError('INTERNAL', 'this Firestore source was opened without a GAPIC client');
      this.gapicOpened = true;
      points = await this.gapic().partitionPoints(groupIdOf(selector), n, signal);
    } catch (e) {
      if (isFerryError(e)) throw e;
      if (statusOf(e) !== STATUS.UNIMPLEMENTED) throw this.fail(e, `partitioning ${groupIdOf(selector)}`);
      points = undefined;
    }
    if (points === undefined) points = await this.sampledPoints(selector, n, signal);
    else if (selector.kind === 'collection') {
      // Partitions span the whole collection group; only points inside this collection bound its queries.
      const parent = `${selector.path}/`;
      points = points.filter((p) => p.startsWith(parent) && !p.slice(parent.length).includes('/'));
    }
    return [...new Set(points)];
  }

  /** Split points at even offsets of the `__name__` order (the emulator has no PartitionQuery). */
  private async sampledPoints(selector: CollectionSelector, n: number, signal: AbortSignal): Promise<string[]> {
    const total = await this.aggregateCount(selector, signal);
    const parts = Math.min(n, Math.max(1, Math.floor(total / 2)));
    const points: string[] = [];
    for (let i = 1; i < parts; i++) {
      if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted');
      const offset = Math.floor((i * total) / parts);
      let snap;
      try {
        snap = await this.base(selector).orderBy(FieldPath.documentId()).select().offset(offset).limit(1).get();
      } catch (e) {
        throw this.fail(e, `sampling ${groupIdOf(selector)}`);
      }
      const path = snap.docs[0]?.ref.path;
      if (path !== undefined && path !== points[points.length - 1]) points.push(path);
    }
    return points;
  }

  private ranged(spec: RangeSegmentSpec): Query {
    let q = this.base(spec.selector).orderBy(FieldPath.documentId());
    if (spec.start !== undefined) q = q.where(FieldPath.documentId(), '>=', this.db.doc(spec.start));
    if (spec.end !== undefined) q = q.where(FieldPath.documentId(), '<', this.db.doc(spec.end));
    return q;
  }

  private specOf(segment: Segment): RangeSegmentSpec {
    const s = segment.spec as Partial<RangeSegmentSpec> | null | undefined;
    if (s && s.selector) return s as RangeSegmentSpec;
    return { selector: this.selectorOf(segment.stream) };
  }

  async *read(req: ReadRequest): AsyncIterable<Batch<FerryRecord>> {
    const spec = this.specOf(req.segment);
    const match = spec.selector.kind === 'group' && spec.selector.match ? new RegExp(spec.selector.match) : undefined;
    const limit = Math.max(1, req.batchSize);
    const base = this.ranged(spec);
    let after: string | undefined = req.after;
    for (;;) {
      if (req.signal.aborted) throw new FerryError('INTERRUPTED', `read of ${req.segment.stream} aborted`);
      let page;
      try {
        const q = after === undefined ? base : base.startAfter(this.db.doc(after));
        page = await q.limit(limit).get();
      } catch (e) {
        throw this.fail(e, `read of ${req.segment.stream}`);
      }
      const docs = page.docs;
      if (docs.length === 0) return;
      after = docs[docs.length - 1]!.ref.path;
      const items = (match ? docs.filter((d) => match.test(d.ref.path)) : docs).map(recordOf);
      if (items.length > 0) {
        yield { items, cursor: after, sizeBytes: items.reduce((n, r) => n + (r.sizeBytes ?? 0), 0) };
      }
      if (docs.length < limit) return;
    }
  }

  private async aggregateCount(selector: CollectionSelector, signal: AbortSignal): Promise<number> {
    if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted');
    try {
      const snap = await this.base(selector).count().get();
      return Number(snap.data().count);
    } catch (e) {
      throw this.fail(e, `count of ${selector.kind === 'collection' ? selector.path : selector.id}`);
    }
  }

  /**
   * Documents for a dry run, exactly: the `count()` aggregation of each segment's range (one read per 1,000 index
   * entries on real Firestore), or of the stream; a filtered group (templated path) by reading its document names.
   * Firestore states no sizes: the dry run estimates bytes from its samples.
   */
  async estimate(stream: StreamRef, signal: AbortSignal, segments?: readonly Segment[]): Promise<SourceEstimate> {
    const selector = this.selectorOf(stream);
    if ((selector.kind === 'group' && selector.match) || !segments || segments.length === 0) {
      const count = await this.count(stream, signal);
      return { count, exact: true, method: selector.kind === 'group' && selector.match ? 'document names read (a filtered collection group)' : 'count() aggregation' };
    }
    const perSegment: number[] = [];
    for (const seg of segments) {
      if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted');
      try {
        const snap = await this.ranged(this.specOf(seg)).count().get();
        perSegment.push(Number(snap.data().count));
      } catch (e) {
        throw this.fail(e, `count of ${seg.id}`);
      }
    }
    return { count: perSegment.reduce((a, b) => a + b, 0), exact: true, method: 'count() aggregation per segment', perSegment };
  }

  async count(stream: StreamRef, signal: AbortSignal): Promise<number> {
    const selector = this.selectorOf(stream);
    if (selector.kind === 'collection' || !selector.match) return this.aggregateCount(selector, signal);
    const match = new RegExp(selector.match);
    const base = this.base(selector).orderBy(FieldPath.documentId()).select();
    let n = 0;
    let after: QueryDocumentSnapshot | undefined;
    for (;;) {
      if (signal.aborted) throw new FerryError('INTERRUPTED', 'aborted');
      let page;
      try {
        page = await (after ? base.startAfter(after) : base).limit(NAME_PAGE).get();
      } catch (e) {
        throw this.fail(e, `count of ${stream.name}`);
      }
      for (const d of page.docs) if (match.test(d.ref.path)) n += 1;
      if (page.docs.length < NAME_PAGE) return n;
      after = page.docs[page.docs.length - 1];
    }
  }

  /** Point reads for the verifier: getAll of the keys' documents, records as `read` yields them (lookup.ts). */
  async lookup(stream: StreamRef, keys: readonly RecordKey[], signal: AbortSignal): Promise<FerryRecord[]> {
    const selector = this.selectorOf(stream);
    return lookupDocuments({ db: this.db, stream: stream.name, selector, recordOf, fail: (e, op) => this.fail(e, op) }, keys, signal);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.gapicOpened && this.gapic) await this.gapic().close().catch(() => {});
    await this.db.terminate();
  }
}

/** The record of an existing document (a query's, or a point read's). */
export function recordOf(doc: DocumentSnapshot): FerryRecord {
  const path = doc.ref.path;
  const value = fromSdkData(doc.data() ?? {});
  return { key: { path }, value, sizeBytes: documentSize(path, value) };
}

export async function createFirestoreSource(options: Record<string, unknown>, ctx: ConnectorContext): Promise<FirestoreSource> {
  return new FirestoreSource(parseOptions(options), ctx);
}
