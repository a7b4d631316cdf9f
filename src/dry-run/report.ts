/**
 * What `ferry plan dry-run` finds out before a cutover, as plain JSON data: the collector (collect.ts) fills it
 * from the plan's source and target without writing to either, and the renderers (render-*.ts) print it as text,
 * Markdown, JSON or one self-contained HTML file. Stored in the state DB as one report row.
 */

export type Severity = 'blocker' | 'warning';

export interface Finding {
  severity: Severity;
  /** The plan stream (source name) it concerns; absent for plan-wide findings. */
  stream?: string;
  /** Stable machine code, e.g. `item-too-large`, `target-not-empty`, `key-schema-mismatch`. */
  code: string;
  message: string;
  /** How to fix it, one sentence. */
  fix: string;
  /** Sample records concerned (their source keys), when any. */
  keys?: string[];
}

export interface CountEstimate {
  value: number;
  /** True when counted (count(*), a Select COUNT scan, a listing); false for a catalog/metadata estimate. */
  exact: boolean;
  /** How it was obtained, e.g. `pg_class.reltuples`, `DescribeTable ItemCount (refreshed ~6 h)`, `listing`. */
  method: string;
}

export interface SegmentPlan {
  id: string;
  /** Estimated records in the segment, when the source can tell (key ranges sized from statistics). */
  estimate?: number;
  /** Human description of the slice: a key range, a scan segment, a name range. */
  describe: string;
}

export interface SampleRecord {
  /** Source key text. */
  key: string;
  /** The record as read (JSON-safe rendering of the neutral value). */
  before: unknown;
  /** After field mapping and the target's conversion; null when the record is refused. */
  after: unknown | null;
  /** Size as the target counts it, in bytes. */
  targetBytes?: number;
  /** Limit violations and conversion refusals for this record (each also summarised as a finding). */
  problems: string[];
  /**
   * Why this record is shown besides the first N, e.g. `the stream's largest record (500,004 bytes in the source)`:
   * the source fetched it for the size check. Absent for ordinary samples; at most one such record per stream.
   */
  note?: string;
}

export interface TargetState {
  /** Table / collection / prefix exists. `unknown` when the target cannot tell without writing. */
  exists: boolean | 'unknown';
  /** Holds no items. */
  empty: boolean | 'unknown';
  /** Items already there, when known. */
  items?: number;
  /** The target's key schema as it stands, e.g. `pk (S) HASH, sk (N) RANGE`. */
  keySchema?: string;
  /** Whether that key schema matches what the plan will write. */
  keyMatches?: boolean;
  /**
   * When it does not exist: true if a run would create it (`create: true`, or a store such as Firestore whose
   * collections appear with their first document), false if a run would fail.
   */
  created?: boolean;
  /**
   * How the target is billed when the store says (an existing DynamoDB table's billing mode and provisioned units),
   * or how a table ferry creates will be; the cost estimate prices writes accordingly.
   */
  capacity?: { mode: 'on_demand' | 'provisioned'; readUnits?: number; writeUnits?: number };
  /** What would make a run fail before it writes (the sink's own preparation would refuse); each becomes a blocker. */
  problems?: { message: string; fix: string }[];
  notes: string[];
}

export interface CostLine {
  /** What is paid for, e.g. `DynamoDB on-demand write request units`, `S3 GET requests`, `egress to internet`. */
  what: string;
  quantity: number;
  /** Unit of `quantity`, e.g. `WRU`, `requests`, `GB`. */
  unit: string;
  /** Price per `per` units, in `currency`. */
  unitPrice: number;
  per: number;
  amount: number;
}

export interface StreamEstimate {
  /** Seconds at the plan's limits. */
  durationS: number;
  /** What sets the pace: `source reads`, `target units`, `network`, `plan limit items_per_second`, ... */
  limitedBy: string;
  /** Work in each store's own units, e.g. `{ wcu: 15607, requests: 625 }`. */
  units: Record<string, number>;
  cost: CostLine[];
}

export interface StreamDryRun {
  stream: string;
  target: string;
  count: CountEstimate;
  /** Source bytes (estimated or exact, per `count.exact` unless said otherwise). */
  bytes: { value: number; exact: boolean; method: string };
  segments: SegmentPlan[];
  samples: SampleRecord[];
  targetState: TargetState;
  estimate: StreamEstimate;
}

export interface PriceTableInfo {
  /** The date the prices were checked, ISO `YYYY-MM-DD`. */
  date: string;
  currency: string;
  /** `built-in (prices/cloud-prices.yaml)` or `plan override`. */
  source: string;
  /** Keys the plan overrode. */
  overridden: string[];
}

export interface DryRunReport {
  version: 1;
  generatedAt: string;
  plan: { name: string; path?: string; hash: string; source: string; target: string };
  sampleSize: number;
  streams: StreamDryRun[];
  totals: { items: number; bytes: number; durationS: number; cost: number; currency: string };
  prices: PriceTableInfo;
  findings: Finding[];
  /** `blocked` when any finding is a blocker (exit 1), else `ready`. */
  verdict: 'ready' | 'blocked';
}
