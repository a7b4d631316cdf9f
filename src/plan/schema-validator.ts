/**
 * Validates plan data against the exact schema for its source and target stores, and turns ajv's errors into
 * plan diagnostics: one friendly message per problem, at the line and column of the key or value at fault.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConnectorDescriptor, JsonSchema } from '../core/connector.js';
import { connectors } from '../connectors/registry.js';
import { suggestion } from './did-you-mean.js';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import { exactPlanSchema } from './plan-schema.js';
import type { YamlLocator } from './yaml-locator.js';

/**
 * One ajv for all plan schemas; the annotation keywords are declared so strict mode accepts them. `strictRequired`
 * is off because `not: { required: [...] }` deliberately names keys the `not` itself does not define.
 */
export function createPlanAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addVocabulary(['x-expect', 'x-error', 'x-secret']);
  return ajv;
}

let sharedAjv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/** Compiled once per (source type, target type) pair: 49 pairs at most, each compiled on first use. */
function validatorFor(source: ConnectorDescriptor | undefined, target: ConnectorDescriptor | undefined, kind: unknown): ValidateFunction {
  const k = kind === 'backup' || kind === 'restore' ? kind : 'migration';
  const key = `${k}:${source?.type ?? '?'}→${target?.type ?? '?'}`;
  let v = validators.get(key);
  if (!v) {
    sharedAjv ??= createPlanAjv();
    v = sharedAjv.compile(exactPlanSchema(source, target, k));
    validators.set(key, v);
  }
  return v;
}

export function validatePlanData(
  data: unknown,
  source: ConnectorDescriptor | undefined,
  target: ConnectorDescriptor | undefined,
  locator: YamlLocator,
): Diagnostic[] {
  const validate = validatorFor(source, target, (data as { kind?: unknown } | null)?.kind);
  if (validate(data)) return [];
  return explainErrors(validate.errors ?? [], data, locator, { source, target });
}

/**
 * Any ferry YAML document (a plan, a job spec) checked by a compiled schema, its errors worded and placed as plan
 * errors are: FILE:LINE:COLUMN, the key path, what was expected.
 */
export function schemaDiagnostics(validate: ValidateFunction, data: unknown, locator: YamlLocator): Diagnostic[] {
  if (validate(data)) return [];
  return explainErrors(validate.errors ?? [], data, locator, { source: undefined, target: undefined });
}

interface Stores {
  source: ConnectorDescriptor | undefined;
  target: ConnectorDescriptor | undefined;
}

function explainErrors(errors: readonly ErrorObject[], data: unknown, locator: YamlLocator, stores: Stores): Diagnostic[] {
  const kept = pickBranches(errors);
  const out: Diagnostic[] = [];
  for (const e of kept) {
    const path = toSegments(e.instancePath, data);
    const d = explainOne(e, path, locator, stores);
    if (d) out.push(d);
  }
  return out;
}

/**
 * With allErrors, a failed `anyOf` reports every branch's errors too. If the value's type matches exactly one
 * branch (a mapping where the branches are "a string" or "a mapping"), that branch's errors are the useful ones;
 * otherwise the `anyOf` itself, worded by its `x-expect` / `x-error`, is.
 */
function pickBranches(errors: readonly ErrorObject[]): ErrorObject[] {
  const drop = new Set<ErrorObject>();
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const alt of alternatives) {
    if (drop.has(alt)) continue;
    const branches = (alt.schema ?? []) as JsonSchema[];
    const inside = (e: ErrorObject, i?: number) => e !== alt && e.schemaPath.startsWith(`${alt.schemaPath}/${i ?? ''}`);
    const matching = branches.flatMap((b, i) => (typeMatches(b, alt.data) ? [i] : []));
    if (matching.length === 1 && errors.some((e) => inside(e, matching[0]))) {
      drop.add(alt);
      for (const e of errors) if (inside(e) && !inside(e, matching[0])) drop.add(e);
    } else {
      for (const e of errors) if (inside(e)) drop.add(e);
    }
  }
  return errors.filter((e) => !drop.has(e));
}

function typeMatches(schema: JsonSchema, value: unknown): boolean {
  const t = schema.type;
  if (t === undefined) return false;
  const types = Array.isArray(t) ? (t as string[]) : [t as string];
  return types.some((ty) => jsonTypeIs(ty, value));
}

function jsonTypeIs(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'null':
      return v === null;
    default:
      return typeof v === type;
  }
}

function explainOne(e: ErrorObject, path: PathSegment[], loc: YamlLocator, stores: Stores): Diagnostic | undefined {
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  const expect = typeof parent['x-expect'] === 'string' ? parent['x-expect'] : undefined;
  const got = () => describe(e.data, parent['x-secret'] !== undefined);
  const mustBe = () => `must be ${expect ?? expectFromType(parent)}, got ${got()}`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((parent.properties ?? {}) as Record<string, unknown>);
      return loc.diagnostic(loc.keyAt([...path, key]), [...path, key], unknownKeyMessage(key, known, path, stores));
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      // An empty value (`source:` or an unquoted `${env:X:-}` that expanded to nothing) counts as not written.
      if (loc.has([...path, missing])) return loc.diagnostic(loc.keyAt([...path, missing]), [...path, missing], 'required key has no value');
      return loc.diagnostic(loc.containerAt(path), [...path, missing], 'required key missing');
    }
    case 'minItems':
      return loc.diagnostic(loc.valueAt(path), path, e.params.limit === 1 ? 'must not be empty' : `needs at least ${String(e.params.limit)} entries`);
    case 'minLength':
      if (e.params.limit === 1 && e.data === '') return loc.diagnostic(loc.valueAt(path), path, 'must not be empty');
      return loc.diagnostic(loc.valueAt(path), path, mustBe());
    case 'enum': {
      const values = ((parent.enum ?? []) as unknown[]).map(String);
      const hint = typeof e.data === 'string' ? suggestion(e.data, values) : '';
      return loc.diagnostic(loc.valueAt(path), path, `must be ${expect ?? `one of ${values.join(', ')}`}, got ${got()}${hint}`);
    }
    case 'anyOf':
    case 'oneOf': {
      if (typeof parent['x-error'] === 'string') return loc.diagnostic(loc.containerAt(path), path, parent['x-error']);
      const words = typeof e.data === 'string' ? branchWords((e.schema ?? []) as JsonSchema[]) : [];
      return loc.diagnostic(loc.valueAt(path), path, mustBe() + (typeof e.data === 'string' ? suggestion(e.data, words) : ''));
    }
    case 'not':
      return loc.diagnostic(loc.containerAt(path), path, typeof parent['x-error'] === 'string' ? parent['x-error'] : 'this combination of keys is not allowed');
    case 'if':
      return undefined; // the failing `then` reports the actual problem
    case 'type':
    case 'const':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'pattern':
    case 'multipleOf':
      return loc.diagnostic(loc.valueAt(path), path, mustBe());
    default:
      return loc.diagnostic(loc.valueAt(path), path, e.message ?? 'is not valid');
  }
}

function unknownKeyMessage(key: string, known: string[], path: PathSegment[], stores: Stores): string {
  const hint = suggestion(key, known);
  return `unknown key${ownersElsewhere(key, path, stores)}${hint || `; known keys: ${known.join(', ')}`}`;
}

/** " for dynamodb (s3 and gcs take it)": the key is real, just not for these stores. */
function ownersElsewhere(key: string, path: PathSegment[], stores: Stores): string {
  const role = path[0];
  if ((role === 'source' || role === 'target') && path.length === 1) {
    const owners = connectors.filter((c) => key in ((c.optionsSchema.properties ?? {}) as object)).map((c) => c.type);
    return owners.length ? ` for ${stores[role]?.type ?? 'this store'} (${listing(owners)} ${owners.length === 1 ? 'takes' : 'take'} it)` : '';
  }
  if (role === 'streams' && path.length === 2) {
    const pair = `${stores.source?.type ?? '?'} → ${stores.target?.type ?? '?'}`;
    if (key === 'map') return ` for a ${pair} stream (field mapping applies between document stores only)`;
    const owners: string[] = [];
    for (const c of connectors) {
      if (key in (c.sourceStreamSchema ?? {})) owners.push(`${c.type} as a source`);
      if (key in (c.targetStreamSchema ?? {})) owners.push(`${c.type} as a target`);
    }
    return owners.length ? ` for a ${pair} stream (${listing(owners)} ${owners.length === 1 ? 'takes' : 'take'} it)` : '';
  }
  return '';
}

function listing(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Words an `anyOf` accepts, for "did you mean" (`checksumm` → `checksum`). */
function branchWords(branches: readonly JsonSchema[]): string[] {
  return branches.flatMap((b) => [...((b.enum ?? []) as unknown[]), ...(b.const === undefined ? [] : [b.const])]).map(String);
}

function expectFromType(schema: JsonSchema): string {
  switch (schema.type) {
    case 'string':
      return 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    default:
      return schema.const !== undefined ? JSON.stringify(schema.const) : 'something else';
  }
}

/** A short rendering of the offending value; credentials are described, never echoed. */
export function describe(v: unknown, secret = false): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (secret) return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

/** `/streams/0/map` → `['streams', 0, 'map']`, numbers where the data is a list. */
export function toSegments(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}
