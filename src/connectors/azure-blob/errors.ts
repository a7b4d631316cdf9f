/**
 * Azure Storage SDK errors (RestError with the service's `x-ms-error-code`) → ferry's taxonomy:
 *
 * | Azure / SDK                                                                 | ferry                              |
 * | --------------------------------------------------------------------------- | ---------------------------------- |
 * | AbortError                                                                  | INTERRUPTED                        |
 * | ServerBusy, HTTP 503, HTTP 429 (TooManyRequests)                            | THROTTLED                          |
 * | ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, EAI_AGAIN, EPIPE, ...       | UNREACHABLE, names host:port       |
 * | AuthenticationFailed, AuthorizationFailure, AuthorizationPermissionMismatch,| AUTH, hint about the credentials   |
 * | InsufficientAccountPermissions, NoAuthenticationInformation, HTTP 401/403,  |                                    |
 * | identity CredentialUnavailableError / AuthenticationError                   |                                    |
 * | ContainerNotFound, ContainerBeingDeleted (on open)                          | NOT_FOUND, hint `create: true`     |
 * | BlobNotFound, other 404                                                     | NOT_FOUND                          |
 * | Md5Mismatch (Azurite: InvalidOperation "Provided contentMD5 doesn't match") | TRANSIENT: bytes damaged in transit|
 * | InvalidBlobOrBlock, RequestBodyTooLarge, InvalidBlockList, InvalidMetadata, | ITEM_REJECTED (this blob can never |
 * | MetadataTooLarge, InvalidResourceName, InvalidMd5, InvalidHeaderValue,      | be written as it is)               |
 * | BlockCountExceedsLimit, BlockListTooLong, BlobArchived, InvalidBlobTier     |                                    |
 * | ContainerBeingDeleted, LeaseIdMissing/LeaseLost, OperationTimedOut, 5xx     | TRANSIENT                          |
 * | anything else                                                               | INTERNAL                           |
 *
 * Messages are the service's own, cut at its `RequestId:` trailer and redacted; keys and SAS signatures never appear
 * (the SDK does not put them in messages, and `redact` removes `sig=` and `AccountKey=` should one slip in).
 */
import { FerryError, isFerryError, redact } from '../../errors.js';
import { NETWORK_CODES as SHARED_NETWORK_CODES } from '../../util/network-errors.js';
import { retryAfterMs } from '../../util/retry-after.js';

/** Azure's SDK adds its own code for a request that could not be sent. */
const NETWORK_CODES: ReadonlySet<string> = new Set([...SHARED_NETWORK_CODES, 'REQUEST_SEND_ERROR']);

const AUTH_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationSourceIPMismatch',
  'InsufficientAccountPermissions',
  'NoAuthenticationInformation',
  'InvalidAuthenticationInfo',
  'AccountIsDisabled',
]);

const REJECTED_CODES = new Set([
  'InvalidBlobOrBlock',
  'RequestBodyTooLarge',
  'InvalidBlockList',
  'InvalidBlockId',
  'InvalidMetadata',
  'MetadataTooLarge',
  'InvalidResourceName',
  'InvalidMd5',
  'InvalidHeaderValue',
  'BlockCountExceedsLimit',
  'BlockListTooLong',
  'BlobArchived',
  'InvalidBlobTier',
  'InvalidBlobType',
  'UnsupportedHeader',
]);

const TRANSIENT_CODES = new Set(['ContainerBeingDeleted', 'LeaseIdMissing', 'LeaseLost', 'LeaseIdMismatchWithBlobOperation', 'OperationTimedOut', 'InternalError']);

const IDENTITY_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

export const CREDENTIAL_HINT =
  'ferry authenticates to Azure Blob with the plan\'s `connection_string`, `account_key` or `sas_token`, else the default Azure credential ' +
  '(AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, workload or managed identity, `az login`); check that it is valid for this ' +
  'account, that a SAS has not expired and grants read/write/list/delete (rwdl) on the container, and that an identity has a ' +
  'Storage Blob Data role (Reader as a source, Contributor as a target)';

interface RestErrorShape {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string; [k: string]: unknown };
  response?: { headers?: { get(name: string): string | undefined } };
  cause?: unknown;
}

export interface ErrorContext {
  /** What ferry was doing, e.g. `put logs/a.gz`. */
  op: string;
  /** `azure://account/container`. */
  url: string;
  /** host:port of the blob endpoint. */
  hostPort: string;
  /** The container, for NOT_FOUND hints. */
  container?: string;
}

/** The service's error code (`x-ms-error-code`), or the SDK's / Node's code. */
export function azureErrorCode(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const s = e as RestErrorShape;
  const detail = s.details?.errorCode;
  if (typeof detail === 'string' && detail) return detail;
  return typeof s.code === 'string' && s.code ? s.code : undefined;
}

export function statusOf(e: unknown): number | undefined {
  return e && typeof e === 'object' && typeof (e as RestErrorShape).statusCode === 'number' ? (e as RestErrorShape).statusCode : undefined;
}

export function isNotFound(e: unknown): boolean {
  return statusOf(e) === 404 || azureErrorCode(e) === 'BlobNotFound';
}

function networkCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  const s = e as RestErrorShape;
  if (typeof s.code === 'string' && NETWORK_CODES.has(s.code) && s.statusCode === undefined) return s.code;
  const errs = (e as { errors?: unknown }).errors;
  if (Array.isArray(errs)) for (const x of errs) {
    const c = networkCode(x, depth + 1);
    if (c) return c;
  }
  return networkCode(s.cause, depth + 1);
}

/** The service's message without its `RequestId:` / `Time:` trailer, redacted. */
function saidOf(s: RestErrorShape): string {
  const text = (s.message ?? '').split(/\r?\n\s*RequestId:/)[0]?.trim() ?? '';
  return redact(text || s.name || 'error');
}

function isMd5Mismatch(code: string | undefined, said: string): boolean {
  return code === 'Md5Mismatch' || (code === 'InvalidOperation' && /md5.*(not match|doesn't match|mismatch)/i.test(said));
}

export function toFerryError(e: unknown, ctx: ErrorContext): FerryError {
  if (isFerryError(e)) return e;
  const s = (e && typeof e === 'object' ? e : { message: String(e) }) as RestErrorShape;
  const code = azureErrorCode(e);
  const status = s.statusCode;
  const said = saidOf(s);
  const msg = (what: string): string => `Azure Blob ${ctx.op} (${ctx.url}): ${what}`;

  if (s.name === 'AbortError') return new FerryError('INTERRUPTED', msg('aborted'), { cause: e });
  if (code === 'ServerBusy' || status === 503 || status === 429 || code === 'TooManyRequests') {
    const wait = retryAfterMs(s.response?.headers);
    return new FerryError('THROTTLED', msg(`throttled (${code ?? status}): ${said}`), {
      cause: e,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      hint: 'ferry backs off and retries; lower `limits` (requests or bytes per second) if this persists: an account takes about 20,000 requests/s and a single blob about 500',
    });
  }
  const net = networkCode(e);
  if (net) {
    return new FerryError('UNREACHABLE', msg(`cannot reach ${ctx.hostPort} (${net})`), {
      cause: e,
      hint: `check that the blob service answers at ${ctx.hostPort} (the \`endpoint\` or the connection string's BlobEndpoint) and that the network allows it`,
    });
  }
  if ((code && AUTH_CODES.has(code)) || status === 401 || status === 403 || IDENTITY_ERRORS.has(s.name ?? '')) {
    return new FerryError('AUTH', msg(`credentials refused (${code ?? s.name ?? status}): ${said}`), { cause: e, hint: CREDENTIAL_HINT });
  }
  if (code === 'ContainerNotFound') {
    return new FerryError('NOT_FOUND', msg(`the container ${ctx.container ?? ''} does not exist`.replace(/ {2}/, ' ')), {
      cause: e,
      hint: 'create it, or set `create: true` on the target to have ferry create it',
    });
  }
  if (code === 'BlobNotFound' || status === 404) {
    return new FerryError('NOT_FOUND', msg(`not found (${code ?? 404}): ${said}`), { cause: e });
  }
  if (isMd5Mismatch(code, said)) {
    return new FerryError('TRANSIENT', msg(`the server computed a different MD5 than the one sent with the data (${code}): the bytes changed in transit; ferry retries`), {
      cause: e,
    });
  }
  if (code && REJECTED_CODES.has(code)) {
    const hint =
      code === 'InvalidMetadata' || code === 'MetadataTooLarge'
        ? 'Azure metadata takes at most 8 KiB in all, names that are identifiers and ASCII values; ferry encodes names and values, so the total is too large'
        : code === 'BlockCountExceedsLimit'
          ? 'the blob holds 100,000 uncommitted blocks left by failed uploads: remove them (ferry cleans up partial uploads on resume) and retry'
          : code === 'BlobArchived'
            ? 'the blob is in the Archive tier: rehydrate it to Hot or Cool before copying'
            : undefined;
    return new FerryError('ITEM_REJECTED', msg(`refused (${code}): ${said}`), { cause: e, ...(hint ? { hint } : {}) });
  }
  if ((code && TRANSIENT_CODES.has(code)) || (status !== undefined && status >= 500)) {
    return new FerryError('TRANSIENT', msg(`server error (${code ?? status}): ${said}`), { cause: e });
  }
  return new FerryError('INTERNAL', msg(`${code ?? s.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${said}`), { cause: e });
}
