/**
 * Where a backup set lives in an object store: `<prefix>/<plan>/<UTC timestamp>-<id>/`, its data files below it and
 * `manifest.json` written last. The names sort by time in every store's listing, carry their creation time (so
 * retention needs no other metadata), and a set's completeness is one listing away: no manifest, not complete.
 */
import type { RetainedSet } from './retention.js';

export const MANIFEST_NAME = 'manifest.json';

/** `20261207T224655Z`: ISO 8601 basic, UTC, to the second; sorts as text in time order. */
export function setTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll('-', '').replaceAll(':', '');
}

const SET_DIR = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-([a-z0-9][a-z0-9-]{0,62})$/;
const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The set's directory, ending in `/`. `prefix` may be empty; the plan name is checked (it is a path segment). */
export function setPrefix(prefix: string, plan: string, createdAt: Date, id: string): string {
  if (!PLAN_NAME.test(plan)) throw new RangeError(`plan name "${plan}" cannot be a path segment of a backup set`);
  const dir = `${setTimestamp(createdAt)}-${id}`;
  if (!SET_DIR.test(dir)) throw new RangeError(`backup set id "${id}" must be 1-63 of a-z, 0-9 and '-'`);
  return `${planPrefix(prefix, plan)}${dir}/`;
}

/** `<prefix>/<plan>/`: everything of one plan's backups. */
export function planPrefix(prefix: string, plan: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p === '' ? `${plan}/` : `${p}/${plan}/`;
}

export interface ListedObject {
  name: string;
  size: number;
}

export interface FoundSet extends RetainedSet {
  /** The set's directory (ends in `/`). */
  prefix: string;
  /** Objects below it, the manifest included; bytes their sum. */
  objects: number;
  bytes: number;
  hasManifest: boolean;
}

/**
 * The sets under a plan's prefix, newest first, from one listing of it. A set is `complete` when its manifest is
 * there (whether it is `damaged` is for a verify to say); names that are not a set's are left out.
 */
export function findSets(listing: Iterable<ListedObject>, prefix: string, plan: string): FoundSet[] {
  const root = planPrefix(prefix, plan);
  const sets = new Map<string, FoundSet>();
  for (const o of listing) {
    if (!o.name.startsWith(root)) continue;
    const rest = o.name.slice(root.length);
    const slash = rest.indexOf('/');
    if (slash < 0) continue;
    const dir = rest.slice(0, slash);
    const m = SET_DIR.exec(dir);
    if (!m) continue;
    let s = sets.get(dir);
    if (!s) {
      const createdAt = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
      if (Number.isNaN(createdAt.getTime()) || setTimestamp(createdAt) !== dir.slice(0, 16)) continue; // e.g. month 13
      s = { id: m[7]!, createdAt, state: 'incomplete', prefix: `${root}${dir}/`, objects: 0, bytes: 0, hasManifest: false };
      sets.set(dir, s);
    }
    s.objects += 1;
    s.bytes += o.size;
    if (rest.slice(slash + 1) === MANIFEST_NAME) {
      s.hasManifest = true;
      s.state = 'complete';
    }
  }
  return [...sets.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
}
