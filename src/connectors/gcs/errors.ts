/**
 * @google-cloud/storage errors → ferry's taxonomy:
 *
 * | Cloud Storage / SDK                                                      | ferry                                   |
 * | ------------------------------------------------------------------------ | --------------------------------------- |
 * | AbortError (the job's signal)                                            | INTERRUPTED                             |
 * | FILE_NO_UPLOAD, FILE_NO_UPLOAD_DELETE ("The uploaded data did not match  | TRANSIENT: the SDK's MD5/CRC32C of what |
 * | the data from the server"), MD5_NOT_AVAILABLE, CONTENT_DOWNLOAD_MISMATCH | was sent ≠ the server's; the SDK        |
 * |                                                                          | deleted the object; a retry re-reads    |
 * |                                                                          | the source                              |
 * | 400 "provided MD5 hash … doesn't match" (the md5Hash ferry declared)     | TRANSIENT (the content streamed is not  |
 * |                                                                          | what the source listed)                 |
 * | 404 on an object                                                         | NOT_FOUND, details.object = its name    |
 * | 404 on the bucket (or on an upload)                                      | NOT_FOUND, hint: create it or           |
 * |                                                                          | `create: true`                          |
 * | 401, 403, "Could not load the default credentials", invalid_grant, …     | AUTH, hint about ADC / `key_file`       |
 * | 429, 503                                                                 | THROTTLED                               |
 * | 408, other 5xx                                                           | TRANSIENT                               |
 * | ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, EAI_AGAIN, …              | UNREACHABLE, names host:port            |
 * | 400 on an object (invalid name, bad metadata), 413                       | ITEM_REJECTED                           |
 * | 400 on the bucket (invalid bucket name), 409 on bucket creation          | CONFIG                                  |
 * | ENOENT / EACCES on the key file                                          | CONFIG                                  |
 * | anything else                                                            | INTERNAL                                |
 *
 * Messages are the server's own, redacted; resumable-session URIs carry an `upload_id` that lets anyone write to the
 * session, so it is masked too. Credentials never appear: the SDK does not put them in messages.
 */
import { FerryError, isFerryError, redact } from '../../errors.js';
import { NETWORK_CODES } from '../../util/network-errors.js';
import { retryAfterMs, type HeaderSource } from '../../util/retry-after.js';

export const CREDENTIAL_HINT =
  'ferry uses Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or the instance/workload service account) unless the plan names a service-account `key_file`; check that it is valid and has storage.objects.* permissions on the bucket';

const MISMATCH_CODES = new Set(['FILE_NO_UPLOAD', 'FILE_NO_UPLOAD_DELETE', 'MD5_NOT_AVAILABLE', 'CONTENT_DOWNLOAD_MISMATCH']);

const AUTH_PATTERN =
  /could not load the default credentials|invalid_grant|unauthorized_client|could not refresh access token|invalid_client|no access, refresh token|permission denied|anonymous caller/i;

export interface ErrorContext {
  /** What ferry was doing, e.g. `list of gs://bucket` or `put gs://bucket/a/b`. */
  op: string;
  /** host:port of the endpoint, for UNREACHABLE. */
  host: string;
  bucket: string;
  /** The object the call was about, if any: a 404 is then the object's, a 400 rejects that object. */
  object?: string;
  /** The call writes `object` (an upload): a 404 there means the bucket is missing, not the object. */
  writing?: boolean;
  keyFile?: string | undefined;
}

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  status?: unknown;
  response?: { status?: unknown; statusCode?: unknown; headers?: HeaderSource };
  errors?: unknown;
  cause?: unknown;
  path?: unknown;
  syscall?: unknown;
}

/** The HTTP status an SDK error carries (ApiError.code, GaxiosError.status / response.status), if any. */
export function httpStatus(e: unknown): number | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const s = e as ErrorShape;
  for (const v of [s.code, s.status, s.response?.status, s.response?.statusCode]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
    if (typeof v === 'string' && /^[1-5]\d\d$/.test(v)) return Number(v);
  }
  return undefined;
}

function networkCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  const s = e as ErrorShape;
  if (typeof s.code === 'string' && NETWORK_CODES.has(s.code)) return s.code;
  const m = typeof s.message === 'string' ? /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.exec(s.message) : null;
  if (m) return m[1];
  if (Array.isArray(s.errors)) {
    for (const x of s.errors) {
      const c = networkCode(x, depth + 1);
      if (c) return c;
    }
  }
  return networkCode(s.cause, depth + 1);
}

/** Masks resumable-upload session ids (`upload_id=…`) besides what `redact` masks. */
export function redactGcs(text: string): string {
  return redact(text).replace(/\b(upload_id|upload_session_id)=([^&\s"']+)/gi, '$1=***');
}

function said(e: unknown): string {
  const s = e as ErrorShape;
  const raw = typeof s?.message === 'string' ? s.message : String(e);
  return redactGcs(raw.replace(/\s+/g, ' ').trim());
}

function isAbort(e: unknown): boolean {
  const s = e as ErrorShape;
  return !!s && (s.name === 'AbortError' || s.code === 'ABORT_ERR');
}

export function toFerryError(e: unknown, ctx: ErrorContext): FerryError {
  if (isFerryError(e)) return e;
  const s = (e && typeof e === 'object' ? e : { message: String(e) }) as ErrorShape;
  const text = said(e);
  const msg = (what: string): string => `GCS ${ctx.op}: ${what}`;
  const details = ctx.object === undefined ? { bucket: ctx.bucket } : { bucket: ctx.bucket, object: ctx.object };
  const code = typeof s.code === 'string' ? s.code : undefined;

  if (isAbort(e)) return new FerryError('INTERRUPTED', msg('aborted'), { cause: e, details });

  if (code && MISMATCH_CODES.has(code)) {
    const what =
      code === 'CONTENT_DOWNLOAD_MISMATCH'
        ? 'the content downloaded does not match the CRC32C/MD5 the server states'
        : code === 'MD5_NOT_AVAILABLE'
          ? 'the server reported no MD5 to validate the upload against'
          : 'the MD5/CRC32C of the data ferry sent does not match what the server stored';
    const deleted = code === 'FILE_NO_UPLOAD_DELETE' ? ' (the SDK could not delete the bad copy: it is overwritten on retry)' : code === 'CONTENT_DOWNLOAD_MISMATCH' ? '' : ' (the SDK deleted the object)';
    return new FerryError('TRANSIENT', msg(`${what}${deleted}; retried from the source`), { cause: e, details: { ...details, sdkCode: code } });
  }

  if ((code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') && ctx.keyFile !== undefined) {
    return new FerryError('CONFIG', msg(`cannot read the key file ${ctx.keyFile} (${code})`), {
      cause: e,
      hint: 'check the path in `key_file` (relative paths are resolved from the working directory) and its permissions',
    });
  }

  const net = networkCode(e);
  if (net && httpStatus(e) === undefined) {
    return new FerryError('UNREACHABLE', msg(`cannot reach ${ctx.host} (${net})`), {
      cause: e,
      details,
      hint: `check that Cloud Storage (or the emulator) answers at ${ctx.host}: the \`endpoint\` option, $STORAGE_EMULATOR_HOST or $GCS_ENDPOINT`,
    });
  }

  const status = httpStatus(e);
  if (status === 401 || status === 403 || (status === undefined && AUTH_PATTERN.test(text))) {
    return new FerryError('AUTH', msg(`credentials refused${status ? ` (${status})` : ''}: ${text}`), { cause: e, details, hint: CREDENTIAL_HINT });
  }
  if (status === 404) {
    if (ctx.object !== undefined && !ctx.writing) {
      return new FerryError('NOT_FOUND', msg(`gs://${ctx.bucket}/${ctx.object} does not exist (or the bucket is gone)`), { cause: e, details });
    }
    // No `object` in the details: that would say the object vanished, not the bucket.
    return new FerryError('NOT_FOUND', msg(`bucket gs://${ctx.bucket} does not exist`), {
      cause: e,
      details: { bucket: ctx.bucket },
      hint: 'create it, or set `create: true` on the target',
    });
  }
  if (status === 429 || status === 503) {
    const wait = retryAfterMs((e as ErrorShape).response?.headers);
    return new FerryError('THROTTLED', msg(`throttled (${status}): ${text}`), {
      cause: e,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      details,
      hint: 'ferry backs off and retries; lower `limits` for this target if it persists',
    });
  }
  if (status === 408 || (status !== undefined && status >= 500)) {
    return new FerryError('TRANSIENT', msg(`server error (${status}): ${text}`), { cause: e, details });
  }
  if (status === 400 && /\b(md5|crc32c)\b/i.test(text)) {
    return new FerryError('TRANSIENT', msg(`the server refused the upload: ${text} (the content streamed is not what the source listed; retried from the source)`), {
      cause: e,
      details,
    });
  }
  if ((status === 400 || status === 413 || status === 411 || status === 422) && ctx.object !== undefined) {
    return new FerryError('ITEM_REJECTED', msg(`Cloud Storage refused gs://${ctx.bucket}/${ctx.object} (${status}): ${text}`), { cause: e, details });
  }
  if (status === 400 || status === 409 || status === 412) {
    return new FerryError('CONFIG', msg(`Cloud Storage refused the request (${status}): ${text}`), {
      cause: e,
      details,
      ...(status === 400 ? { hint: 'check the bucket name (3–63 of a–z, 0–9, -, _ and .) and the `location` / `storage_class` options' } : {}),
    });
  }
  if (net) {
    return new FerryError('UNREACHABLE', msg(`cannot reach ${ctx.host} (${net})`), { cause: e, details });
  }
  return new FerryError('INTERNAL', msg(`${typeof s.name === 'string' ? s.name : 'Error'}${status ? ` (${status})` : ''}: ${text}`), { cause: e, details });
}
