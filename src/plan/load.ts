/**
 * Loading a plan: YAML text → document (with positions) → `${env:...}` expansion → schema and cross checks →
 * defaults. Every problem found on the way is collected and thrown together as one PlanError.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { applyDefaults } from './defaults.js';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import { interpolateDocument, type Env } from './interpolate.js';
import { PlanError } from './plan-error.js';
import { planHash } from './plan-hash.js';
import { validatePlanData } from './schema-validator.js';
import { secretWarnings } from './secret-warnings.js';
import { storedPlanText } from './stored-text.js';
import { crossChecks, limitWarnings, resolveStores } from './semantic-checks.js';
import type { LoadedPlan, Plan } from './types.js';
import { YamlLocator } from './yaml-locator.js';

/** Name used in diagnostics for plans that did not come from a file. */
export const INLINE_PLAN = '<plan>';

/** Read, check and resolve a plan file. Throws PlanError (code PLAN_INVALID) listing every problem. */
export async function loadPlanFile(path: string, env: Env = process.env): Promise<LoadedPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new PlanError([{ file: path, line: 1, column: 1, path: '', message: `cannot read the plan: ${why}`, severity: 'error' }], { cause: e });
  }
  return loadPlanText(text, path, env);
}

/**
 * Check and resolve plan text. `file` names the plan in diagnostics and becomes `LoadedPlan.path` (pass the job's
 * plan path when re-loading stored plan text on resume).
 */
/** Larger plans are refused before parsing: a plan is a page of YAML, and a huge one costs seconds and gigabytes. */
export const MAX_PLAN_BYTES = 1024 * 1024;

export function loadPlanText(text: string, file?: string, env: Env = process.env): LoadedPlan {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PLAN_BYTES) {
    throw new PlanError([{ file: file ?? INLINE_PLAN, line: 1, column: 1, path: '', severity: 'error',
      message: `the plan is ${(bytes / 1024 / 1024).toFixed(1)} MiB, over ferry's limit of ${MAX_PLAN_BYTES / 1024 / 1024} MiB; name streams by a pattern (\`public.*\`, a bucket prefix) instead of one by one, or split the plan` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new YamlLocator(file ?? INLINE_PLAN, doc, lines);
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = doc.warnings.map((w) => yamlDiagnostic(w, loc, 'warning'));

  // Syntax: anything but a duplicate key leaves a document we cannot trust further.
  // One syntax error per line: the parser's recovery after a mistake tends to report the same mistake again.
  for (const d of doc.errors.map((e) => yamlDiagnostic(e, loc, 'error', text))) {
    if (!errors.some((x) => x.line === d.line && x.path === d.path)) errors.push(d);
  }
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) throw new PlanError([...errors, ...warnings]);

  const shape = shapeProblem(doc, loc);
  if (shape) throw new PlanError([...errors, shape, ...warnings]);
  const aliases = unresolvedAliases(doc, loc);
  if (aliases.length) throw new PlanError([...errors, ...aliases, ...warnings]);
  // Past this point a duplicate key is just one more error: the later value wins and checking goes on.

  const raw = withoutEmptyValues(toJs(doc, loc)) as Record<string, unknown>;
  const hash = planHash(raw);

  const interpolation = interpolateDocument(doc, env, loc);
  errors.push(...interpolation.diagnostics);
  const data = withoutEmptyValues(toJs(doc, loc)) as Record<string, unknown>;

  const stores = resolveStores(data, loc);
  errors.push(...stores.diagnostics);
  // A value whose reference failed is already reported; its schema error would only repeat it.
  const broken = new Set(interpolation.diagnostics.map((d) => d.path));
  const covered = (d: Diagnostic) => [...broken].some((p) => d.path === p || d.path.startsWith(`${p}.`) || d.path.startsWith(`${p}[`));
  errors.push(...validatePlanData(data, stores.source, stores.target, loc).filter((d) => !covered(d)));
  errors.push(...crossChecks(data, stores.source, stores.target, loc).filter((d) => !covered(d)));
  warnings.push(...secretWarnings(raw, stores, loc));
  warnings.push(...limitWarnings(data, stores.target, loc));

  if (errors.length) throw new PlanError([...errors, ...warnings]);
  let stored: string | undefined;
  return {
    plan: applyDefaults(data as unknown as Plan),
    path: file,
    text,
    // Computed when a job is created (it parses the text again), not on every load.
    get storedText(): string {
      return (stored ??= storedPlanText(text, stores));
    },
    hash,
    warnings,
  };
}

/** `doc.toJS()`, with the parser's alias-expansion guard (a "billion laughs" plan) as a plan error at the first alias. */
function toJs(doc: Document, loc: YamlLocator): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
    let at: Diagnostic | undefined;
    visit(doc, {
      Alias(_k, node) {
        const { line, column } = node.range ? loc.at(node.range[0]) : { line: 1, column: 1 };
        at = { file: loc.file, line, column, path: '', severity: 'error', message: '' };
        return visit.BREAK;
      },
    });
    throw new PlanError([{ ...(at ?? { file: loc.file, line: 1, column: 1, path: '', severity: 'error' }),
      message: 'the plan\'s aliases expand to too many values (a YAML "billion laughs"); write the values out, or use fewer aliases' }], { cause: e });
  }
}

function yamlDiagnostic(e: YAMLError, loc: YamlLocator, severity: Diagnostic['severity'], text = ''): Diagnostic {
  const pos = loc.at(e.pos[0]);
  let path: PathSegment[] = [];
  let message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  switch (e.code) {
    case 'DUPLICATE_KEY':
      path = loc.pathOfKeyAt(e.pos[0]) ?? [];
      message = 'duplicate key: each key may appear only once in a mapping';
      break;
    case 'MULTIPLE_DOCS':
      message = 'a plan file holds one YAML document; remove the second `---`';
      break;
    case 'TAB_AS_INDENT':
      message = 'tabs are not allowed for indentation; use spaces';
      break;
    case 'TAG_RESOLVE_FAILED':
      message = `${message}; plans use plain YAML values (the tag is ignored)`;
      break;
    default:
      message = `YAML syntax: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
      // `{ wcu: ${env:WCU} }`: in a flow mapping or list, `{` and `}` are YAML syntax, so the reference needs quotes.
      if (text.slice(e.pos[0] - 1, e.pos[0] + 1) === '${') message += '; inside { } or [ ], quote values that use ${env:...}';
  }
  return loc.diagnostic(pos, path, message, severity);
}

/** An empty file, or a top level that is not a mapping, is reported as such rather than as "version: missing". */
function shapeProblem(doc: Document, loc: YamlLocator): Diagnostic | undefined {
  const top = doc.contents;
  if (top === null || (isScalar(top) && top.value === null)) {
    return loc.diagnostic({ line: 1, column: 1 }, [], 'the plan is empty; it needs at least version, kind, name, source, target and streams');
  }
  if (isMap(top)) return undefined;
  const what = isSeq(top) ? 'a list' : isScalar(top) ? `a ${typeof top.value === 'string' ? 'string' : 'single value'}` : 'something else';
  return loc.diagnostic(loc.at(top.range?.[0] ?? 0), [], `a plan must be a mapping of keys (version, kind, name, source, target, streams...), got ${what}`);
}

function unresolvedAliases(doc: Document, loc: YamlLocator): Diagnostic[] {
  const out: Diagnostic[] = [];
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) === undefined) out.push(loc.diagnostic(loc.at(node.range?.[0] ?? 0), [], `YAML syntax: alias *${node.source} has no anchor &${node.source} before it`));
    },
  });
  return out;
}

/**
 * A key with an empty value (`endpoint:`, or an unquoted `${env:X:-}` that expanded to nothing) counts as not
 * written, so "use the default when the variable is empty" works without special cases in every store.
 */
function withoutEmptyValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyValues);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutEmptyValues(v);
  return out;
}
