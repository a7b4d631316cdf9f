/**
 * `ferry schedule status` as data: per job the last run, the next slot, the missed slots, and for a job with `rpo` the
 * age of the newest verified backup set (read from the object store, as `ferry backup list` does) against it.
 */
import { catalog, durationMs } from '../backup/catalog.js';
import { setsOfPlan } from '../backup/sets.js';
import type { ScheduleSlots, SlotStatus } from '../core/schedule-store.js';
import { openObjectStore } from '../engine/index.js';
import { loadPlanFile } from '../plan/index.js';
import type { LoadedJobSpec } from './job-spec.js';
import { nextSlot, slotKey } from './slots.js';

export interface JobStatus {
  job: string;
  last?: { slot: string; status: SlotStatus; jobId?: string; detail?: string };
  next: string;
  /** Missed slots among the last 200 recorded. */
  missed: number;
  rpo?: { achievedMs?: number; targetMs: number; breached: boolean };
}

const quiet = { debug() {}, info() {}, warn() {} };

export async function jobStatus(j: LoadedJobSpec, slots: ScheduleSlots, env: NodeJS.ProcessEnv, now: Date): Promise<JobStatus> {
  const recent = await slots.list(j.spec.name, 200);
  const last = recent.find((s) => s.status !== 'missed' && s.status !== 'skipped');
  const out: JobStatus = {
    job: j.spec.name,
    ...(last ? { last: { slot: last.slot, status: last.status, ...(last.jobId ? { jobId: last.jobId } : {}), ...(last.detail ? { detail: last.detail } : {}) } } : {}),
    next: slotKey(nextSlot(j.spec.schedule, now)!),
    missed: recent.filter((s) => s.status === 'missed').length,
  };
  if (j.spec.rpo) {
    const targetMs = durationMs(j.spec.rpo);
    const where = setsOfPlan((await loadPlanFile(j.planPath, env)).plan);
    const abort = new AbortController();
    await using store = await openObjectStore(where.block, { signal: abort.signal, logger: quiet }, 'store of the backup sets');
    const cat = await catalog({ store, prefix: where.prefix, plan: where.plan }, abort.signal, now);
    out.rpo = { ...(cat.rpo ? { achievedMs: cat.rpo.ageMs } : {}), targetMs, breached: !cat.rpo || cat.rpo.ageMs > targetMs };
  }
  return out;
}
