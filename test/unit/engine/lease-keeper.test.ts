import { describe, expect, it } from 'vitest';
import type { CheckpointStore, RunnerLease } from '../../../src/core/checkpoint.js';
import { LeaseKeeper } from '../../../src/engine/lease-keeper.js';
import { FerryError } from '../../../src/errors.js';

function fakeStore(renew: () => void) {
  const lease: RunnerLease = { jobId: 'j', token: 't', holder: { pid: 1, host: 'h', since: '' }, expiresAt: 0, shared: false };
  const released: RunnerLease[] = [];
  const store = {
    acquireRunner: () => lease,
    renewRunner: (l: RunnerLease) => {
      renew();
      return { ...l, expiresAt: l.expiresAt + 1 };
    },
    releaseRunner: (l: RunnerLease) => void released.push(l),
  } as unknown as CheckpointStore;
  return { store, released };
}

describe('lease keeper', () => {
  it('renews on a timer at ttl/3 and releases the latest lease', async () => {
    let renewals = 0;
    const { store, released } = fakeStore(() => void renewals++);
    const keeper = await LeaseKeeper.acquire(store, 'j', 30, () => {});
    await new Promise((r) => setTimeout(r, 100));
    await keeper.release();
    expect(renewals).toBeGreaterThanOrEqual(3);
    expect(released).toHaveLength(1);
    expect(released[0]!.expiresAt).toBe(renewals);
  });

  it('tolerates transient renewal failures for up to 2/3 of the ttl, then declares the lease lost', async () => {
    let t = 0;
    let fail = true;
    const { store, released } = fakeStore(() => {
      if (fail) throw new FerryError('STATE', 'database is busy', { retry: 'transient' });
    });
    const lost: FerryError[] = [];
    const keeper = await LeaseKeeper.acquire(store, 'j', 30_000, (e) => lost.push(e), () => t);
    t = 10_000;
    await keeper.renew();
    expect(lost).toHaveLength(0);
    fail = false;
    t = 15_000;
    await keeper.renew(); // recovered: the clock restarts
    fail = true;
    t = 34_000;
    await keeper.renew();
    expect(lost).toHaveLength(0);
    t = 35_001;
    await keeper.renew();
    expect(lost).toHaveLength(1);
    // The state failing (not a take-over): its own code and reason, and the run stops without committing more.
    expect(lost[0]).toMatchObject({ code: 'STATE' });
    expect(lost[0]!.message).toMatch(/could not renew the runner lease of job j, so it stopped without committing more: database is busy/);
    await keeper.release();
    expect(released).toHaveLength(0); // not ours any more
  });

  it('declares the lease lost at once on a terminal failure', async () => {
    const { store } = fakeStore(() => {
      throw new FerryError('JOB_LOCKED', 'taken over');
    });
    const lost: FerryError[] = [];
    const keeper = await LeaseKeeper.acquire(store, 'j', 30_000, (e) => lost.push(e), () => 0);
    await keeper.renew();
    expect(lost.map((e) => e.message)).toEqual(['lost the runner lease of job j: taken over']);
    expect(keeper.lost).toBe(lost[0]);
    await keeper.release();
  });
});
