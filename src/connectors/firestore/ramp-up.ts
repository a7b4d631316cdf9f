/**
 * Firestore's "500/50/5" rule for a new collection, when the plan asks for it (`ramp_up: true` on the target
 * block): at most 500 writes per second at first, then 50% more every 5 minutes. Time starts at the first write.
 *
 * Writes are spaced out (virtual scheduling): each reservation of n writes starts when the previous one ends, and
 * lasts n / rate seconds at the rate of its start. The first reservation goes at once.
 */
import { FerryError } from '../../errors.js';
import { sleep } from '../../util/sleep.js';

export const RAMP_START_PER_SECOND = 500;
export const RAMP_FACTOR = 1.5;
export const RAMP_STEP_MS = 5 * 60_000;

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

const defaultSleep: Sleep = (ms, signal) => sleep(ms, signal, () => new FerryError('INTERRUPTED', 'aborted while pacing writes (ramp_up)'));

export class RampUp {
  private startedAt: number | undefined;
  private next = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = defaultSleep,
  ) {}

  /** Writes per second allowed at time `t`. */
  rateAt(t: number): number {
    const since = this.startedAt === undefined ? 0 : Math.max(0, t - this.startedAt);
    return RAMP_START_PER_SECOND * RAMP_FACTOR ** Math.floor(since / RAMP_STEP_MS);
  }

  /** Wait until `writes` more writes are allowed. */
  async acquire(writes: number, signal: AbortSignal): Promise<void> {
    const now = this.now();
    this.startedAt ??= now;
    const start = Math.max(this.next, now);
    this.next = start + (writes * 1000) / this.rateAt(start);
    if (start > now) await this.sleep(start - now, signal);
  }
}
