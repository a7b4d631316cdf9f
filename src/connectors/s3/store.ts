/**
 * S3 as an `ObjectStore` (src/core/object.ts), for the generic object source and sink.
 *
 * - list: ListObjectsV2 page by page (IsTruncated / NextContinuationToken), StartAfter on the first request, stops at
 *   the first name ≥ endBefore without reading further pages. Keys are requested URL-encoded (so names with
 *   characters XML 1.0 cannot carry survive) and decoded only when the response says it encoded them: gofakes3
 *   ignores `encoding-type` and sends raw keys. A listing carries size, ETag, last-modified and storage class, never
 *   user metadata or content headers: `detailed: false`.
 * - md5: the ETag of a single-part object is its MD5 (SSE-S3 or unencrypted); ObjectInfo.md5 is set only for a 32-hex
 *   ETag without `-N`, and never with `etag_md5: false` (SSE-KMS / SSE-C buckets) or, on a HEAD, when the object
 *   says it is encrypted with KMS or a customer key.
 * - put: an object of at most `part_size_mb` is read into memory (one part) and sent in one PutObject with its
 *   Content-MD5: the source's MD5 when the request carries one, else the one computed here; S3 refuses the upload
 *   if the bytes do not match (serverChecks `content-md5`). A larger one goes as a multipart upload driven here:
 *   parts of `part_size_mb` (grown to size / 10,000 rounded up to a MiB when the object needs more than S3's 10,000
 *   parts), read one after the other from the body, each sent with its Content-MD5 (`part-md5`), at most
 *   `part_concurrency` in flight and at most part_concurrency + 1 parts in memory. The expected multipart ETag
 *   (MD5 of the concatenated binary part MD5s, `-N`) is compared with the one CompleteMultipartUpload returns
 *   (`multipart-etag` when equal). Any failure or abort aborts the multipart upload.
 * - User metadata: x-amz-meta-* with lower-case names. HTTP headers carry only printable ASCII, so a value with other
 *   characters (or edge spaces) is sent RFC 2047-encoded (`=?UTF-8?B?...?=`, as the S3 console does) and decoded
 *   back on a HEAD.
 * - Partial uploads: every multipart upload is reported to the job's ledger (`PutRequest.uploads`) before its first
 *   part, and forgotten once completed or aborted. `abortPartial` aborts one of those by id; ferry never lists and
 *   aborts uploads by prefix, so another application's upload under the target prefix is never touched.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type BucketLocationConstraint,
  type CompletedPart,
  type CreateMultipartUploadCommandInput,
  type HeadObjectCommandOutput,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { abortable } from '../abortable.js';
import type { ConnectorContext } from '../../core/connector.js';
import {
  compareNames,
  type ListRequest,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreLimits,
  type PutRequest,
  type PutResult,
} from '../../core/object.js';
import { endUpload, type PartialUpload, type UploadTracker } from '../../core/upload-ledger.js';
import { FerryError } from '../../errors.js';
import { createS3Client, type S3ClientInfo } from './client.js';
import { errorName, httpStatus, isNotFound, toFerryError } from './errors.js';
import { parseS3Options, type S3Options } from './options.js';

export const MiB = 1024 * 1024;
export const MAX_PARTS = 10_000;
export const S3_LIMITS: ObjectStoreLimits = { maxObjectBytes: 5 * 1024 ** 4, maxNameBytes: 1024 };
/** S3 returns at most 1000 keys per ListObjectsV2 page. */
const MAX_PAGE = 1000;
/** Time allowed to abort a failed multipart upload after the run's own signal fired. */
const ABORT_UPLOAD_TIMEOUT_MS = 30_000;
/** Ids of recorded intents (an upload asked for, not yet named by S3). */
const PENDING = 'pending:';
/** How far S3's Initiated may be from the recorded intent (the request's time plus clock skew). */
const INTENT_WINDOW_MS = 5 * 60_000;

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers (unit-tested)

export function md5HexToBase64(hex: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new FerryError('INTERNAL', `not an MD5 in hex: ${JSON.stringify(hex)}`);
  return Buffer.from(hex, 'hex').toString('base64');
}

export function md5Base64ToHex(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== 16) throw new FerryError('INTERNAL', `not an MD5 in base64: ${JSON.stringify(b64)}`);
  return bytes.toString('hex');
}

/** An ETag without its quotes (S3 sends `"<hex>"`). */
export function unquoteEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** The MD5 an ETag stands for: a single-part ETag (32 hex digits, no `-N`), lower-case. */
export function md5FromEtag(etag: string | undefined): string | undefined {
  return etag !== undefined && /^[0-9a-fA-F]{32}$/.test(etag) ? etag.toLowerCase() : undefined;
}

/** S3's multipart ETag: the MD5 of the concatenated binary MD5s of the parts, then `-<number of parts>`. */
export function multipartEtag(partMd5s: readonly Buffer[]): string {
  const h = createHash('md5');
  for (const m of partMd5s) h.update(m);
  return `${h.digest('hex')}-${partMd5s.length}`;
}

export interface PartPlan {
  /** Bytes per part (the last one may be shorter). */
  partSize: number;
  parts: number;
  /** True when the configured part size was too small for 10,000 parts and was grown. */
  grown: boolean;
}

/**
 * Parts for an object of `size` bytes: `partSize` bytes each, unless that needs more than 10,000 parts, in which
 * case the part size becomes size / 10,000 rounded up to a whole MiB.
 */
export function planParts(size: number, partSize: number): PartPlan {
  let ps = partSize;
  let grown = false;
  if (Math.ceil(size / ps) > MAX_PARTS) {
    ps = Math.ceil(size / MAX_PARTS / MiB) * MiB;
    grown = true;
  }
  return { partSize: ps, parts: Math.max(1, Math.ceil(size / ps)), grown };
}

/** A key of a ListObjectsV2 answer with `EncodingType: url` (form encoding: `+` is a space). */
export function decodeListedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const METADATA_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** A metadata value as an HTTP header can carry it: printable ASCII as is, anything else RFC 2047 B-encoded. */
export function encodeMetadataValue(value: string): string {
  if (PRINTABLE_ASCII.test(value) && value.trim() === value && !/^=\?.*\?=$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** The inverse of `encodeMetadataValue` (and of the S3 console's encoding): `=?UTF-8?B?...?=` / `=?UTF-8?Q?...?=`. */
export function decodeMetadataValue(value: string): string {
  const m = /^=\?utf-8\?([bq])\?(.*)\?=$/i.exec(value);
  if (!m) return value;
  const [, kind, text] = m as unknown as [string, string, string];
  if (kind.toLowerCase() === 'b') return Buffer.from(text, 'base64').toString('utf8');
  const bytes = text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_s, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/**
 * Reads a stream in consecutive slices of exact lengths into fresh buffers: no more than the slice being filled is
 * held, beyond the stream's own buffer. `read` throws when the stream ends early, `expectEnd` when it has more.
 */
export class ExactReader {
  private readonly it: AsyncIterator<unknown>;
  private rest: Buffer | undefined;
  private done = false;
  /** Bytes handed out so far. */
  consumed = 0;

  constructor(
    body: Readable,
    private readonly expected: number,
    private readonly signal?: AbortSignal,
    /** Prefix of error messages, e.g. `S3 PutObject s3://bucket/key: `. */
    private readonly where = '',
    private readonly details?: Record<string, unknown>,
  ) {
    this.it = body[Symbol.asyncIterator]();
  }

  private async nextChunk(): Promise<Buffer | undefined> {
    if (this.rest) {
      const r = this.rest;
      this.rest = undefined;
      return r;
    }
    if (this.done) return undefined;
    this.signal?.throwIfAborted();
    const r = await abortable(this.it.next(), this.signal, () => abortError(this.signal!));
    if (r.done) {
      this.done = true;
      return undefined;
    }
    const v = r.value;
    return Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v as Uint8Array);
  }

  /** Exactly `len` bytes. */
  async read(len: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(len);
    let filled = 0;
    while (filled < len) {
      const chunk = await this.nextChunk();
      if (!chunk) {
        throw new FerryError(
          'TRANSIENT',
          `${this.where}the content ended after ${this.consumed + filled} of ${this.expected} bytes (the source object changed or its read failed)`,
          this.details ? { details: this.details } : {},
        );
      }
      const take = Math.min(len - filled, chunk.length);
      chunk.copy(out, filled, 0, take);
      filled += take;
      if (take < chunk.length) this.rest = chunk.subarray(take);
    }
    this.consumed += len;
    return out;
  }

  /** Throws when the stream has bytes beyond what was read. */
  async expectEnd(): Promise<void> {
    for (;;) {
      const chunk = await this.nextChunk();
      if (!chunk) return;
      if (chunk.length > 0) {
        throw new FerryError(
          'TRANSIENT',
          `${this.where}the content is longer than the ${this.expected} bytes expected (the source object changed since it was listed?)`,
          this.details ? { details: this.details } : {},
        );
      }
    }
  }
}

/**
 * Ends a body that an upload gave up on, with the upload's error: whoever pipes into it (the generic sink) sees that
 * error rather than a bare "premature close", and nothing stays blocked on it.
 */
function discard(body: Readable, error: Error): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy(error);
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}


/** What PutObject and CreateMultipartUpload share: the object's name, headers, metadata and storage class. */
type ObjectHeaders = Pick<
  CreateMultipartUploadCommandInput,
  | 'Bucket'
  | 'Key'
  | 'ContentType'
  | 'ContentEncoding'
  | 'ContentLanguage'
  | 'CacheControl'
  | 'ContentDisposition'
  | 'Metadata'
  | 'StorageClass'
  | 'ServerSideEncryption'
  | 'SSEKMSKeyId'
>;

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// ---------------------------------------------------------------------------------------------------------------

export async function openS3Store(options: Record<string, unknown>, ctx: ConnectorContext): Promise<ObjectStore> {
  const o = parseS3Options(options);
  if (!o.bucket) throw new FerryError('CONFIG', 'S3: no `bucket` in the connection block', { hint: 'add `bucket: <name>`' });
  return new S3Store(o, createS3Client(o, ctx), ctx);
}

export class S3Store implements ObjectStore {
  readonly url: string;
  readonly limits = S3_LIMITS;
  /** The SDK client (tests add middleware to it to inject faults and count requests). */
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;

  constructor(
    private readonly o: S3Options,
    private readonly info: S3ClientInfo,
    private readonly ctx: Pick<ConnectorContext, 'logger'>,
  ) {
    this.client = info.client;
    this.bucket = o.bucket;
    this.url = `s3://${o.bucket}`;
    this.partSize = o.partSizeMb * MiB;
  }

  /**
   * Names listed by a server that ignored `EncodingType: url` (gofakes3, some gateways) with a U+FFFD in them: XML
   * cannot carry control characters, so the server's name was replaced in transit and the object cannot be read by
   * it. Kept (bounded) to say so instead of "not found".
   */
  private readonly mangled = new Set<string>();
  private remember(name: string): void {
    if (this.mangled.size < 10_000) this.mangled.add(name);
  }

  private fail(e: unknown, op: string, name?: string): FerryError {
    const mapped = this.mapped(e, op, name);
    if (mapped.code === 'NOT_FOUND' && name !== undefined && this.mangled.has(name)) {
      return new FerryError(
        'ITEM_REJECTED',
        `S3 ${op} ${this.url}/${name}: the server lists names without URL-encoding them (it ignores EncodingType=url), so a character XML cannot carry (a control character) reached ferry as U+FFFD and the object's real name is unknown`,
        { hint: 'rename the object in the source, or copy from a server that encodes its listings (Amazon S3 does)', details: { object: name }, cause: e },
      );
    }
    return mapped;
  }

  private mapped(e: unknown, op: string, name?: string): FerryError {
    return toFerryError(e, {
      op,
      url: name === undefined ? this.url : `${this.url}/${name}`,
      subject: name === undefined ? 'bucket' : 'object',
      where: this.info.where,
      ...(name === undefined ? {} : { object: name }),
    });
  }

  private md5Of(etag: string | undefined, encrypted = false): string | undefined {
    return this.o.etagMd5 && !encrypted ? md5FromEtag(etag) : undefined;
  }

  async check(signal: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
    } catch (e) {
      throw this.fail(e, 'HeadBucket');
    }
  }

  async create(signal: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
      return;
    } catch (e) {
      if (!isNotFound(e)) throw this.fail(e, 'HeadBucket');
    }
    const region = this.info.region;
    const config =
      region && region !== 'us-east-1' && !this.info.endpoint
        ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }
        : {};
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket, ...config }), { abortSignal: signal });
      this.ctx.logger.info('s3: created bucket', { bucket: this.bucket, region: region ?? '(default)' });
    } catch (e) {
      if (errorName(e) === 'BucketAlreadyOwnedByYou') return;
      throw this.fail(e, 'CreateBucket');
    }
  }

  async *list(req: ListRequest): AsyncIterable<ObjectInfo[]> {
    const pageSize = Math.max(1, Math.min(MAX_PAGE, req.pageSize ?? MAX_PAGE));
    const { prefix, startAfter, endBefore } = req;
    // An empty range (startAfter ≥ endBefore) needs no request.
    if (endBefore !== undefined && startAfter !== undefined && compareNames(startAfter, endBefore) >= 0) return;
    let token: string | undefined;
    let first = true;
    do {
      let out;
      try {
        out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(first && startAfter !== undefined && startAfter !== '' ? { StartAfter: startAfter } : {}),
            ...(token ? { ContinuationToken: token } : {}),
            MaxKeys: pageSize,
            EncodingType: 'url',
          }),
          { abortSignal: req.signal },
        );
      } catch (e) {
        throw this.fail(e, 'ListObjectsV2');
      }
      first = false;
      const decode = out.EncodingType === 'url';
      const page: ObjectInfo[] = [];
      let stop = false;
      for (const obj of out.Contents ?? []) {
        if (obj.Key === undefined) continue;
        const name = decode ? decodeListedKey(obj.Key) : obj.Key;
        if (!decode && name.includes('\uFFFD')) this.remember(name);
        // Guards for servers that ignore a parameter; S3 and gofakes3 honour both.
        if (prefix && !name.startsWith(prefix)) continue;
        if (startAfter !== undefined && compareNames(name, startAfter) <= 0) continue;
        if (endBefore !== undefined && compareNames(name, endBefore) >= 0) {
          stop = true;
          break;
        }
        page.push(this.listedInfo(name, obj));
      }
      if (page.length > 0) yield page;
      if (stop) return;
      // Loop on IsTruncated, as S3 documents: gofakes3 also hands out a token on a last page that is exactly full.
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  private listedInfo(name: string, obj: _Object): ObjectInfo {
    const etag = unquoteEtag(obj.ETag);
    const md5 = this.md5Of(etag);
    return {
      name,
      size: obj.Size ?? 0,
      ...(md5 ? { md5 } : {}),
      ...(etag ? { etag } : {}),
      ...(obj.LastModified ? { lastModified: obj.LastModified.toISOString() } : {}),
      ...(obj.StorageClass ? { storageClass: obj.StorageClass } : {}),
      detailed: false,
    };
  }

  private headInfo(name: string, h: HeadObjectCommandOutput): ObjectInfo {
    const etag = unquoteEtag(h.ETag);
    const encrypted = h.ServerSideEncryption === 'aws:kms' || h.ServerSideEncryption === 'aws:kms:dsse' || h.SSECustomerAlgorithm !== undefined;
    const md5 = this.md5Of(etag, encrypted);
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(h.Metadata ?? {})) metadata[k.toLowerCase()] = decodeMetadataValue(v);
    return {
      name,
      size: h.ContentLength ?? 0,
      ...(md5 ? { md5 } : {}),
      ...(etag ? { etag } : {}),
      ...(h.LastModified ? { lastModified: h.LastModified.toISOString() } : {}),
      ...(h.ContentType ? { contentType: h.ContentType } : {}),
      ...(h.ContentEncoding ? { contentEncoding: h.ContentEncoding } : {}),
      ...(h.ContentLanguage ? { contentLanguage: h.ContentLanguage } : {}),
      ...(h.CacheControl ? { cacheControl: h.CacheControl } : {}),
      ...(h.ContentDisposition ? { contentDisposition: h.ContentDisposition } : {}),
      metadata,
      // S3 leaves the header out for STANDARD.
      storageClass: h.StorageClass ?? 'STANDARD',
      detailed: true,
    };
  }

  async head(name: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal: signal });
      return this.headInfo(name, h);
    } catch (e) {
      // A HEAD has no body: a missing bucket is a bare 404 too, which check() reports before any head().
      if (errorName(e) === 'NotFound' || errorName(e) === 'NoSuchKey') return undefined;
      throw this.fail(e, 'HeadObject', name);
    }
  }

  async get(name: string, signal: AbortSignal): Promise<Readable> {
    return (await this.open(name, signal)).body;
  }

  /** GetObject answers with the same headers as HeadObject: the info of exactly the version being streamed. */
  async open(name: string, signal: AbortSignal): Promise<{ body: Readable; info: ObjectInfo }> {
    let body: Readable;
    let info: ObjectInfo;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal: signal });
      body = out.Body as Readable;
      info = this.headInfo(name, out as HeadObjectCommandOutput);
    } catch (e) {
      throw this.fail(e, 'GetObject', name);
    }
    if (!body) throw new FerryError('INTERNAL', `S3 GetObject ${this.url}/${name}: no body in the answer`);
    // The SDK stops waiting for the response on abort; a body already streaming is ended here.
    if (signal.aborted) body.destroy(abortError(signal));
    else {
      const onAbort = (): void => void body.destroy(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return { body, info };
  }

  async delete(name: string, signal: AbortSignal): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal: signal });
    } catch (e) {
      if (errorName(e) === 'NoSuchKey') return;
      throw this.fail(e, 'DeleteObject', name);
    }
  }

  /**
   * On success the body has been read to its end; on failure it is destroyed with the error thrown, so a pipeline
   * feeding it fails with the same error.
   */
  async put(req: PutRequest): Promise<PutResult> {
    try {
      return await this.upload(req);
    } catch (e) {
      const f = e instanceof FerryError ? e : this.fail(e, 'PutObject', req.name);
      discard(req.body, f);
      throw f;
    }
  }

  private async upload(req: PutRequest): Promise<PutResult> {
    const { name, size } = req;
    const reject = (why: string): FerryError =>
      new FerryError('ITEM_REJECTED', `S3 PutObject ${this.url}/${name}: ${why}`, { details: { object: name } });
    if (utf8Bytes(name) > S3_LIMITS.maxNameBytes) throw reject(`the name is ${utf8Bytes(name)} bytes long; S3 allows ${S3_LIMITS.maxNameBytes}`);
    if (size > S3_LIMITS.maxObjectBytes) throw reject(`${size} bytes is more than S3's 5 TiB per object`);
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.metadata)) {
      const key = k.toLowerCase();
      if (!METADATA_NAME.test(key)) throw reject(`the metadata name ${JSON.stringify(k)} cannot be an x-amz-meta- header name (ASCII letters, digits, - _ . and a few marks)`);
      metadata[key] = encodeMetadataValue(v);
    }
    const headers: ObjectHeaders = {
      Bucket: this.bucket,
      Key: name,
      ...(req.contentType ? { ContentType: req.contentType } : {}),
      ...(req.contentEncoding ? { ContentEncoding: req.contentEncoding } : {}),
      ...(req.contentLanguage ? { ContentLanguage: req.contentLanguage } : {}),
      ...(req.cacheControl ? { CacheControl: req.cacheControl } : {}),
      ...(req.contentDisposition ? { ContentDisposition: req.contentDisposition } : {}),
      Metadata: metadata,
      ...(this.o.storageClass ? { StorageClass: this.o.storageClass } : {}),
      ...(this.o.sse ? { ServerSideEncryption: this.o.sse } : {}),
      ...(this.o.sse === 'aws:kms' && this.o.sseKmsKeyId ? { SSEKMSKeyId: this.o.sseKmsKeyId } : {}),
    };
    if (size <= this.partSize) return this.putSingle(req, headers);
    return this.putMultipart(req, headers);
  }

  /** A failure while reading the content to upload: the source's, not S3's. */
  private readFailure(e: unknown, name: string): FerryError {
    const where = `S3 PutObject ${this.url}/${name}`;
    const details = { object: name };
    // The reader's own errors name the object already; a source store's name theirs.
    if (e instanceof FerryError) return e;
    if (errorName(e) === 'AbortError') return new FerryError('INTERRUPTED', `${where}: aborted`, { cause: e, details });
    const said = e instanceof Error ? e.message : String(e);
    return new FerryError('TRANSIENT', `${where}: reading the content to upload failed: ${said}`, { cause: e, details });
  }

  private async putSingle(req: PutRequest, headers: ObjectHeaders): Promise<PutResult> {
    const reader = new ExactReader(req.body, req.size, req.signal, `S3 PutObject ${this.url}/${req.name}: `, { object: req.name });
    let buf: Buffer;
    try {
      buf = await reader.read(req.size);
      await reader.expectEnd();
    } catch (e) {
      throw this.readFailure(e, req.name);
    }
    const computed = createHash('md5').update(buf).digest('hex');
    const sent = req.md5 ? req.md5.toLowerCase() : computed;
    let out;
    try {
      out = await this.client.send(new PutObjectCommand({ ...headers, Body: buf, ContentLength: buf.length, ContentMD5: md5HexToBase64(sent) }), {
        abortSignal: req.signal,
      });
    } catch (e) {
      const f = this.fail(e, 'PutObject', req.name);
      if (f.details?.['s3Error'] === 'BadDigest' && sent !== computed) {
        throw new FerryError(
          'TRANSIENT',
          `S3 PutObject ${this.url}/${req.name}: S3 refused the content: the bytes read have MD5 ${computed}, not the expected ${sent} (the source object changed, or its bytes were damaged on the way); a retry reads it again`,
          { cause: e, details: { ...f.details, expectedMd5: sent, readMd5: computed } },
        );
      }
      throw f;
    }
    const etag = unquoteEtag(out.ETag);
    const encrypted = out.ServerSideEncryption === 'aws:kms' || out.ServerSideEncryption === 'aws:kms:dsse' || out.SSECustomerAlgorithm !== undefined;
    const md5 = this.md5Of(etag, encrypted);
    const serverChecks = ['content-md5'];
    if (out.ChecksumCRC32) serverChecks.push('crc32');
    return { ...(md5 ? { md5 } : {}), ...(etag ? { etag } : {}), size: buf.length, serverChecks };
  }

  private async putMultipart(req: PutRequest, headers: ObjectHeaders): Promise<PutResult> {
    const plan = planParts(req.size, this.partSize);
    if (plan.grown) {
      this.ctx.logger.debug('s3: part size grown to stay within 10,000 parts', {
        name: req.name,
        size: req.size,
        partSizeMb: plan.partSize / MiB,
        parts: plan.parts,
      });
    }
    const sdkCrc = this.info.requestChecksums === 'when_supported';
    // S3 names the upload only in its answer: an intent recorded first covers a death while the request is out.
    const intent = { name: req.name, id: `${PENDING}${randomBytes(8).toString('hex')}` };
    await req.uploads?.started(intent);
    let uploadId: string;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ ...headers, ...(sdkCrc ? { ChecksumAlgorithm: 'CRC32' } : {}) }), {
        abortSignal: req.signal,
      });
      if (!created.UploadId) throw new FerryError('INTERNAL', `S3 CreateMultipartUpload ${this.url}/${req.name}: no UploadId in the answer`);
      uploadId = created.UploadId;
    } catch (e) {
      // S3 answered with an error: nothing was created. Unanswered, it may have been: the intent stays recorded.
      if (httpStatus(e) !== undefined) await endUpload(req.uploads, intent, this.ctx.logger);
      throw this.fail(e, 'CreateMultipartUpload', req.name);
    }
    const upload = { name: req.name, id: uploadId };
    try {
      await req.uploads?.started(upload);
    } catch (e) {
      await this.abortUpload(upload, req.uploads);
      throw e;
    }
    await endUpload(req.uploads, intent, this.ctx.logger);

    // One controller for every part: the run's abort or the first failed part stops the others.
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(req.signal.reason);
    if (req.signal.aborted) onAbort();
    else req.signal.addEventListener('abort', onAbort, { once: true });

    const reader = new ExactReader(req.body, req.size, ac.signal, `S3 PutObject ${this.url}/${req.name}: `, { object: req.name });
    const md5s: Buffer[] = [];
    const parts: CompletedPart[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: FerryError | undefined;
    const failWith = (f: FerryError): void => {
      failure ??= f;
      ac.abort(f);
    };
    let crcAll = true;

    try {
      for (let i = 0; i < plan.parts && !failure; i++) {
        const len = Math.min(plan.partSize, req.size - i * plan.partSize);
        let buf: Buffer;
        try {
          buf = await reader.read(len);
        } catch (e) {
          failWith(failure ?? this.readFailure(e, req.name));
          break;
        }
        // This part is the "+1" held in memory until one of the `part_concurrency` slots frees up.
        while (inflight.size >= this.o.partConcurrency) await Promise.race(inflight);
        if (failure) break;
        const md5 = createHash('md5').update(buf).digest();
        md5s[i] = md5;
        const partNumber = i + 1;
        const upload = this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: req.name,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: buf,
            ContentLength: len,
            ContentMD5: md5.toString('base64'),
            ...(sdkCrc ? { ChecksumAlgorithm: 'CRC32' } : {}),
          }),
          { abortSignal: ac.signal },
        );
        const p: Promise<void> = upload
          .then(
            (r) => {
              if (!r.ChecksumCRC32) crcAll = false;
              parts[i] = {
                PartNumber: partNumber,
                ...(r.ETag !== undefined ? { ETag: r.ETag } : {}),
                ...(sdkCrc && r.ChecksumCRC32 ? { ChecksumCRC32: r.ChecksumCRC32 } : {}),
              };
            },
            (e: unknown) => failWith(failure ?? this.fail(e, `UploadPart ${partNumber}/${plan.parts}`, req.name)),
          )
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (!failure) {
        try {
          await reader.expectEnd();
        } catch (e) {
          failWith(this.readFailure(e, req.name));
        }
      }
      await Promise.all(inflight);
      if (failure) throw failure;

      let done;
      try {
        done = await this.client.send(
          new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: req.name, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
          { abortSignal: req.signal },
        );
      } catch (e) {
        throw this.fail(e, 'CompleteMultipartUpload', req.name);
      }
      await endUpload(req.uploads, upload, this.ctx.logger);
      const etag = unquoteEtag(done.ETag);
      const expected = multipartEtag(md5s);
      const serverChecks = ['part-md5'];
      if (etag === expected) serverChecks.push('multipart-etag');
      else this.ctx.logger.debug('s3: the multipart ETag is not the MD5 of the part MD5s', { name: req.name, etag, expected });
      if (sdkCrc && crcAll) serverChecks.push('crc32');
      return { ...(etag ? { etag } : {}), size: req.size, serverChecks };
    } catch (e) {
      ac.abort(e);
      await Promise.allSettled([...inflight]);
      await this.abortUpload(upload, req.uploads);
      throw e instanceof FerryError ? e : this.fail(e, 'UploadPart', req.name);
    } finally {
      req.signal.removeEventListener('abort', onAbort);
    }
  }

  /** AbortMultipartUpload with its own deadline (the run's signal may be what failed the upload). */
  private async abortUpload(upload: PartialUpload, uploads: UploadTracker | undefined): Promise<void> {
    try {
      await this.abortPartial(upload, AbortSignal.timeout(ABORT_UPLOAD_TIMEOUT_MS));
      await endUpload(uploads, upload, this.ctx.logger);
    } catch (e) {
      // Left recorded in the job's state: the next run aborts it once this one is gone (or a lifecycle rule does).
      this.ctx.logger.warn('s3: could not abort a failed multipart upload; the next run removes it', {
        object: `${this.url}/${upload.name}`,
        uploadId: upload.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** Aborts one multipart upload ferry recorded; false when S3 no longer has it (completed or aborted already). */
  async abortPartial(upload: PartialUpload, signal: AbortSignal): Promise<boolean> {
    if (upload.id.startsWith(PENDING)) return this.abortIntended(upload, signal);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.name, UploadId: upload.id }), { abortSignal: signal });
      return true;
    } catch (e) {
      if (errorName(e) === 'NoSuchUpload') return false;
      throw this.fail(e, 'AbortMultipartUpload', upload.name);
    }
  }

  /**
   * A run died between asking for a multipart upload and recording its id: the upload S3 may have created is one
   * on exactly this name, initiated within INTENT_WINDOW_MS of the intent (S3's clock against ours), and not one
   * recorded by another upload of the same name (a live worker may be writing it again). Anything else is left.
   */
  private async abortIntended(intent: PartialUpload, signal: AbortSignal): Promise<boolean> {
    const at = intent.startedAt === undefined ? Number.NaN : Date.parse(intent.startedAt);
    if (Number.isNaN(at)) return false;
    const known = new Set(intent.siblings ?? []);
    let removed = false;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let out;
      try {
        out = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: intent.name,
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
          { abortSignal: signal },
        );
      } catch (e) {
        // gofakes3: a bucket that never had a multipart upload answers NoSuchUpload.
        if (errorName(e) === 'NoSuchUpload') return removed;
        throw this.fail(e, 'ListMultipartUploads', intent.name);
      }
      for (const u of out.Uploads ?? []) {
        if (u.Key !== intent.name || !u.UploadId || known.has(u.UploadId) || !u.Initiated) continue;
        if (Math.abs(u.Initiated.getTime() - at) > INTENT_WINDOW_MS) continue;
        if (await this.abortPartial({ name: u.Key, id: u.UploadId }, signal)) removed = true;
      }
      if (!out.IsTruncated || (out.NextKeyMarker === undefined && out.NextUploadIdMarker === undefined)) return removed;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.client.destroy();
  }
}
