/**
 * The plan as a job keeps it in the state: the text as written, with every credential written literally in it
 * redacted (the state is copied into bug reports and, shared in PostgreSQL, read by others). `${env:VAR}` references
 * stay as written: they are not secrets. A job whose stored plan lost a credential is resumed from its plan file,
 * proved to be the same plan by its hash; the credential is never read from the state.
 */
import { readFile } from 'node:fs/promises';
import { isScalar, parseDocument, visit } from 'yaml';
import type { ConnectorDescriptor, JsonSchema } from '../core/connector.js';
import { FerryError, redact } from '../errors.js';
import type { Env } from './interpolate.js';
import type { LoadedPlan } from './types.js';

/** First line of a stored plan that had credentials taken out. */
export const REDACTED_MARK = ' ferry: credentials written in this plan were redacted; resume reads them from the plan file';
const REDACTED = '***';
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)([^/@\s]+)@/i;

const hasEnvRef = (s: string): boolean => s.includes('${env:');

/** `text` with literal credentials replaced by `***` (and a first comment saying so), or `text` itself if it has none. */
export function storedPlanText(text: string, stores: { source: ConnectorDescriptor | undefined; target: ConnectorDescriptor | undefined }): string {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return redact(text);
  let changed = false;
  // The options the stores' descriptors mark as credentials, whole (or a URL's password).
  for (const role of ['source', 'target'] as const) {
    const props = (stores[role]?.optionsSchema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [key, schema] of Object.entries(props)) {
      const kind = schema['x-secret'];
      if (kind === undefined) continue;
      const node = doc.getIn([role, key], true);
      if (!isScalar(node) || typeof node.value !== 'string' || hasEnvRef(node.value)) continue;
      const value = node.value;
      const next = kind === 'url' ? value.replace(URL_PASSWORD, `$1${REDACTED}@`) : REDACTED;
      if (next !== value) {
        node.value = next;
        changed = true;
      }
    }
  }
  // Anything else that looks like one (a connection string's AccountKey=, a SAS sig=, a URL with a password).
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || hasEnvRef(node.value)) return;
      const next = redact(node.value);
      if (next !== node.value) {
        node.value = next;
        changed = true;
      }
    },
  });
  if (!changed) return text;
  doc.commentBefore = doc.commentBefore ? `${REDACTED_MARK}\n${doc.commentBefore}` : REDACTED_MARK;
  return doc.toString();
}

export function isRedactedPlanText(text: string): boolean {
  return text.startsWith(`#${REDACTED_MARK}`);
}

/**
 * The plan of a job, to resume or verify it: the stored text, or — when credentials were taken out of it — the plan
 * file, which must still be the plan the job ran (same hash). `load` is `loadPlanText`.
 */
export async function loadJobPlan(
  job: { id: string; planPath?: string; planHash: string },
  stored: string,
  env: Env,
  load: (text: string, file: string | undefined, env: Env) => LoadedPlan,
): Promise<LoadedPlan> {
  if (!isRedactedPlanText(stored)) return load(stored, job.planPath ?? `<job ${job.id}>`, env);
  const fix = 'put the credential in an environment variable (`${env:NAME}`) in the plan, then start a new job with `ferry run PLAN`';
  if (job.planPath === undefined) {
    throw new FerryError('STATE', `job ${job.id}'s plan had credentials written in it, which ferry does not keep in the state, and the job has no plan file to read them from`, { hint: fix });
  }
  let text: string;
  try {
    text = await readFile(job.planPath, 'utf8');
  } catch (e) {
    throw new FerryError('STATE', `job ${job.id}'s plan had credentials written in it, which ferry does not keep in the state, and its plan file ${job.planPath} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      hint: `restore ${job.planPath} as it was when the job started, or ${fix}`,
      cause: e,
    });
  }
  const loaded = load(text, job.planPath, env);
  if (loaded.hash !== job.planHash) {
    throw new FerryError('STATE', `job ${job.id}'s plan had credentials written in it, which ferry does not keep in the state, and its plan file ${job.planPath} has changed since the job started`, {
      hint: `restore ${job.planPath} as it was when the job started, or ${fix}`,
    });
  }
  return loaded;
}
