import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, type SqliteStateStore } from '../../../src/state/index.js';
import { rejection, clock, newJob, segments, tempDir } from './helpers.js';
import { claimed } from '../../support/claimed.js';


const T0 = Date.parse('2026-11-28T07:36:12.000Z');
const TTL = 30_000;
const SEG = 'public.invoice#0/2';
const step = (cursor: string) => ({ cursor, items: 1, bytes: 10, deadLetters: [], done: false });

/** Two stores on one file = two connections, as two runner processes would have. */
describe('runner lease across two connections', () => {
  let dir: string;
  let cleanup: () => void;
  let path: string;
  let a: SqliteStateStore;
  let b: SqliteStateStore;
  let jobId: string;
  const c = clock(T0);

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    path = join(dir, 'ferry.db');
    c.set(T0);
    a = openStateStore(path, { now: c.now, pid: 1111, host: 'host-a' });
    b = openStateStore(path, { now: c.now, pid: 2222, host: 'host-b' });
    jobId = (await a.createJob(newJob())).id;
    await a.ensureSegments(jobId, segments('public.invoice', 2));
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    cleanup();
  });

  it('a second runner is refused with a message naming pid, host and since', async () => {
    const lease = await a.acquireRunner(jobId, TTL);
    expect(lease).toMatchObject({
      jobId,
      holder: { pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' },
      expiresAt: T0 + TTL,
    });
    c.advance(10_000);
    const e = (await rejection(() => b.acquireRunner(jobId, TTL)));
    expect(e.code).toBe('JOB_LOCKED');
    expect(e.message).toBe(`job ${jobId} is being run by pid 1111 on host host-a since 2026-11-28T07:36:12.000Z`);
    expect(e.hint).toMatch(/^wait for it to finish, or stop it; a killed runner's lease expires after 20 s/);
    expect(e.details?.holder).toMatchObject({ pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' });
    expect(e.retry).toBe('terminal');
    expect(await b.runnerOf(jobId)).toMatchObject({ pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' });
  });

  it('acquire by the same pid on the same host is idempotent (same token, longer lease)', async () => {
    const first = await a.acquireRunner(jobId, TTL);
    c.advance(5_000);
    const again = await a.acquireRunner(jobId, TTL);
    expect(again.token).toBe(first.token);
    expect(again.holder.since).toBe(first.holder.since);
    expect(again.expiresAt).toBe(T0 + 5_000 + TTL);
    await a.commit(await claimed(a, first, SEG), step('c1'));
    expect((await a.events(jobId)).filter((e) => e.type === 'runner.takeover')).toHaveLength(0);
  });

  it('renew extends the lease; the other runner stays out', async () => {
    const lease = await a.acquireRunner(jobId, TTL);
    c.advance(25_000);
    const renewed = await a.renewRunner(lease, TTL);
    expect(renewed.token).toBe(lease.token);
    expect(renewed.expiresAt).toBe(T0 + 25_000 + TTL);
    c.advance(25_000); // past the first expiry, within the renewed one
    expect((await rejection(() => b.acquireRunner(jobId, TTL))).code).toBe('JOB_LOCKED');
  });

  it('an expired lease that nobody took over still lets its holder commit and renew', async () => {
    const lease = await a.acquireRunner(jobId, TTL);
    c.advance(TTL + 1);
    expect(await a.runnerOf(jobId)).toBeUndefined();
    await a.commit(await claimed(a, lease, SEG), step('c1'));
    const renewed = await a.renewRunner(lease, TTL);
    expect(renewed.expiresAt).toBe(c.now() + TTL);
    expect((await rejection(() => b.acquireRunner(jobId, TTL))).code).toBe('JOB_LOCKED');
  });

  it('after expiry the other runner takes over; the old holder can no longer commit or renew', async () => {
    const old = await a.acquireRunner(jobId, TTL);
    await a.commit(await claimed(a, old, SEG), step('c1'));
    c.advance(TTL);
    const lease = await b.acquireRunner(jobId, TTL);
    expect(lease.token).not.toBe(old.token);
    expect(lease.holder).toMatchObject({ pid: 2222, host: 'host-b', since: '2026-11-28T07:36:42.000Z' });

    const takeovers = (await b.events(jobId)).filter((e) => e.type === 'runner.takeover');
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]!.data).toMatchObject({
      previous: { pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' },
      reason: 'expired',
      by: { pid: 2222, host: 'host-b' },
    });

    const e = (await rejection(async () => a.commit(await claimed(a, old, SEG), step('stale'))));
    expect(e.code).toBe('JOB_LOCKED');
    expect(e.message).toContain('pid 2222 on host host-b');
    expect((await a.listSegments(jobId))[0]).toMatchObject({ cursor: 'c1', items: 1 });
    expect((await rejection(() => a.renewRunner(old, TTL))).code).toBe('JOB_LOCKED');
    // a stale release does not drop the new holder's lock
    await a.releaseRunner(old);
    expect(await a.runnerOf(jobId)).toMatchObject({ pid: 2222 });
    await b.commit(await claimed(b, lease, SEG), step('c2'));
    expect((await b.listSegments(jobId))[0]).toMatchObject({ cursor: 'c2', items: 2 });
    expect((await rejection(() => a.acquireRunner(jobId, TTL))).code).toBe('JOB_LOCKED');
  });

  it('release lets the next runner in at once, without a takeover event', async () => {
    const lease = await a.acquireRunner(jobId, TTL);
    await a.releaseRunner(lease);
    expect(await b.runnerOf(jobId)).toBeUndefined();
    await b.acquireRunner(jobId, TTL);
    expect(await b.events(jobId)).toHaveLength(0);
  });

  it('acquire of an unknown job is JOB_NOT_FOUND', async () => {
    expect((await rejection(() => a.acquireRunner('20261128-000000-000000', TTL))).code).toBe('JOB_NOT_FOUND');
  });

  it('a writer blocked beyond busy_timeout gets a transient STATE error', async () => {
    const impatient = openStateStore(path, { now: c.now, pid: 3333, host: 'host-c', busyTimeoutMs: 50 });
    const raw = new Database(path);
    raw.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const e = (await rejection(() => impatient.acquireRunner(jobId, TTL)));
      expect(e.code).toBe('STATE');
      expect(e.retry).toBe('transient');
      expect(e.message).toMatch(/busy/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(40);
      // readers are not blocked by a writer until it commits (a RESERVED lock lets them read)
      expect((await impatient.getJob(jobId))?.id).toBe(jobId);
    } finally {
      raw.exec('ROLLBACK');
      raw.close();
      await impatient.close();
    }
  });
});

describe('runner lease of a process gone from this host', () => {
  let store: SqliteStateStore;
  let other: SqliteStateStore;
  let alive: boolean;
  let jobId: string;
  const c = clock(T0);
  beforeEach(async () => {
    c.set(T0);
    alive = true;
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'ferry.db');
    store = openStateStore(path, { now: c.now, pid: 1111, host: 'same-host', isProcessAlive: () => alive });
    other = openStateStore(path, { now: c.now, pid: 2222, host: 'same-host', isProcessAlive: () => alive });
    jobId = (await store.createJob(newJob())).id;
    return async () => {
      await store.close();
      await other.close();
      cleanup();
    };
  });

  it('is refused while the holder lives, taken over at once when it is gone', async () => {
    await store.acquireRunner(jobId, TTL);
    expect((await rejection(() => other.acquireRunner(jobId, TTL))).code).toBe('JOB_LOCKED');
    alive = false;
    expect(await other.runnerOf(jobId)).toBeUndefined();
    const lease = await other.acquireRunner(jobId, TTL);
    expect(lease.holder.pid).toBe(2222);
    const ev = await other.events(jobId);
    expect(ev.map((e) => e.type)).toEqual(['runner.takeover']);
    expect(ev[0]!.data).toMatchObject({ previous: { pid: 1111, host: 'same-host' }, reason: 'holder-gone' });
  });

  it('a holder on another host is never presumed dead', async () => {
    const remote = openStateStore(store.path, { now: c.now, pid: 1111, host: 'remote', isProcessAlive: () => false });
    const otherJob = (await remote.createJob(newJob())).id;
    await remote.acquireRunner(otherJob, TTL);
    alive = false;
    expect((await rejection(() => other.acquireRunner(otherJob, TTL))).code).toBe('JOB_LOCKED');
    await remote.close();
  });
});
