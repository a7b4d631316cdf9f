/**
 * Checks JSON Schema cannot express, or expresses with poor messages: which connector `type`s exist, whether a
 * rate limit is in a unit the target understands, whether the two stores can feed each other; and warnings about
 * limits that would be no-ops.
 */
import type { ConnectorDescriptor } from '../core/connector.js';
import type { RateUnit } from '../core/sink.js';
import { connectors, connectorTypes, findConnector, unknownConnectorMessage } from '../connectors/registry.js';
import { redact } from '../errors.js';
import type { Diagnostic } from './diagnostics.js';
import { RATE_LIMIT_KEYS } from './plan-schema.js';
import type { YamlLocator } from './yaml-locator.js';

export interface ResolvedStores {
  source: ConnectorDescriptor | undefined;
  target: ConnectorDescriptor | undefined;
  diagnostics: Diagnostic[];
}

/** Find the descriptors of `source.type` and `target.type`, reporting a missing, wrong or unknown type. */
export function resolveStores(data: Record<string, unknown>, loc: YamlLocator): ResolvedStores {
  const diagnostics: Diagnostic[] = [];
  const pick = (role: 'source' | 'target'): ConnectorDescriptor | undefined => {
    const block = data[role];
    if (!isRecord(block)) return undefined; // absent or not a mapping: the schema reports it
    const known = `known types: ${connectorTypes.join(', ')}`;
    if (!('type' in block)) {
      const at = loc.has([role, 'type']) ? loc.keyAt([role, 'type']) : loc.containerAt([role]);
      diagnostics.push(loc.diagnostic(at, [role, 'type'], `${loc.has([role, 'type']) ? 'required key has no value' : 'required key missing'}; ${known}`));
      return undefined;
    }
    if (typeof block.type !== 'string') {
      diagnostics.push(loc.diagnostic(loc.valueAt([role, 'type']), [role, 'type'], `must be a connector type (a string); ${known}`));
      return undefined;
    }
    const found = findConnector(block.type);
    if (!found) diagnostics.push(loc.diagnostic(loc.valueAt([role, 'type']), [role, 'type'], unknownConnectorMessage(block.type)));
    return found;
  };
  return { source: pick('source'), target: pick('target'), diagnostics };
}

/** Cross-key rules, run on data that may still have schema errors (so each rule guards its own inputs). */
export function crossChecks(
  data: Record<string, unknown>,
  source: ConnectorDescriptor | undefined,
  target: ConnectorDescriptor | undefined,
  loc: YamlLocator,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  // A migration keeps the data's shape: rows/documents go to a document store, objects to an object store.
  // Backups and restores may cross (a table exported to a bucket and back).
  if (data.kind === 'migration' && source && target && source.kind !== target.kind) {
    out.push(
      loc.diagnostic(
        loc.valueAt(['target', 'type']),
        ['target', 'type'],
        `a migration from ${article(source.kind)} ${source.kind} store (${source.type}) needs ${article(source.kind)} ${source.kind} store as target, not ${target.type}; use kind: backup to export`,
      ),
    );
  }
  // A backup writes a set of a document store's records into an object store; a restore reads one back.
  if (data.kind === 'backup') {
    if (target && target.kind !== 'object') {
      out.push(loc.diagnostic(loc.valueAt(['target', 'type']), ['target', 'type'], `a backup is written to an object store (s3, gcs, azure-blob), not ${target.type}; use kind: migration to copy into ${target.type}`));
    }
    const format = isRecord(data.backup) ? data.backup.format : undefined;
    if (format !== undefined && format !== 'ferry' && isRecord(data.backup) && data.backup.compression === 'zstd') {
      out.push(loc.diagnostic(loc.valueAt(['backup', 'compression']), ['backup', 'compression'], `compression: zstd cannot go with format: ${String(format)}, whose readers expect gzip; use compression: gzip`));
    }
    if (typeof format === 'string' && format !== 'ferry' && source && !source.backupFormats?.[format]) {
      const offered = connectors.filter((c) => c.backupFormats?.[format]).map((c) => c.type);
      out.push(
        loc.diagnostic(
          loc.valueAt(['backup', 'format']),
          ['backup', 'format'],
          `format: ${format} is ${offered.length ? `the layout of a ${offered.join(' or ')} source's own tools` : 'no store\'s layout'}, not ${source.type}'s; use format: ferry`,
        ),
      );
    }
  } else if ('backup' in data) {
    out.push(loc.diagnostic(loc.keyAt(['backup']), ['backup'], `backup: applies to kind: backup, not ${String(data.kind)}`));
  }
  if (data.kind !== 'backup' && 'retention' in data) {
    out.push(loc.diagnostic(loc.keyAt(['retention']), ['retention'], `retention: applies to kind: backup, not ${String(data.kind)}`));
  }
  if (data.kind === 'restore') {
    if (source && source.kind !== 'object') {
      out.push(loc.diagnostic(loc.valueAt(['source', 'type']), ['source', 'type'], `a restore reads a backup set from an object store (s3, gcs, azure-blob), not ${source.type}`));
    }
    if (!('restore' in data)) {
      out.push(loc.diagnostic(loc.containerAt([]), [], 'a restore needs `restore: { plan: <backup plan name> }` naming the backup to read (and `set:`, default latest)'));
    }
  } else if ('restore' in data) {
    out.push(loc.diagnostic(loc.keyAt(['restore']), ['restore'], `restore: applies to kind: restore, not ${String(data.kind)}`));
  }
  // Limits are in the target's own units: `wcu` on a Firestore target is a mistake, not a no-op.
  const limits = data.limits;
  if (target && isRecord(limits)) {
    const units: readonly RateUnit[] = ['items', 'bytes', ...(target.rateUnits ?? [])];
    for (const [unit, key] of Object.entries(RATE_LIMIT_KEYS) as [RateUnit, string][]) {
      if (!(key in limits) || units.includes(unit)) continue;
      const owners = connectors.filter((c) => c.rateUnits?.includes(unit)).map((c) => c.type);
      const usable = units.map((u) => RATE_LIMIT_KEYS[u as keyof typeof RATE_LIMIT_KEYS]).join(', ');
      out.push(
        loc.diagnostic(
          loc.keyAt(['limits', key]),
          ['limits', key],
          `a ${owners.join('/')} unit, but the target is ${target.type}; use ${usable}`,
        ),
      );
    }
  }
  out.push(...streamNameChecks(data, source, target, loc), ...urlChecks(data, source, target, loc));
  return out;
}

/** `from:` and `to:` by each store's own naming rules (an env reference is checked at run time, once expanded). */
function streamNameChecks(data: Record<string, unknown>, source: ConnectorDescriptor | undefined, target: ConnectorDescriptor | undefined, loc: YamlLocator): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!Array.isArray(data.streams)) return out;
  data.streams.forEach((stream: unknown, i) => {
    if (!isRecord(stream)) return;
    for (const [key, role, store] of [['from', 'source', source], ['to', 'target', target]] as const) {
      const name = stream[key];
      if (typeof name !== 'string' || !store?.streamNameProblem) continue;
      const problem = store.streamNameProblem(role, name);
      if (problem !== undefined) out.push(loc.diagnostic(loc.valueAt(['streams', i, key]), ['streams', i, key], problem));
    }
  });
  return out;
}

/** Connection URLs and endpoints that `new URL` cannot parse fail here, not as "unexpected error: Invalid URL" in a run. */
function urlChecks(data: Record<string, unknown>, source: ConnectorDescriptor | undefined, target: ConnectorDescriptor | undefined, loc: YamlLocator): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [role, store] of [['source', source], ['target', target]] as const) {
    const block = data[role];
    if (!store || !isRecord(block)) continue;
    const props = (store.optionsSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [key, schema] of Object.entries(props)) {
      if (schema['x-secret'] !== 'url' && key !== 'endpoint') continue;
      const value = block[key];
      // An endpoint without a scheme (`host:port`, as GCS takes it like STORAGE_EMULATOR_HOST) is the store's to read.
      if (typeof value !== 'string' || value === '' || (key === 'endpoint' && !value.includes('://'))) continue;
      let why: string | undefined;
      try {
        if (new URL(value).hostname === '') why = 'it has no host';
      } catch {
        // host[:port] after any user:password@, to say which part is wrong.
        const authority = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/?#]*)/i.exec(value)?.[1] ?? '';
        const port = /:([^:\]]*)$/.exec(authority)?.[1];
        why = port !== undefined && !/^\d*$/.test(port) ? 'its port is not a number' : 'it cannot be parsed';
      }
      if (why) out.push(loc.diagnostic(loc.valueAt([role, key]), [role, key], `not a usable URL (${why}): ${redact(value)}`));
    }
  }
  return out;
}

/**
 * Settings that are valid but will not do what they seem to: `limits.ramp_up: true` for a target with no ramp-up of
 * its own (a no-op), or overridden by the target block's own `ramp_up: false`.
 */
export function limitWarnings(data: Record<string, unknown>, target: ConnectorDescriptor | undefined, loc: YamlLocator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const limits = data.limits;
  if (!target || !isRecord(limits) || limits.ramp_up !== true) return out;
  if (!target.rampUp) {
    const withRamp = connectors.filter((c) => c.rampUp).map((c) => c.type);
    out.push(
      loc.diagnostic(
        loc.keyAt(['limits', 'ramp_up']),
        ['limits', 'ramp_up'],
        `${target.type} has no ramp-up of its own, so this does nothing for this target (targets with one: ${withRamp.join(', ') || 'none'}); rate limits apply at their full value from the start`,
        'warning',
      ),
    );
  } else if (isRecord(data.target) && data.target.ramp_up === false) {
    out.push(
      loc.diagnostic(
        loc.keyAt(['target', 'ramp_up']),
        ['target', 'ramp_up'],
        'overrides limits.ramp_up: true (the target block wins): this target writes without ramp-up',
        'warning',
      ),
    );
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
