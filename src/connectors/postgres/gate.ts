/**
 * At most `limit` holders at once, first come first served; waiting stops when the waiter's signal fires.
 *
 * The engine asks for the exact count of every stream at once when a job starts; each count(*) holds a pool
 * connection for a full scan, and without a gate a plan over many tables would take every connection from the reads.
 */
export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        this.waiting.push(go);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active += 1;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active -= 1;
    }
  }
}
