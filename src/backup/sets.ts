/**
 * A plan's backup sets in an object store: listed from one listing of the plan's prefix, picked by `latest` or by
 * id, their manifests read and checked. Shared by the restore source, `ferry backup list|verify|prune`.
 */
import type { ObjectStore } from '../core/object.js';
import { FerryError } from '../errors.js';
import type { ConnectionBlock, Plan } from '../plan/types.js';
import { findSets, MANIFEST_NAME, planPrefix, type FoundSet, type ListedObject } from './layout.js';
import { ManifestError, parseManifest, type BackupManifest } from './manifest.js';
import { objectBytes } from './set-files.js';

export interface SetLocation {
  store: ObjectStore;
  /** The backup plan's `backup.prefix`. */
  prefix: string;
  /** The backup plan's name. */
  plan: string;
}

/** Every set of the plan, newest first, with the objects each holds (names and sizes). */
export async function listSets(loc: SetLocation, signal: AbortSignal): Promise<{ sets: FoundSet[]; objects: Map<string, ListedObject[]> }> {
  const listing: ListedObject[] = [];
  for await (const page of loc.store.list({ prefix: planPrefix(loc.prefix, loc.plan), signal })) {
    for (const o of page) listing.push({ name: o.name, size: o.size });
  }
  const sets = findSets(listing, loc.prefix, loc.plan);
  const objects = new Map<string, ListedObject[]>(sets.map((s) => [s.prefix, listing.filter((o) => o.name.startsWith(s.prefix))]));
  return { sets, objects };
}

/** `latest` (or undefined): the newest complete set; else the set whose id or directory is `which`. */
export function pickSet(sets: readonly FoundSet[], which: string | undefined, where: string): FoundSet {
  if (which === undefined || which === 'latest') {
    const s = sets.find((x) => x.state === 'complete');
    if (!s) {
      throw new FerryError('NOT_FOUND', `no complete backup set under ${where}${sets.length ? ` (${sets.length} without a manifest: killed or still running)` : ''}`, {
        hint: 'run the backup plan first (`ferry run PLAN`), or check `restore.plan` and `restore.prefix` / `backup.prefix`',
      });
    }
    return s;
  }
  const w = which.replace(/\/+$/, '');
  const s = sets.find((x) => x.id === w || x.prefix.replace(/\/$/, '').endsWith(`/${w}`) || x.prefix.replace(/\/$/, '') === w);
  if (!s) throw new FerryError('NOT_FOUND', `no backup set "${which}" under ${where}`, { hint: '`ferry backup list PLAN` lists the sets there' });
  if (s.state !== 'complete') {
    throw new FerryError('DAMAGED', `backup set ${s.prefix} has no manifest: it is incomplete (a backup killed or still running)`, {
      hint: 'resume that backup job, or pick a complete set from `ferry backup list PLAN`',
    });
  }
  return s;
}

/** The set's manifest, read and checked (schema, counts, its own hash); DAMAGED naming the problem otherwise. */
export async function readManifest(store: ObjectStore, set: FoundSet, signal: AbortSignal): Promise<BackupManifest> {
  const name = `${set.prefix}${MANIFEST_NAME}`;
  let text: string;
  try {
    text = (await objectBytes(store, name, signal)).toString('utf8');
  } catch (e) {
    if (e instanceof FerryError && e.code === 'NOT_FOUND') throw new FerryError('DAMAGED', `${store.url}/${name} is missing: the set is incomplete`);
    throw e;
  }
  try {
    return parseManifest(text, `${store.url}/${name}`);
  } catch (e) {
    if (e instanceof ManifestError) throw new FerryError('DAMAGED', e.message, { hint: 'restore from another set (`ferry backup list PLAN`)' });
    throw e;
  }
}

/** Where a plan's sets are: a backup plan's target (its `backup.prefix`), or the backup a restore plan names. */
export function setsOfPlan(plan: Plan): { block: ConnectionBlock; prefix: string; plan: string } {
  if (plan.kind === 'backup') return { block: plan.target, prefix: plan.backup?.prefix ?? '', plan: plan.name };
  if (plan.kind === 'restore' && plan.restore) return { block: plan.source, prefix: plan.restore.prefix ?? '', plan: plan.restore.plan };
  throw new FerryError('USAGE', `plan ${plan.name} is a ${plan.kind}; \`ferry backup\` takes a backup plan (or a restore plan, for the sets it reads)`);
}
