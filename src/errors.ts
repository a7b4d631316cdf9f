/**
 * One error taxonomy for all of ferry. Every failure carries a code (what went wrong), a retryability (what the
 * engine may do about it) and, where we know it, a hint that tells the operator how to fix it.
 */
export type Retryability = 'transient' | 'throttled' | 'terminal';

export type ErrorCode =
  | 'USAGE' // bad command line
  | 'PLAN_INVALID' // plan failed to parse or validate
  | 'CONFIG' // a connection block or option is wrong in a way only discovered at run time
  | 'AUTH' // credentials missing or refused
  | 'UNREACHABLE' // the server did not answer
  | 'NOT_FOUND' // a table, bucket, stream, job... does not exist
  | 'THROTTLED' // the target asked us to slow down
  | 'TRANSIENT' // a failure worth retrying (timeouts, 5xx, connection resets)
  | 'ITEM_REJECTED' // one item can never be written (too large, invalid); goes to dead letters
  | 'UNSUPPORTED' // a type, feature or combination ferry does not handle
  | 'JOB_LOCKED' // another runner holds the job
  | 'PLAN_RUNNING' // a job of the same plan is running: a second one is refused
  | 'JOB_NOT_FOUND'
  | 'JOB_FINISHED' // resume of a job that already ended
  | 'JOB_FAILED' // another worker of the job failed it; this one stopped
  | 'TOO_MANY_REJECTED' // on_error.max_rejected exceeded
  | 'INTERRUPTED' // Ctrl-C / SIGTERM; resumable
  | 'VERIFY_DIFFERS'
  | 'DAMAGED' // a backup's file or manifest is not what was written (truncated, altered, missing)
  | 'STATE' // the state database is unusable
  | 'INTERNAL';

export interface FerryErrorOptions {
  retry?: Retryability;
  hint?: string;
  cause?: unknown;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
}

const DEFAULT_RETRY: Partial<Record<ErrorCode, Retryability>> = {
  THROTTLED: 'throttled',
  TRANSIENT: 'transient',
  UNREACHABLE: 'transient',
};

export class FerryError extends Error {
  override readonly name = 'FerryError';
  readonly code: ErrorCode;
  readonly retry: Retryability;
  readonly hint: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: FerryErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retry = opts.retry ?? DEFAULT_RETRY[code] ?? 'terminal';
    this.hint = opts.hint;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
  }
}

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}

/** Unknown errors are terminal: retrying what we do not understand hides bugs. */
export function retryabilityOf(e: unknown): Retryability {
  return isFerryError(e) ? e.retry : 'terminal';
}

export function isRetryable(e: unknown): boolean {
  return retryabilityOf(e) !== 'terminal';
}

/** Exit codes of the CLI: 0 ok, 1 job failed or verification differs, 2 usage or plan, 130 interrupted. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

export function exitCodeFor(e: unknown): number {
  if (!isFerryError(e)) return EXIT.FAILED;
  switch (e.code) {
    case 'USAGE':
    case 'PLAN_INVALID':
    case 'PLAN_RUNNING':
      return EXIT.USAGE;
    case 'INTERRUPTED':
      return EXIT.INTERRUPTED;
    default:
      return EXIT.FAILED;
  }
}

/** Remove anything that looks like a credential from a message before it reaches a log, report or the state DB. */
export function redact(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@')
    .replace(/\b(AccountKey|SharedAccessSignature|password|secret|token|key)=([^;&\s]+)/gi, '$1=***')
    .replace(/\b(sig)=([^&\s]+)/gi, '$1=***');
}
