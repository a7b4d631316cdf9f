/**
 * Defaults filled in after validation, so the engine reads one resolved plan and every default lives here:
 * - limits.concurrency 4: enough to overlap reads and writes on a laptop without tripping a fresh on-demand table.
 * - limits.batch_size 500: Firestore's batch size and a multiple of DynamoDB's 25; sinks re-split to their own size.
 * - limits.max_retries 8: with exponential backoff from ~100 ms, about half a minute of patience per write.
 * - on_error.max_rejected 0: a migration that silently drops items is worse than one that stops.
 * - verify [count] for every kind: nearly free, and catches the gross failures; `checksum` is opt-in (it reads both
 *   sides in full). `verify: []` turns it off.
 * - streams[].write `upsert`: idempotent by key, which is what makes resume safe.
 * Rate limits have no default: without one the writer adapts to the target's throttling (AIMD).
 * `segments` stays unset: the engine derives it from concurrency per stream, after listing.
 */
import type { Plan, ResolvedPlan } from './types.js';

export const PLAN_DEFAULTS = {
  concurrency: 4,
  batch_size: 500,
  max_retries: 8,
  max_rejected: 0,
  verify: ['count'],
  write: 'upsert',
} as const;

export function applyDefaults(plan: Plan): ResolvedPlan {
  return {
    ...plan,
    streams: plan.streams.map((s) => ({ ...s, write: s.write ?? PLAN_DEFAULTS.write })),
    limits: {
      ...plan.limits,
      concurrency: plan.limits?.concurrency ?? PLAN_DEFAULTS.concurrency,
      batch_size: plan.limits?.batch_size ?? PLAN_DEFAULTS.batch_size,
      max_retries: plan.limits?.max_retries ?? PLAN_DEFAULTS.max_retries,
    },
    verify: plan.verify ?? [...PLAN_DEFAULTS.verify],
    on_error: { ...plan.on_error, max_rejected: plan.on_error?.max_rejected ?? PLAN_DEFAULTS.max_rejected },
  };
}
