/**
 * A counting semaphore: at most `size` holders at once, FIFO. The batch writer uses one per sink so that all
 * segments together never run more than the sink's `maxConcurrentWrites` writes.
 */
import { abortedError } from './backoff.js';

export class Semaphore {
  private free: number;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`semaphore size must be >= 1, got ${size}`);
    this.free = Math.floor(size);
  }

  /** Wait for a slot; the returned function gives it back (call it exactly once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw abortedError(signal);
    if (this.free > 0) {
      this.free -= 1;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortedError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
    return this.releaser();
  }

  /** Slots in use (for tests and progress). */
  get inUse(): number {
    return this.size - this.free;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // Hand the slot straight to the next waiter rather than freeing it, so a newcomer cannot jump the queue.
      if (next) next.resolve();
      else this.free += 1;
    };
  }
}
