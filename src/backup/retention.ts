/**
 * Which backup sets a retention policy keeps, and why: restic's `forget` rules (calendar buckets ORed, newest set of
 * each bucket, UTC), plus what an unattended prune must never do — delete the newest good set, delete a set young
 * enough to be a run in progress, or let a damaged set stand in for a good one in a bucket. Pure: the caller lists
 * the sets and deletes what this says; `ferry backup prune --dry-run` prints the same decisions.
 */

export interface RetentionPolicy {
  /** The N newest good sets. */
  keepLast?: number;
  /** The newest good set of each of the last N UTC days (weeks: ISO weeks; months; years) that have one. */
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** Every set younger than this is kept, whatever else the policy says. */
  minAgeMs?: number;
  /** A set without a manifest (incomplete) is kept this long, since it may be a backup still running. */
  incompleteGraceMs?: number;
}

/** `complete`: its manifest is there; `incomplete`: no manifest (a backup running or killed); `damaged`: a verify failed. */
export type BackupSetState = 'complete' | 'incomplete' | 'damaged';

export interface RetainedSet {
  id: string;
  /** When the backup started (the set's timestamp), UTC. */
  createdAt: Date;
  state: BackupSetState;
}

export interface RetentionDecision<S extends RetainedSet = RetainedSet> {
  set: S;
  keep: boolean;
  /** Why it is kept (every rule that keeps it) or deleted (one line). */
  reasons: string[];
}

/** A day is long enough for a backup to finish or be found dead; prune jobs can lengthen it. */
export const DEFAULT_INCOMPLETE_GRACE_MS = 24 * 3600_000;

type Bucket = 'daily' | 'weekly' | 'monthly' | 'yearly';

const BUCKET_KEYS: Record<Bucket, (d: Date) => string> = {
  daily: (d) => d.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: (d) => d.toISOString().slice(0, 7),
  yearly: (d) => String(d.getUTCFullYear()),
};

/** `2026-W49`: the ISO 8601 week (Monday first; week 1 holds the year's first Thursday), as restic counts weeks. */
export function isoWeek(d: Date): string {
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(day + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** A policy that keeps nothing by any rule would delete every set but the newest: refused, as restic refuses it. */
export function policyProblem(p: RetentionPolicy): string | undefined {
  const counts = [p.keepLast, p.keepDaily, p.keepWeekly, p.keepMonthly, p.keepYearly];
  for (const c of counts) if (c !== undefined && (!Number.isInteger(c) || c < 0)) return 'retention counts are whole numbers ≥ 0';
  if (counts.every((c) => !c) && !p.minAgeMs) return 'the retention policy keeps nothing: set at least one of keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly, min_age';
  return undefined;
}

/**
 * The decision for every set, newest first. Good (`complete`) sets fill the rules; `damaged` and `incomplete` sets
 * never count towards them. The newest good set is always kept.
 */
export function applyRetention<S extends RetainedSet>(sets: readonly S[], policy: RetentionPolicy, now: Date): RetentionDecision<S>[] {
  const problem = policyProblem(policy);
  if (problem) throw new RangeError(problem);
  const newestFirst = [...sets].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  const decisions = newestFirst.map((set) => ({ set, keep: false, reasons: [] as string[] }));
  const good = decisions.filter((d) => d.set.state === 'complete');

  good.slice(0, policy.keepLast ?? 0).forEach((d, i) => d.reasons.push(`last ${i + 1} of ${policy.keepLast}`));
  const rules: [Bucket, number | undefined][] = [
    ['daily', policy.keepDaily],
    ['weekly', policy.keepWeekly],
    ['monthly', policy.keepMonthly],
    ['yearly', policy.keepYearly],
  ];
  for (const [bucket, n] of rules) {
    if (!n) continue;
    let left = n;
    let previous: string | undefined;
    for (const d of good) {
      if (left === 0) break;
      const key = BUCKET_KEYS[bucket](d.set.createdAt);
      if (key === previous) continue;
      previous = key;
      left -= 1;
      d.reasons.push(`${bucket} ${key}`);
    }
  }
  if (good[0] && good[0].reasons.length === 0) good[0].reasons.push('the newest good set');

  const grace = policy.incompleteGraceMs ?? DEFAULT_INCOMPLETE_GRACE_MS;
  for (const d of decisions) {
    const age = now.getTime() - d.set.createdAt.getTime();
    if (policy.minAgeMs && age < policy.minAgeMs) d.reasons.push(`younger than min_age (${hours(age)} old)`);
    if (d.set.state === 'incomplete' && age < grace) d.reasons.push(`incomplete, within the ${hours(grace)} grace (it may still be running)`);
    d.keep = d.reasons.length > 0;
    if (!d.keep) {
      d.reasons.push(
        d.set.state === 'incomplete'
          ? `incomplete (no manifest) and ${hours(age)} old`
          : d.set.state === 'damaged'
            ? 'damaged (a verify failed): kept by no rule, and never counted as a good set'
            : 'kept by no rule',
      );
    }
  }
  return decisions;
}

function hours(ms: number): string {
  const h = ms / 3600_000;
  return h >= 48 ? `${Math.floor(h / 24)} d` : `${Math.max(0, Math.floor(h))} h`;
}
