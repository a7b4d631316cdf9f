/**
 * Kubernetes manifests for a job run by workers: a ConfigMap with the plan, a one-off Job that records the job
 * (`ferry job create --id`), and an Indexed Job of N `ferry worker` pods. Kubernetes is only the engine that keeps N
 * workers alive: the workers are the same command as anywhere else, and the state (PostgreSQL) decides who runs what.
 *
 * Choices: `restartPolicy: Never` with `backoffLimitPerIndex` (a crashed worker's pod is replaced, its segments wait
 * for their lease to lapse and are taken over by whoever claims first); a `podFailurePolicy` that ignores
 * disruptions (a drained node is not a worker failure) and fails an index at once on exit 2 (a bad plan or usage: a
 * retry cannot help); the state URL and the cloud credentials come from Secret references, never inline values.
 */
import { FerryError } from '../errors.js';

export interface K8sDeployInput {
  /** The job id both manifests name (`newJobId()` unless given). */
  jobId: string;
  /** Plan name (labels, resource names) and its YAML text as written (secrets stay `${env:...}` references). */
  planName: string;
  planText: string;
  workers: number;
  image: string;
  namespace?: string;
  /** Secret holding the state URL under `stateKey` and the cloud credentials as env variables (envFrom). */
  secret: string;
  stateKey: string;
  /** Retries of one worker index before Kubernetes gives it up. */
  backoffLimitPerIndex: number;
  /** Seconds between SIGTERM and SIGKILL: a worker drains (finishes and checkpoints its batches) meanwhile. */
  gracePeriodSeconds: number;
  cpu: string;
  memory: string;
  /** `--lease-ttl` of the workers, seconds. */
  leaseTtlSeconds?: number;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 name from a plan name: lower case, `-` for the rest, at most `max` characters. */
export function k8sName(text: string, max = 40): string {
  const n = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return n || 'plan';
}

export function k8sManifests(input: K8sDeployInput): Record<string, unknown>[] {
  if (!NAME.test(input.secret)) throw new FerryError('USAGE', `"${input.secret}" is not a Kubernetes Secret name`, { hint: 'lower-case letters, digits and -' });
  const base = `ferry-${k8sName(input.planName)}`;
  const suffix = input.jobId.slice(-6);
  const labels = { 'app.kubernetes.io/name': 'ferry', 'app.kubernetes.io/instance': base, 'ferry.dev/job': input.jobId };
  const meta = (name: string): Record<string, unknown> => ({ name, ...(input.namespace ? { namespace: input.namespace } : {}), labels });
  const planMap = `${base}-plan-${suffix}`;
  const env = [
    { name: 'FERRY_STATE', valueFrom: { secretKeyRef: { name: input.secret, key: input.stateKey } } },
  ];
  const container = (name: string, args: string[]): Record<string, unknown> => ({
    name,
    image: input.image,
    args,
    env,
    envFrom: [{ secretRef: { name: input.secret } }],
    volumeMounts: [{ name: 'plan', mountPath: '/plans', readOnly: true }],
    resources: { requests: { cpu: input.cpu, memory: input.memory } },
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  });
  const podSpec = (name: string, args: string[]): Record<string, unknown> => ({
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: input.gracePeriodSeconds,
    containers: [container(name, args)],
    volumes: [{ name: 'plan', configMap: { name: planMap } }],
  });
  const lease = input.leaseTtlSeconds !== undefined ? ['--lease-ttl', String(input.leaseTtlSeconds)] : [];
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(planMap), data: { 'plan.yaml': input.planText } },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta(`${base}-create-${suffix}`),
      spec: {
        backoffLimit: 4,
        ttlSecondsAfterFinished: 86_400,
        template: {
          metadata: { labels },
          spec: podSpec('create', ['job', 'create', '/plans/plan.yaml', '--id', input.jobId, '--workers', String(input.workers), '--json']),
        },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta(`${base}-workers-${suffix}`),
      spec: {
        completionMode: 'Indexed',
        completions: input.workers,
        parallelism: input.workers,
        backoffLimitPerIndex: input.backoffLimitPerIndex,
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
            { action: 'FailIndex', onExitCodes: { containerName: 'worker', operator: 'In', values: [2] } },
          ],
        },
        ttlSecondsAfterFinished: 86_400,
        template: {
          metadata: { labels },
          spec: podSpec('worker', ['worker', input.jobId, '--wait', '600', '--json', ...lease]),
        },
      },
    },
  ];
}
