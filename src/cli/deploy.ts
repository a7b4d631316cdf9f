import fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { k8sManifests } from '../deploy/k8s.js';
import { EXIT, FerryError } from '../errors.js';
import { loadPlanFile } from '../plan/index.js';
import { isJobId, newJobId } from '../state/index.js';
import { handler, type CliContext, type GlobalArgs } from './context.js';
import { workersOf } from './job.js';

interface DeployArgs extends GlobalArgs {
  plan: string;
  workers?: number;
  image: string;
  namespace?: string;
  secret: string;
  'state-key': string;
  id?: string;
  'backoff-limit-per-index': number;
  'grace-period': number;
  cpu: string;
  memory: string;
  'lease-ttl'?: number;
}

/** `ferry deploy k8s PLAN --workers N`: print the manifests (kubectl apply -f -) of a job run by N worker pods. */
export function deployCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'deploy <engine>',
    describe: 'print the manifests that run a plan on a cluster (deploy k8s PLAN --workers N)',
    builder: (y: Argv<GlobalArgs>) => y.command(k8sCommand(ctx)).demandCommand(1, 'name an engine: k8s'),
    handler: () => {},
  };
}

function k8sCommand(ctx: CliContext): CommandModule<GlobalArgs, DeployArgs> {
  return {
    command: 'k8s <plan>',
    describe: 'print Kubernetes manifests that run a plan with N workers (an Indexed Job) on a shared PostgreSQL state',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('plan', { type: 'string', demandOption: true, describe: 'plan file (YAML)' })
        .option('workers', { type: 'number', describe: 'worker pods (parallelism and completions of the Indexed Job)', demandOption: true })
        .option('image', { type: 'string', describe: 'container image with ferry as its entrypoint', default: 'ferry:latest' })
        .option('namespace', { type: 'string', describe: 'namespace of the manifests' })
        .option('secret', { type: 'string', describe: 'Secret with the state URL and the cloud credentials (as env variables)', default: 'ferry' })
        .option('state-key', { type: 'string', describe: 'key of the state URL in that Secret', default: 'FERRY_STATE' })
        .option('id', { type: 'string', describe: 'job id to use (default: a new one)' })
        .option('backoff-limit-per-index', { type: 'number', default: 3, describe: 'retries of one worker pod' })
        .option('grace-period', { type: 'number', default: 120, describe: 'seconds a worker gets to drain on SIGTERM' })
        .option('cpu', { type: 'string', default: '1', describe: 'CPU request per worker' })
        .option('memory', { type: 'string', default: '1Gi', describe: 'memory request per worker' })
        .option('lease-ttl', { type: 'number', describe: "seconds a worker's lease binds without a renewal (default 30)" }) as Argv<DeployArgs>,
    handler: handler<DeployArgs>(ctx, async (args) => {
      const workers = workersOf(args.workers);
      // Validate the plan as `ferry plan check` would; the manifests carry its text unexpanded.
      const loaded = await loadPlanFile(args.plan, { ...placeholderEnv(fs.readFileSync(args.plan, 'utf8')), ...ctx.io.env });
      if (args.id !== undefined && !isJobId(args.id)) throw new FerryError('USAGE', `--id "${args.id}" is not a job id (YYYYMMDD-HHMMSS-xxxxxx)`);
      const docs = k8sManifests({
        jobId: args.id ?? newJobId(Date.now()),
        planName: loaded.plan.name,
        planText: fs.readFileSync(args.plan, 'utf8'),
        workers,
        image: args.image,
        ...(args.namespace ? { namespace: args.namespace } : {}),
        secret: args.secret,
        stateKey: args['state-key'],
        backoffLimitPerIndex: args['backoff-limit-per-index'],
        gracePeriodSeconds: args['grace-period'],
        cpu: args.cpu,
        memory: args.memory,
        ...(args['lease-ttl'] !== undefined ? { leaseTtlSeconds: args['lease-ttl'] } : {}),
      });
      ctx.io.out(docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n').trimEnd());
      return EXIT.OK;
    }),
  };
}

/** `${env:NAME}` references of a plan, given placeholder values: the plan is checked here, its secrets live in the Secret. */
function placeholderEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1]!] ??= 'placeholder://deploy.invalid/';
  return env;
}
