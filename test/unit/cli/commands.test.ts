/**
 * The CLI as an operator meets it: the real `bin/ferry.js` (compiled by `npm test`'s pretest) in a child process,
 * checked on exit codes, stdout and stderr.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../../src/state/index.js';

const root = path.resolve(import.meta.dirname, '../../..');
const bin = path.join(root, 'bin/ferry.js');
const fixtures = path.join(root, 'test/unit/plan/fixtures');
let dir: string;

function ferry(args: string[], env: Record<string, string> = {}) {
  // Checked here rather than in a hook: a failing hook would leave these tests skipped, not failed.
  if (!fs.existsSync(path.join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-cli-'));
});

describe('ferry CLI', () => {
  it('--help lists every command and the exit codes', () => {
    const r = ferry(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['plan <command>', 'run <plan>', 'resume <job>', 'status [job]', 'jobs', 'dead-letters <job>', 'demo', 'connectors'])
      expect(r.out).toContain(`ferry ${c}`);
    expect(r.out).toContain('130');
  });

  it('status --json on an empty state prints [] and creates nothing', () => {
    const r = ferry(['status', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'state/ferry.db'))).toBe(false);
    expect(JSON.parse(ferry(['jobs', '--json']).out)).toEqual([]);
  });

  it('an unknown command or option is a usage error: exit 2', () => {
    const r = ferry(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ferry: .*frobnicate/);
    expect(r.err).toContain('fix:');
    expect(ferry(['status', '--no-such-flag']).code).toBe(2);
  });

  it('plan check: a valid plan exits 0', () => {
    const r = ferry(['plan', 'check', path.join(root, 'plans/example-s3-to-gcs.yaml')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(': ok');
  });

  const bad: [string, RegExp][] = [
    ['bad-syntax.yaml', /bad-syntax\.yaml:\d+:\d+: /],
    ['empty.yaml', /empty\.yaml:1:1: .*empty/],
    ['top-level-list.yaml', /top-level-list\.yaml:1:1: .*mapping/],
    ['unknown-key.yaml', /unknown-key\.yaml:13:7: streams\[0\]\.map\.renam: unknown key; did you mean "rename"\?/],
    ['missing-source.yaml', /missing-source\.yaml:\d+:\d+: source: required key missing/],
    ['unknown-type.yaml', /unknown-type\.yaml:5:9: source\.type: unknown connector type "postgress"; did you mean "postgres"\?/],
    ['unset-env.yaml', /unset-env\.yaml:6:8: source\.url: environment variable FERRY_TEST_UNSET_PGURL is not set/],
    ['bad-limits.yaml', /bad-limits\.yaml:11:8: limits\.wcu: must be a positive number, got -5/],
  ];
  it.each(bad)('plan check %s exits 2 with file:line:column: path: problem', (file, re) => {
    const r = ferry(['plan', 'check', path.join(fixtures, file)]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('plan check lists several errors of one file at once, and checks every file given', () => {
    const r = ferry(['plan', 'check', path.join(fixtures, 'bad-limits.yaml'), path.join(root, 'plans/example-s3-to-gcs.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err.match(/bad-limits\.yaml:\d+:\d+:/g)?.length).toBeGreaterThanOrEqual(3);
    expect(r.out).toContain('example-s3-to-gcs.yaml: ok');
  });

  it('plan schema prints a JSON Schema that names every connector type', () => {
    const r = ferry(['plan', 'schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.out) as Record<string, unknown>;
    expect(String(schema.$schema)).toMatch(/json-schema\.org/);
    for (const t of ['postgres', 'dynamodb', 'firestore', 'cosmos', 's3', 'gcs', 'azure-blob']) expect(r.out).toContain(`"${t}"`);
  });

  it('run refuses a plan whose connector is not built, leaving no job behind', () => {
    const plan = path.join(dir, 'to-cosmos.yaml');
    fs.writeFileSync(
      plan,
      ['version: 1', 'kind: migration', 'name: to-cosmos', 'source: { type: dynamodb, region: us-east-1, endpoint: "http://127.0.0.1:1" }',
        'target: { type: cosmos, database: db, endpoint: "http://127.0.0.1:1" }', 'streams: [{ from: t }]', ''].join('\n'),
    );
    const r = ferry(['run', plan, '--state', 'st/ferry.db']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the cosmos connector cannot be a target yet/);
    expect(JSON.parse(ferry(['jobs', '--json', '--state', 'st/ferry.db']).out)).toEqual([]);
  });

  it('run against an unreachable server names it, hides the password, exits 1 and leaves no job', () => {
    const plan = path.join(dir, 'unreachable.yaml');
    fs.writeFileSync(
      plan,
      [
        'version: 1',
        'kind: migration',
        'name: unreachable',
        'source: { type: postgres, url: "${env:SRC_URL}" }',
        'target: { type: dynamodb, region: us-east-1, endpoint: "http://127.0.0.1:1" }',
        'streams: [{ from: public.t }]',
        '',
      ].join('\n'),
    );
    const r = ferry(['run', plan, '--state', 'st2/ferry.db'], { SRC_URL: 'postgres://ferry:hunter2@127.0.0.1:1/db' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('127.0.0.1:1');
    expect(r.err).toContain('fix:');
    expect(r.err + r.out).not.toContain('hunter2');
    expect(JSON.parse(ferry(['jobs', '--json', '--state', 'st2/ferry.db']).out)).toEqual([]);
  });

  it('resume, status and dead-letters of an unknown job exit 1 and say how to find jobs', () => {
    for (const cmd of [['resume', 'nope'], ['status', 'nope'], ['dead-letters', 'nope']]) {
      const r = ferry(cmd);
      expect(r.code).toBe(1);
      expect(r.err).toContain('no job "nope"');
      expect(r.err).toContain('ferry jobs');
    }
  });

  it('status shows a killed job as stalled and resumable; resume refuses a job a live runner holds', async () => {
    const db = path.join(dir, 'locks.db');
    const store = openStateStore(db);
    const job = await store.createJob({ planName: 'p', planHash: 'h', kind: 'migration', planText: 'version: 1' });
    await store.ensureSegments(job.id, [{ id: 't#0/1', stream: 't', target: 't', index: 0, total: 1, spec: null }]);
    await store.setJobStatus(job.id, 'running');
    // Nobody holds the lock: the runner is gone.
    let r = ferry(['status', '--json', '--state', db]);
    expect(r.code).toBe(0);
    const views = JSON.parse(r.out) as { id: string; status: string; next: string }[];
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ id: job.id, status: 'stalled', next: `ferry resume ${job.id}` });
    // A live runner (this test process) holds it: a second runner is refused with the holder named.
    await store.acquireRunner(job.id, 60_000);
    r = ferry(['resume', job.id, '--state', db]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`job ${job.id} is being run by pid ${process.pid} on host ${os.hostname()} since`);
    r = ferry(['status', job.id, '--json', '--state', db]);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'running', runner: { pid: process.pid } });
    await store.close();
  });
});
