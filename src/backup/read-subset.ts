/**
 * Which data files a `ferry backup verify --read-subset n/t` reads: slice n of t, chosen by a hash of each file's
 * path (as restic's `check --read-data-subset n/t` does by pack id), so the t slices are disjoint, cover every file,
 * and stay the same between runs. `auto/t` takes the slice of the day (UTC), so a daily verify reads everything
 * every t days. A byte budget cuts the slice short and says what was left, never silently.
 */
import { createHash } from 'node:crypto';

export interface SubsetSpec {
  /** 1-based slice; `auto` is the slice of the day. */
  slice: number | 'auto';
  of: number;
}

export class SubsetError extends Error {
  override readonly name = 'SubsetError';
}

/** `2/7`, `auto/7`, or `all` (→ undefined). */
export function parseSubset(text: string): SubsetSpec | undefined {
  if (text === 'all') return undefined;
  const m = /^(auto|\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new SubsetError(`--read-subset wants n/t (e.g. 1/7), auto/t or all, not "${text}"`);
  const of = Number(m[2]);
  if (of < 1 || of > 10_000) throw new SubsetError('--read-subset: t is 1 to 10000');
  if (m[1] === 'auto') return { slice: 'auto', of };
  const slice = Number(m[1]);
  if (slice < 1 || slice > of) throw new SubsetError(`--read-subset: n is 1 to ${of}, not ${slice}`);
  return { slice, of };
}

/** The slice (1…t) a path belongs to. */
export function sliceOf(path: string, of: number): number {
  const h = createHash('sha256').update(path).digest();
  return (h.readUInt32BE(0) % of) + 1;
}

/** The 1-based slice `auto` means on a day: day number since the epoch, mod t. */
export function sliceOfDay(now: Date, of: number): number {
  return (Math.floor(now.getTime() / 86_400_000) % of) + 1;
}

export interface SubsetChoice<F> {
  /** The files to read, in the order given. */
  read: F[];
  /** Files of the slice left out by the byte budget. */
  skipped: F[];
  slice: number;
  of: number;
}

export function chooseSubset<F extends { path: string; bytes: number }>(
  files: readonly F[],
  spec: SubsetSpec | undefined,
  opts: { now: Date; maxBytes?: number },
): SubsetChoice<F> {
  const of = spec?.of ?? 1;
  const slice = spec === undefined ? 1 : spec.slice === 'auto' ? sliceOfDay(opts.now, of) : spec.slice;
  const inSlice = files.filter((f) => of === 1 || sliceOf(f.path, of) === slice);
  const read: F[] = [];
  const skipped: F[] = [];
  let bytes = 0;
  for (const f of inSlice) {
    if (opts.maxBytes !== undefined && read.length > 0 && bytes + f.bytes > opts.maxBytes) skipped.push(f);
    else {
      read.push(f);
      bytes += f.bytes;
    }
  }
  return { read, skipped, slice, of };
}
