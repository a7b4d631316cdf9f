/**
 * Verification as every front end runs it: the plan's verifiers over both ends, the job's dead letters expected
 * absent from the target, and each result recorded as it comes — under the job, or as one plan verification run
 * (`ferry verify PLAN`, no job) — in the order verified. Printing and report files stay with the caller.
 */
import { BackupSetSource } from '../backup/set-source.js';
import type { ConnectorContext } from '../core/connector.js';
import type { FerryRecord } from '../core/record.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import type { PlanVerifyRun, StateStore } from '../core/state-store.js';
import type { Plan } from '../plan/types.js';
import { deadLettersByStream, verifyRecordOf, verifyStreams, type VerifyReport } from '../verify/index.js';

export interface VerifyJobInput {
  plan: Plan;
  /** Where results are recorded; without one, nothing is (a read-only state). */
  store?: StateStore;
  /** The job verified: its dead letters are expected absent, and its results are recorded under it. */
  jobId?: string;
  /** A plan verified without a job: its results are recorded as one plan verification run. */
  planRun?: { hash: string; path?: string };
  source: Source<FerryRecord>;
  sink: Sink<FerryRecord>;
  openTargetSource: (plan: Plan, ctx: ConnectorContext, opts?: { jobId?: string; set?: string }) => Promise<Source<FerryRecord>>;
  connectorCtx: ConnectorContext;
  /** A backup plan's set to compare with its source (default: the job's set, else the newest complete one). */
  targetSet?: string;
  /** Keys listed per kind of difference; default 100. */
  maxDiffs?: number;
  /** Read and hash every record in ferry, even where a store could digest its own. */
  readAll?: boolean;
}

export async function verifyJob(input: VerifyJobInput): Promise<{ report: VerifyReport; run?: PlanVerifyRun }> {
  const { plan, store, jobId } = input;
  const planStore = !jobId && input.planRun ? store : undefined;
  const run: PlanVerifyRun | undefined =
    planStore && input.planRun
      ? { runId: await planStore.newPlanVerifyRunId(), planName: plan.name, planHash: input.planRun.hash, ...(input.planRun.path ? { planPath: input.planRun.path } : {}) }
      : undefined;
  await using targetSource = await input.openTargetSource(plan, input.connectorCtx, input.targetSet ? { set: input.targetSet } : jobId ? { jobId } : {});
  // Results are stored as they come, one after the other; the report waits for the last.
  let saved: Promise<void> = Promise.resolve();
  const save = (write: () => Promise<void>): void => {
    saved = saved.then(write);
    saved.catch(() => {}); // awaited below; not unhandled if the verification fails first
  };
  const report = await verifyStreams({
    plan,
    source: input.source,
    targetSource,
    sink: input.sink,
    ...(jobId && store ? { deadLettersByStream: deadLettersByStream(await store.deadLetters(jobId)) } : {}),
    ...(input.maxDiffs !== undefined ? { reportKeys: input.maxDiffs } : {}),
    ...(input.readAll ? { readAll: true } : {}),
    signal: input.connectorCtx.signal,
    onResult: (r) => {
      if (jobId && store) save(() => store.saveVerifyResult(jobId, verifyRecordOf(r)));
      else if (planStore && run) save(() => planStore.savePlanVerifyResult(run, verifyRecordOf(r)));
    },
  });
  await saved;
  // A backup proved whole against its live source is a verified set: recorded in the set for list and prune.
  if (targetSource instanceof BackupSetSource && report.outcome === 'match' && (plan.verify ?? []).includes('checksum')) {
    await targetSource.recordSourceMatch(input.connectorCtx.signal);
  }
  return { report, ...(run ? { run } : {}) };
}
