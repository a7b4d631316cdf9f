/**
 * An in-memory ObjectStore for unit tests of the generic object source and sink (src/objects): names listed in
 * UTF-8 byte order, MD5s stated or not (to model S3 multipart ETags and Azure blobs without Content-MD5), request
 * counters, and hooks to fail or corrupt individual operations. The real stores are tested against real servers.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { compareNames, type ListRequest, type ObjectInfo, type ObjectStore, type PutRequest, type PutResult } from '../../src/core/object.js';
import { FerryError } from '../../src/errors.js';

export interface StoredObject {
  body: Buffer;
  /** Whether list/head state the MD5 (false: like an S3 multipart ETag). */
  statesMd5: boolean;
  etag: string;
  metadata: Record<string, string>;
  contentType?: string;
}

export interface MemoryObjectStoreOptions {
  url?: string;
  /** Listings carry metadata (GCS, Azure) or not (S3). */
  detailedListing?: boolean;
  /** Whether put results report the MD5 (GCS, S3 single PUT) and what the server checked. */
  reportsMd5?: boolean;
  serverChecks?: string[];
  /** Stated MD5 for objects written by put (true: the store computes one). */
  statesMd5OnPut?: boolean;
}

export class MemoryObjectStore implements ObjectStore {
  readonly url: string;
  readonly limits = { maxObjectBytes: 5 * 1024 ** 4, maxNameBytes: 1024 };
  readonly objects = new Map<string, StoredObject>();
  readonly calls = { list: 0, head: 0, get: 0, put: 0, delete: 0 };
  /** Names put, in order (a name twice = copied twice). */
  readonly puts: string[] = [];
  /** Called before each put/get; may throw. */
  beforePut?: (name: string) => void;
  beforeGet?: (name: string) => void;
  /** Corrupts what get streams (e.g. flip a byte). */
  mangleGet?: (name: string, body: Buffer) => Buffer;
  private etagSeq = 0;

  constructor(private readonly opts: MemoryObjectStoreOptions = {}) {
    this.url = opts.url ?? 'mem://bucket';
  }

  add(name: string, body: Buffer | string, extra: Partial<Omit<StoredObject, 'body'>> = {}): void {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.objects.set(name, { body: b, statesMd5: true, etag: `e${++this.etagSeq}`, metadata: {}, ...extra });
  }

  private info(name: string, o: StoredObject, detailed: boolean): ObjectInfo {
    const md5 = createHash('md5').update(o.body).digest('hex');
    return {
      name,
      size: o.body.length,
      etag: o.statesMd5 ? md5 : o.etag,
      ...(o.statesMd5 ? { md5 } : {}),
      ...(detailed ? { metadata: { ...o.metadata }, ...(o.contentType ? { contentType: o.contentType } : {}) } : {}),
      detailed,
    };
  }

  async check(): Promise<void> {}

  async *list(req: ListRequest): AsyncIterable<ObjectInfo[]> {
    this.calls.list++;
    const names = [...this.objects.keys()]
      .filter((n) => n.startsWith(req.prefix))
      .filter((n) => req.startAfter === undefined || compareNames(n, req.startAfter) > 0)
      .filter((n) => req.endBefore === undefined || compareNames(n, req.endBefore) < 0)
      .sort(compareNames);
    const size = req.pageSize ?? 1000;
    for (let i = 0; i < names.length; i += size) {
      if (i > 0) this.calls.list++;
      yield names.slice(i, i + size).map((n) => this.info(n, this.objects.get(n)!, this.opts.detailedListing ?? true));
    }
  }

  async head(name: string): Promise<ObjectInfo | undefined> {
    this.calls.head++;
    const o = this.objects.get(name);
    return o ? this.info(name, o, true) : undefined;
  }

  async get(name: string): Promise<Readable> {
    this.calls.get++;
    this.beforeGet?.(name);
    const o = this.objects.get(name);
    if (!o) throw new FerryError('NOT_FOUND', `${this.url}/${name} does not exist`, { details: { object: name } });
    const body = this.mangleGet ? this.mangleGet(name, o.body) : o.body;
    return Readable.from([body.subarray(0, Math.floor(body.length / 2)), body.subarray(Math.floor(body.length / 2))]);
  }

  async put(req: PutRequest): Promise<PutResult> {
    this.calls.put++;
    this.beforePut?.(req.name);
    const chunks: Buffer[] = [];
    for await (const c of req.body as AsyncIterable<Buffer>) chunks.push(c);
    const body = Buffer.concat(chunks);
    const md5 = createHash('md5').update(body).digest('hex');
    if (req.md5 !== undefined && (this.opts.serverChecks ?? []).includes('content-md5') && req.md5 !== md5) {
      throw new FerryError('TRANSIENT', `BadDigest: ${req.name}`);
    }
    this.objects.set(req.name, {
      body,
      statesMd5: this.opts.statesMd5OnPut ?? true,
      etag: `e${++this.etagSeq}`,
      metadata: { ...req.metadata },
      ...(req.contentType ? { contentType: req.contentType } : {}),
    });
    this.puts.push(req.name);
    return { ...((this.opts.reportsMd5 ?? true) ? { md5 } : {}), size: body.length, serverChecks: this.opts.serverChecks ?? [] };
  }

  async delete(name: string): Promise<void> {
    this.calls.delete++;
    this.objects.delete(name);
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}
