/**
 * Plan options of Amazon S3 and S3-compatible stores (MinIO, R2, gofakes3...). Credentials come from the AWS SDK
 * default chain unless given here.
 *
 * The endpoint is the plan's `endpoint`, else what the SDK itself reads: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or
 * `endpoint_url` in ~/.aws/config. ferry does not read S3_ENDPOINT (a test-suite variable) on its own.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, exclusive, int, objectSourceStream, objectTargetStream, objectTransferOptions, oneOfStrings, secret, str } from '../../plan/schema-fragments.js';

export const S3_STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;
export type S3StorageClass = (typeof S3_STORAGE_CLASSES)[number];

export type RequestChecksums = 'when_required' | 'when_supported';

/** S3's smallest part (all parts but the last) and ferry's default part size, in MiB. */
export const MIN_PART_SIZE_MB = 5;
export const DEFAULT_PART_SIZE_MB = 8;
/** S3's largest part is 5 GiB. */
export const MAX_PART_SIZE_MB = 5 * 1024;
export const DEFAULT_PART_CONCURRENCY = 4;

export const s3Options: JsonSchema = {
  type: 'object',
  properties: {
    bucket: str('Bucket name.', { pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', 'x-expect': 'a bucket name (3–63 lower-case letters, digits, dots or dashes)' }),
    region: str('AWS region, e.g. eu-west-1. Default: the SDK chain ($AWS_REGION, profile); us-east-1 with a custom `endpoint`.'),
    endpoint: str('Endpoint URL of an S3-compatible server, e.g. http://127.0.0.1:9000. Default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS.'),
    force_path_style: bool(
      'Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint> (MinIO and most emulators need it). Default: true with a custom endpoint, false on AWS.',
    ),
    profile: str('Named profile from ~/.aws/config. Default: $AWS_PROFILE or the default chain.'),
    access_key_id: str('Access key id; prefer the default credential chain.'),
    secret_access_key: secret('Secret access key, with `access_key_id`.'),
    session_token: secret('Session token, for temporary credentials.'),
    storage_class: oneOfStrings(
      S3_STORAGE_CLASSES,
      'As a target: storage class of written objects. Default: the bucket\'s (STANDARD).',
    ),
    sse: oneOfStrings(
      ['AES256', 'aws:kms'],
      'As a target: server-side encryption of written objects: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS, with `sse_kms_key_id`, else the account\'s AWS-managed key). SSE-KMS ETags are not MD5s, so ferry proves those copies by Content-MD5 instead. Default: the bucket\'s default encryption.',
    ),
    sse_kms_key_id: str('With `sse: aws:kms`: the KMS key id, alias or ARN (a reference, not key material).'),
    create: bool('As a target: create the bucket if it does not exist. Default false.', false),
    part_size_mb: int(
      `As a target: objects larger than this many MiB are uploaded in parts of this size (S3's minimum is ${MIN_PART_SIZE_MB}); ` +
        'objects too large for 10,000 such parts get larger parts (size / 10,000, rounded up to a MiB). Default 8.',
      MIN_PART_SIZE_MB,
      MAX_PART_SIZE_MB,
      DEFAULT_PART_SIZE_MB,
    ),
    part_concurrency: int(
      'As a target: parts of one object uploaded at once. Memory per object being written is at most (part_concurrency + 1) × the part size. Default 4.',
      1,
      64,
      DEFAULT_PART_CONCURRENCY,
    ),
    request_checksums: oneOfStrings(
      ['when_required', 'when_supported'],
      'CRC32 checksums the AWS SDK adds to requests and checks on responses, besides the Content-MD5 that ferry sends with every upload: ' +
        '`when_supported` (the SDK\'s default), or `when_required` (only where S3 demands one). Default: when_supported on AWS, ' +
        'when_required with a custom endpoint (emulators such as gofakes3 refuse the SDK\'s CRC32 trailers).',
    ),
    etag_md5: bool(
      'Take the ETag of a single-part object (32 hex digits, no `-N`) as its MD5, as S3 does for SSE-S3 and unencrypted objects. ' +
        'Set false for buckets encrypted with SSE-KMS or SSE-C, whose ETags are not MD5s. Default true.',
      true,
    ),
    ...objectTransferOptions(),
  },
  required: ['bucket'],
  allOf: [exclusive('profile', ['access_key_id', 'secret_access_key', 'session_token'], 'use either `profile` or access keys, not both')],
};

export const s3SourceStream = objectSourceStream();
export const s3TargetStream = objectTargetStream();

/** The options a store was opened with (the connection block without `type`), as typed values with defaults. */
export interface S3Options {
  bucket: string;
  region?: string;
  endpoint?: string;
  /** Undefined: decided by whether an endpoint is configured. */
  forcePathStyle?: boolean;
  profile?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  storageClass?: S3StorageClass;
  sse?: 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
  create: boolean;
  partSizeMb: number;
  partConcurrency: number;
  /** Undefined: decided by whether an endpoint is configured. */
  requestChecksums?: RequestChecksums;
  etagMd5: boolean;
}

const strOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const intOf = (v: unknown, min: number, max: number, dflt: number): number =>
  typeof v === 'number' && Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : dflt;

export function parseS3Options(o: Record<string, unknown>): S3Options {
  const bucket = strOf(o['bucket']) ?? '';
  const region = strOf(o['region']);
  const endpoint = strOf(o['endpoint']);
  const profile = strOf(o['profile']);
  const accessKeyId = strOf(o['access_key_id']);
  const secretAccessKey = strOf(o['secret_access_key']);
  const sessionToken = strOf(o['session_token']);
  const sc = o['storage_class'];
  const storageClass = (S3_STORAGE_CLASSES as readonly unknown[]).includes(sc) ? (sc as S3StorageClass) : undefined;
  const rc = o['request_checksums'];
  const requestChecksums = rc === 'when_required' || rc === 'when_supported' ? rc : undefined;
  const fps = o['force_path_style'];
  return {
    bucket,
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(typeof fps === 'boolean' ? { forcePathStyle: fps } : {}),
    ...(profile ? { profile } : {}),
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(secretAccessKey ? { secretAccessKey } : {}),
    ...(sessionToken ? { sessionToken } : {}),
    ...(storageClass ? { storageClass } : {}),
    ...(o['sse'] === 'AES256' || o['sse'] === 'aws:kms' ? { sse: o['sse'] } : {}),
    ...(strOf(o['sse_kms_key_id']) ? { sseKmsKeyId: strOf(o['sse_kms_key_id']) } : {}),
    create: o['create'] === true,
    partSizeMb: intOf(o['part_size_mb'], MIN_PART_SIZE_MB, MAX_PART_SIZE_MB, DEFAULT_PART_SIZE_MB),
    partConcurrency: intOf(o['part_concurrency'], 1, 64, DEFAULT_PART_CONCURRENCY),
    ...(requestChecksums ? { requestChecksums } : {}),
    // An SSE-KMS object's ETag is not its MD5, whatever the plan says of the bucket.
    etagMd5: o['etag_md5'] !== false && o['sse'] !== 'aws:kms',
  };
}
