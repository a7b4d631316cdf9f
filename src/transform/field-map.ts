/**
 * A stream's `map:` block applied to one document record. Pure: no I/O, no clock, the input is never mutated.
 *
 * Semantics (decided here, documented for plan authors):
 * - Field names in `include`, `exclude`, `rename` keys and `${...}` templates are **source** names; `rename` values
 *   and `set` keys are **target** names.
 * - Order: `include` (keep only these) → `exclude` → `rename` → `set` (overrides whatever is there) → `nulls`.
 * - Templates are evaluated against the record as read from the source (before include/exclude/rename), so
 *   `set: { pk: "INVOICE#${invoice_id}" }` works even when `invoice_id` is excluded.
 * - A template that is exactly one placeholder (`"${id}"`) copies the field's value with its type (a number stays a
 *   number, a Date a Date); any other template renders text. `$${` writes a literal `${`.
 * - `${a.b}` reads a nested field when no top-level field is literally named `a.b`.
 * - A template naming a field the record does not have, or whose value is null, or (inside text) a value with no
 *   obvious text form (object, list, bytes, set), is a per-record error: the record becomes a dead letter with the
 *   reason, rather than a silently wrong key such as `INVOICE#undefined`.
 * - Fields named in `include`/`exclude`/`rename` that a record lacks are ignored: documents are schemaless.
 * - `nulls: omit` drops top-level fields whose value is null (after `set`); `null` (default) keeps them.
 * - The record's `key` is kept as is, except that key parts follow `rename`, and a key part whose (target) field is
 *   overwritten by `set` takes the new value when that value is a scalar.
 */
import { Decimal, type Doc, type FerryRecord, type KeyPart, type RecordKey, type Value, isDoc } from '../core/record.js';
import { FerryError } from '../errors.js';
import type { FieldMap } from '../plan/types.js';

export type RecordMapper = (record: FerryRecord<Doc>) => FerryRecord<Doc>;

type Piece = { text: string } | { field: string };

interface CompiledTemplate {
  pieces: Piece[];
  /** The template is exactly one placeholder: copy the value with its type. */
  sole: string | undefined;
}

/** Thrown for one record; the engine turns it into a dead letter. */
export class FieldMapError extends FerryError {
  constructor(message: string) {
    super('ITEM_REJECTED', message, { retry: 'terminal' });
  }
}

/** True when the map would change nothing, so the engine can skip it (and keep the source's size estimate). */
export function isIdentityMap(map: FieldMap | undefined): boolean {
  if (!map) return true;
  return (
    !map.include &&
    (map.exclude ?? []).length === 0 &&
    Object.keys(map.rename ?? {}).length === 0 &&
    Object.keys(map.set ?? {}).length === 0 &&
    map.nulls !== 'omit'
  );
}

/** Parse a `set` template once; throws PLAN_INVALID for a malformed one (an unclosed `${`). */
export function compileTemplate(template: string, where = 'template'): CompiledTemplate {
  const pieces: Piece[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('$${', i)) {
      text += '${';
      i += 3;
    } else if (template.startsWith('${', i)) {
      const end = template.indexOf('}', i + 2);
      if (end < 0) throw new FerryError('PLAN_INVALID', `${where}: unclosed "\${" in "${template}"`);
      const field = template.slice(i + 2, end).trim();
      if (field === '') throw new FerryError('PLAN_INVALID', `${where}: empty "\${}" in "${template}"`);
      if (text) pieces.push({ text });
      text = '';
      pieces.push({ field });
      i = end + 1;
    } else {
      text += template[i];
      i += 1;
    }
  }
  if (text) pieces.push({ text });
  const only = pieces.length === 1 ? pieces[0] : undefined;
  return { pieces, sole: only && 'field' in only ? only.field : undefined };
}


function lookup(doc: Doc, field: string): Value | undefined {
  if (Object.prototype.hasOwnProperty.call(doc, field)) return doc[field];
  if (!field.includes('.')) return undefined;
  let cur: Value | undefined = doc;
  for (const part of field.split('.')) {
    if (!isDoc(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

function textOf(v: Value, field: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Decimal) return v.text;
  if (v instanceof Date) return v.toISOString();
  throw new FieldMapError(`template field "${field}" is not a scalar (it cannot be written into text)`);
}

function render(t: CompiledTemplate, doc: Doc, target: string): Value {
  const valueOf = (field: string): Value => {
    const v = lookup(doc, field);
    if (v === undefined) throw new FieldMapError(`set.${target}: the record has no field "${field}"`);
    if (v === null) throw new FieldMapError(`set.${target}: field "${field}" is null`);
    return v;
  };
  if (t.sole !== undefined) return valueOf(t.sole);
  let out = '';
  for (const p of t.pieces) out += 'text' in p ? p.text : textOf(valueOf(p.field), p.field);
  return out;
}

function asKeyPart(v: Value): KeyPart | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
    return v;
  }
  if (v instanceof Decimal) return v.text;
  return undefined;
}

/**
 * Compile a stream's map into a function applied to each record. Compiling once keeps the per-record cost to a
 * few property copies on streams of millions of records.
 */
export function compileFieldMap(map: FieldMap | undefined): RecordMapper {
  if (isIdentityMap(map) || !map) return (r) => r;
  const include = map.include ? new Set(map.include) : undefined;
  const exclude = new Set(map.exclude ?? []);
  const rename = new Map(Object.entries(map.rename ?? {}));
  const set = Object.entries(map.set ?? {}).map(([target, tpl]) => ({
    target,
    tpl: compileTemplate(String(tpl), `map.set.${target}`),
  }));
  const omitNulls = map.nulls === 'omit';

  return (record) => {
    const src = record.value;
    if (!isDoc(src)) {
      throw new FieldMapError('map: the record is not a document (object streams cannot be field-mapped)');
    }
    // Templates first, against the source document, so nothing below can hide a field they need.
    const computed = set.map(({ target, tpl }) => [target, render(tpl, src, target)] as const);

    const out: Doc = {};
    for (const name of Object.keys(src)) {
      if (include && !include.has(name)) continue;
      if (exclude.has(name)) continue;
      out[rename.get(name) ?? name] = src[name] as Value;
    }
    for (const [target, v] of computed) out[target] = v;
    if (omitNulls) for (const name of Object.keys(out)) if (out[name] === null) delete out[name];

    const setTargets = new Set(set.map((s) => s.target));
    let key: RecordKey = record.key;
    if (rename.size > 0 || setTargets.size > 0) {
      const k: Record<string, KeyPart> = {};
      for (const [name, part] of Object.entries(record.key)) {
        const target = rename.get(name) ?? name;
        const overwritten = setTargets.has(target) ? asKeyPart(out[target] as Value) : undefined;
        k[target] = overwritten !== undefined ? overwritten : part;
      }
      key = k;
    }
    // The source's size estimate no longer describes the mapped document; the writer re-measures it.
    return { key, value: out };
  };
}

/** Apply a map to one record (convenience for callers that map a handful of samples, e.g. dry runs). */
export function applyFieldMap(map: FieldMap | undefined, record: FerryRecord<Doc>): FerryRecord<Doc> {
  return compileFieldMap(map)(record);
}
