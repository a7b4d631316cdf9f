/**
 * Holds the job's runner lease for the length of a run: renews it every ttl/3 so a live runner never loses it to a
 * slow batch, and reports loss at once when the store says the lease is no longer ours (JOB_LOCKED, or any terminal
 * error). A transient renewal failure (a busy database) is retried at the next tick, as long as the last good
 * renewal is less than 2/3 of a ttl old: beyond that another runner could take over before we renew, so we stop.
 * After a loss the runner must stop without committing: another runner may own the job's progress now.
 */
import type { CheckpointStore, RunnerEnd, RunnerLease } from '../core/checkpoint.js';
import { FerryError, isFerryError, retryabilityOf } from '../errors.js';

export const DEFAULT_LEASE_TTL_MS = 30_000;

export class LeaseKeeper {
  private leaseValue: RunnerLease;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lostError: FerryError | undefined;
  private lastRenewal: number;
  /** The renewal in flight, if any: ticks never overlap, and release waits for it. */
  private renewing: Promise<void> | undefined;

  private constructor(
    private readonly store: CheckpointStore,
    lease: RunnerLease,
    private readonly ttlMs: number,
    private readonly onLost: (e: FerryError) => void,
    private readonly now: () => number,
    private readonly onRenewed: (() => Promise<void> | void) | undefined,
  ) {
    this.leaseValue = lease;
    this.lastRenewal = now();
  }

  /**
   * Take the lease (throws JOB_LOCKED naming the holder) and start renewing it. `shared`: join as one of several
   * workers. `onRenewed` runs after each good renewal (the runner reads job-wide decisions there).
   */
  static async acquire(
    store: CheckpointStore,
    jobId: string,
    ttlMs: number,
    onLost: (e: FerryError) => void,
    now: () => number = Date.now,
    opts: { shared?: boolean; onRenewed?: () => Promise<void> | void } = {},
  ): Promise<LeaseKeeper> {
    const lease = await store.acquireRunner(jobId, ttlMs, opts.shared ? { shared: true } : undefined);
    const keeper = new LeaseKeeper(store, lease, ttlMs, onLost, now, opts.onRenewed);
    keeper.timer = setInterval(() => void keeper.renew(), Math.max(1, Math.floor(ttlMs / 3)));
    // Renewal must not keep a finished process alive.
    keeper.timer.unref?.();
    return keeper;
  }

  /** The current lease (renewals may replace it). */
  get lease(): RunnerLease {
    return this.leaseValue;
  }

  get lost(): FerryError | undefined {
    return this.lostError;
  }

  /** One renewal; a tick that finds the previous one still out skips (never rejects: a loss goes to onLost). */
  renew(): Promise<void> {
    if (this.lostError || !this.timer) return Promise.resolve();
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    try {
      const renewed = await this.store.renewRunner(this.leaseValue, this.ttlMs);
      // A release (or a loss) while the renewal was out wins: the lease is no longer held.
      if (this.lostError || !this.timer) return;
      this.leaseValue = renewed;
      this.lastRenewal = this.now();
      await Promise.resolve(this.onRenewed?.()).catch(() => {});
    } catch (e) {
      if (this.lostError || !this.timer) return;
      if (retryabilityOf(e) !== 'terminal' && this.now() - this.lastRenewal < (this.ttlMs * 2) / 3) return;
      this.stopTimer();
      const jobId = this.leaseValue.jobId;
      const msg = e instanceof Error ? e.message : String(e);
      // The store saying the lease is gone is a take-over; anything else is the state failing under a live lease.
      this.lostError =
        isFerryError(e) && e.code !== 'JOB_LOCKED'
          ? new FerryError(e.code, `could not renew the runner lease of job ${jobId}, so it stopped without committing more: ${msg}`, {
              cause: e,
              hint: e.hint ?? 'fix the state database; nothing after the last checkpoint was recorded, and the job stays resumable',
            })
          : new FerryError('JOB_LOCKED', `lost the runner lease of job ${jobId}: ${msg}`, {
              cause: e,
              hint: 'another runner may have taken the job over; stopped without committing. Check `ferry status` before resuming',
            });
      this.onLost(this.lostError);
    }
  }

  /**
   * Stop renewing and give the lease back (not after a loss: it is no longer ours), with the job's status `end` in
   * the same transaction. Throws only when `end` could not be recorded; a plain release never does (the lease
   * expires on its own).
   */
  async release(end?: RunnerEnd): Promise<void> {
    this.stopTimer();
    await this.renewing;
    if (this.lostError) return;
    try {
      await this.store.releaseRunner(this.leaseValue, end);
    } catch (e) {
      if (end) throw e;
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
