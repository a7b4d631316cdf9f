/**
 * The issue's proof of workers: 200,000 PostgreSQL rows into DynamoDB by 3 worker processes in separate working
 * directories on the shared PostgreSQL state. One worker is killed (`kill -9`) in the middle of its segments, then
 * another; a fourth joins late, as a restarted pod would. The killed workers' segments are taken over from their
 * last checkpoints, the job ends with exactly the source set (count and checksum, by the finishing worker and again
 * by `ferry verify`), and no segment's cursor in the state ever moved backwards.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, ferryAsync, workDir, writePlan, type Run } from '../../support/cli.js';
import { machine, sharedState, stateAfter, type SharedState } from '../../support/shared-state.js';

const ROWS = 200_000;
let dir: string;
let plan: string;
let srcUrl: string;
let state: SharedState;

beforeAll(async () => {
  dir = workDir('ferry-workers-kill-');
  const db = uniqueName('wkill').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(serviceEnv('PGURL'));
  u.pathname = `/${db}`;
  srcUrl = u.toString();
  const c = new pg.Client({ connectionString: srcUrl });
  await c.connect();
  await c.query('CREATE TABLE events (event_id bigint PRIMARY KEY, account text NOT NULL, amount numeric(14,2), at timestamptz NOT NULL)');
  await c.query(
    `INSERT INTO events SELECT g, 'acct-' || (g % 4999), round((g * 3.17)::numeric, 2), timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, ${ROWS}) g`,
  );
  await c.end();
  state = sharedState(db);
  plan = writePlan(dir, 'events', [
    'version: 1',
    'kind: migration',
    'name: events-workers-kill',
    'source: { type: postgres, url: "${env:WORKERS_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    'streams:',
    '  - from: public.events',
    `    to: ${uniqueName('wkill')}`,
    'limits: { concurrency: 2, batch_size: 500 }',
    'verify: [count, checksum]',
  ]);
}, 180_000);

afterAll(async () => {
  await state?.drop();
});

const takeovers = (r: Run): number => r.events.filter((e) => e.type === 'segment.lease' && (e as { change?: string }).change === 'takeover').length;

it('3 workers, two of them killed -9 mid-segment and one joining late: the job ends exactly the source, no cursor went back', async () => {
  const env = { WORKERS_PGURL: srcUrl, FERRY_STATE: state.url };
  const created = ferry(['job', 'create', plan, '--workers', '3', '--json'], { cwd: dir, env });
  expect(created.code, created.err).toBe(0);
  const jobId = (JSON.parse(created.out) as { id: string }).id;

  const batches = { a: 0, b: 0, c: 0 };
  let bAtKill = -1;
  const start = (name: 'a' | 'b' | 'c' | 'd') =>
    ferryAsync(['worker', jobId, '--json', '--lease-ttl', '2'], {
      cwd: machine(dir, name),
      env,
      onLine: (line, proc) => {
        if (name === 'd' || !line.includes('"type":"batch"')) return;
        batches[name] += 1;
        if (name === 'a' && batches.a === 10) {
          proc.kill('SIGKILL');
          bAtKill = batches.b;
        }
        if (name === 'b' && bAtKill >= 0 && batches.b === bAtKill + 10) {
          proc.kill('SIGKILL');
          late = start('d');
        }
      },
    });
  let late: ReturnType<typeof start> | undefined;
  const a = start('a');
  const b = start('b');
  const c = start('c');
  const [ra, rb, rc] = await Promise.all([a.done, b.done, c.done]);
  expect(late, 'worker b was killed and d started').toBeDefined();
  const rd = await late!.done;

  expect(ra.code).toBeNull(); // killed by SIGKILL
  expect(rb.code).toBeNull();
  expect(rc.code, rc.err).toBe(0);
  expect(rd.code, rd.err).toBe(0);
  // a held two segments when it died, and b its own: each was taken over from its last checkpoint.
  expect(takeovers(rc) + takeovers(rd)).toBeGreaterThanOrEqual(3);
  const verified = [...rc.events, ...rd.events].filter((e) => e.type === 'verify.done');
  expect(verified.length, 'the job is verified once, by the worker that finished it').toBe(1);
  expect((verified[0] as unknown as { report: { outcome: string } }).report.outcome).toBe('match');

  const after = await stateAfter(state, jobId, (cursor) => Number((cursor as unknown[])[0]));
  expect(after.status).toBe('succeeded');
  expect(after.segments.length).toBe(6);
  expect(after.segments.every((s) => s.status === 'done')).toBe(true);
  expect(after.segments.reduce((n, s) => n + s.items, 0)).toBe(ROWS);
  expect(after.segments.filter((s) => s.fence >= 2).length).toBeGreaterThanOrEqual(3);

  const v = ferry(['verify', jobId, '--json'], { cwd: dir, env });
  expect(v.code, v.err).toBe(0);
  const report = (v.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string; checks: { name: string; source?: number; target?: number }[] } }).report;
  expect(report.outcome).toBe('match');
  expect(JSON.stringify(report)).toContain(String(ROWS));
}, 300_000);
