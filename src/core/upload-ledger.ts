/**
 * Partial uploads ferry itself started (an S3 multipart upload id, the block-id prefix of a new Azure blob), kept
 * in the state so that cleanup after a dead run aborts only those: never another application's upload under the
 * same prefix, and never one whose run still holds its lease (another worker of the same job).
 */
import type { Logger } from './connector.js';

/** One partial upload, as its store names it. */
export interface PartialUpload {
  /** The object name the upload writes. */
  name: string;
  /** The store's id for it (S3 UploadId, ferry's block-id prefix on Azure); opaque to the engine. */
  id: string;
  /** When the state recorded it (ISO 8601), as given back by `UploadLedger.orphans`. */
  startedAt?: string;
  /** Ids recorded for the same name by other uploads (some may be live): as given back by `orphans`. */
  siblings?: readonly string[];
}

/** What a store's `put` reports to: started before the first part is sent, ended once nothing is left behind. */
export interface UploadTracker {
  started(upload: PartialUpload): Promise<void>;
  ended(upload: PartialUpload): Promise<void>;
}

/** The engine's record of partial uploads for one run, per target store (`ObjectStore.url`). */
export interface UploadLedger {
  /** Records `upload` as owned by this run's lease; durable when it returns. */
  started(store: string, upload: PartialUpload): Promise<void>;
  ended(store: string, upload: PartialUpload): Promise<void>;
  /** Uploads recorded under `prefix` of `store` whose owner's lease is gone: safe to abort. */
  orphans(store: string, prefix: string): Promise<PartialUpload[]>;
}

/** The ledger seen by one store's puts. */
export function trackerFor(ledger: UploadLedger, store: string): UploadTracker {
  return {
    started: (u) => ledger.started(store, u),
    ended: (u) => ledger.ended(store, u),
  };
}

/**
 * Tells the tracker an upload left nothing behind. A state that cannot record it now only leaves a stale record,
 * which a later cleanup finds already gone: not a reason to fail a copy that succeeded.
 */
export async function endUpload(tracker: UploadTracker | undefined, upload: PartialUpload, logger: Pick<Logger, 'warn'>): Promise<void> {
  try {
    await tracker?.ended(upload);
  } catch (e) {
    logger.warn('could not record in the state that a partial upload ended; a later run finds it gone', {
      object: upload.name,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}
