/**
 * A capped list of differing keys: counts every key, keeps the first `cap` in natural order (`id=9` before
 * `id=10`), so a report names the same keys whatever order the parallel reads delivered them in.
 */
import type { KeyList } from './report.js';

const collator = new Intl.Collator('en', { numeric: true });

export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export class CappedKeys {
  total = 0;
  private readonly keys: string[] = [];

  constructor(private readonly cap: number) {}

  add(key: string): void {
    this.total += 1;
    if (this.cap <= 0) return;
    const keys = this.keys;
    if (keys.length >= this.cap && naturalCompare(key, keys[keys.length - 1]!) >= 0) return;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (naturalCompare(keys[mid]!, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    keys.splice(lo, 0, key);
    if (keys.length > this.cap) keys.pop();
  }

  toJSON(): KeyList {
    return { total: this.total, keys: [...this.keys] };
  }
}
