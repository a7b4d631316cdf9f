/**
 * Which streams to verify: the plan's streams resolved exactly as the engine resolves them (the source's streams
 * for each `from:`, the engine's target namer and target reference), and each target stream looked up through the
 * target's own Source.
 */
import type { FerryRecord } from '../core/record.js';
import type { Source } from '../core/source.js';
import type { StreamRef } from '../core/stream.js';
import { listPlanStreams, targetRefOf, type TargetNamer } from '../engine/stream-plan.js';
import type { Plan } from '../plan/types.js';
import type { StreamDeadLetters, VerifyStream } from './verify-context.js';

export async function resolveVerifyStreams(
  plan: Plan,
  source: Source<FerryRecord>,
  signal: AbortSignal,
  targetName?: TargetNamer,
): Promise<VerifyStream[]> {
  return (await listPlanStreams(plan, source, signal, targetName)).map(({ spec, ref, target }) => ({
    spec,
    source: ref,
    target,
    targetRef: targetRefOf(spec, ref, target),
  }));
}

/**
 * The target stream as the target's Source lists it (its meta may carry what reading needs, e.g. a table's key
 * schema): the listed stream of exactly that name, else the only one listed (a store that qualifies names, e.g.
 * `invoice` → `public.invoice`). Undefined when the target has no such stream.
 */
export async function findTargetStream(targetSource: Source<FerryRecord>, name: string, signal: AbortSignal): Promise<StreamRef | undefined> {
  const refs = await targetSource.streams(name, signal);
  return refs.find((r) => r.name === name) ?? (refs.length === 1 ? refs[0] : undefined);
}

/** Group the state store's dead letters (`store.deadLetters(jobId)`) by source stream, for `verifyStreams`. */
export function deadLettersByStream(records: Iterable<{ stream: string; key: string }>): Record<string, StreamDeadLetters> {
  const out: Record<string, { count: number; keys: Set<string> }> = {};
  for (const r of records) {
    const s = (out[r.stream] ??= { count: 0, keys: new Set() });
    s.count += 1;
    s.keys.add(r.key);
  }
  return out;
}
