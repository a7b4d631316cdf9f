/**
 * What an object source puts in a record's `value`: the listed object and the store to open it from. The sink
 * streams the content from `store` while it uploads; nothing of the content is held by the record.
 *
 * The record's key is `{ name: <name relative to the stream prefix> }`, so source and target records of one object
 * share a key whatever the two prefixes are.
 */
import type { ObjectInfo, ObjectStore } from '../core/object.js';
import type { FerryRecord } from '../core/record.js';

export interface ObjectValue {
  readonly kind: 'object';
  readonly info: ObjectInfo;
  /** The name below the stream prefix. */
  readonly rel: string;
  readonly store: ObjectStore;
}

export function isObjectValue(v: unknown): v is ObjectValue {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'object' && 'store' in v;
}

export function objectRecord(store: ObjectStore, prefix: string, info: ObjectInfo): FerryRecord<ObjectValue> {
  const rel = info.name.slice(prefix.length);
  return { key: { name: rel }, value: { kind: 'object', info, rel, store }, sizeBytes: info.size };
}

/** User-metadata names ferry writes on target objects; underscores, because Azure metadata names are identifiers. */
export const META_SOURCE_MD5 = 'ferry_source_md5';
export const META_SOURCE_ETAG = 'ferry_source_etag';
export const META_SOURCE_SIZE = 'ferry_source_size';
