/**
 * Firestore / gRPC errors → ferry's taxonomy:
 *
 * | gRPC status (or cause)                                          | ferry                                              |
 * | --------------------------------------------------------------- | -------------------------------------------------- |
 * | RESOURCE_EXHAUSTED (8), HTTP 429                                | THROTTLED (throttled)                              |
 * | RESOURCE_EXHAUSTED "message exceeds maximum size"               | TRANSIENT, `details.tooLarge`: the sink splits the |
 * |                                                                 | commit (the emulator takes at most 4 MiB per call) |
 * | UNAVAILABLE (14), DEADLINE_EXCEEDED (4), ABORTED (10),          | TRANSIENT (transient)                              |
 * | INTERNAL (13), CANCELLED (1) without our abort, UNKNOWN (2)     |                                                    |
 * | UNAVAILABLE with a refused / failed connection                  | UNREACHABLE (transient), names the host            |
 * | PERMISSION_DENIED (7), UNAUTHENTICATED (16), missing ADC        | AUTH (terminal), hint about credentials            |
 * | NOT_FOUND (5)                                                   | NOT_FOUND (terminal)                               |
 * | ALREADY_EXISTS (6)                                              | ITEM_REJECTED                                      |
 * | INVALID_ARGUMENT (3), OUT_OF_RANGE (11)                         | ITEM_REJECTED when about one document (the sink    |
 * |                                                                 | isolates it), else CONFIG                          |
 * | FAILED_PRECONDITION (9)                                         | CONFIG (e.g. a Datastore-mode database, an index)  |
 * | UNIMPLEMENTED (12)                                              | UNSUPPORTED                                        |
 * | an abort of ours                                                | INTERRUPTED                                        |
 * | anything else                                                   | INTERNAL (terminal)                                |
 */
import { FerryError, isFerryError, redact } from '../../errors.js';
import { retryDelayMs } from '../../util/retry-after.js';

export const STATUS = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export const CREDENTIAL_HINT =
  'ferry uses Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or the attached service account) unless the plan names a `key_file`; check that they are valid and may use Firestore in this project (role roles/datastore.user)';

export interface ErrorContext {
  /** What ferry was doing, e.g. `commit of 500 writes to artists`. */
  op: string;
  /** host:port or `firestore.googleapis.com`, for UNREACHABLE hints. */
  host?: string | undefined;
}

interface GrpcErrorShape {
  code?: unknown;
  message?: string;
  details?: string;
  status?: unknown;
  name?: string;
  /** google.rpc.Status details google-gax decoded from `grpc-status-details-bin` (RetryInfo among them). */
  statusDetails?: unknown[];
}

/** A number from a protobuf int64 (a number, a string, or a Long with toString). */
function int64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' || (v && typeof v === 'object')) return Number(String(v));
  return 0;
}

/** The wait a google.rpc.RetryInfo detail asks for, capped; undefined without one. */
export function retryInfoMs(e: unknown): number | undefined {
  const details = (e as GrpcErrorShape | undefined)?.statusDetails;
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    const delay = (d as { retryDelay?: { seconds?: unknown; nanos?: unknown } } | null)?.retryDelay;
    if (delay && typeof delay === 'object') return retryDelayMs(int64(delay.seconds), int64(delay.nanos));
  }
  return undefined;
}

/** The gRPC status code of an SDK error (also for HTTP-fallback errors that carry 429/403...), or undefined. */
export function statusOf(e: unknown): number | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const s = e as GrpcErrorShape;
  if (typeof s.code === 'number') {
    if (s.code === 429) return STATUS.RESOURCE_EXHAUSTED;
    if (s.code === 401) return STATUS.UNAUTHENTICATED;
    if (s.code === 403) return STATUS.PERMISSION_DENIED;
    if (s.code === 404) return STATUS.NOT_FOUND;
    if (s.code >= 500 && s.code < 600) return STATUS.UNAVAILABLE;
    return s.code;
  }
  return undefined;
}

/** The server's own words (without gRPC's `<code> <NAME>: ` prefix), redacted. */
export function serverMessage(e: unknown): string {
  const s = e as GrpcErrorShape;
  const text = typeof s?.details === 'string' && s.details !== '' ? s.details : typeof s?.message === 'string' ? s.message : String(e);
  // gRPC messages start with "<code> <NAME>: "; keep the server's words.
  return redact(text.replace(/^\d+ [A-Z_]+: /, ''));
}

/** True for the gRPC "message exceeds maximum size" refusal of a request that is too large. */
export function isTooLarge(e: unknown): boolean {
  return statusOf(e) === STATUS.RESOURCE_EXHAUSTED && /exceeds maximum size|message larger than max|too large/i.test(serverMessage(e));
}

const CONNECTION = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|failed to connect|No connection established|connect ECONN|Name resolution failed/i;
const NO_CREDENTIALS = /Could not load the default credentials|Could not refresh access token|invalid_grant|Unable to detect a Project Id/i;

export function toFerryError(e: unknown, ctx: ErrorContext): FerryError {
  if (isFerryError(e)) return e;
  const code = statusOf(e);
  const said = serverMessage(e);
  const msg = (what: string): string => `Firestore ${ctx.op}: ${what}`;
  const where = ctx.host ?? 'firestore.googleapis.com';

  if (code === undefined) {
    if ((e as GrpcErrorShape)?.name === 'AbortError') return new FerryError('INTERRUPTED', msg('aborted'), { cause: e });
    if (NO_CREDENTIALS.test(said)) return new FerryError('AUTH', msg(`no usable credentials: ${said}`), { cause: e, hint: CREDENTIAL_HINT });
    if (CONNECTION.test(said)) {
      return new FerryError('UNREACHABLE', msg(`cannot reach ${where}: ${said}`), {
        cause: e,
        hint: `check that Firestore answers at ${where} (the \`emulator_host\` option or $FIRESTORE_EMULATOR_HOST) and that the network allows it`,
      });
    }
    return new FerryError('INTERNAL', msg(said), { cause: e });
  }
  switch (code) {
    case STATUS.RESOURCE_EXHAUSTED: {
      if (isTooLarge(e)) return new FerryError('TRANSIENT', msg(`request too large: ${said}`), { cause: e, details: { tooLarge: true } });
      const wait = retryInfoMs(e);
      return new FerryError('THROTTLED', msg(`throttled (RESOURCE_EXHAUSTED): ${said}`), {
        cause: e,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
        hint: 'ferry backs off and retries; lower `limits.writes_per_second`, or set `ramp_up: true` for a new collection',
      });
    }
    case STATUS.UNAVAILABLE:
      if (CONNECTION.test(said)) {
        return new FerryError('UNREACHABLE', msg(`cannot reach ${where}: ${said}`), {
          cause: e,
          hint: `check that Firestore answers at ${where} (the \`emulator_host\` option or $FIRESTORE_EMULATOR_HOST) and that the network allows it`,
        });
      }
      return new FerryError('TRANSIENT', msg(`unavailable: ${said}`), { cause: e });
    case STATUS.DEADLINE_EXCEEDED:
    case STATUS.ABORTED:
    case STATUS.INTERNAL:
    case STATUS.UNKNOWN:
    case STATUS.CANCELLED:
      return new FerryError('TRANSIENT', msg(`${statusName(code)}: ${said}`), { cause: e });
    case STATUS.PERMISSION_DENIED:
    case STATUS.UNAUTHENTICATED:
      return new FerryError('AUTH', msg(`credentials refused (${statusName(code)}): ${said}`), { cause: e, hint: CREDENTIAL_HINT });
    case STATUS.NOT_FOUND:
      return new FerryError('NOT_FOUND', msg(`not found: ${said}`), {
        cause: e,
        hint: 'check `project` and `database` (the database must exist, in Native mode)',
      });
    case STATUS.ALREADY_EXISTS:
      return new FerryError('ITEM_REJECTED', msg(`already exists: ${said}`), { cause: e });
    case STATUS.INVALID_ARGUMENT:
    case STATUS.OUT_OF_RANGE:
      return new FerryError('CONFIG', msg(`Firestore refused the request: ${said}`), { cause: e });
    case STATUS.FAILED_PRECONDITION:
      return new FerryError('CONFIG', msg(`failed precondition: ${said}`), { cause: e });
    case STATUS.UNIMPLEMENTED:
      return new FerryError('UNSUPPORTED', msg(`not implemented by this server: ${said}`), { cause: e });
    default:
      return new FerryError('INTERNAL', msg(`${statusName(code)}: ${said}`), { cause: e });
  }
}

export function statusName(code: number): string {
  for (const [name, c] of Object.entries(STATUS)) if (c === code) return name;
  return `status ${code}`;
}

/** True when a failed commit is about its documents (the sink isolates them) rather than the request. */
export function isDocumentRefusal(e: unknown): boolean {
  const c = statusOf(e);
  return c === STATUS.INVALID_ARGUMENT || c === STATUS.ALREADY_EXISTS || c === STATUS.OUT_OF_RANGE;
}
