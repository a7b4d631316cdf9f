/**
 * The one abortable sleep (engine and connectors both use it): `node:timers/promises` clears its timer on abort; the
 * caller says which error an abort becomes (INTERRUPTED, the signal's reason...), since that differs per use.
 */
import { setTimeout as wait } from 'node:timers/promises';

export async function sleep(ms: number, signal: AbortSignal | undefined, aborted: (signal: AbortSignal) => unknown): Promise<void> {
  if (signal?.aborted) throw aborted(signal);
  try {
    await wait(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  } catch (e) {
    if (signal?.aborted) throw aborted(signal);
    throw e;
  }
}
