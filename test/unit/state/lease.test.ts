import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../../src/errors.js';
import { openStateStore, type SqliteStateStore } from '../../../src/state/index.js';
import { caught, clock, newJob, segments, tempDir } from './helpers.js';


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

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    path = join(dir, 'ferry.db');
    c.set(T0);
    a = openStateStore(path, { now: c.now, pid: 1111, host: 'host-a' });
    b = openStateStore(path, { now: c.now, pid: 2222, host: 'host-b' });
    jobId = a.createJob(newJob()).id;
    a.ensureSegments(jobId, segments('public.invoice', 2));
  });
  afterEach(() => {
    a.close();
    b.close();
    cleanup();
  });

  it('a second runner is refused with a message naming pid, host and since', () => {
    const lease = a.acquireRunner(jobId, TTL);
    expect(lease).toMatchObject({
      jobId,
      holder: { pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' },
      expiresAt: T0 + TTL,
    });
    c.advance(10_000);
    const e = caught(() => b.acquireRunner(jobId, TTL));
    expect(e.code).toBe('JOB_LOCKED');
    expect(e.message).toBe(`job ${jobId} is being run by pid 1111 on host host-a since 2026-11-28T07:36:12.000Z`);
    expect(e.hint).toMatch(/^wait for it to finish, or stop it; a killed runner's lock expires after 20 s/);
    expect(e.details?.holder).toEqual({ pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' });
    expect(e.retry).toBe('terminal');
    expect(b.runnerOf(jobId)).toEqual({ pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' });
  });

  it('acquire by the same pid on the same host is idempotent (same token, longer lease)', () => {
    const first = a.acquireRunner(jobId, TTL);
    c.advance(5_000);
    const again = a.acquireRunner(jobId, TTL);
    expect(again.token).toBe(first.token);
    expect(again.holder.since).toBe(first.holder.since);
    expect(again.expiresAt).toBe(T0 + 5_000 + TTL);
    a.commit(first, SEG, step('c1'));
    expect(a.events(jobId).filter((e) => e.type === 'runner.takeover')).toHaveLength(0);
  });

  it('renew extends the lease; the other runner stays out', () => {
    const lease = a.acquireRunner(jobId, TTL);
    c.advance(25_000);
    const renewed = a.renewRunner(lease, TTL);
    expect(renewed.token).toBe(lease.token);
    expect(renewed.expiresAt).toBe(T0 + 25_000 + TTL);
    c.advance(25_000); // past the first expiry, within the renewed one
    expect(caught(() => b.acquireRunner(jobId, TTL)).code).toBe('JOB_LOCKED');
  });

  it('an expired lease that nobody took over still lets its holder commit and renew', () => {
    const lease = a.acquireRunner(jobId, TTL);
    c.advance(TTL + 1);
    expect(a.runnerOf(jobId)).toBeUndefined();
    a.commit(lease, SEG, step('c1'));
    const renewed = a.renewRunner(lease, TTL);
    expect(renewed.expiresAt).toBe(c.now() + TTL);
    expect(caught(() => b.acquireRunner(jobId, TTL)).code).toBe('JOB_LOCKED');
  });

  it('after expiry the other runner takes over; the old holder can no longer commit or renew', () => {
    const old = a.acquireRunner(jobId, TTL);
    a.commit(old, SEG, step('c1'));
    c.advance(TTL);
    const lease = b.acquireRunner(jobId, TTL);
    expect(lease.token).not.toBe(old.token);
    expect(lease.holder).toEqual({ pid: 2222, host: 'host-b', since: '2026-11-28T07:36:42.000Z' });

    const takeovers = b.events(jobId).filter((e) => e.type === 'runner.takeover');
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]!.data).toMatchObject({
      previous: { pid: 1111, host: 'host-a', since: '2026-11-28T07:36:12.000Z' },
      reason: 'expired',
      by: { pid: 2222, host: 'host-b' },
    });

    const e = caught(() => a.commit(old, SEG, step('stale')));
    expect(e.code).toBe('JOB_LOCKED');
    expect(e.message).toContain('pid 2222 on host host-b');
    expect(a.listSegments(jobId)[0]).toMatchObject({ cursor: 'c1', items: 1 });
    expect(caught(() => a.renewRunner(old, TTL)).code).toBe('JOB_LOCKED');
    // a stale release does not drop the new holder's lock
    a.releaseRunner(old);
    expect(a.runnerOf(jobId)).toMatchObject({ pid: 2222 });
    b.commit(lease, SEG, step('c2'));
    expect(b.listSegments(jobId)[0]).toMatchObject({ cursor: 'c2', items: 2 });
    expect(caught(() => a.acquireRunner(jobId, TTL)).code).toBe('JOB_LOCKED');
  });

  it('release lets the next runner in at once, without a takeover event', () => {
    const lease = a.acquireRunner(jobId, TTL);
    a.releaseRunner(lease);
    expect(b.runnerOf(jobId)).toBeUndefined();
    b.acquireRunner(jobId, TTL);
    expect(b.events(jobId)).toHaveLength(0);
  });

  it('acquire of an unknown job is JOB_NOT_FOUND', () => {
    expect(caught(() => a.acquireRunner('20261128-000000-000000', TTL)).code).toBe('JOB_NOT_FOUND');
  });

  it('a writer blocked beyond busy_timeout gets a transient STATE error', () => {
    const impatient = openStateStore(path, { now: c.now, pid: 3333, host: 'host-c', busyTimeoutMs: 50 });
    const raw = new Database(path);
    raw.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const e = caught(() => impatient.acquireRunner(jobId, TTL));
      expect(e.code).toBe('STATE');
      expect(e.retry).toBe('transient');
      expect(e.message).toMatch(/busy/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(40);
      // readers are not blocked by a writer until it commits (a RESERVED lock lets them read)
      expect(impatient.getJob(jobId)?.id).toBe(jobId);
    } finally {
      raw.exec('ROLLBACK');
      raw.close();
      impatient.close();
    }
  });
});

describe('runner lease of a process gone from this host', () => {
  let store: SqliteStateStore;
  let other: SqliteStateStore;
  let alive: boolean;
  let jobId: string;
  const c = clock(T0);
  beforeEach(() => {
    c.set(T0);
    alive = true;
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'ferry.db');
    store = openStateStore(path, { now: c.now, pid: 1111, host: 'same-host', isProcessAlive: () => alive });
    other = openStateStore(path, { now: c.now, pid: 2222, host: 'same-host', isProcessAlive: () => alive });
    jobId = store.createJob(newJob()).id;
    return () => {
      store.close();
      other.close();
      cleanup();
    };
  });

  it('is refused while the holder lives, taken over at once when it is gone', () => {
    store.acquireRunner(jobId, TTL);
    expect(caught(() => other.acquireRunner(jobId, TTL)).code).toBe('JOB_LOCKED');
    alive = false;
    expect(other.runnerOf(jobId)).toBeUndefined();
    const lease = other.acquireRunner(jobId, TTL);
    expect(lease.holder.pid).toBe(2222);
    const ev = other.events(jobId);
    expect(ev.map((e) => e.type)).toEqual(['runner.takeover']);
    expect(ev[0]!.data).toMatchObject({ previous: { pid: 1111, host: 'same-host' }, reason: 'holder-gone' });
  });

  it('a holder on another host is never presumed dead', () => {
    const remote = openStateStore(store.path, { now: c.now, pid: 1111, host: 'remote', isProcessAlive: () => false });
    const otherJob = remote.createJob(newJob()).id;
    remote.acquireRunner(otherJob, TTL);
    alive = false;
    expect(caught(() => other.acquireRunner(otherJob, TTL)).code).toBe('JOB_LOCKED');
    remote.close();
  });
});
