/**
 * `ferry schedule tick` from any number of triggers: ten ticks started at once for one slot run the job once; a slot
 * whose taker died is not run again while its lease lives, and is taken over after; a slot past its window is
 * recorded missed; a failed run reaches a webhook on 127.0.0.1 with the job, slot, error and fix, and no secret.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../../src/state/index.js';
import { serviceEnv, uniqueName } from '../../support/clients.js';
import { ferry, ferryAsync, workDir, writePlan, type Run } from '../../support/cli.js';

let dir: string;
let env: Record<string, string>;
let hook: Server;
const received: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = workDir('ferry-schedule-');
  const db = uniqueName('sched').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serviceEnv('PGURL') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(serviceEnv('PGURL'));
  u.pathname = `/${db}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  await c.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
  await c.query("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g");
  await c.end();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  // A password the webhook must never see: in the URL the plan reads, and in the webhook's own query string.
  const withPw = new URL(u.toString());
  withPw.password = 'sched-secret-pw';
  env = {
    SCHED_PGURL: u.toString(),
    SCHED_BAD_PGURL: withPw.toString().replace(/\/[^/]+$/, '/no_such_database'),
    HOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alert?token=hook-secret`,
  };
  const table = uniqueName('sched');
  writePlan(dir, 'copy', [
    'version: 1',
    'kind: migration',
    'name: sched-copy',
    'source: { type: postgres, url: "${env:SCHED_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    'streams:',
    '  - from: public.items',
    `    to: ${table}`,
    'verify: [count]',
  ]);
  writePlan(dir, 'broken', [
    'version: 1',
    'kind: migration',
    'name: sched-broken',
    'source: { type: postgres, url: "${env:SCHED_BAD_PGURL}" }',
    'target: { type: dynamodb, endpoint: "${env:DYNAMODB_ENDPOINT}", region: "${env:AWS_REGION}", create: true }',
    'streams: [{ from: public.items }]',
  ]);
  for (const d of ['jobs', 'failing', 'bad', 'backups']) mkdirSync(path.join(dir, d));
  writePlan(dir, 'backup', [
    'version: 1',
    'kind: backup',
    'name: sched-backup',
    'source: { type: postgres, url: "${env:SCHED_PGURL}" }',
    `target: { type: s3, bucket: ${uniqueName('sched')}, endpoint: "\${env:S3_ENDPOINT}", region: "\${env:AWS_REGION}", force_path_style: true, create: true }`,
    'streams: [{ from: public.items }]',
    'verify: [count, checksum]',
  ]);
  writePlan(path.join(dir, 'backups'), 'nightly', ['version: 1', 'name: nightly-backup', 'plan: ../backup.yaml', 'schedule: { cron: "0 * * * *" }', 'window: 180', 'rpo: 2h', 'retention: { keep_last: 1 }']);
  writePlan(path.join(dir, 'jobs'), 'copy', ['version: 1', 'name: every-minute-copy', 'plan: ../copy.yaml', 'schedule: { cron: "* * * * *" }', 'window: 5']);
  writePlan(path.join(dir, 'failing'), 'broken', [
    'version: 1',
    'name: nightly-broken',
    'plan: ../broken.yaml',
    'schedule: { cron: "0 2 * * *", timezone: Europe/Berlin }',
    'window: 30',
    'on_failure: { webhook: "${env:HOOK}" }',
  ]);
}, 120_000);

afterAll(() => new Promise<void>((r) => hook.close(() => r())));

const slotsOf = (job: string) => {
  const store = openStateStore(path.join(dir, 'ferry.db'));
  return store
    .scheduleSlots()
    .list(job)
    .finally(() => store.close());
};

describe('ferry schedule tick', () => {
  it('ten ticks at once for one slot: one runs it, the nine others find it taken', async () => {
    const now = '2026-12-08T10:00:30Z';
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => ferryAsync(['schedule', 'tick', '--now', now, '--state', 'ferry.db', '--json'], { cwd: dir, env }).done),
    );
    const outcomes = runs.flatMap((r: Run) => r.events.filter((e) => e.type === 'slot').map((e) => e['outcome'] as string));
    expect(runs.map((r) => r.code)).toEqual(Array(10).fill(0));
    // One ran it; a tick that looked while it ran found it taken, one that looked after found nothing due.
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'succeeded' && o !== 'taken')).toEqual([]);
    const slots = await slotsOf('every-minute-copy');
    expect(slots.map((s) => [s.slot, s.status, s.attempts])).toEqual([['2026-12-08T10:00:00Z', 'succeeded', 1]]);
    expect(slots[0]!.jobId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    const jobs = JSON.parse(ferry(['jobs', '--state', 'ferry.db', '--json'], { cwd: dir }).out) as unknown[];
    expect(jobs).toHaveLength(1);
    // The same slot again later: nothing runs.
    const again = ferry(['schedule', 'tick', '--now', '2026-12-08T10:00:50Z', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(again.events.filter((e) => e.type === 'slot')).toEqual([]);
  }, 180_000);

  it('a slot whose taker died waits for its lease, then is taken over once', async () => {
    const store = openStateStore(path.join(dir, 'ferry.db'));
    const dead = await store.scheduleSlots().claim('every-minute-copy', '2026-12-08T10:01:00Z', 'pid 1 on a-dead-host', 1500);
    expect(dead.outcome).toBe('claimed');
    await store.close();
    const during = ferry(['schedule', 'tick', '--now', '2026-12-08T10:01:10Z', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(during.events.filter((e) => e.type === 'slot').map((e) => e['outcome'])).toEqual(['taken']);
    await new Promise((r) => setTimeout(r, 1600));
    const after = ferry(['schedule', 'tick', '--now', '2026-12-08T10:01:20Z', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(after.code, after.err).toBe(0);
    expect(after.events.filter((e) => e.type === 'slot').map((e) => e['outcome'])).toEqual(['succeeded']);
    expect((await slotsOf('every-minute-copy'))[0]).toMatchObject({ slot: '2026-12-08T10:01:00Z', status: 'succeeded', attempts: 2 });
  }, 180_000);

  it('a failed run and a missed slot reach the webhook with job, slot, error and fix, and no secret', async () => {
    // 02:00 Berlin is 01:00Z in December: within the window at 01:10Z.
    const r = ferry(['schedule', 'tick', '--jobs', 'failing', '--now', '2026-12-08T01:10:00Z', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.events.filter((e) => e.type === 'slot').map((e) => [e['slot'], e['outcome']])).toEqual([['2026-12-08T01:00:00Z', 'failed']]);
    // Two nights later, with no tick in between: the night in between is missed (past its 30-minute window).
    const late = ferry(['schedule', 'tick', '--jobs', 'failing', '--now', '2026-12-10T00:40:00Z', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(late.events.filter((e) => e.type === 'slot').map((e) => [e['slot'], e['outcome']])).toEqual([['2026-12-09T01:00:00Z', 'missed']]);
    await new Promise((res) => setTimeout(res, 200));
    expect(received.map((b) => [b['job'], b['slot'], b['outcome']])).toEqual([
      ['nightly-broken', '2026-12-08T01:00:00Z', 'failed'],
      ['nightly-broken', '2026-12-09T01:00:00Z', 'missed'],
    ]);
    expect(received[0]!['error']).toMatch(/no_such_database|does not exist/);
    expect(typeof received[0]!['fix']).toBe('string');
    const text = JSON.stringify(received);
    expect(text).not.toContain('sched-secret-pw');
    expect(text).not.toContain('hook-secret');

    const st = ferry(['schedule', 'status', '--jobs', 'failing', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(st.code).toBe(1);
    expect(JSON.parse(st.out)).toMatchObject({ ok: false, jobs: [{ job: 'nightly-broken', last: { slot: '2026-12-08T01:00:00Z', status: 'failed' }, missed: 1 }] });
  }, 180_000);

  it('a backup job: backed up, verified, pruned by the job\'s retention; status shows the RPO achieved under its target', () => {
    const r = ferry(['schedule', 'run', 'nightly-backup', '--jobs', 'backups', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(r.code, r.err).toBe(0);
    expect(r.events.find((e) => e.type === 'slot')).toMatchObject({ job: 'nightly-backup', outcome: 'succeeded' });
    const st = ferry(['schedule', 'status', '--jobs', 'backups', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(st.code, st.out + st.err).toBe(0);
    const v = JSON.parse(st.out) as { ok: boolean; jobs: { last: { status: string }; rpo: { achievedMs: number; targetMs: number; breached: boolean } }[] };
    expect(v.ok).toBe(true);
    expect(v.jobs[0]!.last.status).toBe('succeeded');
    expect(v.jobs[0]!.rpo).toMatchObject({ targetMs: 7_200_000, breached: false });
    expect(v.jobs[0]!.rpo.achievedMs).toBeLessThan(600_000);
    // The same slot run again (a CronJob that fired twice): taken, nothing runs.
    const twice = ferry(['schedule', 'run', 'nightly-backup', '--jobs', 'backups', '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(twice.events.find((e) => e.type === 'slot')).toMatchObject({ outcome: 'taken' });
    // Another slot (the one before, still within its window): a second set, then the job's retention (keep_last: 1,
    // the plan has none) leaves one.
    const first = (r.events.find((e) => e.type === 'slot') as unknown as { slot: string }).slot;
    const prev = new Date(Date.parse(first) - 3_600_000).toISOString();
    const older = ferry(['schedule', 'run', 'nightly-backup', '--jobs', 'backups', '--slot', prev, '--state', 'ferry.db', '--json'], { cwd: dir, env });
    expect(older.code, older.err).toBe(0);
    expect(older.events.find((e) => e.type === 'slot')).toMatchObject({ slot: prev.replace('.000Z', 'Z'), outcome: 'succeeded' });
    const sets = JSON.parse(ferry(['backup', 'list', 'backup.yaml', '--json'], { cwd: dir, env }).out) as { sets: { state: string }[] };
    expect(sets.sets.map((x) => x.state)).toEqual(['complete']);
  }, 180_000);

  it('serve ticks at once, then waits for the next minute; SIGTERM ends it with exit 0', async () => {
    let slots = 0;
    const { child, done } = ferryAsync(['schedule', 'serve', '--jobs', 'backups', '--state', 'serve.db'], {
      cwd: dir,
      env,
      onLine: (line, proc) => {
        if (line.includes('"type":"slot"')) {
          slots += 1;
          proc.kill('SIGTERM');
        }
      },
    });
    const r = await done;
    expect(slots).toBe(1);
    expect(r.code, r.err).toBe(0);
    expect(child.signalCode).toBeNull();
    expect(r.err).toContain('stopping after the current tick');
  }, 180_000);

  it('ferry run --continue (a scheduled run) resumes the unfinished job an earlier slot left, instead of refusing', () => {
    const created = ferry(['job', 'create', 'copy.yaml', '--state', 'cont.db', '--json'], { cwd: dir, env });
    expect(created.code, created.err).toBe(0);
    const id = /\d{8}-\d{6}-[0-9a-f]{6}/.exec(created.out + created.err)![0];
    const refused = ferry(['run', 'copy.yaml', '--state', 'cont.db'], { cwd: dir, env });
    expect(refused.code).toBe(2);
    const r = ferry(['run', 'copy.yaml', '--continue', '--state', 'cont.db', '--json'], { cwd: dir, env });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`resuming job ${id}`);
    expect((r.events.find((e) => e.type === 'job.done') as unknown as { summary: { jobId: string; status: string } }).summary).toMatchObject({ jobId: id, status: 'succeeded' });
  }, 180_000);

  it('refuses a job spec with a bad schedule, naming the file, line and key', () => {
    writePlan(path.join(dir, 'bad'), 'bad', ['version: 1', 'name: bad-one', 'plan: ../copy.yaml', 'schedule: { cron: "0 25 * * *" }', 'overlap: sometimes']);
    const r = ferry(['schedule', 'check', '--jobs', 'bad'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml:5:\d+: overlap: must be one of skip, queue, got "sometimes"/);
  });
});
