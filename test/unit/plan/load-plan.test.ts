import { getConnector } from '../../../src/connectors/registry.js';
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadPlanFile, loadPlanText, PLAN_DEFAULTS } from '../../../src/plan/index.js';

const example = (name: string) => fileURLToPath(new URL(`../../../plans/${name}`, import.meta.url));

const minimal = `
version: 1
kind: migration
name: minimal
source: { type: dynamodb, region: us-east-1 }
target: { type: firestore, project: acme }
streams:
  - from: Invoices
`;

describe('loading valid plans', () => {
  it('loads the example plans', async () => {
    const pg = await loadPlanFile(example('example-postgres-to-dynamodb.yaml'), { SOURCE_PGURL: 'postgres://ferry@db/billing' });
    expect(pg.plan.source).toEqual({
      type: 'postgres',
      url: 'postgres://ferry@db/billing',
      ssl: { mode: 'verify-full', ca_file: './certs/rds-global-bundle.pem' },
    });
    // DYNAMODB_ENDPOINT unset → `${env:DYNAMODB_ENDPOINT:-}` is empty → no endpoint at all (the AWS default).
    expect(pg.plan.target).toEqual({ type: 'dynamodb', region: 'us-east-1', create: true, billing: 'on_demand' });
    expect(pg.plan.streams[0]).toMatchObject({ from: 'public.invoice', to: 'Invoices', key: { partition: 'invoice_id' }, write: 'upsert' });
    expect(pg.plan.limits).toEqual({ wcu: 2000, concurrency: 8, batch_size: 500, max_retries: 8 });
    expect(pg.warnings).toEqual([]);

    const s3 = await loadPlanFile(example('example-s3-to-gcs.yaml'), {});
    expect(s3.plan.source).toMatchObject({ type: 's3', profile: 'default' });
    expect(s3.plan.streams.map((s) => s.from)).toEqual(['events/2024/', 'events/2025/']);
    expect(s3.path).toBe(example('example-s3-to-gcs.yaml'));
    expect(s3.text).toBe(await readFile(example('example-s3-to-gcs.yaml'), 'utf8'));
  });

  it('fills in the defaults', () => {
    const { plan } = loadPlanText(minimal, 'p.yaml', {});
    expect(plan.limits).toEqual({ concurrency: 4, batch_size: 500, max_retries: 8 });
    expect(plan.verify).toEqual(['count']);
    expect(plan.on_error).toEqual({ max_rejected: 0 });
    expect(plan.streams).toEqual([{ from: 'Invoices', write: 'upsert' }]);
    expect(plan.streams[0]!.segments).toBeUndefined();
    expect(PLAN_DEFAULTS).toMatchObject({ concurrency: 4, batch_size: 500, max_rejected: 0 });
  });

  it('keeps what the plan says over the defaults, including an empty verify list', () => {
    const { plan } = loadPlanText(`${minimal}    write: insert\nlimits: { concurrency: 2, max_retries: 0 }\nverify: []\non_error: { max_rejected: 5 }\n`, 'p.yaml', {});
    expect(plan.limits).toEqual({ concurrency: 2, batch_size: 500, max_retries: 0 });
    expect(plan.verify).toEqual([]);
    expect(plan.on_error).toEqual({ max_rejected: 5 });
    expect(plan.streams[0]!.write).toBe('insert');
  });

  it('takes every store as source and as target', () => {
    const blocks: Record<string, string> = {
      postgres: '{ type: postgres, host: db, port: 5432, database: app, user: ferry, password: "${env:PGPASSWORD}" }',
      dynamodb: '{ type: dynamodb, region: us-east-1, endpoint: "http://127.0.0.1:8000" }',
      firestore: '{ type: firestore, project: demo, emulator_host: "127.0.0.1:8080" }',
      cosmos: '{ type: cosmos, endpoint: "http://127.0.0.1:8081", key: "${env:COSMOS_KEY}", database: app }',
      s3: '{ type: s3, bucket: acme-a, endpoint: "http://127.0.0.1:9000", force_path_style: true }',
      gcs: '{ type: gcs, bucket: acme-b, endpoint: "http://127.0.0.1:4443" }',
      'azure-blob': '{ type: azure-blob, container: acme-c, connection_string: "${env:AZURE_STORAGE_CONNECTION_STRING}" }',
    };
    const env = { PGPASSWORD: 'pw', COSMOS_KEY: 'k', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };
    for (const [s, sb] of Object.entries(blocks)) {
      for (const [t, tb] of Object.entries(blocks)) {
        // Same kind of store: a migration; a table to a bucket: a backup; a bucket to a table: a restore.
        const sk = getConnector(s).kind;
        const tk = getConnector(t).kind;
        const kind = sk === tk ? 'migration' : sk === 'document' ? 'backup' : 'restore\nrestore: { plan: nightly }';
        const text = `version: 1\nkind: ${kind}\nname: ${s}-to-${t}\nsource: ${sb}\ntarget: ${tb}\nstreams: [{ from: x }]\n`;
        const loaded = loadPlanText(text, 'p.yaml', env);
        expect(loaded.plan.source.type).toBe(s);
        expect(loaded.plan.target.type).toBe(t);
        expect(loaded.warnings).toEqual([]);
      }
    }
  });

  it('accepts per-store stream keys for the right stores', () => {
    const text = `version: 1
kind: migration
name: pg-to-pg
source: { type: postgres }
target: { type: postgres, create: true }
streams:
  - from: public.audit
    key_columns: [at, id]
    where: "at > now() - interval '1 day'"
    snapshot: false
    on_conflict: [id]
`;
    const { plan } = loadPlanText(text, 'p.yaml', {});
    expect(plan.streams[0]).toMatchObject({ key_columns: ['at', 'id'], snapshot: false, on_conflict: ['id'] });
  });

  it('warns about credentials written literally, without refusing them', () => {
    const text = `version: 1
kind: migration
name: literal-secrets
source:
  type: postgres
  url: postgres://ferry:hunter2@db/app
target:
  type: cosmos
  endpoint: https://acme.documents.azure.com
  key: C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==
  database: app
streams: [{ from: public.invoice }]
`;
    const loaded = loadPlanText(text, 'p.yaml', {});
    expect(loaded.warnings.map((w) => `${w.line}:${w.column} ${w.path} ${w.severity}`)).toEqual([
      '6:8 source.url warning',
      '10:8 target.key warning',
    ]);
    expect(loaded.warnings[0]!.message).toContain('prefer ${env:NAME}');
    // A URL without a password is not a secret.
    expect(loadPlanText(text.replace('ferry:hunter2@', 'ferry@'), 'p.yaml', {}).warnings).toHaveLength(1);
  });

  it('hashes the plan as written: env values do not change identity, content does, formatting does not', () => {
    const text = `${minimal}limits:\n  wcu: \${env:WCU:-100}\n`.replace('firestore, project: acme', 'dynamodb, region: "${env:REGION}"');
    const a = loadPlanText(text, 'p.yaml', { REGION: 'us-east-1', WCU: '10' });
    const b = loadPlanText(text, 'p.yaml', { REGION: 'eu-west-1' });
    expect(a.plan.target.region).toBe('us-east-1');
    expect(b.plan.target.region).toBe('eu-west-1');
    expect(a.plan.limits.wcu).toBe(10);
    expect(b.plan.limits.wcu).toBe(100);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);

    const reformatted = loadPlanText(`# a comment\n${text.replace('streams:\n  - from: Invoices', 'streams: [ { from: Invoices } ]')}`, 'p.yaml', { REGION: 'x' });
    expect(reformatted.hash).toBe(a.hash);
    const changed = loadPlanText(text.replace('Invoices', 'Orders'), 'p.yaml', { REGION: 'x' });
    expect(changed.hash).not.toBe(a.hash);
  });

  it('loadPlanText records the path it is given, or none', () => {
    expect(loadPlanText(minimal, 'plans/x.yaml', {}).path).toBe('plans/x.yaml');
    expect(loadPlanText(minimal, undefined, {}).path).toBeUndefined();
  });
});
