/**
 * The DynamoDB source's read rate limit (`rcu_per_second` on the source block): one token bucket of read capacity
 * units shared by every Scan of the source (all segments, all tables, and `count`), charged after the fact.
 *
 * What a Scan page costs is only known once it is back (`ConsumedCapacity`), so a page is paid for in two steps:
 *
 * 1. `acquire(estimate)`: wait, in turn (FIFO), until the bucket is out of debt, then take the page's estimated cost.
 *    The balance may go below zero: a page larger than what is left is not refused, the next caller waits instead.
 * 2. `settle(reservation, actual)`: correct the balance by `actual - estimate` once the page's real cost is known
 *    (0 for a throttled request, which DynamoDB does not charge).
 *
 * The bucket refills at `rate` units per second up to `rate * burstSeconds` (1 s by default), so over any span of
 * time the source consumes at most `rate * span + burst` units plus the error of the estimates still in flight.
 * A throttle (`throttled()`) drops any saved-up burst, so every segment pauses until fresh capacity accrues.
 *
 * Why not bottleneck (as the engine's write limiter uses): its reservoir is decremented by a job's weight before
 * the job runs and never goes negative, so a cost learnt after the call cannot be charged; it keeps a heartbeat timer
 * of its own; it cannot withdraw a queued job on abort; and it reads `Date.now`, so it cannot run on an injected
 * clock. This bucket is a few lines of arithmetic on an injectable clock and owns no timer.
 *
 * Accounting (`stats`) records what was charged and waited, so a test can check the limiter's arithmetic rather than
 * wall-clock time.
 */
import { FerryError } from '../../errors.js';
import { sleep } from '../../util/sleep.js';

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const abortError = (): FerryError => new FerryError('INTERRUPTED', 'aborted while waiting for DynamoDB read capacity (rcu_per_second)');

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, signal, abortError),
};

export interface ReadLimiterOptions {
  /** Read capacity units per second. */
  rate: number;
  /** Bucket size, in seconds of `rate`. Default 1. */
  burstSeconds?: number;
  clock?: Clock;
}

export interface ReadLimiterStats {
  /** Units charged for pages, as DynamoDB reported them (or as estimated when it did not). */
  consumed: number;
  /** The part of `consumed` that was estimated from item sizes because the response had no ConsumedCapacity. */
  estimated: number;
  /** Pages settled (throttled attempts included, at 0 units). */
  pages: number;
  /** Acquisitions that had to wait, and the milliseconds they were told to sleep in total. */
  waits: number;
  waitedMs: number;
  /** Throttles reported. */
  throttles: number;
  /** Clock times of the first acquisition and of the latest grant. */
  firstAt: number | undefined;
  lastGrantAt: number | undefined;
  /** Units charged (settled) before the latest grant: the span first → last grant is at least (this − burst) / rate. */
  chargedBeforeLastGrant: number;
}

export interface Reservation {
  readonly estimate: number;
  settled: boolean;
}

/** Tolerance for floating-point dust in the balance (units). */
const EPSILON = 1e-9;

export class ReadCapacityLimiter {
  readonly rate: number;
  readonly burst: number;
  private readonly clock: Clock;
  private balance: number;
  private last: number;
  /** The tail of the FIFO of waiting acquisitions. */
  private queue: Promise<void> = Promise.resolve();
  readonly stats: ReadLimiterStats = {
    consumed: 0,
    estimated: 0,
    pages: 0,
    waits: 0,
    waitedMs: 0,
    throttles: 0,
    firstAt: undefined,
    lastGrantAt: undefined,
    chargedBeforeLastGrant: 0,
  };

  constructor(o: ReadLimiterOptions) {
    if (!(o.rate > 0) || !Number.isFinite(o.rate)) throw new FerryError('CONFIG', `rcu_per_second must be a positive number, not ${o.rate}`);
    this.rate = o.rate;
    this.burst = o.rate * (o.burstSeconds ?? 1);
    this.clock = o.clock ?? realClock;
    this.balance = this.burst;
    this.last = this.clock.now();
  }

  /** Units in the bucket now (negative: debt). */
  available(): number {
    this.refill();
    return this.balance;
  }

  private refill(): void {
    const t = this.clock.now();
    if (t > this.last) {
      this.balance = Math.min(this.burst, this.balance + ((t - this.last) * this.rate) / 1000);
      this.last = t;
    }
  }

  /** Wait until the bucket is out of debt (callers served in order), then take `estimate` units from it. */
  acquire(estimate: number, signal: AbortSignal): Promise<Reservation> {
    this.stats.firstAt ??= this.clock.now();
    const turn = this.queue.then(() => this.waitForCredit(estimate, signal));
    // The next caller waits for this one's turn to end, whether it was granted or aborted.
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    // An abort while still queued rejects at once; the turn then finds the signal aborted and takes nothing.
    return new Promise<Reservation>((resolve, reject) => {
      const onAbort = (): void => reject(abortError());
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      turn.then(
        (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private async waitForCredit(estimate: number, signal: AbortSignal): Promise<Reservation> {
    let waited = false;
    for (;;) {
      if (signal.aborted) throw abortError();
      this.refill();
      if (this.balance >= -EPSILON) break;
      const ms = Math.ceil((-this.balance * 1000) / this.rate);
      if (!waited) this.stats.waits += 1;
      waited = true;
      this.stats.waitedMs += ms;
      await this.clock.sleep(ms, signal);
    }
    this.balance -= estimate;
    this.stats.lastGrantAt = this.clock.now();
    this.stats.chargedBeforeLastGrant = this.stats.consumed;
    return { estimate, settled: false };
  }

  /**
   * The page's real cost is known: charge the difference from its estimate. `estimated` says that `actual` is itself
   * an estimate (the response had no ConsumedCapacity). Settling twice is a no-op.
   */
  settle(r: Reservation, actual: number, estimated = false): void {
    if (r.settled) return;
    r.settled = true;
    actual = Math.max(0, actual);
    this.refill();
    this.balance = Math.min(this.burst, this.balance - (actual - r.estimate));
    this.stats.pages += 1;
    this.stats.consumed += actual;
    if (estimated) this.stats.estimated += actual;
  }

  /** DynamoDB throttled a read: give up any saved-up burst so that every reader waits for fresh capacity. */
  throttled(): void {
    this.refill();
    this.balance = Math.min(this.balance, 0);
    this.stats.throttles += 1;
  }
}

/** Bytes DynamoDB reads per read capacity unit. */
export const READ_UNIT_BYTES = 4096;

/**
 * Read capacity units of a Scan page over `bytes` of items: the total rounded up to 4 KB, 1 unit per 4 KB when
 * strongly consistent, 0.5 when eventually consistent.
 */
export function readUnits(bytes: number, consistent: boolean): number {
  return Math.ceil(Math.max(0, bytes) / READ_UNIT_BYTES) * (consistent ? 1 : 0.5);
}

/** Default average item size, before DescribeTable or a page has told us better. */
export const DEFAULT_ITEM_BYTES = 1024;

/**
 * Items per Scan page so that one page costs about one second of the budget (`rate` units) at most: at least 1,
 * at most `batchSize`. Items are assumed to be `avgItemBytes` each.
 */
export function pageLimit(rate: number, avgItemBytes: number, consistent: boolean, batchSize: number): number {
  const perItem = (Math.max(1, avgItemBytes) / READ_UNIT_BYTES) * (consistent ? 1 : 0.5);
  const fits = Math.floor(rate / perItem);
  return Math.max(1, Math.min(Math.max(1, Math.floor(batchSize)), fits));
}

/** The estimated cost of a page of `limit` items of `avgItemBytes` (at least the cost of one 4 KB read). */
export function pageEstimate(limit: number, avgItemBytes: number, consistent: boolean): number {
  return Math.max(consistent ? 1 : 0.5, readUnits(limit * Math.max(1, avgItemBytes), consistent));
}

/**
 * The average item size of a table: DynamoDB's own estimate (TableSizeBytes / ItemCount, refreshed about every six
 * hours) until pages have been read, then what the pages held.
 */
export class ItemSizeEstimate {
  private items = 0;
  private bytes = 0;

  constructor(private prior: number | undefined = undefined) {}

  /** DescribeTable's figures; ignored when the table looks empty. */
  setPrior(itemCount: number | undefined, sizeBytes: number | undefined): void {
    if (itemCount && itemCount > 0 && sizeBytes && sizeBytes > 0) this.prior = sizeBytes / itemCount;
  }

  observe(items: number, bytes: number): void {
    this.items += items;
    this.bytes += bytes;
  }

  get(): number {
    if (this.items > 0) return Math.max(1, this.bytes / this.items);
    return this.prior ?? DEFAULT_ITEM_BYTES;
  }
}
