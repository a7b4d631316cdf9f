/**
 * At most `size` object transfers at once, started in the order asked (FIFO). A slot is handed straight from a
 * finishing transfer to the next waiter, in the same tick: the pool costs a few microseconds per transfer.
 *
 * (bottleneck, which this replaces, admits each job through an internal lock with a timer tick per step; on a busy
 * event loop that admitted about one copy per tick, so the object sink ran one to three copies at a time instead of
 * `transfers`, whatever the setting.)
 *
 * `close()` refuses new transfers and rejects the waiting ones (INTERRUPTED); running ones finish.
 */
import { FerryError } from '../errors.js';

export class TransferPool {
  private free: number;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private closed = false;

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`a transfer pool needs at least 1 slot, got ${size}`);
    this.free = Math.floor(size);
  }

  /** Runs `fn` once a slot is free; the slot is given back when it settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw closedError();
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next) next.resolve();
      else this.free += 1;
    }
  }

  /** Transfers running now. */
  get running(): number {
    return this.size - this.free;
  }

  /** Transfers waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(closedError());
  }
}

function closedError(): FerryError {
  return new FerryError('INTERRUPTED', 'the object sink was closed before this transfer started');
}
