/**
 * The object-store contract: what S3, GCS and Azure Blob have in common, as the generic object source and sink
 * (src/objects/) need it. Each object connector implements `ObjectStore` over its own SDK; everything else —
 * key-range segments, incremental skips, hashing while streaming, proofs, deletes of extraneous objects — is written
 * once, in src/objects/.
 *
 * Names are full object names in the bucket/container (UTF-8). Every ObjectStore lists in ascending order of the
 * UTF-8 bytes of the name (`compareNames`), so listings of two stores can be merged. S3 and GCS list so natively;
 * Azure lists in UTF-16 code-unit order, and its store reorders (src/connectors/azure-blob/naming.ts).
 */
import type { Readable } from 'node:stream';
import type { PartialUpload, UploadTracker } from './upload-ledger.js';

export interface ObjectInfo {
  /** Full object name in the bucket or container. */
  name: string;
  size: number;
  /** Hex MD5 of the whole content when the store states it (S3 single-part ETag, GCS md5Hash, Azure Content-MD5). */
  md5?: string;
  /** Base64 of the big-endian CRC32C of the whole content when the store states it (GCS crc32c). */
  crc32c?: string;
  /** The store's entity tag, unquoted and opaque; an S3 multipart ETag looks like `<hex>-<parts>`. */
  etag?: string;
  /** ISO-8601 instant of the last change. */
  lastModified?: string;
  contentType?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  cacheControl?: string;
  contentDisposition?: string;
  /** User metadata with lower-case names (S3 x-amz-meta-*, GCS metadata, Azure metadata). */
  metadata?: Record<string, string>;
  storageClass?: string;
  /**
   * True when headers and metadata above are complete (a HEAD, or a listing that carries them, as GCS and Azure do);
   * false for a listing that lacks them (S3 ListObjectsV2 has no metadata and no content type).
   */
  detailed: boolean;
}

export interface ListRequest {
  /** Only names that start with this prefix ('' = the whole bucket). */
  prefix: string;
  /** Only names strictly after this one (S3 StartAfter; GCS startOffset + skip; Azure startFrom + skip). */
  startAfter?: string;
  /** Only names strictly before this one; the listing stops at the first name ≥ endBefore. */
  endBefore?: string;
  /** Page size hint; stores cap it (S3/GCS/Azure: 1000/1000/5000). */
  pageSize?: number;
  signal: AbortSignal;
}

export interface PutRequest {
  name: string;
  /** The content, streamed; a store must never buffer more than one part per in-flight part. */
  body: Readable;
  /** Exact size in bytes (known from the source listing); decides single-shot vs multipart/resumable upload. */
  size: number;
  /**
   * Hex MD5 of the content when known before the upload (from the source). A store that can have the server check
   * it does so (S3 Content-MD5 on a single PUT, GCS md5Hash on the upload, Azure transactional MD5 on a single PUT).
   */
  md5?: string;
  contentType?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  cacheControl?: string;
  contentDisposition?: string;
  /** User metadata to store; names lower-case. The generic sink adds `ferry-md5` etc. */
  metadata: Record<string, string>;
  signal: AbortSignal;
  /** Told of a partial upload before its first part is sent and once it is complete or gone (a job's ledger). */
  uploads?: UploadTracker;
}

/** What the target says it now holds, for the sink to compare with what it streamed. */
export interface PutResult {
  /** The name the store addressed the write to, where it can tell (read back from the request it sent). */
  name?: string;
  /** Hex MD5 the target computed or stored for the whole object, if it reports one. */
  md5?: string;
  /** Base64 CRC32C the target computed, if it reports one (GCS). */
  crc32c?: string;
  etag?: string;
  size?: number;
  /**
   * Integrity checks the server itself made during the upload, e.g. `content-md5` (single PUT with Content-MD5),
   * `part-md5` (every multipart part / staged block sent with its MD5), `md5` / `crc32c` (GCS validation).
   */
  serverChecks: readonly string[];
}

export interface ObjectStoreLimits {
  /** Largest object the store accepts (S3 5 TiB, GCS 5 TiB, Azure block blob ~190 TiB). */
  maxObjectBytes: number;
  /** Longest name in UTF-8 bytes (S3 1024, GCS 1024, Azure 1024 characters). */
  maxNameBytes: number;
}

export interface ObjectStore extends AsyncDisposable {
  /** `s3://bucket`, `gs://bucket`, `azure://account/container`: for messages and reports. */
  readonly url: string;
  readonly limits: ObjectStoreLimits;
  /**
   * Why the store cannot hold `name` byte for byte (Azure resolves `..` segments, for one), or undefined when it can.
   * Such a name is refused into dead letters before anything is written. Stores that hold any name omit it.
   */
  nameProblem?(name: string): string | undefined;
  /** Checks the bucket/container exists and the credentials work; a FerryError (NOT_FOUND, AUTH, UNREACHABLE) otherwise. */
  check(signal: AbortSignal): Promise<void>;
  /** Creates the bucket/container if it does not exist (plan `create: true`). */
  create?(signal: AbortSignal): Promise<void>;
  /** Pages of objects in ascending name order; never the whole listing at once. */
  list(req: ListRequest): AsyncIterable<ObjectInfo[]>;
  /** Detailed info of one object, or undefined when it does not exist. */
  head(name: string, signal: AbortSignal): Promise<ObjectInfo | undefined>;
  /** The content, streamed. A FerryError NOT_FOUND when the object vanished since it was listed. */
  get(name: string, signal: AbortSignal): Promise<Readable>;
  /**
   * The content and the detailed info of the version being read, from one request (S3 GetObject answers with every
   * header): spares a HEAD per object where the listing has no metadata. Optional; `head` + `get` otherwise.
   */
  open?(name: string, signal: AbortSignal): Promise<{ body: Readable; info: ObjectInfo }>;
  /** Writes an object from a stream (multipart / resumable / staged blocks above the store's threshold). */
  put(req: PutRequest): Promise<PutResult>;
  delete(name: string, signal: AbortSignal): Promise<void>;
  /**
   * Removes one partial upload this store started for ferry (reported to `PutRequest.uploads`) whose run died: true
   * when it removed something, false when nothing is left to remove (or the store must leave it, e.g. blocks staged
   * over an existing Azure blob, or another writer's blocks on the same blob). Never lists and aborts by prefix: an
   * upload ferry has no record of is not ferry's. Stores whose partial uploads cost nothing may omit it.
   */
  abortPartial?(upload: PartialUpload, signal: AbortSignal): Promise<boolean>;
}

/**
 * Ascending order of the names' UTF-8 bytes: the order in which S3, GCS and Azure list. (JS string comparison orders
 * UTF-16 code units, which differs for characters beyond U+FFFF against U+E000–U+FFFF.)
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
