/**
 * AWS SDK / DynamoDB errors → ferry's taxonomy:
 *
 * | DynamoDB / SDK                                                               | ferry                          |
 * | ---------------------------------------------------------------------------- | ------------------------------ |
 * | ProvisionedThroughputExceeded, ThrottlingException, RequestLimitExceeded,    | THROTTLED (throttled)          |
 * | TooManyRequests, LimitExceeded, HTTP 429                                     |                                |
 * | InternalServerError, ServiceUnavailable, other 5xx                           | TRANSIENT (transient)          |
 * | ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ENOTFOUND, EAI_AGAIN, timeouts   | UNREACHABLE (transient), names |
 * |                                                                              | the endpoint                   |
 * | UnrecognizedClient, InvalidSignature, AccessDenied, ExpiredToken, missing    | AUTH (terminal), hint about    |
 * | credentials                                                                  | the AWS credential chain       |
 * | ResourceNotFound                                                             | NOT_FOUND (terminal)           |
 * | ResourceInUse (a table being created or deleted)                             | TRANSIENT                      |
 * | ValidationException, missing region                                          | CONFIG (terminal); item-level  |
 * |                                                                              | ones are isolated by the sink  |
 * | ConditionalCheckFailed, ItemCollectionSizeLimitExceeded                      | ITEM_REJECTED                  |
 * | anything else                                                                | INTERNAL (terminal)            |
 *
 * Messages are DynamoDB's own, redacted; credentials never appear (the SDK does not put them in messages).
 */
import { FerryError, isFerryError, redact } from '../../errors.js';
import { NETWORK_CODES } from '../../util/network-errors.js';
import { retryAfterMs } from '../../util/retry-after.js';

export const THROTTLING_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
]);

const AUTH_NAMES = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'ExpiredTokenException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'CredentialsProviderError',
  'TokenProviderError',
]);

const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

export const CREDENTIAL_HINT =
  'ferry uses the AWS default credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), AWS_PROFILE or the `profile` option (~/.aws/config, SSO: `aws sso login`), or the instance/task role; check that they are valid for this account and region';

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, unknown> };
  $fault?: string;
  cause?: unknown;
}

export interface ErrorContext {
  /** What ferry was doing, e.g. `BatchWriteItem on Invoices`. */
  op: string;
  /** The endpoint the client talks to, for UNREACHABLE hints. */
  endpoint?: string | undefined;
  region?: string | undefined;
}

function networkCode(e: SdkErrorShape, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (typeof e.name === 'string' && TIMEOUT_NAMES.has(e.name)) return e.name;
  const errs = (e as { errors?: unknown }).errors;
  if (Array.isArray(errs)) for (const x of errs) {
    const c = networkCode(x as SdkErrorShape, depth + 1);
    if (c) return c;
  }
  return networkCode(e.cause as SdkErrorShape, depth + 1);
}

/** DynamoDB echoes a malformed Authorization header in some messages: keep the access key id and signature out. */
function redactSignature(text: string): string {
  return text.replace(/\b(Credential|Signature|X-Amz-Credential|X-Amz-Signature|X-Amz-Security-Token)=([^,\s&]+)/gi, '$1=***');
}

/** The SDK error name (`ValidationException`, ...) or undefined. */
export function errorName(e: unknown): string | undefined {
  return e && typeof e === 'object' && typeof (e as SdkErrorShape).name === 'string' ? (e as SdkErrorShape).name : undefined;
}

export function isThrottling(e: unknown): boolean {
  const s = e as SdkErrorShape;
  return !!s && (THROTTLING_NAMES.has(s.name ?? '') || s.$metadata?.httpStatusCode === 429);
}

export function toFerryError(e: unknown, ctx: ErrorContext): FerryError {
  if (isFerryError(e)) return e;
  const s = (e && typeof e === 'object' ? e : { message: String(e) }) as SdkErrorShape;
  const name = s.name ?? 'Error';
  const said = redactSignature(redact(s.message ?? String(e)));
  const where = ctx.endpoint ?? `the AWS endpoint of ${ctx.region ?? 'the configured region'}`;
  const msg = (what: string): string => `DynamoDB ${ctx.op}: ${what}`;
  const status = s.$metadata?.httpStatusCode;

  if (name === 'AbortError') return new FerryError('INTERRUPTED', msg('aborted'), { cause: e });
  if (isThrottling(e)) {
    const wait = retryAfterMs(s.$response?.headers);
    return new FerryError('THROTTLED', msg(`throttled (${name}): ${said}`), {
      cause: e,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      hint: 'ferry backs off and retries; lower `limits.wcu` or raise the table capacity if this persists',
    });
  }
  const net = networkCode(s);
  if (net) {
    return new FerryError('UNREACHABLE', msg(`cannot reach ${where} (${net})`), {
      cause: e,
      hint: `check that DynamoDB answers at ${where} (the \`endpoint\` and \`region\` options) and that the network allows it`,
    });
  }
  if (AUTH_NAMES.has(name) || status === 401 || status === 403) {
    return new FerryError('AUTH', msg(`credentials refused (${name}): ${said}`), { cause: e, hint: CREDENTIAL_HINT });
  }
  if (name === 'ResourceNotFoundException') {
    return new FerryError('NOT_FOUND', msg(`not found: ${said}`), { cause: e });
  }
  if (name === 'ResourceInUseException') {
    return new FerryError('TRANSIENT', msg(`the table is busy (${said})`), { cause: e });
  }
  if (name === 'ConditionalCheckFailedException' || name === 'ItemCollectionSizeLimitExceededException') {
    return new FerryError('ITEM_REJECTED', msg(`${name}: ${said}`), { cause: e });
  }
  if (name === 'ValidationException') {
    return new FerryError('CONFIG', msg(`DynamoDB refused the request: ${said}`), { cause: e });
  }
  if (/region is missing/i.test(said)) {
    return new FerryError('CONFIG', msg('no AWS region'), { cause: e, hint: 'set `region:` in the plan, or AWS_REGION' });
  }
  if (
    name === 'InternalServerError' ||
    name === 'ServiceUnavailable' ||
    name === 'ServiceUnavailableException' ||
    (status !== undefined && status >= 500) ||
    s.$fault === 'server'
  ) {
    return new FerryError('TRANSIENT', msg(`server error (${name}): ${said}`), { cause: e });
  }
  return new FerryError('INTERNAL', msg(`${name}: ${said}`), { cause: e });
}
