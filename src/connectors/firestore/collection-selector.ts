/**
 * What a source stream name means in Firestore: which documents one stream reads.
 *
 * - `artists`, `artists/1/albums`: one collection (an odd number of segments, no wildcards).
 * - `art*`, `artists/1/*`: wildcards (`*`) in the last segment only: every collection under that parent (the
 *   database root, or a document) whose id matches; one stream each, named by its path. Listed by `streams()`.
 * - `artists/${ArtistId}/albums`, `artists/*\/albums`: wildcards (`*`, or `${field}` as a sink's `to:` template
 *   leaves them) in earlier segments, the last one literal: one stream, named as written, reading the collection
 *   group of the last id filtered to the document paths that match. This is how a sink's templated `to:` is read
 *   back for verification.
 * - `collection_group: true` on the plan stream: the collection group of that id, at any depth.
 * - A `${field}` in the last segment (a sink's `to: "${kind}"`) is refused (UNSUPPORTED): documents of one stream
 *   would be spread over collections that no single query reads.
 *
 * A selector is JSON (segment specs carry it), so a segment can be read without listing streams again.
 */
import { FerryError } from '../../errors.js';
import { compileTemplate } from '../../transform/field-map.js';
import { splitPath } from './document-path.js';

export type CollectionSelector =
  | { kind: 'collection'; path: string }
  | { kind: 'group'; id: string; /** Regex source over document paths; absent: the whole group. */ match?: string };

export function hasWildcard(segment: string): boolean {
  return segment.includes('*') || /(^|[^$])\$\{/.test(segment);
}

function escapeRegex(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Regex source of one segment: `*` matches any run of characters but `/`, `${field}` any non-empty one. */
export function segmentRegex(segment: string): string {
  let t: ReturnType<typeof compileTemplate>;
  try {
    t = compileTemplate(segment, 'stream');
  } catch {
    t = { pieces: [{ text: segment }], sole: undefined };
  }
  return t.pieces.map((p) => ('text' in p ? p.text.split('*').map(escapeRegex).join('[^/]*') : '[^/]+')).join('');
}

function notCollection(name: string, n: number): FerryError {
  return new FerryError('CONFIG', `Firestore stream "${name}" has ${n} segments; a collection path has an odd number (collection/doc/collection…)`, {
    hint: 'name a collection, e.g. `artists` or `artists/1/albums`',
  });
}

export type ParsedName =
  | { kind: 'selector'; selector: CollectionSelector }
  /** Wildcards in the last segment only: list the collections under `parent` (undefined: the root) matching `match`. */
  | { kind: 'list'; parent: string | undefined; match: RegExp };

export function parseStreamName(name: string, collectionGroup = false): ParsedName {
  if (collectionGroup) {
    if (name.includes('/') || name === '') {
      throw new FerryError('CONFIG', `collection_group: "${name}" must be one collection id, without "/"`);
    }
    if (hasWildcard(name)) throw new FerryError('UNSUPPORTED', `collection_group: "${name}" must be a literal collection id, without wildcards`);
    return { kind: 'selector', selector: { kind: 'group', id: name } };
  }
  const segs = splitPath(name);
  if (segs.length % 2 === 0) throw notCollection(name, segs.length);
  if (segs.some((s) => s === '')) throw new FerryError('CONFIG', `Firestore stream "${name}" has an empty segment`);
  const wild = segs.map(hasWildcard);
  const last = segs.length - 1;
  if (!wild.some(Boolean)) return { kind: 'selector', selector: { kind: 'collection', path: name } };
  if (/(^|[^$])\$\{/.test(segs[last]!)) {
    throw new FerryError('UNSUPPORTED', `Firestore stream "${name}": a collection id rendered per document (\`\${…}\` in the last segment) cannot be read back as one stream`, {
      hint: 'keep the last collection id literal (e.g. `to: items/${kind}/docs`), or verify each collection as its own stream',
    });
  }
  if (!wild.slice(0, last).some(Boolean)) {
    return { kind: 'list', parent: last === 0 ? undefined : segs.slice(0, last).join('/'), match: new RegExp(`^${segmentRegex(segs[last]!)}$`) };
  }
  if (wild[last]) {
    throw new FerryError('UNSUPPORTED', `Firestore stream "${name}": with wildcards in earlier segments, the last collection id must be literal`, {
      hint: 'ferry reads such a path as a collection group of its last id',
    });
  }
  const match = `^${segs.map(segmentRegex).join('/')}/[^/]+$`;
  return { kind: 'selector', selector: { kind: 'group', id: segs[last]!, match } };
}

/** The collection id a selector's documents belong to (for collection-group partitioning). */
export function groupIdOf(s: CollectionSelector): string {
  return s.kind === 'group' ? s.id : s.path.slice(s.path.lastIndexOf('/') + 1);
}
