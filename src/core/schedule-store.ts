/**
 * Where scheduled slots are recorded (`ferry schedule tick|run`): one row per job and slot, unique, so a slot is
 * taken once whatever the number of ticks on however many machines. A taker holds a lease it renews while the
 * run lives; a slot whose taker died (its lease lapsed) may be taken over, never while the lease is alive.
 */

export type SlotStatus = 'running' | 'succeeded' | 'failed' | 'missed' | 'skipped';

export interface SlotRecord {
  job: string;
  /** The slot's UTC instant (`2026-12-08T02:00:00Z`). */
  slot: string;
  status: SlotStatus;
  /** Takes of the slot (1, or more after take-overs of dead takers). */
  attempts: number;
  holder: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  /** The ferry job the run created, when it got that far. */
  jobId: string | undefined;
  /** Why it failed, was missed or skipped. */
  detail: string | undefined;
}

export interface SlotLease {
  job: string;
  slot: string;
  token: string;
  attempt: number;
}

export interface ScheduleSlots {
  /**
   * Take the slot: `claimed` (a new row, or a take-over of a dead taker's), or `taken` with the row as it stands
   * (done, running under a live lease, recorded missed or skipped).
   */
  claim(job: string, slot: string, holder: string, ttlMs: number): Promise<{ outcome: 'claimed'; lease: SlotLease } | { outcome: 'taken'; record: SlotRecord }>;
  renew(lease: SlotLease, ttlMs: number): Promise<boolean>;
  finish(lease: SlotLease, status: 'succeeded' | 'failed', detail?: string, jobId?: string): Promise<void>;
  /** Record a slot that did not run (missed its window, or skipped for an overlap), unless it has a row already. */
  note(job: string, slot: string, status: 'missed' | 'skipped', detail: string): Promise<boolean>;
  setJobId(lease: SlotLease, jobId: string): Promise<void>;
  /** A `running` slot whose taker died and whose window passed: recorded failed (true), if its lease did lapse. */
  abandon(job: string, slot: string, detail: string): Promise<boolean>;
  /** Newest first. */
  list(job: string, limit?: number): Promise<SlotRecord[]>;
  /** A slot of the job whose run lives (status running under a live lease), if any. */
  running(job: string): Promise<SlotRecord | undefined>;
}
