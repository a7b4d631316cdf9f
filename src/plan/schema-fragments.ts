/**
 * Small builders for the JSON Schema fragments that plans and connector options are made of, so every store
 * describes its options the same way and error messages stay uniform.
 *
 * Three annotation keywords ride along (ajv is told about them; editors ignore them):
 * - `x-expect`: what a value must be, in words ("a positive whole number"); used for "must be X, got Y" messages.
 * - `x-error`: the message for a failed `not` / `anyOf` constraint that has no natural wording of its own.
 * - `x-secret`: the value is a credential; a literal value earns a warning recommending `${env:NAME}`.
 *   `'url'` means only a URL carrying a password is a literal secret.
 */
import type { JsonSchema } from '../core/connector.js';

export const ENV_HINT = 'Write it as ${env:NAME} (recommended) rather than literally, so it stays out of the plan file.';

export function str(description: string, extra: JsonSchema = {}): JsonSchema {
  return { type: 'string', minLength: 1, description, 'x-expect': 'a non-empty string', ...extra };
}

export function bool(description: string, dflt?: boolean): JsonSchema {
  return { type: 'boolean', description, 'x-expect': 'true or false', ...(dflt === undefined ? {} : { default: dflt }) };
}

/** A credential: accepted literally, but the description and a load warning steer towards `${env:NAME}`. */
export function secret(description: string, kind: true | 'url' = true): JsonSchema {
  return { type: 'string', minLength: 1, description: `${description} ${ENV_HINT}`, 'x-expect': 'a non-empty string', 'x-secret': kind };
}

/** A path to a file (key files, CA bundles): relative paths are resolved from the working directory. */
export function filePath(description: string): JsonSchema {
  return str(`${description} A file path; relative paths are resolved from the working directory.`);
}

export function oneOfStrings(values: readonly string[], description: string, dflt?: string): JsonSchema {
  return {
    type: 'string',
    enum: [...values],
    description,
    'x-expect': `one of ${values.join(', ')}`,
    ...(dflt === undefined ? {} : { default: dflt }),
  };
}

/** Whole number ≥ min (1 unless told). */
export function int(description: string, min = 1, max?: number, dflt?: number): JsonSchema {
  const expect =
    max !== undefined ? `a whole number from ${min} to ${max}` : min === 1 ? 'a positive whole number' : `a whole number ≥ ${min}`;
  return {
    type: 'integer',
    minimum: min,
    ...(max === undefined ? {} : { maximum: max }),
    description,
    'x-expect': expect,
    ...(dflt === undefined ? {} : { default: dflt }),
  };
}

/** Number > 0 (rates may be fractional: 0.5 items/s is a real throttle). */
export function positive(description: string): JsonSchema {
  return { type: 'number', exclusiveMinimum: 0, description, 'x-expect': 'a positive number' };
}

export function stringList(description: string): JsonSchema {
  return {
    type: 'array',
    items: { type: 'string', minLength: 1, 'x-expect': 'a non-empty string' },
    minItems: 1,
    description,
    'x-expect': 'a list of strings',
  };
}

export function stringMap(description: string): JsonSchema {
  return {
    type: 'object',
    additionalProperties: { type: 'string', 'x-expect': 'a string' },
    description,
    'x-expect': 'a mapping of names to strings',
  };
}

/** An object whose keys are all known: unknown keys are errors (with a "did you mean"). */
export function object(description: string, properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return {
    type: 'object',
    description,
    properties,
    ...(required.length ? { required } : {}),
    additionalProperties: false,
    'x-expect': 'a mapping',
  };
}

/** "These keys cannot be used together": `not` (first key and any of the others), with a readable message. */
export function exclusive(first: string, others: readonly string[], message: string): JsonSchema {
  return {
    not: { required: [first], anyOf: others.map((o) => ({ required: [o] })) },
    'x-error': message,
  };
}

/** "At least one of these key sets must be present". */
export function needsOneOf(alternatives: readonly (readonly string[])[], message: string): JsonSchema {
  return { anyOf: alternatives.map((keys) => ({ required: [...keys] })), 'x-error': message };
}

/** Stream keys every object store accepts as a source (`from` is a key prefix there). */
export function objectSourceStream(): Record<string, JsonSchema> {
  return {
    match: str('Glob over object keys below the prefix (`*` within a level, `**` across levels), e.g. `**/*.parquet`. Default: all.'),
  };
}

/** Stream keys every object store accepts as a target (`to` is a key prefix there). */
export function objectTargetStream(): Record<string, JsonSchema> {
  return {
    delete_extraneous: bool(
      'Make the target prefix a mirror: after the copy, delete target objects the source does not have (within `match`). Default false.',
      false,
    ),
    max_delete: int('Most target objects a mirror may delete; above it nothing is deleted and the job fails with the count. Default 1000.', 0, undefined, 1000),
  };
}

/** Connection keys every object store accepts as a target: how many objects are copied at once. */
export function objectTransferOptions(): Record<string, JsonSchema> {
  return {
    transfers: int('Objects copied at once across the job. Default 16.', 1, 1024, 16),
    large_transfers: int('Of those, objects larger than one part (each holds up to part_concurrency + 1 parts in memory). Default 4.', 1, 256, 4),
  };
}
