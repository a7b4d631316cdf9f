/**
 * The run's UploadLedger (core/upload-ledger.ts) over the state store: an upload is recorded under the runner
 * lease that started it, so a later run aborts it only once that lease is gone, and never touches an upload the
 * state has no record of (another application's, or another state's).
 */
import type { CheckpointStore, RunnerLease } from '../core/checkpoint.js';
import type { UploadLedger } from '../core/upload-ledger.js';

export function stateUploadLedger(store: CheckpointStore, lease: () => RunnerLease): UploadLedger {
  return {
    started: (target, u) => store.recordUpload(lease(), target, u),
    ended: (target, u) => store.forgetUpload(target, u),
    orphans: async (target, prefix) => (await store.orphanUploads(target, prefix)).map(({ name, id, startedAt, siblings }) => ({ name, id, startedAt, siblings })),
  };
}
