import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunnerLease } from '../../../src/core/checkpoint.js';
import { FerryError } from '../../../src/errors.js';
import {
  JOB_ID_PATTERN,
  MAX_DEAD_LETTER_PAYLOAD,
  isJobId,
  newJobId,
  openStateStore,
  type SqliteStateStore,
} from '../../../src/state/index.js';
import { rejection, clock, memStore, newJob, segments, tempDir } from './helpers.js';
import { claimed } from '../../support/claimed.js';


const SECRET_URL = 'postgres://ferry:s3cr3t-pw@db.internal:5432/app';

describe('job ids', () => {
  it('are YYYYMMDD-HHMMSS-xxxxxx in UTC', () => {
    expect(newJobId(Date.parse('2026-11-28T07:36:12.999Z'), () => 'a1b2c3')).toBe('20261128-073612-a1b2c3');
    expect(isJobId(newJobId(Date.now()))).toBe(true);
    expect(isJobId('20261128-073612')).toBe(false);
  });

  it('sort in creation order across seconds', () => {
    const a = newJobId(Date.parse('2026-11-28T07:36:12Z'), () => 'ffffff');
    const b = newJobId(Date.parse('2026-11-28T07:36:13Z'), () => '000000');
    expect([b, a].sort()).toEqual([a, b]);
  });
});

describe('SqliteStateStore: jobs', () => {
  let store: SqliteStateStore;
  const c = clock();
  beforeEach(async () => {
    c.set(Date.parse('2026-11-28T07:36:12.000Z'));
    store = memStore({ now: c.now });
  });
  afterEach(() => store.close());

  it('creates a running job and keeps the raw plan text', async () => {
    const job = await store.createJob(newJob());
    expect(job.id).toMatch(JOB_ID_PATTERN);
    expect(job.id.startsWith('20261128-073612-')).toBe(true);
    expect(job).toMatchObject({
      planName: 'invoices-to-dynamodb',
      planHash: 'sha256:abc',
      planPath: 'plans/invoices-to-dynamodb.yaml',
      kind: 'migration',
      status: 'running',
      createdAt: '2026-11-28T07:36:12.000Z',
      updatedAt: '2026-11-28T07:36:12.000Z',
      finishedAt: undefined,
      error: undefined,
    });
    expect(await store.getJob(job.id)).toEqual(job);
    expect(await store.getPlanText(job.id)).toBe('source:\n  url: ${env:SOURCE_PGURL}\n');
    expect(await store.getJob('20261128-000000-000000')).toBeUndefined();
    expect(await store.getPlanText('nope')).toBeUndefined();
  });

  it('with claim, refuses a second job of a plan while the first one\'s runner lives, naming it', async () => {
    const first = await store.createJob(newJob(), { claim: true });
    const e = (await rejection(() => store.createJob(newJob({ planHash: 'sha256:other' }), { claim: true })));
    expect(e).toBeInstanceOf(FerryError);
    expect((e as FerryError).code).toBe('PLAN_RUNNING');
    expect((e as FerryError).message).toContain(`plan "invoices-to-dynamodb" is already running as job ${first.id} (pid ${process.pid}`);
    // Another plan is not held back; once the runner lets go, the plan may run again.
    expect((await store.createJob(newJob({ planName: 'other' }), { claim: true })).status).toBe('running');
    await store.releaseRunner(await store.acquireRunner(first.id, 1000));
    expect((await store.createJob(newJob(), { claim: true })).status).toBe('running');
  });

  it('gives unique ids to many jobs created in the same second', async () => {
    const ids = new Set(await Promise.all(Array.from({ length: 200 }, async () => (await store.createJob(newJob())).id)));
    expect(ids.size).toBe(200);
  });

  it('moves through statuses; finishedAt and error follow; errors are redacted', async () => {
    const job = await store.createJob(newJob({ planPath: undefined }));
    expect(job.planPath).toBeUndefined();

    c.advance(1000);
    await store.setJobStatus(job.id, 'interrupted');
    expect(await store.getJob(job.id)).toMatchObject({ status: 'interrupted', finishedAt: undefined, error: undefined });

    c.advance(1000);
    await store.setJobStatus(job.id, 'failed', `cannot connect to ${SECRET_URL}: password=hunter2 refused`);
    const failed = (await store.getJob(job.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.finishedAt).toBe('2026-11-28T07:36:14.000Z');
    expect(failed.updatedAt).toBe('2026-11-28T07:36:14.000Z');
    expect(failed.error).toContain('postgres://ferry:***@db.internal:5432/app');
    expect(failed.error).not.toContain('s3cr3t-pw');
    expect(failed.error).not.toContain('hunter2');

    c.advance(1000);
    await store.setJobStatus(job.id, 'running');
    expect(await store.getJob(job.id)).toMatchObject({ status: 'running', finishedAt: undefined, error: undefined });

    c.advance(1000);
    await store.setJobStatus(job.id, 'succeeded');
    expect(await store.getJob(job.id)).toMatchObject({ status: 'succeeded', finishedAt: '2026-11-28T07:36:16.000Z' });

    expect((await rejection(() => store.setJobStatus('20261128-000000-000000', 'failed'))).code).toBe('JOB_NOT_FOUND');
  });

  it('finds the latest unfinished job of a plan name + hash', async () => {
    const a = await store.createJob(newJob());
    c.advance(1000);
    const b = await store.createJob(newJob());
    c.advance(1000);
    const other = await store.createJob(newJob({ planHash: 'sha256:other' }));
    await store.createJob(newJob({ planName: 'another-plan' }));

    expect((await store.findUnfinishedJob('invoices-to-dynamodb', 'sha256:abc'))?.id).toBe(b.id);
    await store.setJobStatus(b.id, 'succeeded');
    expect((await store.findUnfinishedJob('invoices-to-dynamodb', 'sha256:abc'))?.id).toBe(a.id);
    await store.setJobStatus(a.id, 'failed', 'boom'); // failed is resumable
    expect((await store.findUnfinishedJob('invoices-to-dynamodb', 'sha256:abc'))?.id).toBe(a.id);
    await store.setJobStatus(a.id, 'succeeded');
    expect(await store.findUnfinishedJob('invoices-to-dynamodb', 'sha256:abc')).toBeUndefined();
    expect((await store.findUnfinishedJob('invoices-to-dynamodb', 'sha256:other'))?.id).toBe(other.id);
    expect(await store.findUnfinishedJob('nope', 'sha256:abc')).toBeUndefined();
  });

  it('lists jobs newest first, with optional filters', async () => {
    const a = await store.createJob(newJob());
    c.advance(1000);
    const b = await store.createJob(newJob({ planName: 'b' }));
    c.advance(1000);
    const d = await store.createJob(newJob());
    await store.setJobStatus(d.id, 'succeeded');
    expect((await store.listJobs()).map((j) => j.id)).toEqual([d.id, b.id, a.id]);
    expect((await store.listJobs({ planName: 'invoices-to-dynamodb' })).map((j) => j.id)).toEqual([d.id, a.id]);
    expect((await store.listJobs({ status: 'running' })).map((j) => j.id)).toEqual([b.id, a.id]);
    expect((await store.listJobs({ limit: 1 })).map((j) => j.id)).toEqual([d.id]);
  });
});

describe('SqliteStateStore: segments and commits', () => {
  let store: SqliteStateStore;
  let jobId: string;
  let lease: RunnerLease;
  const c = clock();
  beforeEach(async () => {
    c.set(Date.parse('2026-11-28T07:36:12.000Z'));
    store = memStore({ now: c.now, checkpointHistory: 3 });
    jobId = (await store.createJob(newJob())).id;
    await store.ensureSegments(jobId, segments('public.invoice', 3));
    lease = await store.acquireRunner(jobId, 30_000);
  });
  afterEach(() => store.close());

  it('records segments as pending with their spec and target', async () => {
    const segs = await store.listSegments(jobId);
    expect(segs).toHaveLength(3);
    expect(segs[1]).toEqual({
      jobId,
      id: 'public.invoice#1/3',
      stream: 'public.invoice',
      target: 'Invoices',
      index: 1,
      total: 3,
      spec: { from: 100, to: 200 },
      cursor: undefined,
      status: 'pending',
      items: 0,
      bytes: 0,
      rejected: 0,
      updatedAt: '2026-11-28T07:36:12.000Z',
      fence: 0,
      holder: undefined,
    });
  });

  it('ensureSegments is idempotent and keeps progress', async () => {
    await store.commit(await claimed(store, lease, 'public.invoice#0/3'), { cursor: '{"id":42}', items: 42, bytes: 4200, deadLetters: [], done: false });
    await store.releaseSegment(await claimed(store, lease, 'public.invoice#2/3'), 'failed');
    c.advance(5000);
    await store.ensureSegments(jobId, [
      ...segments('public.invoice', 3).map((s) => ({ ...s, spec: { changed: true } })),
      ...segments('public.customer', 1, 'Customers'),
    ]);
    const segs = await store.listSegments(jobId);
    expect(segs.map((s) => s.id)).toEqual([
      'public.customer#0/1',
      'public.invoice#0/3',
      'public.invoice#1/3',
      'public.invoice#2/3',
    ]);
    const s0 = segs[1]!;
    expect(s0).toMatchObject({ cursor: '{"id":42}', items: 42, bytes: 4200, status: 'running', spec: { from: 0, to: 100 } });
    expect(segs[3]!.status).toBe('failed');
    expect(segs[0]).toMatchObject({ target: 'Customers', status: 'pending' });
  });

  it('a claim marks the segment running under this runner; an unknown segment cannot be claimed', async () => {
    await claimed(store, lease, 'public.invoice#0/3');
    expect((await store.listSegments(jobId))[0]).toMatchObject({ status: 'running', fence: 1, holder: { pid: process.pid } });
    expect((await rejection(() => claimed(store, lease, 'nope'))).code).toBe('NOT_FOUND');
  });

  it('commit moves the cursor, adds totals, marks done, and appends history', async () => {
    const seg = 'public.invoice#0/3';
    await store.commit(await claimed(store, lease, seg), { cursor: 'c1', items: 10, bytes: 100, deadLetters: [], done: false });
    c.advance(1000);
    await store.commit(await claimed(store, lease, seg), {
      cursor: 'c2',
      items: 5,
      bytes: 50,
      deadLetters: [{ stream: 'public.invoice', key: 'invoice_id=7', reason: 'item too large', payload: '{"x":1}' }],
      done: false,
    });
    c.advance(1000);
    await store.commit(await claimed(store, lease, seg), { cursor: undefined, items: 0, bytes: 0, deadLetters: [], done: true });

    const s = (await store.listSegments(jobId))[0]!;
    expect(s).toMatchObject({ cursor: 'c2', items: 15, bytes: 150, rejected: 1, status: 'done' });
    expect(s.updatedAt).toBe('2026-11-28T07:36:14.000Z');
    expect((await store.getJob(jobId))!.updatedAt).toBe('2026-11-28T07:36:14.000Z');

    const hist = await store.checkpoints(jobId, { segmentId: seg });
    expect(hist.map((h) => [h.seq, h.cursor, h.items, h.bytes, h.rejected, h.at])).toEqual([
      [1, 'c1', 10, 100, 0, '2026-11-28T07:36:12.000Z'],
      [2, 'c2', 5, 50, 1, '2026-11-28T07:36:13.000Z'],
      [3, undefined, 0, 0, 0, '2026-11-28T07:36:14.000Z'],
    ]);
    expect(await store.checkpoints(jobId, { sinceMs: Date.parse('2026-11-28T07:36:13.000Z') })).toHaveLength(2);

    expect(await store.jobTotals(jobId)).toEqual({
      segments: 3, pending: 2, running: 0, done: 1, failed: 0, items: 15, bytes: 150, rejected: 1,
    });
  });

  it('commit refuses a segment that is already done (it would count twice)', async () => {
    const seg = 'public.invoice#1/3';
    await store.commit(await claimed(store, lease, seg), { cursor: 'c', items: 1, bytes: 1, deadLetters: [], done: true });
    const e = (await rejection(async () => store.commit(await claimed(store, lease, seg), { cursor: 'd', items: 1, bytes: 1, deadLetters: [], done: true })));
    expect(e.code).toBe('INTERNAL');
    expect((await store.listSegments(jobId))[1]).toMatchObject({ cursor: 'c', items: 1 });
    expect((await rejection(async () => store.commit(await claimed(store, lease, 'nope'), { cursor: 'x', items: 1, bytes: 1, deadLetters: [], done: false }))).code).toBe('NOT_FOUND');
  });

  it('commit is atomic: a failing dead-letter insert rolls back cursor, totals and history', async () => {
    const seg = 'public.invoice#0/3';
    await store.commit(await claimed(store, lease, seg), { cursor: 'c1', items: 10, bytes: 100, deadLetters: [], done: false });
    const bad = { stream: 'public.invoice', key: null as unknown as string, reason: 'invalid' };
    const e = await rejection(async () =>
      store.commit(await claimed(store, lease, seg), {
        cursor: 'c2',
        items: 5,
        bytes: 50,
        deadLetters: [{ stream: 'public.invoice', key: 'invoice_id=1', reason: 'too large' }, bad],
        done: true,
      }),
    );
    expect(e.code).toBe('STATE');
    expect((await store.listSegments(jobId))[0]).toMatchObject({ cursor: 'c1', items: 10, bytes: 100, rejected: 0, status: 'running' });
    expect(await store.countDeadLetters(jobId)).toBe(0);
    expect(await store.checkpoints(jobId)).toHaveLength(1);
    // and the store is still usable afterwards
    await store.commit(await claimed(store, lease, seg), { cursor: 'c2', items: 5, bytes: 50, deadLetters: [], done: false });
    expect((await store.listSegments(jobId))[0]).toMatchObject({ cursor: 'c2', items: 15 });
  });

  it('commit refuses a lease that no longer holds the job, writing nothing', async () => {
    await store.releaseRunner(lease);
    const e = await rejection(async () =>
      store.commit(await claimed(store, lease, 'public.invoice#0/3'), { cursor: 'c1', items: 1, bytes: 1, deadLetters: [], done: false }),
    );
    expect(e.code).toBe('JOB_LOCKED');
    expect(e.message).toMatch(/lost its lease/);
    expect((await store.listSegments(jobId))[0]).toMatchObject({ cursor: undefined, items: 0 });
    const forged = { ...lease, token: 'forged' };
    const again = await store.acquireRunner(jobId, 30_000);
    expect((await rejection(async () => store.commit(await claimed(store, forged, 'public.invoice#0/3'), { cursor: 'x', items: 1, bytes: 1, deadLetters: [], done: false }))).code).toBe('JOB_LOCKED');
    await store.commit(await claimed(store, again, 'public.invoice#0/3'), { cursor: 'c1', items: 1, bytes: 1, deadLetters: [], done: false });
  });

  it('keeps the checkpoint history bounded per segment', async () => {
    for (let i = 1; i <= 10; i++) {
      await store.commit(await claimed(store, lease, 'public.invoice#0/3'), { cursor: `c${i}`, items: 1, bytes: 1, deadLetters: [], done: false });
      await store.commit(await claimed(store, lease, 'public.invoice#1/3'), { cursor: `c${i}`, items: 1, bytes: 1, deadLetters: [], done: false });
    }
    expect((await store.checkpoints(jobId, { segmentId: 'public.invoice#0/3' })).map((h) => h.seq)).toEqual([8, 9, 10]);
    expect(await store.checkpoints(jobId)).toHaveLength(6);
    expect((await store.listSegments(jobId))[0]).toMatchObject({ cursor: 'c10', items: 10 });
  });
});

describe('SqliteStateStore: dead letters, events, verify results', () => {
  let store: SqliteStateStore;
  let jobId: string;
  beforeEach(async () => {
    store = memStore();
    jobId = (await store.createJob(newJob())).id;
    await store.ensureSegments(jobId, segments('public.invoice', 2));
  });
  afterEach(() => store.close());

  it('dead letters round-trip; reasons are redacted; huge payloads are truncated', async () => {
    const lease = await store.acquireRunner(jobId, 10_000);
    const huge = 'x'.repeat(MAX_DEAD_LETTER_PAYLOAD * 2);
    await store.commit(await claimed(store, lease, 'public.invoice#0/2'), {
      cursor: 'a',
      items: 3,
      bytes: 30,
      deadLetters: [
        { stream: 'public.invoice', key: 'invoice_id=1', reason: 'ValidationException: item size 500KB > 400KB', payload: '{"invoice_id":1}' },
        { stream: 'public.invoice', key: 'invoice_id=2', reason: `rejected by ${SECRET_URL}` },
      ],
      done: false,
    });
    await store.commit(await claimed(store, lease, 'public.invoice#1/2'), {
      cursor: 'b',
      items: 0,
      bytes: 0,
      deadLetters: [{ stream: 'public.invoice', key: 'invoice_id=3', reason: 'too large', payload: huge }],
      done: true,
    });

    expect(await store.countDeadLetters(jobId)).toBe(3);
    const all = await store.deadLetters(jobId);
    expect(all[0]).toMatchObject({
      jobId,
      segmentId: 'public.invoice#0/2',
      stream: 'public.invoice',
      key: 'invoice_id=1',
      reason: 'ValidationException: item size 500KB > 400KB',
      payload: '{"invoice_id":1}',
    });
    expect(typeof all[0]!.id).toBe('number');
    expect(all[0]!.createdAt).toMatch(/Z$/);
    expect(all[1]!.payload).toBeUndefined();
    expect('payload' in all[1]!).toBe(false);
    expect(all[1]!.reason).toBe('rejected by postgres://ferry:***@db.internal:5432/app');
    expect(all[2]!.payload!.length).toBeLessThan(MAX_DEAD_LETTER_PAYLOAD + 100);
    expect(all[2]!.payload).toMatch(/truncated, 131072 chars\]$/);
    expect(await store.deadLetters(jobId, { limit: 2 })).toHaveLength(2);
    expect((await store.deadLetters(jobId, { segmentId: 'public.invoice#1/2' })).map((d) => d.key)).toEqual(['invoice_id=3']);
    expect((await store.listSegments(jobId)).map((s) => s.rejected)).toEqual([2, 1]);
  });

  it('events round-trip in order, with string values redacted at any depth', async () => {
    await store.appendEvent(jobId, 'job.started', { segments: 2, resumed: false });
    await store.appendEvent(jobId, 'segment.error', {
      error: `connect ${SECRET_URL} failed`,
      nested: { list: ['ok', 'AccountKey=abc123;EndpointSuffix=core'], n: 1, big: 12n },
    });
    await store.appendEvent(jobId, 'job.ended', {});
    const ev = await store.events(jobId);
    expect(ev.map((e) => e.type)).toEqual(['job.started', 'segment.error', 'job.ended']);
    expect(ev[0]!.data).toEqual({ segments: 2, resumed: false });
    expect(ev[1]!.data).toEqual({
      error: 'connect postgres://ferry:***@db.internal:5432/app failed',
      nested: { list: ['ok', 'AccountKey=***;EndpointSuffix=core'], n: 1, big: '12' },
    });
    expect(ev[0]!.jobId).toBe(jobId);
    expect((await store.events(jobId, { afterId: ev[0]!.id })).map((e) => e.type)).toEqual(['segment.error', 'job.ended']);
    expect((await store.events(jobId, { limit: 1 })).map((e) => e.type)).toEqual(['job.started']);
    expect((await rejection(() => store.appendEvent('20261128-000000-000000', 'x', {}))).code).toBe('JOB_NOT_FOUND');
  });

  it('verify results round-trip', async () => {
    await store.saveVerifyResult(jobId, { stream: 'public.invoice', verifier: 'count', outcome: 'match', report: { source: 412, target: 412 } });
    await store.saveVerifyResult(jobId, {
      stream: 'public.invoice',
      verifier: 'checksum',
      outcome: 'differ',
      report: { differing: ['invoice_id=7'], digest: 10n ** 30n },
    });
    const r = await store.verifyResults(jobId);
    expect(r.map((x) => [x.verifier, x.outcome])).toEqual([['count', 'match'], ['checksum', 'differ']]);
    expect(r[0]!.report).toEqual({ source: 412, target: 412 });
    expect(r[1]!.report).toEqual({ differing: ['invoice_id=7'], digest: '1000000000000000000000000000000' });
    expect(r[0]!.at).toMatch(/Z$/);
  });
});

describe('SqliteStateStore: no secret reaches the file', () => {
  it('the raw bytes of the DB do not contain a redacted password', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'ferry.db');
      const store = openStateStore(path);
      const job = await store.createJob(newJob());
      await store.setJobStatus(job.id, 'failed', `error: connect ECONNREFUSED ${SECRET_URL}`);
      await store.appendEvent(job.id, 'x', { url: SECRET_URL });
      await store.close();
      const db = new Database(path);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(path).includes('s3cr3t-pw')).toBe(false);
      expect(readFileSync(path).includes('ferry:***@db.internal')).toBe(true);
    } finally {
      cleanup();
    }
  });
});
