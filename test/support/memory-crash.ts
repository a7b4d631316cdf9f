/**
 * Simulated process death for resume tests. The in-memory store, sink and source all tick one shared switch on
 * every operation; at the k-th operation the "process" dies: that operation and every later one (of the old
 * runner) throws CrashError. A fresh store/sink/source over the same data, with no switch, plays the restarted
 * process. The sink's unflushed writes are lost with the process, like a real target's buffers would be.
 */
export class CrashError extends Error {
  override readonly name = 'CrashError';
}

export class CrashSwitch {
  ops = 0;
  dead = false;
  readonly log: string[] = [];

  constructor(readonly crashAt: number | undefined = undefined) {}

  tick(op: string): void {
    if (this.dead) throw new CrashError(`dead (after crash at op ${this.crashAt})`);
    this.ops += 1;
    this.log.push(op);
    if (this.crashAt !== undefined && this.ops === this.crashAt) {
      this.dead = true;
      throw new CrashError(`crash at op ${this.ops} (${op})`);
    }
  }
}
