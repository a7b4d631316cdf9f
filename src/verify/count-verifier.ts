/**
 * Count: as many records in the target as in the source, less the job's dead letters.
 *
 * Each side is counted by its Source's `count` when that is exact, else by reading the stream (a count that is an
 * estimate proves nothing). Both sides are counted at once. The source count is of records as read, before any
 * mapping: the job's dead letters (mapping rejections and items the target refused alike) account for the gap, so
 * "the target has N fewer and the job has N dead letters" is a match with a note, not a difference.
 */
import type { FerryRecord } from '../core/record.js';
import type { Source } from '../core/source.js';
import type { StreamRef } from '../core/stream.js';
import { linkedAbort } from '../engine/linked-abort.js';
import type { VerifierResult } from './checksum-verifier.js';
import { readSide } from './read-side.js';
import { emptyKeyList, type VerifyOutcome } from './report.js';
import { targetNotes, type VerifyContext } from './verify-context.js';

interface SideCount {
  count: number;
  how: 'count' | 'read';
}

async function countSide(ctx: VerifyContext, side: 'source' | 'target', source: Source<FerryRecord>, stream: StreamRef | undefined, signal: AbortSignal): Promise<SideCount> {
  if (!stream) return { count: 0, how: 'read' };
  if (source.count && source.capabilities.exactCount) return { count: await source.count(stream, signal), how: 'count' };
  const count = await readSide({ source, stream, tuning: ctx.tuning, signal, onProgress: (n) => ctx.progress('count', side, n) }, () => {});
  return { count, how: 'read' };
}

export async function verifyCount(ctx: VerifyContext): Promise<VerifierResult> {
  const both = linkedAbort(ctx.signal);
  const side = <T>(p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      both.abort(e);
      throw e;
    });
  let s: SideCount;
  let t: SideCount;
  try {
    [s, t] = await Promise.all([
      side(countSide(ctx, 'source', ctx.source, ctx.stream.source, both.signal)),
      side(countSide(ctx, 'target', ctx.targetSource, ctx.targetStream, both.signal)),
    ]);
  } finally {
    both.dispose();
  }

  const dead = ctx.deadLetters?.count ?? 0;
  const notes = [...targetNotes(ctx)];
  const how = (c: SideCount, name: string): string | undefined => (c.how === 'read' ? `${name} counted by reading (it cannot count exactly)` : undefined);
  for (const n of [how(s, 'source'), ctx.targetStream ? how(t, 'target') : undefined]) if (n) notes.push(n);

  let outcome: VerifyOutcome;
  const gap = s.count - t.count;
  // What the target holds beyond (> 0) or short of (< 0) what it should: the source less the dead letters.
  const net = t.count - (s.count - dead);
  if (gap === 0) {
    outcome = 'match';
    if (dead > 0) notes.push(`the job has ${dead} dead letter(s), yet the target has as many records as the source (it may hold records the job did not write)`);
  } else if (gap === dead) {
    outcome = 'match';
    notes.push(`target has ${gap} fewer: the job's ${dead} dead letter(s)`);
  } else {
    outcome = 'differ';
    const dl = dead > 0 ? ` (the job has ${dead} dead letter(s))` : '';
    notes.push(gap > 0 ? `target has ${gap} fewer than the source${dl}` : `target has ${-gap} more than the source${dl}`);
    notes.push('a checksum names the keys');
  }
  return {
    stream: ctx.stream.source.name,
    verifier: 'count',
    outcome,
    source: { stream: ctx.stream.source.name, count: s.count },
    target: { stream: ctx.stream.target, count: t.count },
    expectedAbsent: dead,
    // Counts know only the net gap, not its keys: at least this many are missing (or extra).
    missing: { ...emptyKeyList(), total: outcome === 'differ' ? Math.max(0, -net) : 0 },
    extra: { ...emptyKeyList(), total: outcome === 'differ' ? Math.max(0, net) : 0 },
    changed: emptyKeyList(),
    notes,
  };
}
