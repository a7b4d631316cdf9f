/** The refusals every state backend and the job lifecycle word the same way. */
import { FerryError } from '../errors.js';
import type { JobRecord, RunnerHolder } from './checkpoint.js';

/** A second job of a plan refused while one runs (exit 2), naming the running job and its runner. */
export function planRunningError(job: JobRecord, holder: RunnerHolder): FerryError {
  return new FerryError(
    'PLAN_RUNNING',
    `plan "${job.planName}" is already running as job ${job.id} (pid ${holder.pid} on host ${holder.host}, since ${holder.since}); ferry runs one job of a plan at a time on a state`,
    {
      hint: `watch it with \`ferry status ${job.id}\`, or stop that runner first (Ctrl-C); a killed runner's lock is taken over at once on its host, else when its lease expires`,
      details: { jobId: job.id, holder },
    },
  );
}
