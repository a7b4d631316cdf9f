/**
 * What verification reports: per stream and verifier, an outcome, both sides' counts (and digests for checksums),
 * and the keys that differ. Plain JSON data throughout, so the CLI can store it with `store.saveVerifyResult` and
 * print it with `--json` as is.
 */

/** `match`: the target holds what it should. `differ`: it does not (exit 1). `inconclusive`: could not tell. */
export type VerifyOutcome = 'match' | 'differ' | 'inconclusive';

export type VerifierName = 'count' | 'checksum' | 'sample';

/** Differing keys of one kind: how many there are, and the first of them (in natural key order), capped. */
export interface KeyList {
  total: number;
  /** Key identities (`keyText` with parts sorted by name), at most `reportKeys` of them. */
  keys: string[];
}

/** One field that differs in a changed record: its path and both sides' values as compared (rendered, cut to ~80 characters). */
export interface FieldDifference {
  /** `total`, `address.city`, `tags[2]`, `meta["a.b"]`; `(value)` when the record's value is not a map. */
  path: string;
  /** The source side's value after the pipeline: numbers bare (`0.99`), strings quoted (`"0.99"`), `(absent)` if none. */
  source: string;
  /** The target side's value, rendered alike. */
  target: string;
}

/** A listed changed key and the fields that differ in it. */
export interface ChangedRecord {
  key: string;
  fields: FieldDifference[];
  /** Differing fields beyond those listed. */
  moreFields?: number;
  /** Why no fields are listed (the record changed or vanished between the reads). */
  note?: string;
}

export interface SideSummary {
  /** The stream's name on that side. */
  stream: string;
  /** Records read (count: as the store counted them). On the source side, before pipeline rejections. */
  count: number;
  /** Checksum and sample: 32 hex digits, the sum mod 2^128 of the compared records' digests. */
  digest?: string;
}

export interface BucketStats {
  /** Buckets keys are spread over (by a hash of the key). */
  total: number;
  /** Buckets compared (all for checksum; the sampled ones for sample). */
  compared: number;
  /** Compared buckets whose count or digest differ. */
  differing: number;
  /** Differing buckets whose keys were collected and compared one by one. */
  examined: number;
}

export interface StreamVerifyResult {
  /** The source stream (the key `saveVerifyResult` stores results under). */
  stream: string;
  verifier: VerifierName;
  /** `sample` only: the records asked for. */
  sampleSize?: number;
  outcome: VerifyOutcome;
  source: SideSummary;
  target: SideSummary;
  /**
   * Source records the target is expected not to hold: those the record pipeline refuses (the job's mapping dead
   * letters) plus, for checksums, missing keys the caller named as the job's dead letters; for counts, the job's
   * dead-letter count.
   */
  expectedAbsent: number;
  /** In the source, not in the target. */
  missing: KeyList;
  /** In the target, not in the source. */
  extra: KeyList;
  /** In both, with different values. */
  changed: KeyList;
  /**
   * Checksum and sample: for the listed changed keys (at most `reportKeys`), the fields that differ, from one more
   * read of the buckets holding them. Absent when no changed key was listed.
   */
  changedFields?: ChangedRecord[];
  notes: string[];
  buckets?: BucketStats;
  /** Checksum and sample: the most (key, digest) entries held at once to name keys (the memory bound at work). */
  keysHeld?: number;
  /** Checksum: how each side's records of the differing buckets were read to name keys; sample (by key): how the sample was read. */
  located?: { source: SideRead; target: SideRead };
  durationMs: number;
}

/** How one side was read to name differing keys. */
export interface SideRead {
  /**
   * `store-selected buckets`: the store sent only the differing buckets' records (PostgreSQL); `point reads`: the
   * other side's keys fetched by key, plus `buckets re-read for extra keys` when the sums showed keys the other side
   * lacks; `full read`: the whole stream read again (only the differing buckets hashed); `none`: nothing to read.
   */
  method: 'store-selected buckets' | 'point reads' | 'point reads + buckets re-read for extra keys' | 'full read' | 'none';
  /** Records read on this side to name keys. */
  records: number;
}

export interface VerifyReport {
  /** `differ` if any result differs, else `inconclusive` if any is, else `match`. */
  outcome: VerifyOutcome;
  results: StreamVerifyResult[];
  durationMs: number;
}

/** What a rendered report says about where it comes from (Markdown and HTML headers, the JSON file). */
export interface VerifyReportMeta {
  /** The plan's name. */
  plan?: string;
  /** The plan file verified (a plan verified without a job). */
  planPath?: string;
  /** The job verified. */
  jobId?: string;
  /** Store types, e.g. `postgres`, `dynamodb`. */
  source?: string;
  target?: string;
  /** When verification finished (ISO-8601). */
  at?: string;
  /** Keys listed per kind (`--max-diffs`). */
  maxDiffs?: number;
}

export function overallOutcome(results: readonly { outcome: VerifyOutcome }[]): VerifyOutcome {
  if (results.some((r) => r.outcome === 'differ')) return 'differ';
  if (results.some((r) => r.outcome === 'inconclusive')) return 'inconclusive';
  return 'match';
}

export function emptyKeyList(): KeyList {
  return { total: 0, keys: [] };
}
