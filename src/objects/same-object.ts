/**
 * Whether a target object already holds a source object's content, for incremental copies. Identity is proved by a
 * hash both sides share, never assumed from size alone:
 *
 * - `md5`: the source's MD5 equals the target's (stated by the store, or recorded by ferry in `ferry_source_md5`).
 * - `etag`: the source states no MD5 (an S3 multipart ETag) but the target records the source ETag it was copied
 *   from (`ferry_source_etag`), and the source still has that ETag: the content is the one ferry copied and proved.
 *
 * `unknown` asks for the target's metadata (a listing without it, as S3's); anything else is `different`.
 */
import type { ObjectInfo } from '../core/object.js';
import { META_SOURCE_ETAG, META_SOURCE_MD5 } from './object-value.js';

export type Sameness = { same: true; by: 'md5' | 'etag' } | { same: false; why: string } | { same: 'unknown' };

export function sameObject(src: ObjectInfo, tgt: ObjectInfo): Sameness {
  if (src.size !== tgt.size) return { same: false, why: `size ${tgt.size} ≠ ${src.size}` };
  const targetMd5 = tgt.md5 ?? tgt.metadata?.[META_SOURCE_MD5];
  if (src.md5 !== undefined && targetMd5 !== undefined) {
    return src.md5 === targetMd5 ? { same: true, by: 'md5' } : { same: false, why: 'MD5 differs' };
  }
  const copiedFrom = tgt.metadata?.[META_SOURCE_ETAG];
  if (src.etag !== undefined && copiedFrom !== undefined) {
    return src.etag === copiedFrom ? { same: true, by: 'etag' } : { same: false, why: 'source changed since the last copy (ETag)' };
  }
  if (!tgt.detailed) return { same: 'unknown' };
  return { same: false, why: 'no hash both sides share' };
}
