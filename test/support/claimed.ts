/**
 * The segment lease a test commits with: `segmentId` claimed once per runner lease (cached, so a test keeps
 * committing under the claim it took, and a stale one stays stale). NOT_FOUND when the segment cannot be claimed.
 */
import type { CheckpointStore, RunnerLease, SegmentLease } from '../../src/core/checkpoint.js';
import { FerryError } from '../../src/errors.js';

const claims = new WeakMap<CheckpointStore, Map<string, SegmentLease>>();

export async function claimed(store: CheckpointStore, lease: RunnerLease, segmentId: string): Promise<SegmentLease> {
  let cache = claims.get(store);
  if (!cache) claims.set(store, (cache = new Map()));
  const key = `${lease.token}\u0000${segmentId}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const others = (await store.listSegments(lease.jobId)).filter((s) => s.id !== segmentId).map((s) => s.id);
  const c = await store.claimSegment(lease, { skip: others });
  if (!c) throw new FerryError('NOT_FOUND', `segment ${segmentId} of job ${lease.jobId} cannot be claimed`);
  cache.set(key, c.lease);
  return c.lease;
}
