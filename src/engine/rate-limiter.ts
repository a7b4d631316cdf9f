/**
 * Rate limiting in the target's own units, with AIMD adaptation.
 *
 * One token bucket per configured unit (items/s, bytes/s, DynamoDB WCU, Cosmos RU, Firestore writes/s, object-store
 * requests/s), each a bottleneck limiter whose reservoir is refilled every `tickMs` by `rate * tickMs / 1000` up to a
 * bucket of `ceiling * burstSeconds`. A write takes its cost from every bucket before it is sent.
 *
 * A write whose cost exceeds the bucket is taken in bucket-sized pieces, one after another: it waits as long as its
 * cost requires but never deadlocks.
 *
 * Adaptation (AIMD): a throttle signal (a throttled error, a write that came back with items to retry, a
 * `retryAfterMs`) multiplies the rate by `decrease` (floored at `minFactor` of the ceiling) and empties the buckets;
 * the buckets keep refilling at the ceiling and a unit of cost takes `1 / factor` tokens instead. (bottleneck 2.19's
 * `updateSettings` stops the reservoir heartbeat for good, so the refill itself must never be changed.)
 * signals within `cooldownMs` of a decrease count as the same episode, so eight writes throttled at once halve the
 * rate once, not eight times. Each `quietMs` without a signal adds `increase` of the ceiling back, never above it.
 * The increase is applied lazily when a write asks for tokens, so the limiter owns no timer of its own.
 *
 * With no limit configured the limiter lets everything through; throttle signals are still reported, and the batch
 * writer's retry backoff is what slows the job down.
 */
import Bottleneck from 'bottleneck';
import type { RateUnit } from '../core/sink.js';
import type { Limits } from '../plan/types.js';
import { abortedError } from './backoff.js';

export type RateLimits = Partial<Record<RateUnit, number>>;
export type Cost = Partial<Record<RateUnit, number>>;

export const AIMD_DEFAULTS = {
  /** Multiplicative decrease on a throttle signal. */
  decrease: 0.5,
  /** Additive increase, as a fraction of the ceiling, after each quiet period. */
  increase: 0.05,
  quietMs: 2_000,
  /** Signals this close to the last decrease belong to the same episode. */
  cooldownMs: 1_000,
  /** Never go below this fraction of the ceiling. */
  minFactor: 0.02,
  /** Refill period of the buckets. */
  tickMs: 100,
  /** Bucket size in seconds of the ceiling rate. */
  burstSeconds: 1,
} as const;

/** Plan `limits` → ceilings per unit. */
export function rateLimitsOf(limits: Limits | undefined): RateLimits {
  const out: RateLimits = {};
  const put = (unit: RateUnit, v: number | undefined): void => {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[unit] = v;
  };
  put('items', limits?.items_per_second);
  put('bytes', limits?.bytes_per_second);
  put('wcu', limits?.wcu);
  put('ru', limits?.ru);
  put('writes', limits?.writes_per_second);
  put('requests', limits?.requests_per_second);
  return out;
}

export interface RateChange {
  direction: 'down' | 'up';
  factor: number;
  rates: RateLimits;
  reason: string;
}

export interface RateLimiterOptions {
  limits: RateLimits;
  now?: () => number;
  onChange?: (change: RateChange) => void;
  decrease?: number;
  increase?: number;
  quietMs?: number;
  cooldownMs?: number;
  minFactor?: number;
  tickMs?: number;
  burstSeconds?: number;
}

interface Bucket {
  unit: RateUnit;
  ceiling: number;
  size: number;
  limiter: Bottleneck;
}

export class RateLimiter {
  private readonly buckets: Bucket[];
  private readonly now: () => number;
  private readonly cfg: Required<Omit<RateLimiterOptions, 'limits' | 'now' | 'onChange'>>;
  private readonly onChange: ((c: RateChange) => void) | undefined;
  private factorValue = 1;
  private lastSignal: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** Tokens granted per unit since creation (tests measure the rate with it). */
  readonly granted: Partial<Record<RateUnit, number>> = {};

  constructor(opts: RateLimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.onChange = opts.onChange;
    this.cfg = {
      decrease: opts.decrease ?? AIMD_DEFAULTS.decrease,
      increase: opts.increase ?? AIMD_DEFAULTS.increase,
      quietMs: opts.quietMs ?? AIMD_DEFAULTS.quietMs,
      cooldownMs: opts.cooldownMs ?? AIMD_DEFAULTS.cooldownMs,
      minFactor: opts.minFactor ?? AIMD_DEFAULTS.minFactor,
      tickMs: opts.tickMs ?? AIMD_DEFAULTS.tickMs,
      burstSeconds: opts.burstSeconds ?? AIMD_DEFAULTS.burstSeconds,
    };
    this.lastSignal = this.now();
    this.buckets = Object.entries(opts.limits)
      .filter(([, v]) => typeof v === 'number' && v > 0)
      .map(([unit, ceiling]) => {
        const perTick = (ceiling * this.cfg.tickMs) / 1000;
        const size = Math.max(ceiling * this.cfg.burstSeconds, perTick);
        const limiter = new Bottleneck({
          // Start with one tick's worth, not a full bucket: no burst at start-up.
          reservoir: perTick,
          // Interval 1 ms with a heartbeat of tickMs: each heartbeat adds exactly one tick's worth.
          reservoirIncreaseInterval: 1,
          reservoirIncreaseAmount: perTick,
          reservoirIncreaseMaximum: size,
          heartbeatInterval: this.cfg.tickMs,
        } as Bottleneck.ConstructorOptions);
        return { unit: unit as RateUnit, ceiling, size, limiter };
      });
  }

  /** True when at least one unit has a ceiling. */
  get limited(): boolean {
    return this.buckets.length > 0;
  }

  get factor(): number {
    return this.factorValue;
  }

  /** The units this limiter meters (others in a cost are ignored). */
  get units(): RateUnit[] {
    return this.buckets.map((b) => b.unit);
  }

  rates(): RateLimits {
    const out: RateLimits = {};
    for (const b of this.buckets) out[b.unit] = this.rateOf(b);
    return out;
  }

  /** Wait until `cost` may be spent in every metered unit. */
  async acquire(cost: Cost, signal?: AbortSignal): Promise<void> {
    if (!this.limited) return;
    this.maybeIncrease();
    for (const b of this.buckets) {
      let remaining = cost[b.unit] ?? 0;
      while (remaining > 0) {
        if (signal?.aborted) throw abortedError(signal);
        if (this.stopped) throw abortedError(signal);
        // At a reduced rate each unit of cost takes 1/factor tokens; a piece never takes more than the bucket holds.
        const factor = this.factorValue;
        const piece = Math.min(remaining, b.size * factor);
        await this.take(b, Math.min(b.size, piece / factor), signal);
        this.granted[b.unit] = (this.granted[b.unit] ?? 0) + piece;
        remaining -= piece;
      }
    }
  }

  /** A throttle signal from the target. */
  throttled(reason: string): void {
    const now = this.now();
    this.lastSignal = now;
    if (now - this.lastDecrease < this.cfg.cooldownMs) return;
    this.lastDecrease = now;
    if (!this.limited) {
      this.onChange?.({ direction: 'down', factor: 1, rates: {}, reason });
      return;
    }
    const next = Math.max(this.cfg.minFactor, this.factorValue * this.cfg.decrease);
    this.factorValue = next;
    this.drain();
    this.onChange?.({ direction: 'down', factor: next, rates: this.rates(), reason });
  }

  /** Stop the buckets' timers; waiting acquisitions reject. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(
      this.buckets.map(async (b) => {
        await b.limiter.stop({ dropWaitingJobs: true }).catch(() => {});
        await b.limiter.disconnect().catch(() => {});
      }),
    );
  }

  private rateOf(b: Bucket): number {
    return b.ceiling * this.factorValue;
  }

  private maybeIncrease(): void {
    if (this.factorValue >= 1) return;
    const now = this.now();
    const quiet = now - this.lastSignal;
    if (quiet < this.cfg.quietMs) return;
    const steps = Math.floor(quiet / this.cfg.quietMs);
    this.factorValue = Math.min(1, this.factorValue + steps * this.cfg.increase);
    this.lastSignal += steps * this.cfg.quietMs;
    this.onChange?.({ direction: 'up', factor: this.factorValue, rates: this.rates(), reason: 'quiet period' });
  }

  /** Empty the buckets: after a throttle signal nothing more is spent until the next refill. */
  private drain(): void {
    for (const b of this.buckets) {
      void (async () => {
        const current = await b.limiter.currentReservoir();
        if (current !== null && current > 0) await b.limiter.incrementReservoir(-current);
      })().catch(() => {});
    }
  }

  private take(b: Bucket, weight: number, signal?: AbortSignal): Promise<void> {
    const scheduled = b.limiter.schedule({ weight }, () => Promise.resolve());
    if (!signal) return scheduled.then(() => {});
    // bottleneck cannot withdraw a queued job; on abort we stop waiting for it and let stop() drop it.
    scheduled.catch(() => {});
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(abortedError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      scheduled.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(this.stopped ? abortedError(signal) : e);
        },
      );
    });
  }
}
