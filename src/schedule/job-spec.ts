/**
 * Scheduled jobs (`jobs/*.yaml`): which plan, what to do with it, when, and whom to tell. Checked like plans —
 * FILE:LINE:COLUMN, the key path, what was expected — by a JSON Schema that `ferry schedule schema` prints for
 * editors. Notification URLs stay `${env:…}` references until a notification is sent, so no secret is stored.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { LineCounter, parseDocument, stringify } from 'yaml';
import type { JsonSchema } from '../core/connector.js';
import type { Diagnostic } from '../plan/diagnostics.js';
import { PlanError } from '../plan/plan-error.js';
import { bool, int, object, oneOfStrings, str } from '../plan/schema-fragments.js';
import { DURATION, retentionSchema } from '../plan/plan-schema.js';
import { createPlanAjv, schemaDiagnostics } from '../plan/schema-validator.js';
import type { RetentionSpec } from '../plan/types.js';
import { YamlLocator } from '../plan/yaml-locator.js';
import { scheduleProblem } from './slots.js';

export type JobAction = 'run' | 'backup' | 'verify' | 'prune';

export interface Notify {
  /** URL, normally `${env:NAME}`: expanded only when the notification is sent. */
  webhook?: string;
}

export interface JobSpec {
  version: 1;
  name: string;
  /** The plan file, relative to the job file; or the plan inline (written to a file of its own when loaded). */
  plan: string | Record<string, unknown>;
  /** Default: `backup` for a backup plan, else `run` (resolved when the plan is loaded). */
  action?: JobAction;
  schedule: { cron: string; timezone?: string };
  /** Minutes after its slot a run may still start; later, the slot is recorded missed. */
  window: number;
  /** A slot that comes while the previous run is alive: `skip` (recorded skipped) or `queue` (runs after it). */
  overlap: 'skip' | 'queue';
  /** backup jobs: the retention applied after each backup, instead of the plan's. */
  retention?: RetentionSpec;
  /** Backups: the newest verified set must be younger than this (`ferry schedule status` exits 1 otherwise). */
  rpo?: string;
  /** verify jobs of a backup plan: `ferry backup verify` options. */
  verify?: { read_subset?: string; max_bytes?: number; max_time?: number; source?: boolean };
  on_failure?: Notify;
  on_success?: Notify;
}

export interface LoadedJobSpec {
  spec: JobSpec;
  /** The job file. */
  file: string;
  /** The plan file, resolved against the job file's directory. */
  planPath: string;
}

const NAME = { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$', 'x-expect': 'a name of letters, digits, `.`, `_` or `-` (at most 100, starting with a letter or digit)' };
const notify = (when: string): JsonSchema =>
  object(`Who to tell when a run ${when}.`, {
    webhook: str('A URL that gets a JSON POST (job, slot, outcome, error and fix; never a secret); write it as `${env:NAME}`.'),
  });

export const JOB_SPEC_SCHEMA: JsonSchema = {
  title: 'ferry scheduled job',
  description: 'A plan run on a schedule by `ferry schedule tick|serve|run`, exactly once per slot.',
  type: 'object',
  'x-expect': 'a mapping of job keys (version, name, plan, action, schedule...)',
  additionalProperties: false,
  required: ['version', 'name', 'plan', 'schedule'],
  properties: {
    version: { const: 1, description: 'Job format version. Always 1.', 'x-expect': '1' },
    name: str('The job\'s name: slots are recorded under it.', NAME),
    plan: {
      description: 'The plan: a file (relative to this file), or the plan itself written inline as a mapping.',
      'x-expect': 'a plan file path, or an inline plan (a mapping with version, kind, name, source, target, streams)',
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }],
    },
    action: oneOfStrings(
      ['run', 'backup', 'verify', 'prune'],
      '`run` the plan; `backup` run a backup plan, then prune by its retention; `verify` a backup plan\'s newest set (or a migration plan\'s stores); `prune` a backup plan\'s sets. Default: backup for a backup plan, else run.',
    ),
    schedule: object(
      'When: a cron expression (5 or 6 fields) in a time zone.',
      {
        cron: str('Cron expression, e.g. `0 2 * * *` (02:00 every day).'),
        timezone: str('IANA time zone, e.g. Europe/Berlin. Default UTC. Skipped local times fire once after the gap, repeated ones once.'),
      },
      ['cron'],
    ),
    window: int('Minutes after its slot a run may still start (a trigger that fires late); later, the slot is recorded missed. Default 60.', 1, 10_080, 60),
    overlap: oneOfStrings(['skip', 'queue'], 'A slot due while the previous run still lives: `skip` records it skipped, `queue` runs it after. Default skip.', 'skip'),
    retention: retentionSchema('backup jobs: which sets to keep after each backup, instead of the plan\'s `retention:` (passed to prune as --keep-* flags).'),
    rpo: str('Backups: the newest verified set must be younger than this; `ferry schedule status` exits 1 when it is not.', DURATION),
    verify: object('verify jobs: how much of the set to read.', {
      read_subset: str('all, n/t or auto/t (see `ferry backup verify`). Default auto/7.'),
      max_bytes: int('Read at most about this many bytes.', 1),
      max_time: int('Stop reading after this many seconds.', 1),
      source: bool('Also compare the set with the live source.'),
    }),
    on_failure: notify('fails, or its slot is missed'),
    on_success: notify('succeeds'),
  },
};

let validate: ReturnType<ReturnType<typeof createPlanAjv>['compile']> | undefined;

/** Reads and checks a job file; a PlanError (PLAN_INVALID, exit 2) listing every problem otherwise. */
export async function loadJobSpecFile(file: string): Promise<LoadedJobSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new PlanError([{ file, line: 1, column: 1, path: '', message: `cannot read the job: ${why}`, severity: 'error' }], { cause: e });
  }
  return loadJobSpecText(text, file);
}

/**
 * An inline plan as a file of its own (runs are ferry child processes that read a plan file), named by its content so
 * an edited job writes a new one. Its `${env:…}` references are written as they are: no secret is expanded here.
 */
function inlinePlanFile(job: string, plan: Record<string, unknown>): string {
  const text = stringify(plan);
  const dir = path.join(os.tmpdir(), 'ferry-inline-plans');
  const file = path.join(dir, `${job}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.yaml`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text, { mode: 0o600 });
  }
  return file;
}

export function loadJobSpecText(text: string, file: string): LoadedJobSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new YamlLocator(file, doc, lines);
  const errors: Diagnostic[] = doc.errors.map((e) => loc.diagnostic(loc.at(e.pos[0]), [], `YAML syntax: ${e.message.split('\n')[0]!}`));
  if (errors.length) throw new PlanError(errors);
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  validate ??= createPlanAjv().compile(JOB_SPEC_SCHEMA);
  errors.push(...schemaDiagnostics(validate, data, loc));
  const d = (data ?? {}) as Record<string, unknown>;
  const sched = d['schedule'] as { cron?: unknown; timezone?: unknown } | undefined;
  if (errors.length === 0 && sched && typeof sched.cron === 'string') {
    const problem = scheduleProblem({ cron: sched.cron, ...(typeof sched.timezone === 'string' ? { timezone: sched.timezone } : {}) });
    if (problem) errors.push(loc.diagnostic(loc.valueAt(['schedule', typeof sched.timezone === 'string' && /zone/i.test(problem) ? 'timezone' : 'cron']), ['schedule', 'cron'], `not a schedule: ${problem}`));
  }
  if (errors.length) throw new PlanError(errors);
  const spec = { window: 60, overlap: 'skip', ...(d as object) } as JobSpec;
  const planPath = typeof spec.plan === 'string' ? path.resolve(path.dirname(file), spec.plan) : inlinePlanFile(spec.name, spec.plan);
  return { spec, file, planPath };
}
