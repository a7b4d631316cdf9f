/**
 * Credentials belong in the environment (`${env:NAME}`) or the SDK's own chain, not in a plan file that gets
 * committed and copied into the state DB. A literal one is accepted (local emulators have well-known keys) but
 * earns a warning.
 */
import type { ConnectorDescriptor, JsonSchema } from '../core/connector.js';
import type { Diagnostic } from './diagnostics.js';
import type { YamlLocator } from './yaml-locator.js';

const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:[^/@\s]+@/i;

/** `raw` is the plan before interpolation. */
export function secretWarnings(
  raw: Record<string, unknown>,
  stores: { source: ConnectorDescriptor | undefined; target: ConnectorDescriptor | undefined },
  loc: YamlLocator,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const role of ['source', 'target'] as const) {
    const block = raw[role];
    const store = stores[role];
    if (!store || typeof block !== 'object' || block === null) continue;
    const props = (store.optionsSchema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [key, schema] of Object.entries(props)) {
      const kind = schema['x-secret'];
      const value = (block as Record<string, unknown>)[key];
      if (kind === undefined || typeof value !== 'string' || value.includes('${env:')) continue;
      if (kind === 'url' && !URL_WITH_PASSWORD.test(value)) continue;
      out.push(
        loc.diagnostic(
          loc.valueAt([role, key]),
          [role, key],
          `${kind === 'url' ? 'a password' : 'a credential'} written in the plan; prefer \${env:NAME} so it stays out of files and job state`,
          'warning',
        ),
      );
    }
  }
  return out;
}
