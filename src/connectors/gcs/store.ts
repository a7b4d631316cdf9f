/**
 * Google Cloud Storage as an `ObjectStore` (src/core/object.ts), for the generic object source and sink.
 *
 * - list(): `objects.list` page by page (`autoPaginate: false`) with `prefix`, `startOffset` = startAfter (inclusive
 *   on the server, so the name equal to it is skipped here), `endOffset` = endBefore (exclusive) and `maxResults`.
 *   Cloud Storage (and fake-gcs-server, which compares Go strings, i.e. bytes) lists in UTF-8 byte order and
 *   honours both offsets; names outside the range are still dropped here, and the listing stops at the first name
 *   ≥ endBefore. A listing carries every header, user metadata, md5Hash and crc32c, so its infos are `detailed`.
 *   md5Hash (base64) becomes ObjectInfo.md5 (hex); composite objects have none.
 * - get(): `createReadStream` with `decompress: false` (the stored bytes, even for gzip-encoded objects) and the
 *   SDK's CRC32C check of the whole download; resolves once the server answered, so a vanished object is a
 *   NOT_FOUND with `details.object`, not a stream error.
 * - put(): objects up to `part_size_mb` in one multipart request carrying the metadata and, when the source stated
 *   one, `md5Hash`, which Cloud Storage checks (a mismatch is a 400); larger ones as a resumable upload in chunks of
 *   `part_size_mb`, sent one after another (so `part_concurrency` does not apply), with at most one chunk held by
 *   the SDK. In both, the SDK hashes what it sends (`validation: 'md5'`, or 'crc32c' once the server turned out not
 *   to report MD5s) and compares with what the server reports; on a mismatch it deletes the object. On a failure or
 *   abort mid-upload the resumable session is cancelled (DELETE on its URI), so no upload is left behind. Sessions are
 *   not reported to the job's ledger and there is no `abortPartial`: a session URI is a credential (the state holds
 *   none), and an abandoned session holds no object and expires after a week.
 *   serverChecks: `md5-sent` (the md5Hash ferry declared was accepted, and the MD5 the server reports equals it),
 *   `md5-reported` / `crc32c-reported` (the SDK's hash of the bytes sent equals the server's report).
 *
 * fake-gcs-server v1.56.1 quirks (found with the tests): a declared md5Hash is checked on single-request uploads
 * but forgotten after the first chunk of a chunked resumable upload, so a wrong MD5 there is accepted; ferry compares
 * the MD5 the server reports with the declared one after every upload and deletes a mismatching object, which
 * catches it. Cancelling a session answers 499 as Cloud Storage does, but the emulator keeps the session's bytes in
 * memory (no object is ever created from them).
 */
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket, File, FileMetadata, GetFilesOptions } from '@google-cloud/storage';
import { abortable } from '../abortable.js';
import type { ConnectorContext, Logger } from '../../core/connector.js';
import { compareNames, type ListRequest, type ObjectInfo, type ObjectStore, type ObjectStoreLimits, type PutRequest, type PutResult } from '../../core/object.js';
import { FerryError, isFerryError } from '../../errors.js';
import { createClient, type GcsClient } from './client.js';
import { httpStatus, toFerryError, type ErrorContext } from './errors.js';
import { parseOptions, type GcsOptions } from './options.js';

export const GCS_LIMITS: ObjectStoreLimits = { maxObjectBytes: 5 * 1024 ** 4, maxNameBytes: 1024 };
export const MAX_PAGE = 1000;
/** How long cancelling a resumable session may take before ferry gives up on it (it expires anyway). */
const CANCEL_TIMEOUT_MS = 10_000;

/** Hex MD5 → the base64 form GCS uses (md5Hash); undefined for anything that is not 32 hex digits. */
export function md5HexToBase64(hex: string): string | undefined {
  return /^[0-9a-f]{32}$/i.test(hex) ? Buffer.from(hex, 'hex').toString('base64') : undefined;
}

/** GCS md5Hash (base64 of 16 bytes) → hex; undefined when absent or malformed. */
export function md5Base64ToHex(b64: unknown): string | undefined {
  if (typeof b64 !== 'string' || b64 === '') return undefined;
  const buf = Buffer.from(b64, 'base64');
  return buf.length === 16 ? buf.toString('hex') : undefined;
}

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** An object resource (listing item or metadata) → ObjectInfo; user metadata names lower-cased. */
export function infoOf(m: FileMetadata): ObjectInfo {
  const info: ObjectInfo = { name: String(m.name), size: Number(m.size ?? 0), detailed: true };
  const md5 = md5Base64ToHex(m.md5Hash);
  if (md5) info.md5 = md5;
  const set = <K extends keyof ObjectInfo>(k: K, v: unknown): void => {
    const s = strOf(v);
    if (s !== undefined) (info as unknown as Record<string, unknown>)[k] = s;
  };
  set('crc32c', m.crc32c);
  set('etag', m.etag);
  set('lastModified', m.updated);
  set('contentType', m.contentType);
  set('contentEncoding', m.contentEncoding);
  set('contentLanguage', m.contentLanguage);
  set('cacheControl', m.cacheControl);
  set('contentDisposition', m.contentDisposition);
  set('storageClass', m.storageClass);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    if (v !== null && v !== undefined) metadata[k.toLowerCase()] = String(v);
  }
  info.metadata = metadata;
  return info;
}

/** The object resource written for a put (headers, user metadata, storage class, declared MD5). */
export function uploadMetadata(req: PutRequest, storageClass: string | undefined): FileMetadata {
  // Without a content type the SDK would guess one from the name; Cloud Storage's own default is this one.
  const m: FileMetadata = { contentType: req.contentType ?? 'application/octet-stream', metadata: { ...req.metadata } };
  if (req.contentEncoding !== undefined) m.contentEncoding = req.contentEncoding;
  if (req.contentLanguage !== undefined) m.contentLanguage = req.contentLanguage;
  if (req.cacheControl !== undefined) m.cacheControl = req.cacheControl;
  if (req.contentDisposition !== undefined) m.contentDisposition = req.contentDisposition;
  if (storageClass !== undefined) m.storageClass = storageClass;
  const md5 = req.md5 === undefined ? undefined : md5HexToBase64(req.md5);
  if (md5) m.md5Hash = md5;
  return m;
}

function interrupted(op: string): FerryError {
  return new FerryError('INTERRUPTED', `GCS ${op}: aborted`);
}


export class GcsStore implements ObjectStore {
  readonly url: string;
  readonly limits = GCS_LIMITS;
  private readonly bucket: Bucket;
  /** Cleared when the server turns out not to report MD5s (uploads then validate CRC32C). */
  private md5Reported = true;

  constructor(
    readonly options: GcsOptions,
    readonly client: GcsClient,
    private readonly logger?: Logger,
  ) {
    this.url = `gs://${options.bucket}`;
    this.bucket = client.storage.bucket(options.bucket);
  }

  private ctx(op: string, object?: string, writing = false): ErrorContext {
    return {
      op,
      host: this.client.endpoint.host,
      bucket: this.options.bucket,
      ...(object === undefined ? {} : { object }),
      writing,
      keyFile: this.options.keyFile,
    };
  }

  private fail(e: unknown, op: string, object?: string, writing = false): FerryError {
    return toFerryError(e, this.ctx(op, object, writing));
  }

  async check(signal: AbortSignal): Promise<void> {
    // Listing needs only storage.objects.list, which a copy needs anyway (buckets.get is often not granted).
    const op = `check of ${this.url}`;
    try {
      await abortable(this.bucket.getFiles({ autoPaginate: false, maxResults: 1 }), signal, () => interrupted(op));
    } catch (e) {
      throw this.fail(e, op);
    }
  }

  async create(signal: AbortSignal): Promise<void> {
    try {
      await this.check(signal);
      return;
    } catch (e) {
      if (!(isFerryError(e) && e.code === 'NOT_FOUND')) throw e;
    }
    const op = `creation of ${this.url}`;
    try {
      await abortable(this.client.storage.createBucket(this.options.bucket, this.options.location ? { location: this.options.location } : {}), signal, () => interrupted(op));
      this.logger?.info(`created bucket ${this.url}`, { location: this.options.location ?? '(default)' });
    } catch (e) {
      // Someone else created it meanwhile (409 "you already own it"): fine.
      if (httpStatus(e) === 409) return;
      throw this.fail(e, op);
    }
  }

  async *list(req: ListRequest): AsyncIterable<ObjectInfo[]> {
    const { prefix, startAfter, endBefore, signal } = req;
    if (startAfter !== undefined && endBefore !== undefined && compareNames(endBefore, startAfter) <= 0) return;
    const op = `list of ${this.url}/${prefix}`;
    const maxResults = Math.min(MAX_PAGE, Math.max(1, Math.floor(req.pageSize ?? MAX_PAGE)));
    let pageToken: string | undefined;
    for (;;) {
      if (signal.aborted) throw interrupted(op);
      const query: GetFilesOptions = { autoPaginate: false, maxResults };
      if (prefix) query.prefix = prefix;
      if (startAfter !== undefined) query.startOffset = startAfter;
      if (endBefore !== undefined) query.endOffset = endBefore;
      if (pageToken !== undefined) query.pageToken = pageToken;
      let files: File[];
      let next: GetFilesOptions | null | undefined;
      try {
        [files, next] = (await abortable(this.bucket.getFiles(query), signal, () => interrupted(op))) as unknown as [File[], GetFilesOptions | null | undefined];
      } catch (e) {
        throw this.fail(e, op);
      }
      const page: ObjectInfo[] = [];
      let done = false;
      for (const f of files) {
        const name = f.name;
        if (startAfter !== undefined && compareNames(name, startAfter) <= 0) continue;
        if (endBefore !== undefined && compareNames(name, endBefore) >= 0) {
          done = true;
          break;
        }
        if (prefix && !name.startsWith(prefix)) continue;
        page.push(infoOf({ ...f.metadata, name }));
      }
      if (page.length > 0) yield page;
      pageToken = next?.pageToken;
      if (done || !pageToken) return;
    }
  }

  async head(name: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
    const op = `head of ${this.url}/${name}`;
    try {
      const [m] = await abortable(this.bucket.file(name).getMetadata(), signal, () => interrupted(op));
      return infoOf({ ...m, name });
    } catch (e) {
      if (!isFerryError(e) && httpStatus(e) === 404) return undefined;
      throw this.fail(e, op, name);
    }
  }

  async get(name: string, signal: AbortSignal): Promise<Readable> {
    const op = `get of ${this.url}/${name}`;
    if (signal.aborted) throw interrupted(op);
    const raw = this.bucket.file(name).createReadStream({ decompress: false });
    const out = new PassThrough();
    let answered = false;
    return await new Promise<Readable>((resolve, reject) => {
      const onAbort = (): void => {
        const err = interrupted(op);
        raw.destroy(err);
        if (!answered) reject(err);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      raw.once('response', (res: { statusCode?: number; status?: number }) => {
        // The response is the body stream itself. @google-cloud/storage 8 runs it through three pipelines (node-fetch's,
        // teeny-request's and its own), 12 'error' listeners on a stream that lives for one request, and Node would
        // print a MaxListenersExceededWarning ("possible memory leak") on every download.
        if (res instanceof EventEmitter) res.setMaxListeners(Math.max(res.getMaxListeners(), 32));
        const status = res.statusCode ?? res.status ?? 200;
        if (status < 300) {
          answered = true;
          resolve(out);
        }
        // Otherwise the SDK reads the error body and destroys the stream: the error arrives below.
      });
      pipeline(raw, out)
        .catch((e: unknown) => {
          const err = this.fail(e, op, name);
          if (answered) out.destroy(err);
          else reject(err);
        })
        .finally(() => signal.removeEventListener('abort', onAbort));
      // An empty object may end before the response event is seen by us.
      out.once('end', () => {
        if (!answered) {
          answered = true;
          resolve(out);
        }
      });
    });
  }

  async put(req: PutRequest): Promise<PutResult> {
    const { name, signal } = req;
    const op = `put of ${this.url}/${name}`;
    const nameBytes = Buffer.byteLength(name, 'utf8');
    if (nameBytes === 0 || nameBytes > GCS_LIMITS.maxNameBytes) {
      throw new FerryError('ITEM_REJECTED', `GCS ${op}: object names are 1 to ${GCS_LIMITS.maxNameBytes} bytes, this one is ${nameBytes}`, {
        details: { bucket: this.options.bucket, object: name },
      });
    }
    if (signal.aborted) throw interrupted(op);
    const file = this.bucket.file(name, this.options.kmsKeyName ? { kmsKeyName: this.options.kmsKeyName } : {});
    const metadata = uploadMetadata(req, this.options.storageClass);
    const resumable = req.size > this.options.partSizeBytes;
    if (resumable) (metadata as FileMetadata & { contentLength?: number }).contentLength = req.size;
    const validation: 'md5' | 'crc32c' = this.md5Reported ? 'md5' : 'crc32c';
    const ws = file.createWriteStream({
      resumable,
      validation,
      metadata,
      ...(resumable ? { chunkSize: this.options.partSizeBytes } : {}),
    });
    let session: string | undefined;
    ws.on('uri', (uri: string) => {
      session = uri;
    });
    try {
      await pipeline(req.body, ws, { signal });
    } catch (e) {
      if (session !== undefined) await this.cancelSession(session);
      if (isFerryError(e)) throw e;
      if ((e as { code?: unknown })?.code === 'MD5_NOT_AVAILABLE') this.md5Reported = false;
      throw signal.aborted ? interrupted(op) : this.fail(e, op, name, true);
    }

    const m = (file.metadata ?? {}) as FileMetadata;
    const md5 = md5Base64ToHex(m.md5Hash);
    const checks: string[] = [];
    if (req.md5 !== undefined && metadata.md5Hash !== undefined) {
      if (md5 !== undefined && md5 !== req.md5.toLowerCase()) {
        // Cloud Storage refuses this with a 400; fake-gcs-server forgets the declared MD5 after a resumable
        // upload's first chunk. Either way the object must not stay.
        await file.delete({ ignoreNotFound: true }).catch(() => undefined);
        throw new FerryError(
          'TRANSIENT',
          `GCS ${op}: the server stored content with MD5 ${md5}, not the ${req.md5} the source states (the object was deleted; retried from the source)`,
          { details: { bucket: this.options.bucket, object: name } },
        );
      }
      if (md5 !== undefined) checks.push('md5-sent');
    }
    checks.push(validation === 'md5' ? 'md5-reported' : 'crc32c-reported');
    const result: PutResult = { serverChecks: checks };
    if (md5 !== undefined) result.md5 = md5;
    const crc = strOf(m.crc32c);
    if (crc !== undefined) result.crc32c = crc;
    const etag = strOf(m.etag);
    if (etag !== undefined) result.etag = etag;
    if (m.size !== undefined) result.size = Number(m.size);
    return result;
  }

  /**
   * Cancels a resumable session (DELETE on its URI, which is its own credential: no Authorization needed). Cloud
   * Storage answers 499. Best effort: an uncommitted session holds no object and expires after a week.
   */
  private async cancelSession(uri: string): Promise<void> {
    try {
      const res = await fetch(uri, { method: 'DELETE', signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
      await res.body?.cancel();
    } catch (e) {
      this.logger?.debug(`could not cancel a resumable upload session on ${this.url}`, { error: e instanceof Error ? e.name : String(e) });
    }
  }

  async delete(name: string, signal: AbortSignal): Promise<void> {
    const op = `delete of ${this.url}/${name}`;
    try {
      await abortable(this.bucket.file(name).delete({ ignoreNotFound: true }), signal, () => interrupted(op));
    } catch (e) {
      throw this.fail(e, op, name);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // The SDK keeps no connections that need closing.
  }
}

export async function openGcsStore(options: Record<string, unknown>, ctx: ConnectorContext): Promise<ObjectStore> {
  const o = parseOptions(options);
  const client = createClient(o, ctx);
  return new GcsStore(o, client, ctx.logger);
}
