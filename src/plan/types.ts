/** Types of a plan as written in YAML (after `${env:...}` interpolation and schema validation). */
import type { WriteMode } from '../core/sink.js';
import type { Diagnostic } from './diagnostics.js';

export type PlanKind = 'migration' | 'backup' | 'restore';

/** `source:` / `target:`: selected by `type`, the rest are that store's options. */
export interface ConnectionBlock {
  type: string;
  [option: string]: unknown;
}

export interface FieldMap {
  rename?: Record<string, string>;
  exclude?: string[];
  include?: string[];
  /** Computed fields from templates over the record: `pk: "INVOICE#${invoice_id}"`. */
  set?: Record<string, string>;
  nulls?: 'omit' | 'null';
}

export interface StreamSpec {
  /** Source stream: a name or a pattern (`public.*`). */
  from: string;
  /** Target stream; default chosen by the target connector (e.g. table name without schema). */
  to?: string;
  /** Segments wanted for each matched stream; default from limits.concurrency. */
  segments?: number;
  /** How the sink writes: `upsert` (default, idempotent so resume is safe), `replace`, or `insert` (create only). */
  write?: WriteMode;
  /** Field mapping; document stores only. */
  map?: FieldMap;
  /** Connector-specific stream options (validated against the connectors' stream schemas). */
  [option: string]: unknown;
}

export interface Limits {
  /** Segments processed at once across the job. */
  concurrency?: number;
  /** Items read per source batch. */
  batch_size?: number;
  items_per_second?: number;
  bytes_per_second?: number;
  /** DynamoDB write capacity units per second. */
  wcu?: number;
  /** Cosmos DB request units per second. */
  ru?: number;
  /** Firestore writes per second. */
  writes_per_second?: number;
  /** Object-store requests per second. */
  requests_per_second?: number;
  /**
   * Use the target's own ramp-up (Firestore 500/50/5): open-connectors sets the target block's `ramp_up` option when
   * the block leaves it out and the connector declares `rampUp`; a no-op (with a plan warning) for other targets.
   */
  ramp_up?: boolean;
  /** Attempts for one retryable write before the job stops. */
  max_retries?: number;
}

export type VerifySpec = 'count' | 'checksum' | 'sample' | { sample: number };

/** How verification compares values (docs/canonical-form.md). */
export interface VerifyOptions {
  /**
   * `exact` (default): strings are compared code point for code point, so NFD text where the source had NFC is a
   * difference. `nfc`: strings and field names are NFC-normalised before hashing, for a store that normalises.
   */
  unicode?: 'exact' | 'nfc';
}

export interface BackupOptions {
  prefix?: string;
  format?: 'ferry' | 'dynamodb';
  part_size_mb?: number;
  compression?: 'gzip' | 'zstd';
}

export interface RestoreOptions {
  plan: string;
  prefix?: string;
  /** `latest` or a set id / directory. */
  set?: string;
}

export interface RetentionSpec {
  keep_last?: number;
  keep_daily?: number;
  keep_weekly?: number;
  keep_monthly?: number;
  keep_yearly?: number;
  /** `36h`, `7d`, `2w`. */
  min_age?: string;
  incomplete_after?: string;
}

export interface OnError {
  /** Dead letters allowed before the job stops; default 0. */
  max_rejected?: number;
}

export interface Plan {
  version: 1;
  kind: PlanKind;
  name: string;
  description?: string;
  source: ConnectionBlock;
  target: ConnectionBlock;
  streams: StreamSpec[];
  limits?: Limits;
  verify?: VerifySpec[];
  verify_options?: VerifyOptions;
  on_error?: OnError;
  /** kind: backup — where and how the set is written. */
  backup?: BackupOptions;
  /** kind: restore — which set to read. */
  restore?: RestoreOptions;
  /** kind: backup — what `ferry backup prune` keeps. */
  retention?: RetentionSpec;
  /** Overrides of the dry run's price table (prices/cloud-prices.yaml), by price name, in its units. */
  prices?: Record<string, number>;
}

/** The defaults `loadPlan*` fills in (see src/plan/defaults.ts), so consumers need no `??` of their own. */
export interface ResolvedPlan extends Plan {
  streams: (StreamSpec & { write: WriteMode })[];
  limits: Limits & Required<Pick<Limits, 'concurrency' | 'batch_size' | 'max_retries'>>;
  verify: VerifySpec[];
  on_error: Required<OnError>;
}

/** A validated plan plus where it came from and its identity. */
export interface LoadedPlan {
  /** Interpolated, validated, defaults applied. */
  plan: ResolvedPlan;
  /** File path, if loaded from a file. */
  path: string | undefined;
  /** The YAML text as written (env references not expanded), stored with the job so resume re-reads the same plan. */
  text: string;
  /** `text` with every credential written in it redacted: what a job stores (stored-text.ts). */
  storedText: string;
  /** sha256 of the canonical JSON of the plan before interpolation: unchanged plan ⇒ same hash. */
  hash: string;
  /** Problems that do not stop the plan (a credential written literally, an unresolved YAML tag). */
  warnings: Diagnostic[];
}
