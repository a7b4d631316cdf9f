/**
 * Duration and cost of one stream, from what the dry run measured (items, bytes, the target's units per item from
 * the samples) and the plan's limits. Pure: no I/O, so every figure can be tested.
 *
 * Duration: the slowest of what can set the pace, each at a steady rate —
 * - the plan's limits in the target's units (`limits.wcu`, `writes_per_second`, `requests_per_second`, `ru`,
 *   `items_per_second`, `bytes_per_second`; rateLimitsOf maps them as the engine does);
 * - the target's own capacity: a provisioned DynamoDB table's write capacity, or the 4,000 WRU/s AWS says a new
 *   on-demand table starts at;
 * - source reads: a DynamoDB source's `rcu_per_second` (a scan costs 0.5 RCU per 4 KB, 1 with consistent reads);
 * - the network, at an assumed bandwidth (DEFAULT_BANDWIDTH, 100 MB/s; `--bandwidth` overrides it);
 * - what one ferry process is assumed to reach against the target (ASSUMED_THROUGHPUT, from bench/README.md where
 *   measured, else said to be a guess);
 * - Firestore's 500/50/5 ramp-up when the plan turns it on (500 writes/s, +50% every 5 minutes).
 * Streams share the job's limits, so a plan's duration is the sum of its streams'.
 *
 * Cost, in each store's units, priced from the dated table (prices.ts): target writes (DynamoDB write request
 * units or provisioned capacity-hours, Firestore writes, Cosmos RU, object PUTs and listings), source reads
 * (DynamoDB scan read units, Firestore reads, object GETs and listings), and data transfer out of the source's cloud
 * when the target is in another one (or in another AWS region).
 */
import type { RateUnit } from '../core/sink.js';
import { rateLimitsOf } from '../engine/rate-limiter.js';
import { RATE_LIMIT_KEYS } from '../plan/plan-schema.js';
import type { Plan } from '../plan/types.js';
import type { PriceName } from './price-units.js';
import { priceOf, type PriceTable } from './prices.js';
import type { CostLine, StreamEstimate, TargetState } from './report.js';

/** Assumed network bandwidth between source, ferry and target: 100 MB/s. */
export const DEFAULT_BANDWIDTH = 100_000_000;

/** AWS: a new on-demand table serves up to 4,000 write request units per second before it scales further. */
export const DYNAMODB_ON_DEMAND_START_WRU = 4_000;

/** Firestore's ramp-up rule for new collections: 500 writes/s, then +50% every 5 minutes. */
export const FIRESTORE_RAMP = { start: 500, factor: 1.5, everyS: 300 } as const;

const GiB = 1024 ** 3;

/** What one ferry process is assumed to reach against each target when nothing else limits it. */
export const ASSUMED_THROUGHPUT: Readonly<Record<string, { itemsPerSecond: number; why: string }>> = {
  dynamodb: {
    itemsPerSecond: 5_000,
    why: 'assumed 5,000 items/s per ferry process (measured 4,958–5,076 items/s into dynalite on 2 cores, bench/README.md)',
  },
  firestore: { itemsPerSecond: 1_000, why: 'assumed 1,000 documents/s per ferry process (a guess: no Firestore figure is measured in bench/README.md yet)' },
  cosmos: { itemsPerSecond: 1_000, why: 'assumed 1,000 items/s per ferry process (a guess, not measured)' },
};

/** Object copies: `transfers` at once, each small object assumed to take 100 ms (a GET and a PUT). */
export const ASSUMED_OBJECTS_PER_TRANSFER_PER_SECOND = 10;

const OBJECT_STORES = new Set(['s3', 'gcs', 'azure-blob']);

export type Cloud = 'aws' | 'gcp' | 'azure';

export function cloudOf(type: string): Cloud | undefined {
  switch (type) {
    case 'dynamodb':
    case 's3':
      return 'aws';
    case 'firestore':
    case 'gcs':
      return 'gcp';
    case 'cosmos':
    case 'azure-blob':
      return 'azure';
    default:
      return undefined;
  }
}

const CLOUD_NAMES: Record<Cloud, string> = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' };

export interface EstimateInput {
  plan: Plan;
  /** Items the stream holds (exact or estimated). */
  count: number;
  /** Source bytes. */
  sourceBytes: number;
  /** Bytes as the target counts them, for all items. */
  targetBytes: number;
  /** Totals in the sink's rate units (sink.cost per sampled item, scaled to `count`), e.g. `{ wcu: 15607 }`. */
  targetUnits: Partial<Record<RateUnit, number>>;
  /** Object sizes by class, when the source listed every object. */
  sizes?: readonly { upTo: number; count: number; bytes: number }[] | undefined;
  /** The target's billing, from inspection. */
  capacity?: TargetState['capacity'] | undefined;
  prices: PriceTable;
  /** Bytes per second the network is assumed to carry. */
  bandwidth?: number;
}

interface Pace {
  seconds: number;
  why: string;
}

function num(block: Record<string, unknown>, key: string): number | undefined {
  const v = block[key];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Seconds to write `n` documents under Firestore's ramp-up, never faster than `cap` per second. */
export function rampSeconds(n: number, cap = Infinity): number {
  let left = n;
  let t = 0;
  let rate = FIRESTORE_RAMP.start;
  for (let step = 0; left > 0 && step < 10_000; step++) {
    const r = Math.min(rate, cap);
    const chunk = r * FIRESTORE_RAMP.everyS;
    if (chunk >= left || r >= cap) return t + left / r;
    left -= chunk;
    t += FIRESTORE_RAMP.everyS;
    rate *= FIRESTORE_RAMP.factor;
  }
  return t;
}

/** Read units of scanning `bytes` of DynamoDB: 0.5 per 4 KB (1 with strongly consistent reads). */
export function scanReadUnits(bytes: number, consistent: boolean): number {
  return Math.ceil(bytes / 4096) * (consistent ? 1 : 0.5);
}

/** Requests a copy of these objects makes on the target: uploads (parts of a large one: initiate + parts + complete) and the sink's listings. */
export function objectWriteRequests(count: number, bytes: number, sizes: EstimateInput['sizes'], partBytes: number): { uploads: number; lists: number; heads: number } {
  let uploads = 0;
  const classes = sizes && sizes.length > 0 ? sizes : count > 0 ? [{ upTo: Math.ceil(bytes / count), count, bytes }] : [];
  for (const c of classes) {
    if (c.count === 0) continue;
    const avg = c.bytes / c.count;
    uploads += avg <= partBytes ? c.count : c.count * (Math.ceil(avg / partBytes) + 2);
  }
  // The sink looks at what the target holds once per write of up to 64 objects: a ranged listing and two HEADs.
  const writes = Math.ceil(count / 64);
  return { uploads, lists: writes, heads: 2 * writes };
}

const OBJECT_PRICES: Record<string, { write: PriceName; list: PriceName; read: PriceName; name: string }> = {
  s3: { write: 's3_put_requests', list: 's3_put_requests', read: 's3_get_requests', name: 'S3' },
  gcs: { write: 'gcs_class_a_operations', list: 'gcs_class_a_operations', read: 'gcs_class_b_operations', name: 'Cloud Storage' },
  'azure-blob': { write: 'azure_blob_write_operations', list: 'azure_blob_list_operations', read: 'azure_blob_read_operations', name: 'Azure Blob' },
};

export function estimateStream(input: EstimateInput): StreamEstimate {
  const { plan, count, sourceBytes, targetBytes, prices } = input;
  const bandwidth = input.bandwidth ?? DEFAULT_BANDWIDTH;
  const sourceType = plan.source.type;
  const targetType = plan.target.type;
  const units: Record<string, number> = { items: count, source_bytes: sourceBytes, target_bytes: targetBytes };
  for (const [u, v] of Object.entries(input.targetUnits)) if (typeof v === 'number') units[u] = round(v);

  const paces: Pace[] = [];
  // The plan's limits, in the target's units, as the engine's rate limiter applies them.
  for (const [unit, rate] of Object.entries(rateLimitsOf(plan.limits)) as [RateUnit, number][]) {
    const total = unit === 'items' ? count : unit === 'bytes' ? targetBytes : input.targetUnits[unit];
    if (total === undefined) continue;
    paces.push({ seconds: total / rate, why: `target units: plan limit ${RATE_LIMIT_KEYS[unit]} ${fmt(rate)}/s` });
  }

  const cost: CostLine[] = [];
  const add = (name: PriceName, quantity: number, what?: string): void => {
    if (!(quantity > 0)) return;
    const p = priceOf(prices, name, quantity);
    cost.push({ what: what ?? p.what, quantity: round(quantity), unit: p.unit, unitPrice: p.unitPrice, per: p.per, amount: p.amount });
  };

  // --- the target's own capacity, and what a process reaches
  const wcu = input.targetUnits.wcu ?? count;
  const billing = targetType === 'dynamodb' ? dynamoBilling(plan, input.capacity) : undefined;
  if (billing?.mode === 'provisioned' && billing.writeUnits) {
    paces.push({ seconds: wcu / billing.writeUnits, why: `target units: provisioned write capacity ${fmt(billing.writeUnits)} WCU/s` });
  } else if (billing?.mode === 'on_demand') {
    paces.push({ seconds: wcu / DYNAMODB_ON_DEMAND_START_WRU, why: `target units: an on-demand table starts at ${fmt(DYNAMODB_ON_DEMAND_START_WRU)} WRU/s (AWS)` });
  }
  if (OBJECT_STORES.has(targetType)) {
    const transfers = num(plan.target, 'transfers') ?? 16;
    const perSecond = transfers * ASSUMED_OBJECTS_PER_TRANSFER_PER_SECOND;
    paces.push({ seconds: count / perSecond, why: `assumed ${fmt(perSecond)} small objects/s (${transfers} transfers × ${ASSUMED_OBJECTS_PER_TRANSFER_PER_SECOND}/s, 100 ms per copy)` });
  } else {
    const a = ASSUMED_THROUGHPUT[targetType] ?? { itemsPerSecond: 1_000, why: 'assumed 1,000 items/s per ferry process (a guess, not measured)' };
    paces.push({ seconds: count / a.itemsPerSecond, why: a.why });
  }

  // --- source reads
  const consistent = sourceType === 'dynamodb' && plan.source['consistent_read'] === true;
  if (sourceType === 'dynamodb') {
    const rcu = scanReadUnits(sourceBytes, consistent);
    units['source_rcu'] = rcu;
    const rate = num(plan.source, 'rcu_per_second');
    if (rate) paces.push({ seconds: rcu / rate, why: `source reads: rcu_per_second ${fmt(rate)}` });
  }

  // --- network
  const moved = Math.max(sourceBytes, targetBytes);
  paces.push({ seconds: moved / bandwidth, why: `network: assumed ${fmt(bandwidth / 1e6)} MB/s` });

  let pace = paces.reduce<Pace>((a, b) => (b.seconds > a.seconds ? b : a), { seconds: 0, why: 'nothing to move' });
  const rampOn = targetType === 'firestore' && (plan.target['ramp_up'] === true || (plan.target['ramp_up'] === undefined && plan.limits?.ramp_up === true));
  if (rampOn && count > 0) {
    const cap = pace.seconds > 0 ? count / pace.seconds : Infinity;
    const s = rampSeconds(count, cap);
    if (s > pace.seconds) pace = { seconds: s, why: 'target units: Firestore ramp-up 500/50/5 (500 writes/s, +50% every 5 minutes)' };
  }
  if (count === 0) pace = { seconds: 0, why: 'nothing to move' };
  const durationS = pace.seconds;

  // --- target writes
  switch (targetType) {
    case 'dynamodb': {
      if (billing?.mode === 'provisioned') {
        const hours = Math.max(1, Math.ceil(durationS / 3600));
        if (billing.writeUnits) add('dynamodb_wcu_hours', billing.writeUnits * hours, `DynamoDB provisioned write capacity: ${fmt(billing.writeUnits)} WCU × ${hours} h (billed whether used or not)`);
        if (billing.readUnits) add('dynamodb_rcu_hours', billing.readUnits * hours, `DynamoDB provisioned read capacity: ${fmt(billing.readUnits)} RCU × ${hours} h`);
        units['target_wcu_hours'] = (billing.writeUnits ?? 0) * hours;
      } else {
        add('dynamodb_write_request_units', wcu, 'DynamoDB on-demand writes (1 write request unit per started KB of each item)');
      }
      break;
    }
    case 'firestore':
      add('firestore_writes', input.targetUnits.writes ?? count, 'Firestore document writes');
      break;
    case 'cosmos': {
      const ru = input.targetUnits.ru ?? 5 * Math.max(count, Math.ceil(targetBytes / 1024));
      units['ru'] = round(ru);
      add('cosmos_request_units', ru, 'Cosmos DB writes (about 5 RU per KB written)');
      break;
    }
    default: {
      const p = OBJECT_PRICES[targetType];
      if (!p) break;
      if (plan.kind === 'backup' && !OBJECT_PRICES[sourceType]) {
        // A backup of records: one data file per read batch (or per part_size_mb), and the manifest.
        const batch = num((plan.limits ?? {}) as Record<string, unknown>, 'batch_size') ?? 500;
        const files = count === 0 ? 0 : Math.ceil(count / batch);
        units['target_uploads'] = files + 1;
        add(p.write, files + 1, `${p.name} uploads: ${fmt(files)} backup data file(s), one per read batch of ${fmt(batch)} records, and the manifest`);
        add(p.list, 1, `${p.name} listing of the set before its manifest is written`);
        break;
      }
      const partMb = num(plan.target, 'part_size_mb') ?? 8;
      const w = objectWriteRequests(count, targetBytes, input.sizes, partMb * 1024 * 1024);
      units['target_uploads'] = w.uploads;
      units['target_lists'] = w.lists;
      units['target_heads'] = w.heads;
      add(p.write, w.uploads, `${p.name} uploads (one request per object, or initiate + one per ${partMb} MiB part + complete)`);
      add(p.list, w.lists, `${p.name} listings of the target (what is already there, once per 64 objects)`);
      add(p.read, w.heads, `${p.name} HEAD requests on the target (two per 64 objects)`);
    }
  }

  // --- source reads
  switch (sourceType) {
    case 'dynamodb':
      add('dynamodb_read_request_units', units['source_rcu']!, `DynamoDB scan of the source (${consistent ? 'strongly consistent: 1' : '0.5'} read unit per 4 KB; a provisioned table uses its capacity instead)`);
      break;
    case 'firestore':
      units['source_reads'] = count;
      add('firestore_reads', count, 'Firestore reads of the source documents');
      break;
    default: {
      const p = OBJECT_PRICES[sourceType];
      if (!p) break;
      units['source_gets'] = count;
      units['source_lists'] = Math.ceil(count / 1000);
      add(p.read, count, `${p.name} GET requests on the source (one per object)`);
      add(p.list, Math.ceil(count / 1000), `${p.name} listings of the source (1,000 names a page)`);
    }
  }

  // --- data transfer between clouds or regions
  const from = cloudOf(sourceType);
  const to = cloudOf(targetType);
  const gb = sourceBytes / GiB;
  if (from && to && from !== to) {
    units['egress_gb'] = round(gb, 3);
    add(`${from}_egress_internet_gb` as PriceName, gb, `data transfer out of ${CLOUD_NAMES[from]} to ${CLOUD_NAMES[to]} (internet egress: often the biggest line)`);
  } else if (from === 'aws' && to === 'aws') {
    const a = typeof plan.source['region'] === 'string' ? plan.source['region'] : undefined;
    const b = typeof plan.target['region'] === 'string' ? plan.target['region'] : undefined;
    if (a && b && a !== b) {
      units['egress_gb'] = round(gb, 3);
      add('aws_inter_region_gb', gb, `data transfer from AWS ${a} to ${b}`);
    }
  }

  return { durationS, limitedBy: pace.why, units, cost };
}

/** The billing a DynamoDB target writes under: the existing table's, else what `create` would make. */
export function dynamoBilling(plan: Plan, capacity: TargetState['capacity']): NonNullable<TargetState['capacity']> {
  if (capacity) return capacity;
  if (plan.target['billing'] === 'provisioned') {
    const c = plan.target['capacity'] as { read?: number; write?: number } | undefined;
    return { mode: 'provisioned', ...(c?.read ? { readUnits: c.read } : {}), ...(c?.write ? { writeUnits: c.write } : {}) };
  }
  return { mode: 'on_demand' };
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
