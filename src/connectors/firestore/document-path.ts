/**
 * Where a record goes: its document path, from the stream's `to:` (a collection path) and `id:` (a document id),
 * both templates over the mapped record.
 *
 * - `to:` reaches the sink as the target stream's name, with `${stream}` and `${name}` already replaced by the
 *   engine; every other `${field}` is rendered here, per record. It must be a collection path: an odd number of
 *   `/`-separated segments (`artists`, `artists/${ArtistId}/albums`). A segment may mix text and fields
 *   (`tenant-${tenant}`); a `/` inside a field's value never splits a segment, it is an id problem (`bad_ids`).
 * - `id:` (default: the record key, see document-id.ts) renders the document id.
 * - Field lookup: the mapped document, then the record's key (a key column the map excluded); `${a.b}` reads a
 *   nested field when no field is literally named `a.b`. A field that is missing or null, or whose value has no
 *   text form (map, list, bytes, set), makes the item a dead letter naming it.
 * - Value texts: strings as they are, numbers in canonical decimal form (Decimal `1.50` → `1.5`), booleans,
 *   Dates in ISO-8601 UTC, date/time values as their ISO text.
 * - Rendered segments are checked as ids (escaped or rejected per `bad_ids`); literal segments are checked once,
 *   when the stream is compiled, and a bad one is a CONFIG error (the plan itself is wrong).
 *
 * The result is the document path relative to the database (`artists/1/albums/10`): the record's target key
 * (`{ path }`), which the Firestore source yields for the same document, so verification lines up.
 */
import { Decimal, TimeValue, type Doc, type FerryRecord, type Value, isDoc } from '../../core/record.js';
import { FerryError } from '../../errors.js';
import { canonicalDecimalText, canonicalNumberText } from '../../transform/canonical.js';
import { compileTemplate } from '../../transform/field-map.js';
import { defaultIdText, documentId, idProblem } from './document-id.js';
import type { FirestoreRules } from './options.js';

type Template = ReturnType<typeof compileTemplate>;

interface PathSegment {
  /** Literal text (no fields), already checked. */
  literal?: string;
  template?: Template;
  source: string;
}

export interface DocumentPathTemplate {
  /** The collection path as written (after the engine's `${stream}`/`${name}`). */
  collection: string;
  segments: PathSegment[];
  /** Undefined: the record key. */
  id: Template | undefined;
  idSource: string | undefined;
  /** True when the collection path has no fields: one collection for every record. */
  fixed: boolean;
  /** The record key is a Firestore document path (`{ path }`): without `id:`, its last segment is the id. */
  idFromPath?: boolean;
}

/** Split a path at `/` outside `${...}`. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '$' && path[i + 1] === '{' && path[i - 1] !== '$') {
      depth += 1;
      cur += c;
    } else if (c === '}' && depth > 0) {
      depth -= 1;
      cur += c;
    } else if (c === '/' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function config(stream: string, message: string, hint?: string): FerryError {
  return new FerryError('CONFIG', `Firestore stream ${stream}: ${message}`, hint ? { hint } : {});
}

/** Compile `to:` (the stream name) and `id:`; throws CONFIG for a path that can never work. */
export function compileDocumentPath(collection: string, id: string | undefined): DocumentPathTemplate {
  const parts = splitPath(collection);
  if (parts.length % 2 === 0) {
    throw config(
      collection,
      `"${collection}" has ${parts.length} segments; a collection path has an odd number (collection/doc/collection…)`,
      'set the stream\'s `to:` to a collection (e.g. `artists` or `artists/${ArtistId}/albums`) and `id:` to the document id',
    );
  }
  const segments: PathSegment[] = parts.map((p, i) => {
    const what = i % 2 === 0 ? 'collection id' : 'document id';
    if (p === '') throw config(collection, `an empty ${what} in "${collection}"`);
    let t: Template;
    try {
      t = compileTemplate(p, `to: ${collection}`);
    } catch (e) {
      throw config(collection, e instanceof Error ? e.message : String(e));
    }
    if (t.pieces.every((x) => 'text' in x)) {
      const text = t.pieces.map((x) => ('text' in x ? x.text : '')).join('');
      const problem = idProblem(text);
      if (problem) throw config(collection, `the ${what} "${text}" ${problem}`);
      return { literal: text, source: p };
    }
    return { template: t, source: p };
  });
  let idTemplate: Template | undefined;
  if (id !== undefined) {
    try {
      idTemplate = compileTemplate(id, `id: ${id}`);
    } catch (e) {
      throw config(collection, e instanceof Error ? e.message : String(e));
    }
  }
  return { collection, segments, id: idTemplate, idSource: id, fixed: segments.every((s) => s.literal !== undefined) };
}


function lookup(record: FerryRecord, field: string): Value | undefined {
  const doc = record.value;
  if (isDoc(doc)) {
    if (Object.prototype.hasOwnProperty.call(doc, field)) return doc[field];
    if (field.includes('.')) {
      let cur: Value | undefined = doc;
      for (const part of field.split('.')) {
        if (!isDoc(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) {
          cur = undefined;
          break;
        }
        cur = (cur as Doc)[part];
      }
      if (cur !== undefined) return cur;
    }
  }
  if (Object.prototype.hasOwnProperty.call(record.key, field)) return record.key[field] as Value;
  return undefined;
}

/** The text of a field's value inside a path or id. */
export function valueText(v: Value, field: string, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' || typeof v === 'bigint') return canonicalNumberText(v);
  if (v instanceof Decimal) return canonicalDecimalText(v.text) ?? v.text;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof TimeValue) return v.iso;
  throw new FerryError('ITEM_REJECTED', `${where}: field "${field}" has no text form (it is not a scalar)`);
}

function render(t: Template, record: FerryRecord, where: string): string {
  let out = '';
  for (const p of t.pieces) {
    if ('text' in p) {
      out += p.text;
      continue;
    }
    const v = lookup(record, p.field);
    if (v === undefined) throw new FerryError('ITEM_REJECTED', `${where}: the record has no field "${p.field}"`);
    if (v === null) throw new FerryError('ITEM_REJECTED', `${where}: field "${p.field}" is null`);
    out += valueText(v, p.field, where);
  }
  return out;
}

/** The document path of one record (see the file comment). Throws ITEM_REJECTED. */
export function documentPathOf(t: DocumentPathTemplate, record: FerryRecord, rules: Pick<FirestoreRules, 'badIds'>): string {
  const segs: string[] = [];
  for (let i = 0; i < t.segments.length; i++) {
    const s = t.segments[i]!;
    if (s.literal !== undefined) {
      segs.push(s.literal);
      continue;
    }
    const what = `${i % 2 === 0 ? 'collection' : 'document'} id from the \`to\` segment "${s.source}":`;
    segs.push(documentId(render(s.template!, record, `to: ${t.collection}`), rules, what));
  }
  const path = record.key['path'];
  const raw = t.id
    ? render(t.id, record, `id: ${t.idSource}`)
    : t.idFromPath && typeof path === 'string' && Object.keys(record.key).length === 1
      ? path.slice(path.lastIndexOf('/') + 1)
      : defaultIdText(record.key);
  segs.push(documentId(raw, rules));
  return segs.join('/');
}
