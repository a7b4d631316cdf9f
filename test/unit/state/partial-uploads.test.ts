/**
 * The state's record of partial uploads (core/upload-ledger.ts), for every CheckpointStore: an upload is an orphan
 * (safe to abort) only once the lease that recorded it is gone, only under the prefix asked, only for its store, and
 * an upload nobody recorded is never one.
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../../../src/core/checkpoint.js';
import { stateUploadLedger } from '../../../src/engine/upload-ledger.js';
import { MemoryCheckpointStore, MemoryStoreData } from '../../support/memory-checkpoint-store.js';
import { caught, clock, memStore, newJob } from './helpers.js';

const S3 = 's3://bucket';
const TTL = 30_000;

const kinds: [string, (now: () => number, pid?: number) => CheckpointStore][] = [
  ['sqlite', (now, pid) => memStore({ now, ...(pid === undefined ? {} : { pid }) })],
  ['memory', (now, pid) => new MemoryCheckpointStore({ now, data: new MemoryStoreData(), ...(pid === undefined ? {} : { pid }) })],
];

describe.each(kinds)('%s store: partial uploads', (_kind, open) => {
  it('are orphans only once their lease is gone, only under the prefix, only for their store', () => {
    const c = clock();
    const store = open(c.now);
    const job = store.createJob(newJob());
    const lease = store.acquireRunner(job.id, TTL);
    store.recordUpload(lease, S3, { name: 'dst/a.bin', id: 'u1' });
    store.recordUpload(lease, S3, { name: 'dst/b.bin', id: 'u2' });
    store.recordUpload(lease, S3, { name: 'other/c.bin', id: 'u3' });
    store.recordUpload(lease, 'gs://bucket', { name: 'dst/a.bin', id: 'u4' });
    // The run that recorded them is alive: nothing is anyone's to abort.
    expect(store.orphanUploads(S3, 'dst/')).toEqual([]);

    c.advance(TTL + 1);
    expect(store.orphanUploads(S3, 'dst/').map((u) => [u.name, u.id, u.jobId])).toEqual([
      ['dst/a.bin', 'u1', job.id],
      ['dst/b.bin', 'u2', job.id],
    ]);
    expect(store.orphanUploads(S3, '').map((u) => u.id).sort()).toEqual(['u1', 'u2', 'u3']);
    expect(store.orphanUploads('gs://bucket', 'dst/').map((u) => u.id)).toEqual(['u4']);

    store.forgetUpload(S3, { name: 'dst/a.bin', id: 'u1' });
    expect(store.orphanUploads(S3, 'dst/').map((u) => u.id)).toEqual(['u2']);
    store.close();
  });

  it('a released lease, or one taken over by a new runner, leaves its uploads to the next run; the new runner\'s are its own', () => {
    const c = clock();
    const store = open(c.now);
    const job = store.createJob(newJob());
    const first = store.acquireRunner(job.id, TTL);
    store.recordUpload(first, S3, { name: 'dst/a.bin', id: 'u1' });
    store.releaseRunner(first);
    expect(store.orphanUploads(S3, 'dst/').map((u) => u.id)).toEqual(['u1']);

    const second = store.acquireRunner(job.id, TTL);
    store.recordUpload(second, S3, { name: 'dst/b.bin', id: 'u2' });
    store.recordUpload(second, S3, { name: 'dst/a.bin', id: 'u5' });
    // The new runner writes the same name again: the orphan says so, so the store leaves that upload alone.
    expect(store.orphanUploads(S3, 'dst/').map((u) => [u.id, u.siblings])).toEqual([['u1', ['u5']]]);
    // A stale lease may not record: the job is someone else's.
    expect(caught(() => store.recordUpload(first, S3, { name: 'dst/c.bin', id: 'u3' })).code).toBe('JOB_LOCKED');
    expect(store.orphanUploads(S3, '').map((u) => u.id)).toEqual(['u1']);
    store.close();
  });

  it('the engine\'s ledger records under the current lease and lists orphans without job details', () => {
    const c = clock();
    const store = open(c.now);
    const job = store.createJob(newJob());
    let lease = store.acquireRunner(job.id, TTL);
    const ledger = stateUploadLedger(store, () => lease);
    ledger.started(S3, { name: 'dst/a.bin', id: 'u1' });
    lease = store.renewRunner(lease, TTL);
    ledger.started(S3, { name: 'dst/b.bin', id: 'u2' });
    ledger.ended(S3, { name: 'dst/b.bin', id: 'u2' });
    expect(ledger.orphans(S3, 'dst/')).toEqual([]);
    store.releaseRunner(lease);
    expect(ledger.orphans(S3, 'dst/')).toEqual([{ name: 'dst/a.bin', id: 'u1', startedAt: '2026-11-28T07:36:12.000Z', siblings: [] }]);
    store.close();
  });
});
