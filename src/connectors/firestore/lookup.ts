/**
 * Point reads for the verifier (`FirestoreSource.lookup`): `{ path }` keys → `getAll` (BatchGetDocuments).
 *
 * - A key whose path cannot be a document of the stream is left out without a read: not a string, not a document
 *   path (an odd number of segments, an empty segment, an id Firestore refuses, over its name size or depth: the
 *   SDK would quietly drop empty segments and read another document, the server would refuse the whole call), or a
 *   document `read` would not yield (outside the stream's collection, or not matched by its collection-group filter).
 * - Distinct paths, LOOKUP_CHUNK at a time, LOOKUP_IN_FLIGHT chunks at once; documents that do not exist are left
 *   out. Records are built as `read` builds them and come back in the order of the keys asked for.
 */
import type { DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import { abortable } from '../abortable.js';
import type { FerryRecord, RecordKey } from '../../core/record.js';
import { FerryError } from '../../errors.js';
import type { CollectionSelector } from './collection-selector.js';
import { idProblem } from './document-id.js';

/** Firestore's limits on a document name: bytes, and depth (documents nested in subcollections). */
const MAX_PATH_BYTES = 6 * 1024;
const MAX_DEPTH = 100;
/** Documents per getAll call. */
export const LOOKUP_CHUNK = 200;
/** getAll calls in flight per lookup. */
export const LOOKUP_IN_FLIGHT = 4;

export interface LookupContext {
  db: Firestore;
  /** The stream's name, for messages. */
  stream: string;
  selector: CollectionSelector;
  recordOf(doc: DocumentSnapshot): FerryRecord;
  fail(e: unknown, op: string): FerryError;
}

/** The document path a key names, if it can be a document `read` yields for `selector`. */
export function lookupPath(key: RecordKey, selector: CollectionSelector, match: RegExp | undefined): string | undefined {
  const path = key['path'];
  if (typeof path !== 'string') return undefined;
  const segs = path.split('/');
  if (segs.length < 2 || segs.length % 2 !== 0 || segs.length / 2 > MAX_DEPTH || Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return undefined;
  if (segs.some((s) => idProblem(s) !== undefined)) return undefined;
  const parent = segs.slice(0, -1).join('/');
  if (selector.kind === 'collection') return parent === selector.path ? path : undefined;
  if (segs[segs.length - 2] !== selector.id) return undefined;
  return match && !match.test(path) ? undefined : path;
}

const interrupted = (ctx: LookupContext): FerryError => new FerryError('INTERRUPTED', `lookup in ${ctx.stream} aborted`);


export async function lookupDocuments(ctx: LookupContext, keys: readonly RecordKey[], signal: AbortSignal): Promise<FerryRecord[]> {
  const match = ctx.selector.kind === 'group' && ctx.selector.match ? new RegExp(ctx.selector.match) : undefined;
  const paths = new Set<string>();
  for (const k of keys) {
    const p = lookupPath(k, ctx.selector, match);
    if (p !== undefined) paths.add(p);
  }
  if (paths.size === 0) return [];
  if (signal.aborted) throw interrupted(ctx);
  const all = [...paths];
  const chunks: string[][] = [];
  for (let i = 0; i < all.length; i += LOOKUP_CHUNK) chunks.push(all.slice(i, i + LOOKUP_CHUNK));

  const results: FerryRecord[][] = new Array<FerryRecord[]>(chunks.length);
  let failure: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < chunks.length) {
      const i = next++;
      const chunk = chunks[i]!;
      if (signal.aborted) {
        failure ??= interrupted(ctx);
        return;
      }
      let snaps: DocumentSnapshot[];
      try {
        snaps = await abortable(ctx.db.getAll(...chunk.map((p) => ctx.db.doc(p))), signal, () => interrupted(ctx));
      } catch (e) {
        failure ??= e;
        return;
      }
      // getAll answers in the order asked, so chunk order is key order.
      results[i] = snaps.filter((s) => s.exists).map((s) => ctx.recordOf(s));
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUP_IN_FLIGHT, chunks.length) }, worker));
  if (signal.aborted) throw interrupted(ctx);
  if (failure !== undefined) throw ctx.fail(failure, `lookup of ${all.length} documents in ${ctx.stream}`);
  return results.flat();
}
