/**
 * Naming the differing keys: (key, short digest) entries of both sides, for the few buckets known to differ, then
 * compared key by key. The number of entries held is capped (`maxKeys`, both sides together): past it the collector
 * stops taking entries and says so, and the caller reports the comparison as inconclusive rather than name keys
 * from half a picture.
 *
 * A key may occur more than once on a side (two source records mapped to one target key, a scan that returned an
 * item twice). Each side keeps the multiset of its digests per key; equal digests pair off, and what is left over
 * decides: both sides → changed, source only → missing, target only → extra.
 */
import { CappedKeys } from './key-list.js';
import type { KeyList } from './report.js';

export type Side = 'source' | 'target';

type Digests = number | number[];

/** Add a digest under a key; true when the key has just become a duplicate (its second occurrence). */
function push(map: Map<string, Digests>, key: string, d: number): boolean {
  const had = map.get(key);
  if (had === undefined) {
    map.set(key, d);
    return false;
  }
  if (typeof had === 'number') {
    map.set(key, [had, d]);
    return true;
  }
  had.push(d);
  return false;
}

function asList(d: Digests | undefined): number[] {
  return d === undefined ? [] : typeof d === 'number' ? [d] : [...d];
}

export interface KeyDiffResult {
  missing: KeyList;
  extra: KeyList;
  changed: KeyList;
  /** Missing keys that are known dead letters of the job: expected absent, not differences. */
  deadLetters: number;
  /** Keys seen more than once on one side. */
  duplicates: { source: number; target: number };
}

export class KeyDiff {
  private readonly maps: Record<Side, Map<string, Digests>> = { source: new Map(), target: new Map() };
  private readonly dupKeys: Record<Side, number> = { source: 0, target: 0 };
  /** Entries held now (= the most ever held: entries are only added). */
  held = 0;
  /** True once an entry was refused because `maxKeys` were held. */
  overflow = false;

  constructor(readonly maxKeys: number) {}

  /** Add one record's entry; false (and `overflow`) when the cap is reached. */
  add(side: Side, key: string, digest: number): boolean {
    if (this.held >= this.maxKeys) {
      this.overflow = true;
      return false;
    }
    this.held += 1;
    if (push(this.maps[side], key, digest)) this.dupKeys[side] += 1;
    return true;
  }

  /** Compare what was collected. `deadLetterKeys`: keys the job dead-lettered, not counted as missing. */
  diff(reportKeys: number, deadLetterKeys?: ReadonlySet<string>): KeyDiffResult {
    const missing = new CappedKeys(reportKeys);
    const extra = new CappedKeys(reportKeys);
    const changed = new CappedKeys(reportKeys);
    let deadLetters = 0;
    const { source, target } = this.maps;
    for (const [key, s] of source) {
      const t = target.get(key);
      if (t === s) continue; // the common case: one record each side, same digest
      const left = asList(s);
      const right = asList(t);
      for (let i = left.length - 1; i >= 0; i--) {
        const j = right.indexOf(left[i]!);
        if (j >= 0) {
          right.splice(j, 1);
          left.splice(i, 1);
        }
      }
      if (left.length > 0 && right.length > 0) changed.add(key);
      else if (left.length > 0 && t === undefined && deadLetterKeys?.has(key)) deadLetters += 1;
      else if (left.length > 0) missing.add(key);
      else if (right.length > 0) extra.add(key);
    }
    for (const key of target.keys()) if (!source.has(key)) extra.add(key);
    return {
      missing: missing.toJSON(),
      extra: extra.toJSON(),
      changed: changed.toJSON(),
      deadLetters,
      duplicates: { ...this.dupKeys },
    };
  }
}
