/**
 * The CheckpointStore contract, one suite for every backend (the in-memory store of the engine's unit tests, SQLite,
 * and each state backend to come): jobs, segments, commits that add up and refuse a stale lease, runner leases,
 * dead letters, events, verify results and partial uploads. A backend file calls `checkpointStoreContract` with a
 * way to open stores over one shared state, as two processes would.
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointStore, NewJob, RunnerLease } from '../../src/core/checkpoint.js';
import { FerryError } from '../../src/errors.js';
import { stateUploadLedger } from '../../src/engine/upload-ledger.js';
import { claimed } from '../support/claimed.js';

export interface ContractWorld {
  /** A store over this world's state, as the process `pid` (default: one fixed pid) sees it. */
  open(pid?: number): CheckpointStore | Promise<CheckpointStore>;
  /** Moves the clock every store of this world reads. */
  advance(ms: number): void;
  /** The current time of that clock, ms since the epoch. */
  now(): number;
}

const TTL = 30_000;
const S3 = 's3://bucket';

export function newJob(over: Partial<NewJob> = {}): NewJob {
  return { planName: 'invoices', planHash: 'sha256:abc', planPath: 'plans/invoices.yaml', kind: 'migration', planText: 'source: ${env:PGURL}\n', ...over };
}

export function segmentsOf(stream: string, total: number, target = 'Invoices') {
  return Array.from({ length: total }, (_, i) => ({ id: `${stream}#${i}/${total}`, stream, index: i, total, spec: { from: i * 100 }, target }));
}

async function rejection(p: Promise<unknown>): Promise<FerryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return e as FerryError;
  }
  throw new Error('expected the call to fail with a FerryError');
}

export function checkpointStoreContract(name: string, world: () => ContractWorld | Promise<ContractWorld>): void {
  async function fixture() {
    const w = await world();
    const store = await w.open(1111);
    const job = await store.createJob(newJob());
    await store.ensureSegments(job.id, segmentsOf('public.invoice', 3));
    const lease = await store.acquireRunner(job.id, TTL);
    return { w, store, job, lease };
  }

  describe(`${name}: the CheckpointStore contract`, () => {
    it('jobs: created running with the plan text kept as given; found unfinished; statuses with finishedAt and error', async () => {
      const w = await world();
      const store = await w.open();
      const a = await store.createJob(newJob());
      w.advance(1000);
      const b = await store.createJob(newJob());
      expect(a.id).not.toBe(b.id);
      expect(await store.getJob(a.id)).toMatchObject({ id: a.id, planName: 'invoices', planHash: 'sha256:abc', kind: 'migration', status: 'running', finishedAt: undefined });
      expect(await store.getPlanText(a.id)).toBe('source: ${env:PGURL}\n');
      expect(await store.getJob('20261128-000000-000000')).toBeUndefined();
      expect((await store.findUnfinishedJob('invoices', 'sha256:abc'))?.id).toBe(b.id);
      await store.setJobStatus(b.id, 'succeeded');
      expect((await store.findUnfinishedJob('invoices', 'sha256:abc'))?.id).toBe(a.id);
      await store.setJobStatus(a.id, 'failed', 'boom');
      const failed = await store.getJob(a.id);
      expect(failed).toMatchObject({ status: 'failed', error: 'boom' });
      expect(failed?.finishedAt).toEqual(expect.any(String));
      expect((await store.listJobs()).map((j) => j.id).sort()).toEqual([a.id, b.id].sort());
      await store.close();
    });

    it('a job created with claim holds its runner lock, and another job of the plan is refused while it lives', async () => {
      const w = await world();
      const store = await w.open(1111);
      const other = await w.open(2222);
      const first = await store.createJob(newJob(), { claim: true, ttlMs: TTL });
      expect(await other.runnerOf(first.id)).toMatchObject({ pid: 1111 });
      const refused = await rejection(other.createJob(newJob({ planHash: 'sha256:edited' }), { claim: true }));
      expect(refused.code).toBe('PLAN_RUNNING');
      expect(refused.message).toContain(`already running as job ${first.id}`);
      // Another plan is not held back; the creator's own acquire keeps the claimed lease.
      expect((await other.createJob(newJob({ planName: 'other' }), { claim: true })).status).toBe('running');
      const lease = await store.acquireRunner(first.id, TTL);
      await store.releaseRunner(lease);
      expect((await other.createJob(newJob(), { claim: true })).planName).toBe('invoices');
      await other.close();
      await store.close();
    });

    it('segments: recorded once; a second ensure keeps their progress', async () => {
      const { store, job, lease } = await fixture();
      await store.commit(await claimed(store, lease, 'public.invoice#1/3'), { cursor: 'c1', items: 10, bytes: 100, deadLetters: [], done: false });
      await store.ensureSegments(job.id, segmentsOf('public.invoice', 3));
      const segs = await store.listSegments(job.id);
      expect(segs.map((s) => [s.id, s.index, s.total, s.target, s.status, s.cursor, s.items])).toEqual([
        ['public.invoice#0/3', 0, 3, 'Invoices', 'pending', undefined, 0],
        ['public.invoice#1/3', 1, 3, 'Invoices', 'running', 'c1', 10],
        ['public.invoice#2/3', 2, 3, 'Invoices', 'pending', undefined, 0],
      ]);
      expect(segs[0]!.spec).toEqual({ from: 0 });
      // Given back by its claimant as failed: recorded, lease free.
      const third = await claimed(store, lease, 'public.invoice#2/3');
      await store.releaseSegment(third, 'failed');
      expect((await store.listSegments(job.id))[2]).toMatchObject({ status: 'failed', holder: undefined, fence: 1 });
      await store.close();
    });

    it('commits add up, move the cursor, keep the dead letters, and end a segment once', async () => {
      const { store, job, lease } = await fixture();
      const seg = 'public.invoice#0/3';
      await store.commit(await claimed(store, lease, seg), { cursor: 'c1', items: 10, bytes: 100, deadLetters: [], done: false });
      await store.commit(await claimed(store, lease, seg), {
        cursor: 'c2',
        items: 5,
        bytes: 50,
        deadLetters: [
          { stream: 'public.invoice', key: 'id=7', reason: 'too large', payload: '{"id":7}' },
          { stream: 'public.invoice', key: 'id=9', reason: 'bad type' },
        ],
        done: false,
      });
      // A commit without a cursor (the last, empty one) keeps the one before.
      await store.commit(await claimed(store, lease, seg), { cursor: undefined, items: 0, bytes: 0, deadLetters: [], done: true });
      expect((await store.listSegments(job.id))[0]).toMatchObject({ cursor: 'c2', items: 15, bytes: 150, rejected: 2, status: 'done' });
      expect(await store.countDeadLetters(job.id)).toBe(2);
      const dead = await store.deadLetters(job.id);
      expect(dead.map((d) => [d.segmentId, d.key, d.reason])).toEqual([
        [seg, 'id=7', 'too large'],
        [seg, 'id=9', 'bad type'],
      ]);
      expect(dead[0]!.payload).toBe('{"id":7}');
      // Paging: after an id, at most a limit.
      expect((await store.deadLetters(job.id, { limit: 1 })).map((d) => d.key)).toEqual(['id=7']);
      expect((await store.deadLetters(job.id, { afterId: dead[0]!.id })).map((d) => d.key)).toEqual(['id=9']);
      // A done segment takes no more commits (they would count twice), and an unknown one none at all.
      await rejection(store.commit(await claimed(store, lease, seg), { cursor: 'c3', items: 1, bytes: 1, deadLetters: [], done: false }));
      expect((await rejection(claimed(store, lease, 'nope'))).code).toBe('NOT_FOUND');
      expect((await store.listSegments(job.id))[0]).toMatchObject({ cursor: 'c2', items: 15 });
      await store.close();
    });

    it('outputs of committed batches are kept in commit order with their stream; a refused commit records none', async () => {
      const { w, store, job } = await fixture();
      await store.releaseRunner(await store.acquireRunner(job.id, TTL));
      const a = await store.acquireRunner(job.id, TTL, { shared: true });
      const c0 = (await store.claimSegment(a))!;
      await store.commit(c0.lease, { cursor: 'a1', items: 2, bytes: 2, deadLetters: [], done: false, outputs: [{ path: 'p-0', records: 2 }] });
      await store.commit(c0.lease, { cursor: 'a2', items: 3, bytes: 3, deadLetters: [], done: false, outputs: [{ path: 'p-1' }, { path: 'p-2', n: [1, 'x'] }] });
      await store.commit(c0.lease, { cursor: 'a3', items: 0, bytes: 0, deadLetters: [], done: false });
      expect(await store.segmentOutputs(job.id)).toEqual([
        { segmentId: 'public.invoice#0/3', stream: 'public.invoice', target: 'Invoices', data: { path: 'p-0', records: 2 } },
        { segmentId: 'public.invoice#0/3', stream: 'public.invoice', target: 'Invoices', data: { path: 'p-1' } },
        { segmentId: 'public.invoice#0/3', stream: 'public.invoice', target: 'Invoices', data: { path: 'p-2', n: [1, 'x'] } },
      ]);
      // A stalled runner's late commit is fenced off, and its outputs with it.
      w.advance(TTL + 1);
      const other = await w.open(2222);
      const b = await other.acquireRunner(job.id, TTL, { shared: true });
      const t0 = (await other.claimSegment(b))!;
      expect(t0.segment.id).toBe('public.invoice#0/3');
      await rejection(store.commit(c0.lease, { cursor: 'late', items: 1, bytes: 1, deadLetters: [], done: false, outputs: [{ path: 'late' }] }));
      expect((await other.segmentOutputs(job.id)).map((o) => (o.data as { path: string }).path)).toEqual(['p-0', 'p-1', 'p-2']);
      expect(await other.segmentOutputs('19990101-000000-000000')).toEqual([]);
      await store.close();
      await other.close();
    });

    it('leases: one runner at a time; renewed; released; after expiry taken over, and the old holder can neither commit nor renew', async () => {
      const { w, store, job, lease } = await fixture();
      const seg = 'public.invoice#0/3';
      const stale = await claimed(store, lease, seg);
      const other = await w.open(2222);
      expect((await rejection(other.acquireRunner(job.id, TTL))).code).toBe('JOB_LOCKED');
      expect(await other.runnerOf(job.id)).toMatchObject({ pid: 1111 });
      // The same process asking again keeps its lease.
      expect((await store.acquireRunner(job.id, TTL)).token).toBe(lease.token);

      w.advance(TTL / 2);
      const renewed = await store.renewRunner(lease, TTL);
      expect(renewed.expiresAt).toBe(w.now() + TTL);
      w.advance(TTL / 2 + 1);
      expect((await rejection(other.acquireRunner(job.id, TTL))).code).toBe('JOB_LOCKED');

      w.advance(TTL);
      const taken: RunnerLease = await other.acquireRunner(job.id, TTL);
      expect(taken.token).not.toBe(lease.token);
      expect(await store.runnerOf(job.id)).toMatchObject({ pid: 2222 });
      expect((await rejection(store.commit(stale, { cursor: 'stale', items: 1, bytes: 1, deadLetters: [], done: false }))).code).toBe('JOB_LOCKED');
      expect((await rejection(store.renewRunner(lease, TTL))).code).toBe('JOB_LOCKED');
      expect((await store.listSegments(job.id))[0]).toMatchObject({ cursor: undefined, items: 0, holder: undefined });
      // The old holder's release does not free the new holder's lease.
      await store.releaseRunner(lease);
      expect(await store.runnerOf(job.id)).toMatchObject({ pid: 2222 });
      await other.commit(await claimed(other, taken, seg), { cursor: 'new', items: 1, bytes: 1, deadLetters: [], done: false });
      await other.releaseRunner(taken);
      expect(await store.runnerOf(job.id)).toBeUndefined();
      expect((await store.acquireRunner(job.id, TTL)).holder.pid).toBe(1111);
      await other.close();
      await store.close();
    });

    it('events come back in order; verify results are kept per stream and verifier', async () => {
      const { store, job } = await fixture();
      await store.appendEvent(job.id, 'job.started', { resumed: false, segments: 3 });
      await store.appendEvent(job.id, 'segment.done', { segmentId: 'public.invoice#0/3', items: 15 });
      const events = await store.events(job.id);
      expect(events.map((e) => [e.type, e.data])).toEqual(
        expect.arrayContaining([
          ['job.started', { resumed: false, segments: 3 }],
          ['segment.done', { segmentId: 'public.invoice#0/3', items: 15 }],
        ]),
      );
      const types = events.map((e) => e.type);
      expect(types.indexOf('job.started')).toBeLessThan(types.indexOf('segment.done'));
      await store.saveVerifyResult(job.id, { stream: 'public.invoice', verifier: 'count', outcome: 'match', report: { n: 15 } });
      await store.saveVerifyResult(job.id, { stream: 'public.invoice', verifier: 'checksum', outcome: 'differ', report: { keys: ['id=3'] } });
      expect((await store.verifyResults(job.id)).map((r) => [r.stream, r.verifier, r.outcome, r.report])).toEqual([
        ['public.invoice', 'count', 'match', { n: 15 }],
        ['public.invoice', 'checksum', 'differ', { keys: ['id=3'] }],
      ]);
      await store.close();
    });

    it('partial uploads are orphans only once their lease is gone, only under the prefix, only for their store', async () => {
      const { w, store, job, lease } = await fixture();
      await store.recordUpload(lease, S3, { name: 'dst/a.bin', id: 'u1' });
      await store.recordUpload(lease, S3, { name: 'dst/b.bin', id: 'u2' });
      await store.recordUpload(lease, S3, { name: 'other/c.bin', id: 'u3' });
      await store.recordUpload(lease, 'gs://bucket', { name: 'dst/a.bin', id: 'u4' });
      // The run that recorded them is alive: nothing is anyone's to abort.
      expect(await store.orphanUploads(S3, 'dst/')).toEqual([]);
      w.advance(TTL + 1);
      expect((await store.orphanUploads(S3, 'dst/')).map((u) => [u.name, u.id, u.jobId])).toEqual([
        ['dst/a.bin', 'u1', job.id],
        ['dst/b.bin', 'u2', job.id],
      ]);
      expect((await store.orphanUploads('gs://bucket', 'dst/')).map((u) => u.id)).toEqual(['u4']);
      await store.forgetUpload(S3, { name: 'dst/a.bin', id: 'u1' });
      expect((await store.orphanUploads(S3, 'dst/')).map((u) => u.id)).toEqual(['u2']);

      // A new runner of the job: the dead run's upload of a name it rewrites names the new one as a sibling, and a
      // stale lease may not record at all.
      const other = await w.open(2222);
      const second = await other.acquireRunner(job.id, TTL);
      await other.recordUpload(second, S3, { name: 'dst/b.bin', id: 'u5' });
      expect((await other.orphanUploads(S3, 'dst/')).map((u) => [u.id, u.siblings])).toEqual([['u2', ['u5']]]);
      expect((await rejection(store.recordUpload(lease, S3, { name: 'dst/z.bin', id: 'u6' }))).code).toBe('JOB_LOCKED');

      // The engine's ledger over the store: recorded under the current lease, orphans without job details.
      const ledger = stateUploadLedger(other, () => second);
      await ledger.started(S3, { name: 'dst/y.bin', id: 'u7' });
      await ledger.ended(S3, { name: 'dst/b.bin', id: 'u5' });
      expect((await ledger.orphans(S3, 'dst/')).map((u) => ({ name: u.name, id: u.id, siblings: u.siblings }))).toEqual([{ name: 'dst/b.bin', id: 'u2', siblings: [] }]);
      // A released lease leaves its uploads to the next run at once, with no wait for an expiry.
      await other.releaseRunner(second);
      expect((await ledger.orphans(S3, 'dst/')).map((u) => u.id).sort()).toEqual(['u2', 'u7']);
      await other.close();
      await store.close();
    });
    it('segment leases: claims in order with a fence; a lapsed worker\'s segment is taken over and its late commit refused, even after it claims again', async () => {
      const { w, store, job } = await fixture();
      await store.releaseRunner(await store.acquireRunner(job.id, TTL));
      const a = await store.acquireRunner(job.id, TTL, { shared: true });
      const other = await w.open(2222);
      const b = await other.acquireRunner(job.id, TTL, { shared: true });
      expect((await store.runnersOf(job.id)).map((h) => [h.pid, h.shared]).sort()).toEqual([
        [1111, true],
        [2222, true],
      ]);
      const c0 = (await store.claimSegment(a))!;
      const c1 = (await other.claimSegment(b))!;
      expect([c0.segment.id, c0.lease.fence, c0.segment.status, c1.segment.id, c1.lease.fence]).toEqual(['public.invoice#0/3', 1, 'running', 'public.invoice#1/3', 1]);
      expect(c0.takeover).toBeUndefined();
      await store.commit(c0.lease, { cursor: 'a1', items: 1, bytes: 1, deadLetters: [], done: false });
      expect((await other.listSegments(job.id))[0]).toMatchObject({ holder: { pid: 1111 }, cursor: 'a1', fence: 1 });

      // a stalls past its lease; b renews, then claims a's segments.
      w.advance(TTL / 2);
      await other.renewRunner(b, TTL);
      w.advance(TTL / 2 + 1);
      const t0 = (await other.claimSegment(b))!;
      expect([t0.segment.id, t0.lease.fence, t0.segment.cursor, t0.takeover?.from?.pid]).toEqual(['public.invoice#0/3', 2, 'a1', 1111]);
      const e = await rejection(store.commit(c0.lease, { cursor: 'a2-late', items: 1, bytes: 1, deadLetters: [], done: false }));
      expect(e.code).toBe('JOB_LOCKED');
      expect(e.details?.['fenced']).toBe(true);
      await other.commit(t0.lease, { cursor: 'b1', items: 2, bytes: 2, deadLetters: [], done: false });
      // a wakes, renews (nobody removed it) and claims the last segment: its old claim on #0 stays refused.
      await store.renewRunner(a, TTL);
      const c2 = (await store.claimSegment(a))!;
      expect(c2.segment.id).toBe('public.invoice#2/3');
      expect((await rejection(store.commit(c0.lease, { cursor: 'a3-late', items: 1, bytes: 1, deadLetters: [], done: false }))).details?.['fenced']).toBe(true);
      expect(await store.claimSegment(a)).toBeUndefined();
      const segs = await store.listSegments(job.id);
      expect(segs.map((s) => [s.id, s.cursor, s.items, s.fence, s.holder?.pid])).toEqual([
        ['public.invoice#0/3', 'b1', 3, 2, 2222],
        ['public.invoice#1/3', undefined, 0, 1, 2222],
        ['public.invoice#2/3', undefined, 0, 1, 1111],
      ]);
      // The history records which fence made each commit.
      const hist = (await (store as unknown as { checkpoints?: (id: string) => Promise<{ segmentId: string; cursor?: string; fence: number }[]> }).checkpoints?.(job.id)) ?? [];
      if (hist.length) expect(hist.filter((h) => h.segmentId === 'public.invoice#0/3').map((h) => [h.cursor, h.fence])).toEqual([['a1', 1], ['b1', 2]]);
      await other.close();
      await store.close();
    });

    it('a segment of a runner that died (kill -9) is a takeover even after a joining worker removed the dead runner', async () => {
      const { w, store, job } = await fixture();
      await store.releaseRunner(await store.acquireRunner(job.id, TTL));
      const a = await store.acquireRunner(job.id, TTL, { shared: true });
      const held = (await store.claimSegment(a))!;
      await store.commit(held.lease, { cursor: 'a1', items: 1, bytes: 1, deadLetters: [], done: false });
      w.advance(TTL + 1); // a never renews again
      const other = await w.open(2222);
      const b = await other.acquireRunner(job.id, TTL, { shared: true });
      expect((await other.runnersOf(job.id)).map((h) => h.pid)).toEqual([2222]);
      const t = (await other.claimSegment(b))!;
      expect([t.segment.id, t.segment.cursor, t.lease.fence, t.takeover]).toEqual([held.segment.id, 'a1', 2, {}]);
      const next = (await other.claimSegment(b))!;
      expect(next.takeover).toBeUndefined();
      await other.close();
      await store.close();
    });

    it('runners: workers join together; an exclusive runner is refused beside them and they beside it; leaving frees segments and sets the status once', async () => {
      const { w, store, job, lease } = await fixture();
      const other = await w.open(2222);
      expect((await rejection(other.acquireRunner(job.id, TTL, { shared: true }))).code).toBe('JOB_LOCKED');
      await store.releaseRunner(lease);
      const a = await store.acquireRunner(job.id, TTL, { shared: true });
      const b = await other.acquireRunner(job.id, TTL, { shared: true });
      const third = await w.open(3333);
      expect((await rejection(third.acquireRunner(job.id, TTL))).message).toMatch(/is being run by workers, among them pid (1111|2222)/);
      const held = (await other.claimSegment(b))!;
      // b leaves first, interrupted "only if last": a still runs, so the job stays running; b's segment is free.
      await other.releaseRunner(b, { status: 'interrupted', onlyIfLast: true });
      expect((await store.getJob(job.id))?.status).toBe('running');
      expect((await store.listSegments(job.id)).find((s) => s.id === held.segment.id)).toMatchObject({ status: 'pending', holder: undefined });
      expect((await store.claimSegment(a))!.segment.id).toBe(held.segment.id);
      // a is the last: its interruption is recorded. A second release is a no-op.
      await store.releaseRunner(a, { status: 'interrupted', error: 'stopped', onlyIfLast: true });
      expect(await store.getJob(job.id)).toMatchObject({ status: 'interrupted', error: 'stopped' });
      await store.releaseRunner(a, { status: 'failed' });
      expect((await store.getJob(job.id))?.status).toBe('interrupted');
      expect(await store.runnersOf(job.id)).toEqual([]);
      await third.close();
      await other.close();
      await store.close();
    });

    it('job steps: claimed by one runner, busy for the others while it lives, taken over once it lapses, done once', async () => {
      const { w, store, job, lease } = await fixture();
      await store.releaseRunner(lease);
      const a = await store.acquireRunner(job.id, TTL, { shared: true });
      const other = await w.open(2222);
      const b = await other.acquireRunner(job.id, TTL, { shared: true });
      expect(await store.claimStep(a, 'prepare')).toBe('claimed');
      expect(await store.claimStep(a, 'prepare')).toBe('claimed');
      expect(await other.claimStep(b, 'prepare')).toBe('busy');
      await store.completeStep(a, 'prepare');
      expect(await other.claimStep(b, 'prepare')).toBe('done');
      expect(await other.claimStep(b, 'finish')).toBe('claimed');
      expect(await store.claimStep(a, 'finish')).toBe('busy');
      w.advance(TTL + 1);
      await store.renewRunner(a, TTL);
      expect(await store.claimStep(a, 'finish')).toBe('claimed');
      expect((await rejection(other.completeStep(b, 'finish'))).code).toBe('JOB_LOCKED');
      await store.completeStep(a, 'finish');
      expect(await store.claimStep(a, 'finish')).toBe('done');
      await other.close();
      await store.close();
    });

    it('concurrent claims from several stores never hand out a segment twice', async () => {
      const w = await world();
      const setup = await w.open(1000);
      const job = await setup.createJob(newJob({ planName: 'concurrent' }));
      await setup.ensureSegments(job.id, segmentsOf('public.invoice', 12));
      const stores = await Promise.all([1, 2, 3, 4].map((i) => w.open(1000 + i)));
      const leases = await Promise.all(stores.map((s) => s.acquireRunner(job.id, TTL, { shared: true })));
      const got = await Promise.all(
        stores.map(async (s, i) => {
          const ids: string[] = [];
          for (;;) {
            const c = await s.claimSegment(leases[i]!);
            if (!c) return ids;
            ids.push(c.segment.id);
          }
        }),
      );
      const all = got.flat();
      expect(all).toHaveLength(12);
      expect(new Set(all).size).toBe(12);
      expect((await setup.listSegments(job.id)).every((x) => x.fence === 1 && x.status === 'running')).toBe(true);
      for (const s of stores) await s.close();
      await setup.close();
    });
  });
}
