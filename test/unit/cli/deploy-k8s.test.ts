/**
 * `ferry deploy k8s`: the manifests validate against the Kubernetes OpenAPI schemas (kubernetes-models), run the same
 * `ferry worker` command, and carry credentials only as Secret references.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { k8sManifests } from '../../../src/deploy/k8s.js';

const input = {
  jobId: '20261207-183530-595fd0',
  planName: 'Invoices to DynamoDB',
  planText: 'version: 1\nsource: { type: postgres, url: "${env:SOURCE_PGURL}" }\n',
  workers: 3,
  image: 'registry.example/ferry:0.1.0',
  namespace: 'migrations',
  secret: 'ferry-prod',
  stateKey: 'FERRY_STATE',
  backoffLimitPerIndex: 3,
  gracePeriodSeconds: 120,
  cpu: '1',
  memory: '1Gi',
  leaseTtlSeconds: 10,
};

describe('ferry deploy k8s', () => {
  it('prints a ConfigMap, a create Job and an Indexed Job of workers that validate against the Kubernetes schemas', () => {
    const docs = k8sManifests(input);
    expect(docs.map((d) => d['kind'])).toEqual(['ConfigMap', 'Job', 'Job']);
    new ConfigMap(docs[0] as never).validate();
    const create = new Job(docs[1] as never);
    create.validate();
    const workers = new Job(docs[2] as never);
    workers.validate();
    expect(workers.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 3 });
    expect(workers.spec?.podFailurePolicy?.rules.map((r) => r.action)).toEqual(['Ignore', 'FailIndex']);
    const c = workers.spec!.template.spec!.containers[0]!;
    expect(c.args).toEqual(['worker', input.jobId, '--wait', '600', '--json', '--lease-ttl', '10']);
    expect(create.spec!.template.spec!.containers[0]!.args).toEqual(['job', 'create', '/plans/plan.yaml', '--id', input.jobId, '--workers', '3', '--json']);
    // Credentials by reference only: the state URL from a Secret key, the cloud's from the Secret as env.
    expect(c.env).toEqual([{ name: 'FERRY_STATE', valueFrom: { secretKeyRef: { name: 'ferry-prod', key: 'FERRY_STATE' } } }]);
    expect(c.envFrom).toEqual([{ secretRef: { name: 'ferry-prod' } }]);
    expect(JSON.stringify(docs)).not.toMatch(/postgres:\/\/[^$]/);
    expect(docs[1]!['metadata']).toMatchObject({ name: 'ferry-invoices-to-dynamodb-create-595fd0', namespace: 'migrations' });
  });

  it('a manifest with a field Kubernetes does not know fails validation (the check can fail)', () => {
    const docs = k8sManifests(input);
    const bad = structuredClone(docs[2]!) as { spec: Record<string, unknown> };
    bad.spec['parallelism'] = 'three';
    expect(() => new Job(bad as never).validate()).toThrow();
  });

  it('refuses a Secret name Kubernetes would refuse', () => {
    expect(() => k8sManifests({ ...input, secret: 'Ferry_Prod' })).toThrow(/not a Kubernetes Secret name/);
  });
});

// The YAML the CLI prints parses back to the same documents.
describe('the printed YAML', () => {
  it('is multi-document YAML without aliases', async () => {
    const { stringify } = await import('yaml');
    const text = k8sManifests(input).map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
    expect(text).not.toContain('&a');
    expect(parseAllDocuments(text).map((d) => (d.toJS() as { kind: string }).kind)).toEqual(['ConfigMap', 'Job', 'Job']);
  });
});
