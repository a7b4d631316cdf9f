/**
 * Plan options of Google Cloud Storage. Credentials come from Application Default Credentials unless a
 * service-account `key_file` is given; `endpoint` (else $STORAGE_EMULATOR_HOST, else $GCS_ENDPOINT) targets
 * fake-gcs-server or another emulator, which is used without credentials.
 */
import type { JsonSchema } from '../../core/connector.js';
import { FerryError } from '../../errors.js';
import { bool, filePath, int, objectSourceStream, objectTargetStream, objectTransferOptions, oneOfStrings, str } from '../../plan/schema-fragments.js';

export const STORAGE_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

/** Resumable-upload chunks must be multiples of 256 KiB. */
export const CHUNK_QUANTUM = 256 * 1024;
export const DEFAULT_PART_SIZE_MB = 8;
/** A chunk is held in memory while it is sent (and re-sent on a retry). */
export const MAX_PART_SIZE_MB = 1024;
export const DEFAULT_PART_CONCURRENCY = 4;

export const gcsOptions: JsonSchema = {
  type: 'object',
  properties: {
    bucket: str('Bucket name.'),
    project: str('Google Cloud project id. Default: from the credentials or $GOOGLE_CLOUD_PROJECT (with an emulator also $GCLOUD_PROJECT, else `ferry`).'),
    key_file: filePath('Service-account key (JSON). Default: Application Default Credentials. Read by the Google auth library; never logged.'),
    endpoint: str(
      'API endpoint of an emulator, e.g. http://127.0.0.1:4443 (http:// is assumed when no scheme is given). Default: $STORAGE_EMULATOR_HOST, else $GCS_ENDPOINT, else Google. No credentials are used with an endpoint outside googleapis.com.',
    ),
    storage_class: oneOfStrings(
      [...STORAGE_CLASSES],
      'As a target: storage class of written objects. Default: the bucket\'s.',
    ),
    kms_key_name: str('As a target: the Cloud KMS key (CMEK) written objects are encrypted with, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (a reference, not key material). Default: the bucket\'s default key, else Google-managed.'),
    create: bool('As a target: create the bucket if it does not exist (in `location`). Default false.', false),
    location: str('Location of a bucket created by `create: true`, e.g. EU or europe-west1. Default: US.'),
    part_size_mb: int(
      'As a target: objects up to this size (MiB) are written in one request, with the source MD5 checked by the server; larger ones as resumable uploads in chunks of this size, one chunk in memory at a time. Default 8.',
      1,
      MAX_PART_SIZE_MB,
      DEFAULT_PART_SIZE_MB,
    ),
    part_concurrency: int(
      'Parts of one object in flight. Accepted for symmetry with S3 and Azure, but GCS resumable uploads send their chunks one after another, so it has no effect here (objects still copy in parallel). Default 4.',
      1,
      undefined,
      DEFAULT_PART_CONCURRENCY,
    ),
    // For GCS a large transfer holds one chunk in memory, whatever part_concurrency says.
    ...objectTransferOptions(),
  },
  required: ['bucket'],
};

export const gcsSourceStream = objectSourceStream();
export const gcsTargetStream = objectTargetStream();

/** The options a store was opened with (the connection block without `type`), as typed values. */
export interface GcsOptions {
  bucket: string;
  project?: string;
  keyFile?: string;
  endpoint?: string;
  storageClass?: StorageClass;
  kmsKeyName?: string;
  create: boolean;
  location?: string;
  /** Chunk size of resumable uploads and the single-request threshold, in bytes (a multiple of 256 KiB). */
  partSizeBytes: number;
  partConcurrency: number;
}

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Part size in bytes: MiB (from the plan, a whole number) rounded down to a multiple of 256 KiB, never below it. */
export function partSizeBytes(mb: unknown): number {
  const n = typeof mb === 'number' && Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_PART_SIZE_MB;
  return Math.max(CHUNK_QUANTUM, Math.floor((n * 1024 * 1024) / CHUNK_QUANTUM) * CHUNK_QUANTUM);
}

export function parseOptions(o: Record<string, unknown>): GcsOptions {
  const bucket = strOf(o['bucket']);
  if (!bucket) throw new FerryError('CONFIG', 'the gcs connection has no `bucket`', { hint: 'set `bucket:` in the plan\'s source or target block' });
  const project = strOf(o['project']);
  const keyFile = strOf(o['key_file']);
  const endpoint = strOf(o['endpoint']);
  const location = strOf(o['location']);
  const sc = strOf(o['storage_class']);
  const storageClass = (STORAGE_CLASSES as readonly string[]).includes(sc ?? '') ? (sc as StorageClass) : undefined;
  const pc = o['part_concurrency'];
  return {
    bucket,
    ...(project ? { project } : {}),
    ...(keyFile ? { keyFile } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(storageClass ? { storageClass } : {}),
    ...(strOf(o['kms_key_name']) ? { kmsKeyName: strOf(o['kms_key_name'])! } : {}),
    create: o['create'] === true,
    ...(location ? { location } : {}),
    partSizeBytes: partSizeBytes(o['part_size_mb']),
    partConcurrency: typeof pc === 'number' && Number.isInteger(pc) && pc >= 1 ? pc : DEFAULT_PART_CONCURRENCY,
  };
}
