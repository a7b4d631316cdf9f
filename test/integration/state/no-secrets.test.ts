/**
 * Credentials written literally in a plan never reach the state database, the JSON lines, the reports or the
 * dead-letter output — of a run that succeeds and of one that fails — and a job whose stored plan lost them resumes
 * from its plan file (proved the same plan by its hash), or says clearly why it cannot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferry, workDir, writePlan, type Run } from '../../support/cli.js';
import { serviceEnv, uniqueName } from '../../support/clients.js';
import { createDatabase, type TestDatabase } from '../postgres/helpers.js';

const PG_PASSWORD = 'pgSecret4f1d9e';
const AWS_SECRET = 'ddbSecret9a2c77';
const AZURE_KEY_PART = 'AzKeyb1946c5';
let dir: string;
let db: TestDatabase;
const outputs: string[] = [];

/** Every file below `dir` but the plans themselves (the state DB with its journal, reports), as bytes. */
function everyByte(root: string): Buffer[] {
  const out: Buffer[] = [];
  for (const e of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !e.name.endsWith('.yaml')) out.push(fs.readFileSync(path.join(e.parentPath, e.name)));
  }
  expect(out.length).toBeGreaterThanOrEqual(2); // the state DB and the report at least
  return out;
}

function record(r: Run): Run {
  outputs.push(r.out, r.err);
  return r;
}

function pgUrlWithPassword(url: string, host?: string): string {
  const u = new URL(url);
  u.password = PG_PASSWORD; // the test server trusts local connections: any password is accepted
  if (host) u.host = host;
  return u.toString();
}

function plan(name: string, sourceUrl: string): string {
  return writePlan(dir, name, [
    'version: 1',
    'kind: migration',
    `name: ${name}`,
    `source: { type: postgres, url: "${sourceUrl}" }`,
    `target: { type: dynamodb, endpoint: "\${env:SECRETS_DDB}", region: us-east-1, access_key_id: AKIDTEST, secret_access_key: ${AWS_SECRET}, create: true }`,
    `streams: [{ from: public.t, to: ${uniqueName('secrets')} }]`,
    'verify: [count, checksum]',
    // Not a store option, but it looks like a connection string: redacted too.
    `description: "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${AZURE_KEY_PART}"`,
  ]);
}

beforeAll(async () => {
  dir = workDir('ferry-secrets-');
  db = await createDatabase('secrets');
  await db.client.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
  await db.client.query(`INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 300) g`);
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe('credentials written in a plan', () => {
  const env = (): Record<string, string> => ({ SECRETS_DDB: serviceEnv('DYNAMODB_ENDPOINT') });

  it('stay out of everything ferry writes, for runs that succeed and fail, and resume reads them from the file', () => {
    const ok = plan('secrets-ok', pgUrlWithPassword(db.url));
    const check = record(ferry(['plan', 'check', ok], { cwd: dir, env: env() }));
    expect(check.code, check.err + check.out).toBe(0);

    const run = record(ferry(['run', ok, '--json'], { cwd: dir, env: env() }));
    expect(run.code, run.err).toBe(0);
    const job = run.events.find((e) => e.type === 'job.done')!.jobId as string;
    record(ferry(['status', job, '--json'], { cwd: dir }));
    record(ferry(['dead-letters', job, '--json'], { cwd: dir }));
    const verify = record(ferry(['verify', job, '--json', '--format', 'md', '--out', path.join(dir, 'verify.md')], { cwd: dir, env: env() }));
    expect(verify.code, verify.err).toBe(0);
    record(ferry(['reports', '--json'], { cwd: dir }));

    // Fails: the source host is unreachable (the message names the host, not the password).
    const down = plan('secrets-down', pgUrlWithPassword(db.url, '127.0.0.1:9'));
    const failed = record(ferry(['run', down, '--json'], { cwd: dir, env: env() }));
    expect(failed.code).not.toBe(0);
    expect(failed.err).toMatch(/127\.0\.0\.1:9/);

    // Fails: the target is unreachable; then resumed with the endpoint fixed. The stored plan has no credentials,
    // so resume reads them from the plan file, which is still the plan the job ran.
    const later = plan('secrets-later', pgUrlWithPassword(db.url));
    const first = record(ferry(['run', later, '--json'], { cwd: dir, env: { SECRETS_DDB: 'http://127.0.0.1:9' } }));
    expect(first.code).not.toBe(0);
    const laterJob = first.err.match(/job (\d{8}-\d{6}-[0-9a-f]+)/)![1]!;
    const resumed = record(ferry(['resume', laterJob, '--json'], { cwd: dir, env: env() }));
    expect(resumed.code, resumed.err).toBe(0);

    for (const bytes of [...everyByte(dir), ...outputs.map((o) => Buffer.from(o))]) {
      for (const secret of [PG_PASSWORD, AWS_SECRET, AZURE_KEY_PART]) expect(bytes.includes(secret), `found ${secret}`).toBe(false);
    }
    // The state holds the plan with the credentials taken out and the env references as written.
    const state = fs.readFileSync(path.join(dir, 'state/ferry.db'));
    expect(state.includes('ferry: credentials written in this plan were redacted')).toBe(true);
    expect(state.includes('${env:SECRETS_DDB}')).toBe(true);
  }, 180_000);

  it('a job whose plan file changed or is gone says why it cannot resume, and how to fix it', () => {
    const p = plan('secrets-gone', pgUrlWithPassword(db.url));
    const first = ferry(['run', p, '--json'], { cwd: dir, env: { SECRETS_DDB: 'http://127.0.0.1:9' } });
    expect(first.code).not.toBe(0);
    const job = first.err.match(/job (\d{8}-\d{6}-[0-9a-f]+)/)![1]!;
    fs.appendFileSync(p, '# an edit\nlimits: { batch_size: 10 }\n');
    const changed = ferry(['resume', job], { cwd: dir, env: env() });
    expect(changed.code).toBe(1);
    expect(changed.err).toContain(`job ${job}'s plan had credentials written in it, which ferry does not keep in the state, and its plan file ${p} has changed since the job started`);
    expect(changed.err).toMatch(/fix: restore .* or put the credential in an environment variable/);
    fs.rmSync(p);
    const gone = ferry(['resume', job], { cwd: dir, env: env() });
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('cannot be read (ENOENT)');
  }, 120_000);
});
