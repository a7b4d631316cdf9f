/**
 * `${env:NAME}` and `${env:NAME:-default}` in string values, expanded on the parsed YAML document so every node
 * keeps its line and column for error messages.
 *
 * Rules (documented for plan authors in plans/README.md):
 * - Only values are expanded, never keys, and only `${env:...}`: other `${...}` (field templates such as
 *   `id: "${invoice_id}"`) pass through untouched for the mapping layer.
 * - `${env:NAME:-default}` uses the default when NAME is unset *or empty*, as in the shell. The default runs to the
 *   first `}` and is taken literally (no nested references).
 * - `$${env:` is an escape and yields a literal `${env:`.
 * - NAME unset without a default is an error at the scalar, naming the variable.
 * - An unquoted value that contained a reference is typed after expansion as if written there: `wcu: ${env:WCU}`
 *   with WCU=2000 is the number 2000, and an empty expansion is an empty value (the key counts as not written).
 *   Quoted values stay strings.
 */
import { isMap, isPair, isScalar, isSeq, Scalar, type Document, type Node } from 'yaml';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import type { YamlLocator } from './yaml-locator.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolationResult {
  diagnostics: Diagnostic[];
  /** Variable names referenced, in order of first use (for "this plan needs ..." messages). */
  variables: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Expand references in place. */
export function interpolateDocument(doc: Document, env: Env, locator: YamlLocator): InterpolationResult {
  const result: InterpolationResult = { diagnostics: [], variables: [] };
  walk(doc.contents as Node | null, [], env, locator, result);
  return result;
}

function walk(node: Node | null, path: PathSegment[], env: Env, locator: YamlLocator, out: InterpolationResult): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      walk(pair.value as Node | null, [...path, key], env, locator, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item as Node | null, [...path, i], env, locator, out));
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${env:')) {
    const expanded = expandString(node.value, env);
    for (const v of expanded.variables) if (!out.variables.includes(v)) out.variables.push(v);
    if (expanded.errors.length) {
      const pos = locator.at(node.range?.[0] ?? 0);
      for (const message of expanded.errors) out.diagnostics.push(locator.diagnostic(pos, path, message));
      return;
    }
    const plain = node.type === Scalar.PLAIN && (node.tag === undefined || node.tag === '?');
    node.value = plain && expanded.expanded ? retype(expanded.text) : expanded.text;
  }
}

export interface Expansion {
  text: string;
  /** At least one reference was expanded (an escape alone does not count). */
  expanded: boolean;
  variables: string[];
  errors: string[];
}

/** Expand one string; pure, for tests and for callers outside YAML. */
export function expandString(input: string, env: Env): Expansion {
  const res: Expansion = { text: '', expanded: false, variables: [], errors: [] };
  let i = 0;
  while (i < input.length) {
    const at = input.indexOf('${env:', i);
    if (at < 0) {
      res.text += input.slice(i);
      break;
    }
    if (at > 0 && input[at - 1] === '$') {
      // `$${env:` → literal `${env:`: drop the escaping `$`, copy the rest unexpanded.
      res.text += input.slice(i, at - 1) + '${env:';
      i = at + 6;
      continue;
    }
    res.text += input.slice(i, at);
    const close = input.indexOf('}', at);
    if (close < 0) {
      res.errors.push(`unterminated reference "${input.slice(at)}"; write \${env:NAME} or \${env:NAME:-default}`);
      return res;
    }
    const body = input.slice(at + 6, close);
    const sep = body.indexOf(':-');
    const name = sep < 0 ? body : body.slice(0, sep);
    const dflt = sep < 0 ? undefined : body.slice(sep + 2);
    if (!NAME.test(name)) {
      res.errors.push(
        `malformed reference "\${env:${body}}": the variable name must be letters, digits and _ (not starting with a digit); a default is written \${env:NAME:-default}`,
      );
    } else {
      if (!res.variables.includes(name)) res.variables.push(name);
      const value = env[name];
      if (value !== undefined && (value !== '' || dflt === undefined)) res.text += value;
      else if (dflt !== undefined) res.text += dflt;
      else res.errors.push(`environment variable ${name} is not set; set it or give a default: \${env:${name}:-value}`);
      res.expanded = true;
    }
    i = close + 1;
  }
  return res;
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** YAML 1.2 core-schema typing of a plain scalar, limited to what a plan value can sensibly be. */
function retype(text: string): string | number | boolean | null {
  if (text === '' || text === '~' || /^(null|Null|NULL)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (INT.test(text) || FLOAT.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n) && (!INT.test(text) || Number.isSafeInteger(n))) return n;
  }
  return text;
}
