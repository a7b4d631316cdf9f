/**
 * A plan's identity: sha256 of its canonical JSON *before* `${env:...}` expansion. Resume finds the unfinished job
 * of the same plan by this hash, so rotating a password or pointing DYNAMODB_ENDPOINT elsewhere must not orphan the
 * job, while any change to what the plan says (streams, mapping, limits) must. Comments, key order and YAML style
 * do not count: they are gone in the canonical form.
 */
import { createHash } from 'node:crypto';

export function planHash(rawPlan: unknown): string {
  return createHash('sha256').update(canonicalJson(rawPlan)).digest('hex');
}

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
