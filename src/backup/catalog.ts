/**
 * What `ferry backup list` and `prune` know of a plan's sets: from one listing and each complete set's manifest,
 * the records and streams it holds, its age, its last verification (recorded in the set), and the RPO achieved —
 * the age of the newest set verified good. Prune applies the plan's retention and deletes a set manifest first, so a
 * set cut short by a crash mid-delete reads as incomplete, never as a complete set with files missing.
 */
import type { ObjectStore } from '../core/object.js';
import { FerryError, isFerryError } from '../errors.js';
import type { RetentionSpec } from '../plan/types.js';
import { MANIFEST_NAME, type FoundSet, type ListedObject } from './layout.js';
import { applyRetention, DEFAULT_INCOMPLETE_GRACE_MS, policyProblem, type RetentionDecision, type RetentionPolicy } from './retention.js';
import { listSets, readManifest, type SetLocation } from './sets.js';
import { lastVerification } from './verify-set.js';

export interface SetSummary extends FoundSet {
  ageMs: number;
  /** From the manifest (complete sets). */
  records?: number;
  streams?: number;
  /** A manifest that cannot be read makes the set damaged; this says why. */
  problem?: string;
  verified?: { at: Date; outcome: 'ok' | 'damaged' };
}

export interface Catalog {
  sets: SetSummary[];
  /** The newest set whose last verification passed, and its age: the recovery point an operator can count on. */
  rpo?: { set: string; ageMs: number };
  objects: Map<string, ListedObject[]>;
}

export async function catalog(loc: SetLocation, signal: AbortSignal, now: Date = new Date()): Promise<Catalog> {
  const { sets, objects } = await listSets(loc, signal);
  const out: SetSummary[] = [];
  for (const s of sets) {
    const summary: SetSummary = { ...s, ageMs: now.getTime() - s.createdAt.getTime() };
    const verified = lastVerification(s, objects.get(s.prefix) ?? []);
    if (verified) summary.verified = verified;
    if (s.state === 'complete') {
      try {
        const m = await readManifest(loc.store, s, signal);
        summary.records = m.streams.reduce((n, x) => n + x.count, 0);
        summary.streams = m.streams.length;
      } catch (e) {
        if (!isFerryError(e) || e.code !== 'DAMAGED') throw e;
        summary.problem = e.message;
        summary.state = 'damaged';
      }
      if (verified?.outcome === 'damaged') summary.state = 'damaged';
    }
    out.push(summary);
  }
  const good = out.find((s) => s.state === 'complete' && s.verified?.outcome === 'ok');
  return { sets: out, objects, ...(good ? { rpo: { set: good.prefix, ageMs: good.ageMs } } : {}) };
}

/** `36h`, `7d`, `2w`, `90m` → milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/.exec(text.trim());
  if (!m) throw new FerryError('PLAN_INVALID', `"${text}" is not a duration: a number and a unit, m, h, d or w (e.g. 36h, 7d)`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
}

export function policyOf(spec: RetentionSpec | undefined): RetentionPolicy {
  if (!spec) {
    throw new FerryError('PLAN_INVALID', 'the plan has no `retention:`, so prune cannot tell which sets to keep', {
      hint: 'add e.g. `retention: { keep_daily: 7, keep_weekly: 4, keep_monthly: 12 }` to the backup plan',
    });
  }
  const p: RetentionPolicy = {
    ...(spec.keep_last !== undefined ? { keepLast: spec.keep_last } : {}),
    ...(spec.keep_daily !== undefined ? { keepDaily: spec.keep_daily } : {}),
    ...(spec.keep_weekly !== undefined ? { keepWeekly: spec.keep_weekly } : {}),
    ...(spec.keep_monthly !== undefined ? { keepMonthly: spec.keep_monthly } : {}),
    ...(spec.keep_yearly !== undefined ? { keepYearly: spec.keep_yearly } : {}),
    ...(spec.min_age !== undefined ? { minAgeMs: durationMs(spec.min_age) } : {}),
    incompleteGraceMs: spec.incomplete_after !== undefined ? durationMs(spec.incomplete_after) : DEFAULT_INCOMPLETE_GRACE_MS,
  };
  const problem = policyProblem(p);
  if (problem) throw new FerryError('PLAN_INVALID', `retention: ${problem}`);
  return p;
}

export interface PruneOutcome {
  decisions: RetentionDecision<SetSummary>[];
  deleted: { sets: number; objects: number; bytes: number };
}

/** Decide with the plan's retention, and unless `dryRun` delete what it does not keep (manifest first). */
export async function prune(loc: SetLocation, policy: RetentionPolicy, opts: { dryRun: boolean; now?: Date; signal: AbortSignal }): Promise<PruneOutcome> {
  const now = opts.now ?? new Date();
  const cat = await catalog(loc, opts.signal, now);
  const decisions = applyRetention(cat.sets, policy, now);
  const deleted = { sets: 0, objects: 0, bytes: 0 };
  if (opts.dryRun) return { decisions, deleted };
  for (const d of decisions) {
    if (d.keep) continue;
    const objects = [...(cat.objects.get(d.set.prefix) ?? [])].sort((a, b) => Number(b.name === `${d.set.prefix}${MANIFEST_NAME}`) - Number(a.name === `${d.set.prefix}${MANIFEST_NAME}`));
    for (const o of objects) {
      await loc.store.delete(o.name, opts.signal);
      deleted.objects += 1;
      deleted.bytes += o.size;
    }
    deleted.sets += 1;
  }
  return { decisions, deleted };
}
