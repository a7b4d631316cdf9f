/**
 * Workers on the shared PostgreSQL state, as separate processes in separate working directories (standing in for
 * machines), PostgreSQL → DynamoDB. A worker stopped (SIGSTOP) past its lease loses its segment to another worker;
 * woken (SIGCONT), its late commit is refused by the fencing token and it drops the segment. The job still ends
 * exactly the source set, and no segment's cursor ever moved backwards (read from the state).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, ferryAsync, workDir, writePlan } from '../../support/cli.js';
import { machine, sharedState, stateAfter, type SharedState } from '../../support/shared-state.js';

const ROWS = 30_000;
let dir: string;
let plan: string;
let srcUrl: string;
let state: SharedState;
let planTwo: string;

beforeAll(async () => {
  dir = workDir('ferry-workers-');
  const db = uniqueName('workers').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(serviceEnv('PGURL'));
  u.pathname = `/${db}`;
  srcUrl = u.toString();
  const c = new pg.Client({ connectionString: srcUrl });
  await c.connect();
  await c.query('CREATE TABLE orders (order_id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2))');
  await c.query(`INSERT INTO orders SELECT g, 'customer ' || (g % 977), round((g * 1.37)::numeric, 2) FROM generate_series(1, ${ROWS}) g`);
  await c.end();
  state = sharedState(db);
  plan = writePlan(dir, 'orders', [
    'version: 1',
    'kind: migration',
    'name: orders-workers',
    'source: { type: postgres, url: "${env:WORKERS_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    'streams:',
    '  - from: public.orders',
    `    to: ${uniqueName('worders')}`,
    // One segment at a time per worker, slow enough to stop a worker in the middle of one.
    'limits: { concurrency: 1, batch_size: 200, items_per_second: 4000 }',
    'verify: [count, checksum]',
  ]);
  planTwo = writePlan(dir, 'orders-local', [
    'version: 1',
    'kind: migration',
    'name: orders-local-workers',
    'source: { type: postgres, url: "${env:WORKERS_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    'streams:',
    '  - from: public.orders',
    `    to: ${uniqueName('wlocal')}`,
    'limits: { concurrency: 2, batch_size: 200, items_per_second: 3000 }',
    'verify: [count, checksum]',
  ]);
}, 120_000);

afterAll(async () => {
  await state?.drop();
});

describe('workers on a shared PostgreSQL state', () => {
  it('a stalled worker loses its segment to another; its late commit is refused by the fence; the result is exact', async () => {
    const env = { WORKERS_PGURL: srcUrl, FERRY_STATE: state.url };
    const created = ferry(['job', 'create', plan, '--workers', '2', '--json'], { cwd: dir, env });
    expect(created.code).toBe(0);
    const jobId = (JSON.parse(created.out) as { id: string }).id;

    let aBatches = 0;
    let stopped = false;
    let resumed = false;
    const a = ferryAsync(['worker', jobId, '--json', '--lease-ttl', '2'], {
      cwd: machine(dir, 'a'),
      env,
      onLine: (line, proc) => {
        if (line.includes('"type":"batch"')) aBatches += 1;
        if (aBatches >= 5 && !stopped) {
          stopped = true;
          proc.kill('SIGSTOP');
        }
      },
    });
    while (aBatches < 1) await new Promise((r) => setTimeout(r, 100));
    const b = ferryAsync(['worker', jobId, '--json', '--lease-ttl', '2'], {
      cwd: machine(dir, 'b'),
      env,
      onLine: (line) => {
        // b has taken a's segment over: wake a, whose next commit carries the old fence.
        if (line.includes('"change":"takeover"') && !resumed) {
          resumed = true;
          setTimeout(() => a.child.kill('SIGCONT'), 300);
        }
      },
    });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(stopped).toBe(true);
    expect(resumed).toBe(true);
    expect(rb.code).toBe(0);
    expect(ra.code).toBe(0);
    const lost = ra.events.filter((e) => e.type === 'segment.lease' && (e as { change?: string }).change === 'lost');
    expect(lost.length).toBe(1);
    expect(rb.events.some((e) => e.type === 'verify.done' || e.type === 'job.done')).toBe(true);

    // The state: succeeded, the taken-over segment's fence grew, no cursor moved backwards.
    const after = await stateAfter(state, jobId, (cursor) => Number((cursor as unknown[])[0]));
    expect(after.status).toBe('succeeded');
    expect(after.segments.every((seg) => seg.status === 'done')).toBe(true);
    expect(after.segments.reduce((n, seg) => n + seg.items, 0)).toBe(ROWS);
    expect(Math.max(...after.segments.map((seg) => seg.fence))).toBeGreaterThanOrEqual(2);

    // Verified again from outside the workers: the target is exactly the source.
    const v = ferry(['verify', jobId, '--json'], { cwd: dir, env });
    expect(v.code).toBe(0);
    expect((v.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');

    const st = ferry(['status', jobId, '--json'], { cwd: dir, env });
    expect(JSON.parse(st.out)).toMatchObject({ status: 'succeeded', items: ROWS, segments: { total: 2, done: 2 } });
  }, 180_000);

  it('ferry run --workers 2: status shows each worker and the segment it holds; Ctrl-C drains both; ferry resume finishes the job exactly', async () => {
    const env = { WORKERS_PGURL: srcUrl, FERRY_STATE: state.url };
    let batches = 0;
    const run = ferryAsync(['run', planTwo, '--workers', '2', '--json'], {
      cwd: dir,
      env,
      onLine: (line) => {
        if (line.includes('"type":"batch"')) batches += 1;
      },
    });
    while (batches < 8) await new Promise((r) => setTimeout(r, 100));
    const listed = ferry(['status', '--json'], { cwd: dir, env });
    const jobId = (JSON.parse(listed.out) as { id: string; plan: string; status: string }[]).find((j) => j.plan === 'orders-local-workers' && j.status === 'running')!.id;
    const st = ferry(['status', jobId], { cwd: dir, env });
    expect(st.code, st.err).toBe(0);
    const pids = [...st.out.matchAll(/^ {2}worker pid (\d+) on /gm)].map((m) => Number(m[1]));
    expect(pids.length).toBe(2);
    // Every running segment names one of the two workers as its holder, with its last report.
    const rows = st.out.split('\n').filter((l) => / running /.test(l) && l.includes('#'));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const r of rows) expect(pids.some((pid) => r.includes(`pid ${pid}@`)), r).toBe(true);

    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/2 workers started/);
    const after = JSON.parse(ferry(['status', jobId, '--json'], { cwd: dir, env }).out) as { status: string; items: number; error?: string };
    expect(after.status, `${after.error ?? ''}\n${r.err}`).toBe('interrupted');
    expect(after.items).toBeGreaterThan(0);
    expect(after.items).toBeLessThan(ROWS);

    const resumed = ferry(['resume', jobId, '--json'], { cwd: dir, env });
    expect(resumed.code, resumed.err).toBe(0);
    expect((resumed.events.find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string } }).report.outcome).toBe('match');
    expect(JSON.parse(ferry(['status', jobId, '--json'], { cwd: dir, env }).out)).toMatchObject({ status: 'succeeded', items: ROWS });
    await stateAfter(state, jobId, (cursor) => Number((cursor as unknown[])[0]));
  }, 180_000);
});
