/**
 * `ferry reports` through the real binary, PostgreSQL → DynamoDB: a dry run, a load (verified with its job) and a
 * plan verification leave their reports in the state DB; `ferry reports` lists them newest first as JSON lines
 * with their kinds and outcomes, filters by kind and plan, and `reports show ID` prints each again as the command
 * that made it did (the dry run's JSON byte for byte, the verification's results as they were).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ferry, workDir, writePlan, type Run } from '../../support/cli.js';
import { createDatabase, type TestDatabase } from '../postgres/helpers.js';
import { uniqueName } from '../../support/clients.js';

let dir: string;
let db: TestDatabase;
let plan: string;
const PLAN_NAME = 'reports-items';

function lines(r: Run): Record<string, unknown>[] {
  return r.out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function reports(args: string[] = []): Record<string, unknown>[] {
  const r = ferry(['reports', '--state', 'ferry.db', ...args], { cwd: dir });
  expect(r.code, r.err).toBe(0);
  return lines(r);
}

beforeAll(async () => {
  dir = workDir('ferry-reports-');
  db = await createDatabase('reports');
  const c = db.client;
  await c.query(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2));
    INSERT INTO items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 120) g;`);
  process.env.REPORTS_PGURL = db.url;
  plan = writePlan(dir, 'items', [
    'version: 1',
    'kind: migration',
    `name: ${PLAN_NAME}`,
    'source: { type: postgres, url: "${env:REPORTS_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    `streams: [{ from: public.items, to: ${uniqueName('items')} }]`,
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe('ferry reports', () => {
  it('lists a dry run, a job verification and a plan verification, filters them, and prints each again', () => {
    // Piped: the dry run prints its JSON report; it is stored as one row.
    const dry = ferry(['plan', 'dry-run', plan, '--state', 'ferry.db'], { cwd: dir });
    expect(dry.code, dry.err).toBe(0);
    const dryReport = JSON.parse(dry.out) as { verdict: string };
    expect(dryReport.verdict).toBe('ready');

    const run = ferry(['run', plan, '--state', 'ferry.db', '--json'], { cwd: dir });
    expect(run.code, run.err).toBe(0);
    const jobId = run.events.find((e) => e.type === 'job.done')!.summary.jobId as string;

    const verify = ferry(['verify', plan, '--state', 'ferry.db'], { cwd: dir });
    expect(verify.code, verify.err).toBe(0);
    const done = verify.events.find((e) => e.type === 'verify.done')!;
    expect(done.report.outcome).toBe('match');

    // Newest first: the plan verification, the job's verification (during the run), the dry run.
    const all = reports();
    expect(all).toEqual([
      { id: done.runId, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), kind: 'verify', plan: PLAN_NAME, outcome: 'match', streams: 1, checks: 2 },
      { id: jobId, at: expect.any(String), kind: 'verify', plan: PLAN_NAME, outcome: 'match', streams: 1, checks: 2, job: jobId },
      { id: expect.stringMatching(/^dr-/), at: expect.any(String), kind: 'dry-run', plan: PLAN_NAME, outcome: 'ready', blockers: 0, warnings: expect.any(Number), streams: 1 },
    ]);
    const dryId = all[2]!.id as string;
    expect(dry.err).toContain(`report ${dryId} saved`);

    // Filters: --kind, --plan, --limit; --json on a pipe changes nothing.
    expect(reports(['--kind', 'dry-run']).map((r) => r.id)).toEqual([dryId]);
    expect(reports(['--kind', 'verify']).map((r) => r.id)).toEqual([done.runId, jobId]);
    expect(reports(['--plan', PLAN_NAME, '--json']).map((r) => r.id)).toEqual([done.runId, jobId, dryId]);
    expect(reports(['--plan', 'some-other-plan'])).toEqual([]);
    expect(reports(['--limit', '1']).map((r) => r.id)).toEqual([done.runId]);

    // show --format json: the dry run's JSON exactly as `ferry plan dry-run` printed it.
    const showDry = ferry(['reports', 'show', dryId, '--state', 'ferry.db', '--format', 'json'], { cwd: dir });
    expect(showDry.code, showDry.err).toBe(0);
    expect(showDry.out).toBe(dry.out);
    expect(JSON.parse(showDry.out)).toEqual(dryReport);

    // The plan verification: the same results and outcome (the overall duration is not stored: the results' sum).
    const showVerify = ferry(['reports', 'show', done.runId, '--state', 'ferry.db', '--format', 'json'], { cwd: dir });
    expect(showVerify.code, showVerify.err).toBe(0);
    const shown = JSON.parse(showVerify.out) as { type: string; plan: string; planPath: string; report: { outcome: string; results: unknown[]; durationMs: number } };
    expect(shown).toMatchObject({ type: 'verify.report', plan: PLAN_NAME, planPath: plan });
    expect(shown.report.outcome).toBe(done.report.outcome);
    expect(shown.report.results).toEqual(done.report.results);
    expect(shown.report.durationMs).toBeLessThanOrEqual(done.report.durationMs as number);

    // The job's verification, as the run stored it.
    const showJob = ferry(['reports', 'show', jobId, '--state', 'ferry.db', '--format', 'json'], { cwd: dir });
    expect(showJob.code, showJob.err).toBe(0);
    const verifyDuringRun = run.events.find((e) => e.type === 'verify.done')!;
    expect((JSON.parse(showJob.out) as { jobId: string; report: { results: unknown[] } }).report.results).toEqual(verifyDuringRun.report.results);

    // --format md --out FILE writes the file, stdout stays empty.
    const md = ferry(['reports', 'show', dryId, '--state', 'ferry.db', '--format', 'md', '--out', 'dry.md'], { cwd: dir });
    expect(md.code, md.err).toBe(0);
    expect(md.out).toBe('');
    expect(md.err).toContain(path.join(dir, 'dry.md'));
    const mdText = fs.readFileSync(path.join(dir, 'dry.md'), 'utf8');
    expect(mdText).toContain(PLAN_NAME);
    expect(mdText).toContain('public.items');
    const mdVerify = ferry(['reports', 'show', done.runId, '--state', 'ferry.db', '--format', 'md', '--out', 'verify.md'], { cwd: dir });
    expect(mdVerify.code, mdVerify.err).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'verify.md'), 'utf8')).toMatch(/^# ferry verification: match/);

    // An unknown id: exit non-zero, and the fix names `ferry reports`.
    const unknown = ferry(['reports', 'show', 'dr-20200101-000000-000000', '--state', 'ferry.db'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no stored report "dr-20200101-000000-000000"');
    expect(unknown.err).toContain('fix: `ferry reports` lists the ids');
    expect(unknown.err).not.toMatch(/\n\s+at /);

    // No connection string anywhere.
    for (const r of [showDry, showVerify, showJob, md]) expect(r.out + r.err).not.toContain('postgres://');
    expect(JSON.stringify(all)).not.toContain('postgres://');
  }, 180_000);
});
