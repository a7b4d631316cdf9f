/**
 * AWS SDK / S3 errors → ferry's taxonomy:
 *
 * | S3 / SDK                                                                      | ferry                              |
 * | ----------------------------------------------------------------------------- | ---------------------------------- |
 * | AbortError (the run's signal)                                                 | INTERRUPTED                        |
 * | SlowDown, Throttling, TooManyRequests, RequestLimitExceeded, HTTP 429, 503    | THROTTLED                          |
 * | ECONNREFUSED, ENOTFOUND, EAI_AGAIN, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT,      | UNREACHABLE (transient), names the |
 * | no connection within the connect timeout                                      | endpoint's host:port               |
 * | ECONNRESET, EPIPE, socket hang up, request timeouts, RequestTimeout,          | TRANSIENT                          |
 * | InternalError, other 5xx                                                      |                                    |
 * | BadDigest, InvalidDigest, XAmzContentSHA256Mismatch, checksum mismatches      | TRANSIENT: the bytes were damaged  |
 * |                                                                               | (or the source changed) on the     |
 * |                                                                               | way; a retry re-reads them         |
 * | NoSuchUpload (a multipart upload aborted under us: lifecycle rule, cleanup)   | TRANSIENT (the object is re-sent)  |
 * | InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied, ExpiredToken,         | AUTH, hint about the AWS           |
 * | InvalidToken, AllAccessDisabled, AccountProblem, missing credentials, 401/403 | credential chain                   |
 * | NoSuchBucket; NotFound on a bucket                                            | NOT_FOUND, hint `create: true`     |
 * | NoSuchKey; NotFound on an object                                              | NOT_FOUND (vanished since listed)  |
 * | EntityTooLarge, KeyTooLongError, MetadataTooLarge, InvalidObjectState         | ITEM_REJECTED (this object can     |
 * | (archived, not restored), invalid header characters                           | never be written / read as is)     |
 * | InvalidBucketName, InvalidStorageClass, AuthorizationHeaderMalformed,         | CONFIG                             |
 * | PermanentRedirect, InvalidLocationConstraint, BucketAlreadyExists,            |                                    |
 * | RequestTimeTooSkewed, missing region                                          |                                    |
 * | anything else                                                                 | INTERNAL (terminal)                |
 *
 * Messages are S3's own, redacted; credentials never appear (the SDK does not put them in messages, and signatures
 * echoed by a server are masked).
 */
import { FerryError, isFerryError, redact } from '../../errors.js';
import { RESET_CODES, UNREACHABLE_CODES } from '../../util/network-errors.js';
import { retryAfterMs } from '../../util/retry-after.js';

const THROTTLING_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'TooManyRequestsException', 'RequestLimitExceeded']);

const AUTH_NAMES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidSecurity',
  'MissingSecurityHeader',
  'CredentialsProviderError',
  'TokenProviderError',
]);

const DIGEST_NAMES = new Set(['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch', 'XAmzContentChecksumMismatch']);
const TOO_LARGE_NAMES = new Set(['EntityTooLarge', 'KeyTooLongError', 'MetadataTooLarge', 'InvalidObjectState']);
const CONFIG_NAMES = new Set([
  'InvalidBucketName',
  'InvalidStorageClass',
  'AuthorizationHeaderMalformed',
  'PermanentRedirect',
  'InvalidLocationConstraint',
  'IllegalLocationConstraintException',
  'BucketAlreadyExists',
  'RequestTimeTooSkewed',
  'InvalidRequest',
]);

export const CREDENTIAL_HINT =
  'ferry uses the AWS default credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), AWS_PROFILE or the `profile` option (~/.aws/config, SSO: `aws sso login`), or the instance/task role; check that they are valid and allowed on this bucket (s3:ListBucket, s3:GetObject, s3:PutObject, s3:AbortMultipartUpload)';

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
  $retryable?: { throttling?: boolean };
  $response?: { headers?: Record<string, unknown> };
  cause?: unknown;
  errors?: unknown[];
}

export interface S3ErrorContext {
  /** What ferry was doing, e.g. `PutObject`. */
  op: string;
  /** `s3://bucket` or `s3://bucket/key`. */
  url: string;
  /** What a bare 404 means: a missing bucket (HeadBucket) or a missing object (HeadObject, GetObject). */
  subject: 'bucket' | 'object';
  /** host:port the client talks to. */
  where: string;
  /** The object's name, put in `details.object` (the generic sink tells a vanished source object by it). */
  object?: string;
}

/** A network error code found on the error, its causes or an AggregateError's members. */
function networkCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  const s = e as SdkErrorShape;
  if (typeof s.code === 'string' && (UNREACHABLE_CODES.has(s.code) || RESET_CODES.has(s.code))) return s.code;
  if (Array.isArray(s.errors)) {
    for (const x of s.errors) {
      const c = networkCode(x, depth + 1);
      if (c) return c;
    }
  }
  return networkCode(s.cause, depth + 1);
}

function redactSignature(text: string): string {
  return text.replace(/\b(Credential|Signature|X-Amz-Credential|X-Amz-Signature|X-Amz-Security-Token)=([^,\s&]+)/gi, '$1=***');
}

export function errorName(e: unknown): string | undefined {
  return e && typeof e === 'object' && typeof (e as SdkErrorShape).name === 'string' ? (e as SdkErrorShape).name : undefined;
}

export function httpStatus(e: unknown): number | undefined {
  return e && typeof e === 'object' ? (e as SdkErrorShape).$metadata?.httpStatusCode : undefined;
}

/** A 404 of any kind (NoSuchKey, NotFound, NoSuchBucket). */
export function isNotFound(e: unknown): boolean {
  const n = errorName(e);
  return n === 'NoSuchKey' || n === 'NotFound' || n === 'NoSuchBucket' || httpStatus(e) === 404;
}

export function toFerryError(e: unknown, ctx: S3ErrorContext): FerryError {
  if (isFerryError(e)) return e;
  const s = (e && typeof e === 'object' ? e : { message: String(e) }) as SdkErrorShape;
  const name = s.name ?? 'Error';
  const said = redactSignature(redact(s.message || name));
  const status = s.$metadata?.httpStatusCode;
  const msg = (what: string): string => `S3 ${ctx.op} ${ctx.url}: ${what}`;
  const details = {
    s3Error: name,
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(ctx.object !== undefined ? { object: ctx.object } : {}),
  };

  if (name === 'AbortError' || s.code === 'ABORT_ERR') return new FerryError('INTERRUPTED', msg('aborted'), { cause: e, details });

  if (THROTTLING_NAMES.has(name) || status === 429 || status === 503 || s.$retryable?.throttling) {
    const wait = retryAfterMs(s.$response?.headers);
    return new FerryError('THROTTLED', msg(`S3 asks to slow down (${name}): ${said}`), {
      cause: e,
      details,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      hint: 'ferry backs off and retries; lower `limits.concurrency` or `part_concurrency`, or spread the objects over more prefixes, if this persists',
    });
  }

  const net = networkCode(s);
  const connectTimeout = name === 'TimeoutError' && /without establishing a connection/i.test(said);
  if ((net && UNREACHABLE_CODES.has(net)) || connectTimeout) {
    return new FerryError('UNREACHABLE', msg(`cannot reach ${ctx.where} (${net ?? 'connect timeout'})`), {
      cause: e,
      details: { where: ctx.where },
      hint: `check that an S3 server answers at ${ctx.where} (the \`endpoint\` and \`region\` options, AWS_ENDPOINT_URL_S3) and that the network allows it`,
    });
  }
  if (net || name === 'TimeoutError' || name === 'RequestTimeout' || /socket hang up/i.test(said)) {
    return new FerryError('TRANSIENT', msg(`connection to ${ctx.where} failed (${net ?? name}): ${said}`), { cause: e, details });
  }

  if (DIGEST_NAMES.has(name) || /checksum mismatch/i.test(said)) {
    return new FerryError(
      'TRANSIENT',
      msg(`S3 refused the content because its digest did not match (${name}): the bytes were damaged on the way or the source object changed while it was read; a retry reads it again. S3 said: ${said}`),
      { cause: e, details },
    );
  }
  if (name === 'NoSuchUpload') {
    return new FerryError('TRANSIENT', msg(`the multipart upload was aborted by someone else (a lifecycle rule or another cleanup); the object will be sent again`), {
      cause: e,
      details,
    });
  }

  if (AUTH_NAMES.has(name) || ((status === 401 || status === 403) && !CONFIG_NAMES.has(name)) || /could not load credentials/i.test(said)) {
    return new FerryError('AUTH', msg(`credentials refused (${name}): ${said}`), { cause: e, details, hint: CREDENTIAL_HINT });
  }

  if (name === 'NoSuchBucket' || (ctx.subject === 'bucket' && (name === 'NotFound' || status === 404))) {
    const bucket = ctx.url.replace(/^s3:\/\/([^/]+).*$/, '$1');
    const { object: _object, ...bucketDetails } = details;
    return new FerryError('NOT_FOUND', msg(`the bucket ${bucket} does not exist`), {
      cause: e,
      // No `object`: this is not about one object (the sink would take it for a vanished source object).
      details: bucketDetails,
      hint: 'create it, or set `create: true` on the target; check `bucket`, `region` and `endpoint`',
    });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new FerryError('NOT_FOUND', msg('the object does not exist (deleted since it was listed?)'), { cause: e, details });
  }

  if (TOO_LARGE_NAMES.has(name) || s.code === 'ERR_INVALID_CHAR' || s.code === 'ERR_HTTP_INVALID_HEADER_VALUE') {
    const why =
      name === 'InvalidObjectState'
        ? 'the object is archived (GLACIER / DEEP_ARCHIVE) and not restored'
        : name === 'EntityTooLarge'
          ? 'the object is larger than S3 accepts'
          : name === 'KeyTooLongError'
            ? 'the name is longer than 1024 bytes'
            : name === 'MetadataTooLarge'
              ? 'its user metadata exceeds 2 KB'
              : 'a header or metadata value has characters HTTP cannot carry';
    return new FerryError('ITEM_REJECTED', msg(`${why} (${name}): ${said}`), { cause: e, details });
  }

  if (CONFIG_NAMES.has(name) || /region is missing/i.test(said)) {
    const hint =
      /region/i.test(said) || name === 'AuthorizationHeaderMalformed' || name === 'PermanentRedirect'
        ? 'set `region:` to the bucket\'s region (or AWS_REGION)'
        : name === 'RequestTimeTooSkewed'
          ? 'this machine\'s clock is off; sync it (NTP)'
          : name === 'BucketAlreadyExists'
            ? 'bucket names are global and this one belongs to another account: choose another name'
            : undefined;
    return new FerryError('CONFIG', msg(`S3 refused the request (${name}): ${said}`), { cause: e, details, ...(hint ? { hint } : {}) });
  }

  if (name === 'InternalError' || name === 'ServiceUnavailable' || (status !== undefined && status >= 500) || s.$fault === 'server') {
    return new FerryError('TRANSIENT', msg(`server error (${name}): ${said}`), { cause: e, details });
  }
  return new FerryError('INTERNAL', msg(`${name}: ${said}`), { cause: e, details });
}
