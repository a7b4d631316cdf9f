/**
 * The wait a server asks for before the next request (Retry-After and its vendor forms), read from whatever header
 * shape an SDK error carries, and capped: a wait pauses every write of the job (engine/batch-writer.ts), so one
 * bad or hostile value must not stall a run for hours.
 */

/** The longest server-asked wait honoured; beyond it ferry's own backoff takes over. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** A plain header object (any case, array values), or a Headers-like object with `get`. */
export type HeaderSource = { get(name: string): string | null | undefined } | Record<string, unknown> | undefined | null;

function header(h: HeaderSource, name: string): string | undefined {
  if (!h || typeof h !== 'object') return undefined;
  if (typeof (h as { get?: unknown }).get === 'function') {
    const v = (h as { get(n: string): string | null | undefined }).get(name);
    return typeof v === 'string' ? v : undefined;
  }
  for (const [k, v] of Object.entries(h)) {
    if (k.toLowerCase() !== name) continue;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

/** Milliseconds to wait, capped at MAX_RETRY_AFTER_MS; undefined when no header says or none can be read. */
export function retryAfterMs(h: HeaderSource, now: number = Date.now()): number | undefined {
  // Millisecond forms first: they are the precise ones (Azure and Cosmos send both).
  for (const name of ['x-ms-retry-after-ms', 'retry-after-ms', 'x-amz-retry-after']) {
    const v = header(h, name)?.trim();
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v)) return cap(Number(v));
  }
  const v = header(h, 'retry-after')?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return cap(Number(v) * 1000);
  // An HTTP-date starts with the day's name; Date.parse would take "-5" for a year.
  if (!/^[A-Za-z]{3},/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : cap(at - now);
}

/** A wait from a duration in seconds (gRPC RetryInfo), capped the same way. */
export function retryDelayMs(seconds: number, nanos = 0): number | undefined {
  const ms = seconds * 1000 + nanos / 1e6;
  return Number.isFinite(ms) ? cap(ms) : undefined;
}

function cap(ms: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(ms)));
}
