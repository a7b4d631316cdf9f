/**
 * Node's and undici's network error codes, in one place for every connector's error mapping: the host could not be
 * reached (UNREACHABLE, names host:port) or a connection broke mid-request (retried). A connector adds what its SDK
 * alone says (Azure's REQUEST_SEND_ERROR) beside these, not a copy of them.
 */

/** The host could not be reached at all. */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A connection broke or timed out after it was made. */
export const RESET_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/** Either kind. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([...UNREACHABLE_CODES, ...RESET_CODES]);
