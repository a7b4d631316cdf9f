/**
 * Exponential backoff with full jitter, and an abortable sleep.
 *
 * Full jitter (`random() * min(cap, base * 2^attempt)`) spreads the retries of many concurrent writers over the
 * whole window instead of having them hit a throttled target again in lock-step. Randomness and sleeping are
 * injectable so tests run instantly and deterministically.
 */
import { abortedError } from '../util/abort.js';
import { sleep as sleepFor } from '../util/sleep.js';

export interface BackoffOptions {
  /** First window, in ms. */
  baseMs: number;
  /** Largest window, in ms. */
  capMs: number;
  random: () => number;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, capMs: 20_000, random: Math.random };

/** Delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const window = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(opts.random() * window);
}

/** The error an aborted wait rejects with; the runner treats any failure under an aborted signal as interruption. */
export { abortedError };

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortedError(signal);
}

/** setTimeout as a promise that rejects at once when the signal aborts (and clears its timer). */
export const sleep: Sleep = (ms, signal) => sleepFor(ms, signal, abortedError);
