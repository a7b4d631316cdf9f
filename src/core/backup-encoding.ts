/**
 * A store's own layout for backup data files (DynamoDB's export layout), offered by its connector so a ferry backup
 * of that store can be restored by the store's own tools too. ferry's typed NDJSON is the default and needs none.
 * The backup writes the lines and the manifest; the encoding knows the line form, where files go and the companion
 * files its store's tools expect.
 */
import type { Doc, FerryRecord, RecordKey } from './record.js';

export interface BackupDataFile {
  /** Relative to the set's directory. */
  path: string;
  records: number;
  bytes: number;
  md5: string;
}

export interface BackupEncoding {
  /** The manifest's `encoding`. */
  readonly encoding: string;
  /** The data files' extension (`.json.gz`). */
  readonly extension: string;
  /** One line of a data file; throws ITEM_REJECTED for a record the layout cannot hold. */
  encode(record: FerryRecord): string;
  /** A line back into the key and document; `keyFields` from the manifest. Throws on a malformed line. */
  decode(line: string, keyFields: readonly string[]): { key: RecordKey; doc: Doc };
  /** The directory of a stream's data files inside the set (ends in `/`); stable for a job. */
  streamDir(stream: string, job: { id: string; createdAt: string }): string;
  /** Files the store's tools need beside the data, written by the finisher before ferry's manifest. */
  companions(
    stream: string,
    files: readonly BackupDataFile[],
    at: { job: { id: string; createdAt: string }; completedAt: Date; setDir: string; target: Record<string, unknown>; source: Record<string, unknown> },
  ): { path: string; text: string }[];
  /** Whether a path in the set is one of the companions (a verify does not call it foreign). */
  isCompanion(path: string): boolean;
}
