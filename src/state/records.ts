/**
 * What every state backend does the same way to what it stores: JSON text (bigint-safe), secrets redacted from
 * event data, dead-letter payloads bounded.
 */
import { redact } from '../errors.js';
import { MAX_DEAD_LETTER_PAYLOAD } from '../core/checkpoint.js';

export { MAX_DEAD_LETTER_PAYLOAD };

/** JSON text that survives bigint (as a decimal string) and rejects nothing else silently. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Redact every string inside a JSON-like value (keys are left alone). */
export function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out;
  }
  return value;
}

export function truncatePayload(payload: string | undefined): string | null {
  if (payload === undefined) return null;
  if (payload.length <= MAX_DEAD_LETTER_PAYLOAD) return payload;
  return `${payload.slice(0, MAX_DEAD_LETTER_PAYLOAD)}…[truncated, ${payload.length} chars]`;
}

export function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export { planRunningError } from '../core/state-errors.js';
