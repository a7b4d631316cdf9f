/**
 * Azure Blob Storage as an `ObjectStore` (src/core/object.ts), over @azure/storage-blob 12.
 *
 * Listing: List Blobs (flat, with metadata, so every ObjectInfo is `detailed`), page by page. Azure lists in UTF-16
 * code unit order; `Utf8Reorder` (naming.ts) turns that into the contract's UTF-8 order. Azure has no StartAfter:
 * a listing with `startAfter` sends `startFrom` (service version 2026-02-06 and later; Azurite 3.35 ignores it and
 * lists from the start of the prefix) and skips names up to `startAfter` itself; with both bounds the prefix narrows
 * to their common prefix, so a key-range segment reads at most the names under that prefix. Continuation markers are
 * opaque (documented so), and ferry never builds one. The listing stops at the first name ≥ `endBefore`.
 *
 * Uploads: a blob up to the part size goes up in one Put Blob with its Content-MD5 (the source's MD5 when known, else
 * the one ferry computes), which the server checks (`content-md5`). A larger blob is read in blocks of the part
 * size, each staged with its own MD5 checked by the server (`part-md5`), at most `part_concurrency` in flight (so at
 * most part_concurrency + 1 blocks in memory), while ferry computes the MD5 of the whole; the block list is then
 * committed with that MD5 as the blob's Content-MD5 (Azure computes none for block lists: this stored value is what
 * listings report afterwards), unless the source stated another MD5, in which case nothing is committed (TRANSIENT:
 * the bytes changed between the source and ferry). On any failure or abort, staged blocks of a blob that has no
 * committed version are deleted with it; blocks staged over an existing blob cannot be removed without removing
 * the blob, and Azure discards them at that blob's next commit or after 7 days. Each block upload is reported to the
 * job's ledger (`PutRequest.uploads`), and `abortPartial` removes only such an upload's blocks, never by prefix.
 *
 * Metadata names and values are encoded for Azure and decoded when read (naming.ts): names round-trip exactly.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { BlobGetPropertiesResponse, BlobHTTPHeaders, BlobItem, BlockBlobClient, BlockBlobUploadOptions, ContainerClient } from '@azure/storage-blob';
import type { ConnectorContext } from '../../core/connector.js';
import { compareNames, type ListRequest, type ObjectInfo, type ObjectStore, type ObjectStoreLimits, type PutRequest, type PutResult } from '../../core/object.js';
import { endUpload, type PartialUpload, type UploadTracker } from '../../core/upload-ledger.js';
import { FerryError, isFerryError } from '../../errors.js';
import { createClients, type AzureBlobClients } from './client.js';
import { isNotFound, toFerryError } from './errors.js';
import {
  addressedName,
  azureNameProblem,
  blockId,
  blockSizeFor,
  compareUtf16,
  decodeMetadata,
  encodeMetadata,
  isMd5Hex,
  listingPlan,
  MAX_BLOCKS,
  md5HexOf,
  MIB,
  unquote,
  Utf8Reorder,
  Utf8ReorderOverflow,
} from './naming.js';
import { MAX_PART_SIZE_MB, parseAzureBlobOptions, type AzureBlobOptions } from './options.js';

/** Azure's page size cap for List Blobs. */
const MAX_PAGE = 5000;
/** Time allowed to clean up after a failed upload (the upload's own signal may be aborted by then). */
const CLEANUP_MS = 30_000;

export async function openAzureBlobStore(options: Record<string, unknown>, ctx: ConnectorContext): Promise<ObjectStore> {
  const o = parseAzureBlobOptions(options);
  return new AzureBlobStore(o, await createClients(o, ctx), ctx);
}

/** Drops undefined fields, so ObjectInfos from listings and HEADs compare equal. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error('The operation was aborted.');
  e.name = 'AbortError';
  return e;
}

/**
 * The content of `body` in parts of exactly `size` bytes (the last one shorter; nothing for an empty body). Each
 * part is one buffer that the stream's chunks are copied into, so a part holds no references to the chunks. A part
 * starts at the size the source announced for what is left (`expected`, at least 64 KiB) rather than at `size`, so a
 * 1 KiB object does not take a part's worth of memory, and doubles (up to `size`) if the body is longer than announced.
 */
export async function* partsOf(body: AsyncIterable<unknown> | Iterable<unknown>, size: number, expected = size): AsyncGenerator<Buffer> {
  let left = expected;
  const capacityFor = (): number => Math.min(size, Math.max(left, 64 * 1024));
  let part = Buffer.allocUnsafe(capacityFor());
  let len = 0;
  for await (const chunk of body) {
    const buf: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array | string);
    let off = 0;
    while (off < buf.length) {
      if (len === part.length) {
        // Longer than announced: grow the part (it is not full yet, or it would have been yielded).
        const grown = Buffer.allocUnsafe(Math.min(size, part.length * 2));
        part.copy(grown, 0, 0, len);
        part = grown;
      }
      const n = buf.copy(part, len, off, off + Math.min(buf.length - off, part.length - len));
      len += n;
      off += n;
      if (len === size) {
        yield part;
        left = Math.max(0, left - size);
        part = Buffer.allocUnsafe(capacityFor());
        len = 0;
      }
    }
  }
  if (len > 0) yield part.subarray(0, len);
}

export class AzureBlobStore implements ObjectStore {
  readonly url: string;
  readonly limits: ObjectStoreLimits = {
    // 50,000 blocks of 4,000 MiB: about 190.7 TiB.
    maxObjectBytes: MAX_BLOCKS * MAX_PART_SIZE_MB * MIB,
    maxNameBytes: 1024,
  };
  private readonly container: ContainerClient;
  private readonly partSize: number;

  constructor(
    readonly options: AzureBlobOptions,
    private readonly clients: AzureBlobClients,
    private readonly ctx: ConnectorContext,
  ) {
    this.container = clients.container;
    this.url = `azure://${clients.account}/${options.container}`;
    this.partSize = options.partSizeMb * MIB;
  }

  /** Why Azure cannot hold `name` byte for byte (dot segments, `\\`, control characters), or undefined. */
  nameProblem(name: string): string | undefined {
    return azureNameProblem(name);
  }

  /**
   * The client of blob `name`, refused (ITEM_REJECTED, before any request) when the URL the SDK would send addresses
   * another name: a write must never land elsewhere, nor a read or delete touch another blob.
   */
  private blob(name: string, op: string): BlockBlobClient {
    const problem = azureNameProblem(name);
    const client = this.container.getBlockBlobClient(name);
    const addressed = problem === undefined ? addressedName(client.url, this.container.url) : undefined;
    if (problem !== undefined || addressed !== name) {
      throw new FerryError('ITEM_REJECTED', `Azure Blob ${op} (${this.url}): ${problem ?? `the request would address ${JSON.stringify(addressed)}, not ${JSON.stringify(name)}`}; ferry sends no request for it`, {
        hint: 'rename the object in the source, or copy it to a store that holds such names (S3, GCS)',
        details: { object: name },
      });
    }
    return client;
  }

  private err(op: string, e: unknown): FerryError {
    return toFerryError(e, { op, url: this.url, hostPort: this.clients.hostPort, container: this.options.container });
  }

  /**
   * Lists one name rather than reading the container's properties: a container SAS may list blobs but never read
   * container properties (that takes an account SAS or key), and a listing is what source and sink need anyway.
   */
  async check(signal: AbortSignal): Promise<void> {
    try {
      await this.container.listBlobsFlat({ abortSignal: signal }).byPage({ maxPageSize: 1 }).next();
    } catch (e) {
      throw this.err('check', e);
    }
  }

  /** Creates the container unless it exists (checked first, so a container SAS, which cannot create, still works). */
  async create(signal: AbortSignal): Promise<void> {
    try {
      await this.check(signal);
      return;
    } catch (e) {
      if (!(e instanceof FerryError) || e.code !== 'NOT_FOUND') throw e;
    }
    try {
      await this.container.createIfNotExists({ abortSignal: signal });
    } catch (e) {
      throw this.err(`create container ${this.options.container}`, e);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // reading

  private infoOfItem(item: BlobItem): ObjectInfo {
    return infoOf(item.name, item.properties, item.metadata);
  }

  private infoOfProps(name: string, p: BlobGetPropertiesResponse): ObjectInfo {
    return infoOf(name, p, p.metadata);
  }

  /**
   * Listing requests made by this store (for tests and diagnostics). A listing that skips names before `startAfter`
   * (on a server that ignores `startFrom`) quadruples its request size after each page that yields nothing, up to
   * 5,000, and still hands out pages of at most the asked size.
   */
  listRequests = 0;
  private startFromIgnored = false;

  async *list(req: ListRequest): AsyncIterable<ObjectInfo[]> {
    const plan = listingPlan(req.prefix, req.startAfter, req.endBefore);
    if (plan.empty) return;
    const reorder = new Utf8Reorder<ObjectInfo>();
    const outPage = Math.min(MAX_PAGE, Math.max(1, Math.floor(req.pageSize ?? MAX_PAGE)));
    const listing = this.container.listBlobsFlat({
      prefix: plan.prefix,
      includeMetadata: true,
      abortSignal: req.signal,
      ...(plan.startFrom !== undefined ? { startFrom: plan.startFrom } : {}),
    });
    let ended = false;
    const take = (ready: ObjectInfo[], out: ObjectInfo[]): void => {
      for (const info of ready) {
        if (req.endBefore !== undefined && compareNames(info.name, req.endBefore) >= 0) {
          ended = true;
          return;
        }
        if (req.startAfter === undefined || compareNames(info.name, req.startAfter) > 0) out.push(info);
      }
    };
    const op = `list ${JSON.stringify(req.prefix)}`;
    let serverPage = outPage;
    let token: string | undefined;
    let first = true;
    try {
      for (;;) {
        let page: { segment: { blobItems: BlobItem[] }; continuationToken?: string };
        try {
          const next = await listing.byPage({ maxPageSize: serverPage, ...(token ? { continuationToken: token } : {}) }).next();
          if (next.done) break;
          page = next.value;
        } catch (e) {
          throw this.err(op, e);
        }
        this.listRequests += 1;
        const items = page.segment.blobItems;
        if (first && plan.startFrom !== undefined && items.length > 0 && compareUtf16(items[0]!.name, plan.startFrom) < 0 && !this.startFromIgnored) {
          this.startFromIgnored = true;
          this.ctx.logger.debug('azure-blob: the server ignores `startFrom` (service versions before 2026-02-06, Azurite 3.35): listings after a name read from the start of their prefix', {
            url: this.url,
          });
        }
        first = false;
        const out: ObjectInfo[] = [];
        for (const item of items) {
          take(reorder.push(item.name, this.infoOfItem(item)), out);
          if (ended) break;
        }
        for (let i = 0; i < out.length; i += outPage) yield out.slice(i, i + outPage);
        if (ended) return;
        if (out.length === 0) serverPage = Math.min(MAX_PAGE, serverPage * 4);
        token = page.continuationToken;
        if (!token) break;
      }
      const out: ObjectInfo[] = [];
      take(reorder.flush(), out);
      for (let i = 0; i < out.length; i += outPage) yield out.slice(i, i + outPage);
    } catch (e) {
      if (e instanceof Utf8ReorderOverflow) {
        throw new FerryError(
          'UNSUPPORTED',
          `Azure Blob ${op} (${this.url}): ${e.message}; Azure lists them before names with characters U+E000–U+FFFF at the same place, and ferry holds them back to list in UTF-8 order`,
          { hint: `split the stream so that ${JSON.stringify(e.prefix)} + each first character is a stream of its own` },
        );
      }
      throw e;
    }
  }

  async head(name: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const p = await this.blob(name, `head ${name}`).getProperties({ abortSignal: signal });
      return this.infoOfProps(name, p);
    } catch (e) {
      if (isFerryError(e)) throw e;
      if (isNotFound(e) && (e as { details?: { errorCode?: string } }).details?.errorCode !== 'ContainerNotFound') return undefined;
      throw this.err(`head ${name}`, e);
    }
  }

  async get(name: string, signal: AbortSignal): Promise<Readable> {
    let source: NodeJS.ReadableStream | undefined;
    try {
      const res = await this.blob(name, `get ${name}`).download(0, undefined, { abortSignal: signal, maxRetryRequests: 2 });
      source = res.readableStreamBody;
    } catch (e) {
      if (isFerryError(e)) throw e;
      throw this.err(`get ${name}`, e);
    }
    if (!source) throw new FerryError('INTERNAL', `Azure Blob get ${name} (${this.url}): the download has no body`);
    const src = source as Readable;
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    const onAbort = (): void => {
      const e = this.err(`get ${name}`, abortError(signal));
      src.destroy();
      out.destroy(e);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    src.on('error', (e) => out.destroy(this.err(`get ${name}`, e)));
    out.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      if (!src.destroyed) src.destroy();
    });
    src.pipe(out);
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // writing

  private headers(req: PutRequest, md5: Uint8Array): BlobHTTPHeaders {
    return defined<BlobHTTPHeaders>({
      blobContentType: req.contentType,
      blobContentEncoding: req.contentEncoding,
      blobContentLanguage: req.contentLanguage,
      blobCacheControl: req.cacheControl,
      blobContentDisposition: req.contentDisposition,
      blobContentMD5: md5,
    });
  }

  async put(req: PutRequest): Promise<PutResult> {
    const op = `put ${req.name}`;
    if (req.md5 !== undefined && !isMd5Hex(req.md5)) {
      throw new FerryError('ITEM_REJECTED', `Azure Blob ${op} (${this.url}): the source MD5 ${JSON.stringify(req.md5)} is not 32 hex digits`);
    }
    if (Buffer.byteLength(req.name, 'utf8') > this.limits.maxNameBytes) {
      throw new FerryError('ITEM_REJECTED', `Azure Blob ${op} (${this.url}): the name is longer than ${this.limits.maxNameBytes} bytes`);
    }
    let blob: BlockBlobClient;
    try {
      blob = this.blob(req.name, op);
    } catch (e) {
      req.body.destroy(e as Error);
      throw e;
    }
    const onAbort = (): void => {
      req.body.destroy(abortError(req.signal));
    };
    if (req.signal.aborted) throw this.err(op, abortError(req.signal));
    req.signal.addEventListener('abort', onAbort, { once: true });
    const blockSize = blockSizeFor(req.size, this.partSize);
    const parts = partsOf(req.body, blockSize, req.size);
    try {
      const first = await parts.next();
      const head = first.done ? Buffer.alloc(0) : first.value;
      const second = first.done || head.length < blockSize ? undefined : await parts.next();
      if (second === undefined || second.done) return await this.putSingle(req, blob, head);
      return await this.putBlocks(req, blob, blockSize, [head, second.value], parts);
    } catch (e) {
      req.body.destroy();
      throw this.err(op, e);
    } finally {
      req.signal.removeEventListener('abort', onAbort);
      await parts.return(undefined);
    }
  }

  private async putSingle(req: PutRequest, blob: BlockBlobClient, body: Buffer): Promise<PutResult> {
    const md5 = req.md5 !== undefined ? Buffer.from(req.md5, 'hex') : createHash('md5').update(body).digest();
    // `transactionalContentMD5` (the Content-MD5 header, checked by the server) is read by upload() at run time
    // (setUploadChecksumParameters) though BlockBlobUploadOptions does not declare it in 12.32.
    const options: BlockBlobUploadOptions & { transactionalContentMD5: Uint8Array } = {
      blobHTTPHeaders: this.headers(req, md5),
      metadata: encodeMetadata(req.metadata),
      transactionalContentMD5: md5,
      abortSignal: req.signal,
      ...(this.options.accessTier ? { tier: this.options.accessTier } : {}),
      ...(this.options.encryptionScope ? { encryptionScope: this.options.encryptionScope } : {}),
    };
    const res = await blob.upload(body, body.length, options);
    return defined<PutResult>({
      name: addressedName(blob.url, this.container.url),
      md5: md5HexOf(res.contentMD5) ?? md5.toString('hex'),
      etag: unquote(res.etag),
      size: body.length,
      serverChecks: ['content-md5'],
    });
  }

  private async putBlocks(req: PutRequest, blob: BlockBlobClient, blockSize: number, initial: Buffer[], rest: AsyncGenerator<Buffer>): Promise<PutResult> {
    const upload = { name: req.name, id: randomBytes(8).toString('hex') };
    const uploadId = upload.id;
    const whole = createHash('md5');
    const ids: string[] = [];
    const inflight = new Set<Promise<void>>();
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    req.signal.addEventListener('abort', onAbort, { once: true });
    let failure: unknown;
    let size = 0;
    const stage = async (buf: Buffer): Promise<void> => {
      whole.update(buf);
      size += buf.length;
      while (inflight.size >= this.options.partConcurrency && failure === undefined) await Promise.race(inflight);
      if (failure !== undefined) throw failure;
      if (ids.length >= MAX_BLOCKS) {
        throw new FerryError('ITEM_REJECTED', `Azure Blob put ${req.name} (${this.url}): the blob needs more than Azure's ${MAX_BLOCKS} blocks of ${blockSize} bytes (it is larger than the ${req.size} bytes the source listed)`);
      }
      const id = blockId(uploadId, ids.length);
      ids.push(id);
      const p: Promise<void> = blob
        .stageBlock(id, buf, buf.length, {
          transactionalContentMD5: createHash('md5').update(buf).digest(),
          abortSignal: stop.signal,
          ...(this.options.encryptionScope ? { encryptionScope: this.options.encryptionScope } : {}),
        })
        .then(
          () => undefined,
          (e: unknown) => {
            failure ??= e;
            stop.abort();
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    };
    try {
      await req.uploads?.started(upload);
      for (const buf of initial) await stage(buf);
      for (;;) {
        if (failure !== undefined) throw failure;
        const next = await rest.next();
        if (next.done) break;
        await stage(next.value);
      }
      await Promise.all(inflight);
      if (failure !== undefined) throw failure;
      if (req.signal.aborted) throw abortError(req.signal);
      const md5 = whole.digest();
      const md5Hex = md5.toString('hex');
      if (req.md5 !== undefined && req.md5.toLowerCase() !== md5Hex) {
        throw new FerryError(
          'TRANSIENT',
          `Azure Blob put ${req.name} (${this.url}): the source states MD5 ${req.md5.toLowerCase()} but the ${size} bytes ferry read have MD5 ${md5Hex}: ` +
            'the bytes were damaged between the source and ferry (or the source object changed); nothing was committed, ferry retries',
        );
      }
      await blob.commitBlockList(ids, {
        blobHTTPHeaders: this.headers(req, md5),
        metadata: encodeMetadata(req.metadata),
        abortSignal: req.signal,
        ...(this.options.accessTier ? { tier: this.options.accessTier } : {}),
        ...(this.options.encryptionScope ? { encryptionScope: this.options.encryptionScope } : {}),
      });
      await endUpload(req.uploads, upload, this.ctx.logger);
      // What the target now states (Azure returns no blob MD5 for a commit).
      const props = await blob.getProperties({ abortSignal: req.signal });
      return defined<PutResult>({
        name: addressedName(blob.url, this.container.url),
        md5: md5HexOf(props.contentMD5),
        etag: unquote(props.etag),
        size: props.contentLength ?? size,
        serverChecks: ['part-md5'],
      });
    } catch (e) {
      stop.abort();
      await Promise.allSettled([...inflight]);
      await this.discardUncommitted(upload, req.uploads);
      throw e;
    } finally {
      req.signal.removeEventListener('abort', onAbort);
    }
  }

  /** After a failed block upload: remove what it staged where Azure allows (abortPartial), with its own deadline. */
  private async discardUncommitted(upload: PartialUpload, uploads: UploadTracker | undefined): Promise<void> {
    try {
      await this.abortPartial(upload, AbortSignal.timeout(CLEANUP_MS));
      await endUpload(uploads, upload, this.ctx.logger);
    } catch (e) {
      // Still recorded in the job's state: the next run removes it once this one is gone.
      this.ctx.logger.warn('azure-blob: could not delete staged blocks after a failed upload', { name: upload.name, error: String((e as Error).message ?? e) });
    }
  }

  async delete(name: string, signal: AbortSignal): Promise<void> {
    try {
      await this.blob(name, `delete ${name}`).delete({ deleteSnapshots: 'include', abortSignal: signal });
    } catch (e) {
      if (isFerryError(e)) throw e;
      if ((e as { details?: { errorCode?: string } }).details?.errorCode === 'BlobNotFound') return;
      throw this.err(`delete ${name}`, e);
    }
  }

  /**
   * Removes the blocks one upload of ferry's staged (their ids start with the upload's id, see blockId), by deleting
   * the blob, which Azure allows only as a whole: so only when the blob has no committed version and every
   * uncommitted block on it is this upload's. Blocks staged over an existing blob, or beside another writer's,
   * are left: Azure discards them at that blob's next commit or after 7 days.
   */
  async abortPartial(upload: PartialUpload, signal: AbortSignal): Promise<boolean> {
    const op = `removal of the blocks staged for ${upload.name}`;
    const blob = this.blob(upload.name, op);
    try {
      try {
        await blob.getProperties({ abortSignal: signal });
        this.ctx.logger.debug('azure-blob: blocks staged over an existing blob are left for Azure to discard', { name: upload.name });
        return false;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      const list = await blob.getBlockList('uncommitted', { abortSignal: signal });
      const staged = list.uncommittedBlocks ?? [];
      if (staged.length === 0) return false;
      const ours = `${upload.id}-`;
      if (staged.some((b) => !Buffer.from(b.name, 'base64').toString('utf8').startsWith(ours))) {
        this.ctx.logger.warn('azure-blob: another writer staged blocks on a blob ferry was uploading; left for Azure to discard', { name: upload.name });
        return false;
      }
      await blob.delete({ abortSignal: signal });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw this.err(op, e);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // The SDK keeps no connections of its own beyond Node's shared agent.
  }
}

/** The properties a listing item and a Get Blob Properties answer share, as an ObjectInfo. */
function infoOf(
  name: string,
  p: Pick<BlobGetPropertiesResponse, 'contentLength' | 'contentMD5' | 'etag' | 'lastModified' | 'contentType' | 'contentEncoding' | 'contentLanguage' | 'cacheControl' | 'contentDisposition' | 'accessTier'>,
  metadata: Record<string, string> | undefined,
): ObjectInfo {
  return defined<ObjectInfo>({
    name,
    size: p.contentLength ?? 0,
    md5: md5HexOf(p.contentMD5),
    etag: unquote(p.etag),
    lastModified: p.lastModified?.toISOString(),
    contentType: nonEmpty(p.contentType),
    contentEncoding: nonEmpty(p.contentEncoding),
    contentLanguage: nonEmpty(p.contentLanguage),
    cacheControl: nonEmpty(p.cacheControl),
    contentDisposition: nonEmpty(p.contentDisposition),
    metadata: decodeMetadata(metadata),
    storageClass: p.accessTier,
    detailed: true,
  });
}
