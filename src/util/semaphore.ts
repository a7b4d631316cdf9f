/**
 * A counting semaphore: at most `size` holders at once, FIFO, and a slot handed straight from a finishing holder to
 * the next waiter in the same tick (no timer tick per admission: bottleneck, which the object sink used first,
 * admitted about one transfer per tick on a busy event loop). The batch writer bounds a sink's writes with one; the
 * object sink bounds its transfers with two. `close()` refuses new holders and rejects the waiting ones
 * (INTERRUPTED); holders already running finish.
 */
import { FerryError } from '../errors.js';
import { abortedError } from './abort.js';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class Semaphore {
  private free: number;
  private readonly waiters: Waiter[] = [];
  private closed: FerryError | undefined;

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`a semaphore needs at least 1 slot, got ${size}`);
    this.free = Math.floor(size);
  }

  /** Wait for a slot; the returned function gives it back (calling it again does nothing). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closed) throw this.closed;
    if (signal?.aborted) throw abortedError(signal);
    if (this.free > 0) {
      this.free -= 1;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
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

  /** Runs `fn` once a slot is free; the slot is given back when it settles. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Slots in use. */
  get inUse(): number {
    return this.size - this.free;
  }

  /** Holders waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Refuse new holders and reject the waiting ones with `error` (INTERRUPTED by default). */
  close(error: FerryError = new FerryError('INTERRUPTED', 'closed before this work started')): void {
    this.closed = error;
    for (const w of this.waiters.splice(0)) w.reject(error);
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
