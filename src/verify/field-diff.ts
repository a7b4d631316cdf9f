/**
 * Which fields of a changed record differ, and how: both sides' values are walked in the canonical form's own
 * shapes (maps by field name, lists by position; everything else — numbers, strings, times, bytes, sets — compared
 * whole by its canonical text), and each differing leaf is reported with its path (`total`, `address.city`,
 * `tags[2]`, `meta["a.b"]`) and a short, typed rendering of both values: numbers bare (`0.99`), strings quoted
 * (`"0.99"`), so a number that became a string shows as such; `(absent)` for a field one side lacks.
 *
 * Values are rendered from the canonical form (numbers as its plain decimal, timestamps in UTC to the microsecond,
 * NFC under `unicode: nfc`), so what is shown is what was compared. When both renderings would read the same
 * (NFC vs NFD text) they are shown with non-ASCII characters escaped (`e\u0301`); lone surrogates always are.
 */
import { Decimal, TimeValue, TypedSet, type Value } from '../core/record.js';
import {
  canonicalFields,
  canonicalShape,
  canonicalText,
  comparedString,
  microsecondTimestampText,
  plainDecimalText,
  plainNumberText,
  type CanonicalOptions,
} from '../transform/canonical.js';
import type { FieldDifference } from './report.js';

export interface FieldDiffOptions {
  canonical?: CanonicalOptions;
  /** Differences listed at most (the rest are counted). Default 50. */
  maxFields?: number;
  /** Characters a rendered value is cut to. Default 80. */
  width?: number;
}

export interface FieldDiffResult {
  fields: FieldDifference[];
  /** Differing fields beyond `maxFields`. */
  more: number;
}

const ABSENT = '(absent)';
const SIMPLE_NAME = /^[\p{L}\p{N}_$-]+$/u;

function childPath(parent: string, name: string): string {
  if (!SIMPLE_NAME.test(name)) return `${parent}[${JSON.stringify(name)}]`;
  return parent === '' ? name : `${parent}.${name}`;
}

/** The differing fields of one record: `source` and `target` are its values as hashed (undefined: absent). */
export function diffFields(source: Value | undefined, target: Value | undefined, options: FieldDiffOptions = {}): FieldDiffResult {
  const opts = options.canonical ?? {};
  const max = options.maxFields ?? 50;
  const width = options.width ?? 80;
  const fields: FieldDifference[] = [];
  let more = 0;

  const leaf = (path: string, a: unknown, b: unknown): void => {
    if (a !== undefined && b !== undefined && canonicalText(a as Value, opts) === canonicalText(b as Value, opts)) return;
    if (fields.length >= max) {
      more += 1;
      return;
    }
    let s = render(a, opts, false);
    let t = render(b, opts, false);
    // Different code points that read the same (NFC vs NFD): show them escaped.
    if (s.normalize('NFC') === t.normalize('NFC')) {
      s = render(a, opts, true);
      t = render(b, opts, true);
    }
    fields.push({ path: path === '' ? '(value)' : path, source: cut(s, width), target: cut(t, width) });
  };

  const walk = (path: string, a: unknown, b: unknown): void => {
    const sa = a === undefined ? undefined : canonicalShape(a);
    const sb = b === undefined ? undefined : canonicalShape(b);
    if (sa === 'map' && sb === 'map') {
      const fa = namesOf(canonicalFields(a as object), opts);
      const fb = namesOf(canonicalFields(b as object), opts);
      const names = [...new Set([...fa.keys(), ...fb.keys()])].sort();
      for (const name of names) walk(childPath(path, name), fa.get(name), fb.get(name));
      return;
    }
    if (sa === 'list' && sb === 'list') {
      const la = a as readonly unknown[];
      const lb = b as readonly unknown[];
      for (let i = 0; i < Math.max(la.length, lb.length); i++) {
        walk(`${path}[${i}]`, i < la.length ? (la[i] ?? null) : undefined, i < lb.length ? (lb[i] ?? null) : undefined);
      }
      return;
    }
    leaf(path, a, b);
  };

  walk('', source, target);
  return { fields, more };
}

/** A map's fields by the name compared (NFC under `unicode: nfc`), undefined fields left out as the hash does. */
function namesOf(doc: Record<string, unknown>, opts: CanonicalOptions): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, v] of Object.entries(doc)) if (v !== undefined) out.set(comparedString(name, opts), v);
  return out;
}

/** Cut to `width` characters with `…`, never inside a surrogate pair. */
function cut(s: string, width: number): string {
  if (s.length <= width) return s;
  let end = width - 1;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}…`;
}

function quote(s: string, escape: boolean): string {
  const json = JSON.stringify(s);
  if (!escape) return json;
  let out = '';
  for (const ch of json) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += ch;
    else if (cp > 0xffff) out += `\\u{${cp.toString(16)}}`;
    else out += `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  // JSON.stringify escapes lone surrogates already (\udxxx), so they show apart from U+FFFD.
  return out;
}

/** A short typed rendering of a value as the canonical form sees it. */
export function render(v: unknown, opts: CanonicalOptions, escape: boolean, depth = 0): string {
  if (v === undefined) return ABSENT;
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return quote(comparedString(v, opts), escape);
    case 'number':
    case 'bigint':
      return plainNumberText(v);
    case 'boolean':
      return String(v);
    case 'object':
      break;
    default:
      return 'null';
  }
  if (v instanceof Decimal) return plainDecimalText(v.text) ?? `Decimal(${quote(v.text, escape)})`;
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : microsecondTimestampText(v.toISOString());
  if (v instanceof TimeValue) return v.kind === 'timestamp' ? microsecondTimestampText(v.iso) : `${v.kind} ${v.iso.trim()}`;
  if (v instanceof TypedSet) {
    const items = [...new Set(v.values.map((x) => render(x, opts, escape, depth + 1)))].sort();
    return `set<${items.join(', ')}>`;
  }
  if (depth > 3) return canonicalShape(v) === 'list' ? '[…]' : '{…}';
  if (Array.isArray(v)) return `[${v.map((x) => render(x ?? null, opts, escape, depth + 1)).join(', ')}]`;
  const shape = canonicalShape(v);
  if (shape === 'leaf') return render((v as { toJSON(): unknown }).toJSON(), opts, escape, depth);
  if (shape === 'list') return render((v as { toJSON(): unknown }).toJSON(), opts, escape, depth);
  const fields = [...namesOf(canonicalFields(v), opts)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${fields.map(([k, x]) => `${SIMPLE_NAME.test(k) ? k : quote(k, escape)}: ${render(x, opts, escape, depth + 1)}`).join(', ')}}`;
}
