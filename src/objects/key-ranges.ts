/**
 * Splits a prefix into key ranges that list (and copy) in parallel. An object store cannot say how many names lie
 * in a range, so the split probes it: one single-name listing per distinct character that follows the prefix
 * ("hop" past every name starting with it), then one level deeper when a single character holds everything (dated
 * keys: `2024-…`). Ranges are contiguous groups of those characters; their sizes are not known up front, and need
 * not be equal: copies run in parallel across ranges anyway.
 *
 * A range is `(after, before)` plus the object named exactly `before`, if any: a boundary is `prefix + chars`, which
 * an object may be named exactly, and every store lists strictly after a name but not from one.
 */
import type { ObjectStore } from '../core/object.js';

export interface KeyRange {
  /** List strictly after this name; undefined = from the start of the prefix. */
  after?: string;
  /** Stop before this name, then take the object named exactly this (if it exists); undefined = to the end. */
  before?: string;
}

/** Greater in UTF-8 byte order than any character an object name holds: hops past every name `base + c + …`. */
const MAX_CHAR = '\u{10FFFF}';
/** Listing requests one split may spend. */
const PROBE_BUDGET = 200;

async function firstName(store: ObjectStore, prefix: string, after: string | undefined, signal: AbortSignal): Promise<string | undefined> {
  for await (const page of store.list({ prefix, ...(after === undefined ? {} : { startAfter: after }), pageSize: 1, signal })) {
    if (page.length > 0) return page[0]!.name;
  }
  return undefined;
}

/** Distinct characters that follow `base` in the names below it, ascending; undefined when the budget ran out. */
async function nextChars(
  store: ObjectStore,
  base: string,
  budget: { left: number },
  signal: AbortSignal,
): Promise<string[] | undefined> {
  const chars: string[] = [];
  let after: string | undefined = base === '' ? undefined : base;
  for (;;) {
    if (budget.left-- <= 0) return undefined;
    const name = await firstName(store, base, after, signal);
    if (name === undefined) return chars;
    const c = String.fromCodePoint(name.codePointAt(base.length)!);
    chars.push(c);
    after = base + c + MAX_CHAR;
  }
}

function groups<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  const size = items.length / n;
  for (let g = 0; g < n; g++) {
    const part = items.slice(Math.round(g * size), Math.round((g + 1) * size));
    if (part.length > 0) out.push(part);
  }
  return out;
}

/** About `desired` ranges covering every name below `prefix` (one when the prefix is empty of names or desired ≤ 1). */
export async function splitKeyRanges(store: ObjectStore, prefix: string, desired: number, signal: AbortSignal): Promise<KeyRange[]> {
  if (desired <= 1) return [{}];
  const budget = { left: PROBE_BUDGET };
  let boundaries: string[];
  const first = await nextChars(store, prefix, budget, signal);
  if (!first || first.length === 0) return [{}];
  boundaries = first.map((c) => prefix + c);
  // Too few first characters (one holds every name: `2024-…`, `user/…`): split each one level deeper, while the
  // probe budget lasts. An object named exactly like a replaced boundary sorts before its children: the range
  // before takes it.
  while (boundaries.length < desired) {
    const next: string[] = [];
    let deeper = false;
    for (const b of boundaries) {
      const children = await nextChars(store, b, budget, signal);
      if (children === undefined) return rangesOf(boundaries, desired);
      if (children.length === 0) next.push(b);
      else for (const c of children) next.push(b + c);
      deeper ||= children.length > 0;
    }
    if (!deeper) break;
    boundaries = next;
  }
  return rangesOf(boundaries, desired);
}

function rangesOf(boundaries: readonly string[], desired: number): KeyRange[] {
  if (boundaries.length <= 1) return [{}];
  const starts = groups(boundaries, Math.min(desired, boundaries.length)).map((g) => g[0]!);
  // Range g runs from its first boundary (exclusive) to the next range's first boundary (taken exactly).
  return starts.map((start, g) => {
    const range: KeyRange = {};
    if (g > 0) range.after = start;
    const next = starts[g + 1];
    if (next !== undefined) range.before = next;
    return range;
  });
}
