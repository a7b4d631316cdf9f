/**
 * Merges two listings (a source prefix and a target prefix) by the name below each prefix, in the byte order every
 * store lists in, without holding either: what a mirror's deletes and a dry run need.
 */
import { compareNames, type ObjectInfo, type ObjectStore } from '../core/object.js';
import { FerryError } from '../errors.js';
import type { NameFilter } from './name-glob.js';

export type Pairing =
  | { rel: string; source: ObjectInfo; target: undefined }
  | { rel: string; source: undefined; target: ObjectInfo }
  | { rel: string; source: ObjectInfo; target: ObjectInfo };

async function* flat(store: ObjectStore, prefix: string, filter: NameFilter, signal: AbortSignal): AsyncGenerator<ObjectInfo> {
  let previous: string | undefined;
  for await (const page of store.list({ prefix, pageSize: 1000, signal })) {
    for (const info of page) {
      // A merge is only right over sorted listings; a store that lists otherwise must not cause a wrong delete.
      if (previous !== undefined && compareNames(previous, info.name) >= 0) {
        throw new FerryError('INTERNAL', `${store.url} listed "${info.name}" after "${previous}": not in byte order, so the listings cannot be compared`, {
          hint: 'nothing was deleted; this store cannot be mirrored or previewed until it lists in name order: report it with the two names',
        });
      }
      previous = info.name;
      if (filter(info.name.slice(prefix.length))) yield info;
    }
  }
}

export async function* pairListings(
  source: { store: ObjectStore; prefix: string },
  target: { store: ObjectStore; prefix: string },
  filter: NameFilter,
  signal: AbortSignal,
): AsyncGenerator<Pairing> {
  const s = flat(source.store, source.prefix, filter, signal);
  const t = flat(target.store, target.prefix, filter, signal);
  let a = await s.next();
  let b = await t.next();
  while (!a.done || !b.done) {
    const relA = a.done ? undefined : a.value.name.slice(source.prefix.length);
    const relB = b.done ? undefined : b.value.name.slice(target.prefix.length);
    const order = relA === undefined ? 1 : relB === undefined ? -1 : compareNames(relA, relB);
    if (order < 0) {
      yield { rel: relA!, source: a.value as ObjectInfo, target: undefined };
      a = await s.next();
    } else if (order > 0) {
      yield { rel: relB!, source: undefined, target: b.value as ObjectInfo };
      b = await t.next();
    } else {
      yield { rel: relA!, source: a.value as ObjectInfo, target: b.value as ObjectInfo };
      a = await s.next();
      b = await t.next();
    }
  }
}
