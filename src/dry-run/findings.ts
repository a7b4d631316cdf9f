/**
 * What a dry run concludes: blockers (a run would fail or lose items) and warnings (a run works, but look first),
 * each with a one-sentence fix. Pure functions over what the collector measured, so each rule is tested alone.
 *
 * Blockers: records that can never be written (refused by the target's conversion, over its item size limit, an
 * object over the store's size limit), an unsupported type, a key schema that does not match the table, a target
 * missing without `create: true`, a non-empty target under `write: insert`, what the target's preparation would
 * refuse (`write: replace` without `create: true`...), a store that cannot be reached or read.
 * Warnings: a non-empty target under upsert, a table `write: replace` re-creates, a target the run creates, counts
 * that are estimates, an empty source, items near the size limit, sequential document ids on Firestore without the
 * ramp-up, expensive data transfer between clouds (or an unknown one), and a price table older than a year.
 */
import type { WriteMode } from '../core/sink.js';
import { isFerryError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { cloudOf } from './estimate.js';
import type { PriceTable } from './prices.js';
import type { DryRunReport, Finding, StreamDryRun } from './report.js';

/** Items this close to the target's size limit (as a share of it) earn a warning. */
export const NEAR_LIMIT = 0.8;
/** Data transfer between clouds costing at least this (USD, whole plan) earns a warning. */
export const EGRESS_WARNING_AMOUNT = 10;
/** A price table older than this many days earns a warning. */
export const PRICES_STALE_DAYS = 365;

/** A sampled record the target cannot take. */
export interface Refusal {
  key: string;
  kind: 'rejected' | 'too-large' | 'unsupported';
  reason: string;
  hint?: string | undefined;
  /** The stream's largest record, checked besides the samples (not extrapolated from). */
  largest?: boolean;
}

export interface StreamFacts {
  stream: StreamDryRun;
  mode: WriteMode;
  /** Records sampled (whether mapped or refused). */
  sampled: number;
  refusals: readonly Refusal[];
  /** Sampled records above NEAR_LIMIT of the limit but within it. */
  nearLimit: readonly { key: string; bytes: number }[];
  maxItemBytes?: number | undefined;
  /**
   * The largest item, when the source saw every one (an object listing, a counted table); `checked` when the record
   * itself went through the target's checks (a sample, or fetched by the source).
   */
  largest?: { key: string; bytes: number; checked?: boolean } | undefined;
  /** An object stream: `largest` is the exact size the target stores. */
  objects?: boolean;
  /** Firestore document ids of the mapped samples, in read order. */
  documentIds?: readonly string[] | undefined;
}

export interface PlanFacts {
  plan: Plan;
  prices: PriceTable;
  now: Date;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function streamFindings(f: StreamFacts, p: PlanFacts): Finding[] {
  const out: Finding[] = [];
  const s = f.stream;
  const at = { stream: s.stream };
  const targetType = p.plan.target.type;
  const maxRejected = p.plan.on_error?.max_rejected ?? 0;

  // --- records the target can never hold
  const groups: Record<Refusal['kind'], Refusal[]> = { rejected: [], 'too-large': [], unsupported: [] };
  for (const r of f.refusals) groups[r.kind].push(r);
  for (const [kind, all] of Object.entries(groups) as [Refusal['kind'], Refusal[]][]) {
    const list = all.filter((r) => !r.largest);
    const big = all.find((r) => r.largest);
    if (big) {
      out.push({
        severity: maxRejected > 0 ? 'warning' : 'blocker',
        ...at,
        code: kind === 'too-large' ? 'item-too-large' : kind === 'unsupported' ? 'unsupported-type' : 'item-rejected',
        message: `the stream's largest record can never be written to ${s.target}: ${big.reason}${maxRejected > 0 ? `; within on_error.max_rejected (${maxRejected}), the run would dead-letter it` : ''}`,
        fix:
          kind === 'too-large'
            ? `leave the large field out (\`map.exclude\`) or shorten it before the migration (e.g. keep it in an object store and write a reference), so every item fits the target's ${(f.maxItemBytes ?? 0).toLocaleString('en-US')} bytes`
            : (big.hint ?? "change the stream's `map` or the target's type options so the record fits"),
        keys: [big.key],
      });
    }
    if (list.length === 0) continue;
    const expected = f.sampled > 0 ? Math.ceil((list.length / f.sampled) * s.count.value) : list.length;
    const tolerated = kind !== 'unsupported' && maxRejected >= expected;
    const what =
      kind === 'too-large'
        ? `${plural(list.length, 'sampled record')} of ${f.sampled} ${list.length === 1 ? 'is' : 'are'} larger than ${s.target} allows`
        : kind === 'unsupported'
          ? `${plural(list.length, 'sampled record')} of ${f.sampled} hold${list.length === 1 ? 's' : ''} a type the target cannot store`
          : `${plural(list.length, 'sampled record')} of ${f.sampled} can never be written to ${s.target}`;
    const fix =
      kind === 'too-large'
        ? `leave the large field out (\`map.exclude\`) or shorten it before the migration (e.g. keep it in an object store and write a reference), so every item fits the target's ${(f.maxItemBytes ?? 0).toLocaleString('en-US')} bytes`
        : (list[0]!.hint ?? (kind === 'unsupported' ? 'convert the column in the source (a view or `map.set`) to a type the target stores' : "change the stream's `map` or the target's type options so the record fits"));
    out.push({
      severity: tolerated ? 'warning' : 'blocker',
      ...at,
      code: kind === 'too-large' ? 'item-too-large' : kind === 'unsupported' ? 'unsupported-type' : 'item-rejected',
      message:
        `${what}: ${list[0]!.reason}` +
        (tolerated
          ? `; about ${expected.toLocaleString('en-US')} in all by the sample, within on_error.max_rejected (${maxRejected}), so the run would dead-letter them`
          : f.sampled < s.count.value
            ? `; about ${expected.toLocaleString('en-US')} of ${s.count.value.toLocaleString('en-US')} by the sample`
            : ''),
      fix,
      keys: list.map((r) => r.key),
    });
  }
  const largest = f.largest;
  const sampledLargest = largest !== undefined && (largest.checked === true || f.refusals.some((r) => r.key === largest.key) || f.nearLimit.some((n) => n.key === largest.key));
  if (largest && f.maxItemBytes !== undefined && !sampledLargest && largest.bytes > NEAR_LIMIT * f.maxItemBytes) {
    const over = largest.bytes > f.maxItemBytes;
    if (f.objects) {
      if (over) {
        out.push({
          severity: maxRejected > 0 ? 'warning' : 'blocker',
          ...at,
          code: 'item-too-large',
          message: `${largest.key} is ${largest.bytes.toLocaleString('en-US')} bytes, over the target's limit of ${f.maxItemBytes.toLocaleString('en-US')} bytes`,
          fix: "leave it out with the stream's `match`, or copy it with another tool",
          keys: [largest.key],
        });
      }
    } else {
      // The source's size of a row is not the target's size of the item (attribute names, number and bytes
      // encodings differ): a strong hint, not a verdict.
      out.push({
        severity: 'warning',
        ...at,
        code: over ? 'item-maybe-too-large' : 'size-near-limit',
        message: `the largest record (${largest.key}) is about ${largest.bytes.toLocaleString('en-US')} bytes in the source, ${over ? 'over' : 'near'} the target's limit of ${f.maxItemBytes.toLocaleString('en-US')} bytes; it was not among the samples`,
        fix: over
          ? 'leave the large field out (`map.exclude`) or shorten it in the source, or allow it as a dead letter with `on_error.max_rejected`'
          : 'check that record before the run, or trim its large field with `map.exclude`',
        keys: [largest.key],
      });
    }
  }
  if (f.nearLimit.length > 0 && f.maxItemBytes !== undefined) {
    const biggest = Math.max(...f.nearLimit.map((n) => n.bytes));
    out.push({
      severity: 'warning',
      ...at,
      code: 'size-near-limit',
      message: `${plural(f.nearLimit.length, 'sampled record')} ${f.nearLimit.length === 1 ? 'is' : 'are'} near the target's item size limit (largest ${biggest.toLocaleString('en-US')} of ${f.maxItemBytes.toLocaleString('en-US')} bytes); unsampled ones may be over it`,
      fix: 'check the largest rows in the source (e.g. order by the length of the large column) before the run, or trim the large field with `map.exclude`',
      keys: f.nearLimit.map((n) => n.key),
    });
  }

  // --- the target as it stands
  const t = s.targetState;
  if (t.exists === false && t.created === false) {
    out.push({ severity: 'blocker', ...at, code: 'target-missing', message: `${s.target} does not exist, and the run would not create it`, fix: 'create it first, or set `create: true` in the target block' });
  } else if (t.exists === false && t.created === true) {
    out.push({ severity: 'warning', ...at, code: 'target-created', message: `${s.target} does not exist yet; the run creates it`, fix: "nothing to do if that is intended; otherwise check the stream's `to:` and the target block" });
  }
  for (const pr of t.problems ?? []) {
    out.push({ severity: 'blocker', ...at, code: 'target-refuses', message: pr.message, fix: pr.fix });
  }
  if (t.keyMatches === false) {
    out.push({
      severity: 'blocker',
      ...at,
      code: 'key-schema-mismatch',
      message: `${s.target} is keyed ${t.keySchema ?? 'differently'}, which is not the key the plan writes${t.notes[0]?.startsWith('the plan keys it') ? ` (${t.notes[0]})` : ''}`,
      fix: "make the stream's `key:` (with `partition_type` / `sort_type`) match the table, or write to another table",
    });
  }
  if (t.empty === false) {
    const items = t.items !== undefined ? ` (${t.items.toLocaleString('en-US')} items)` : '';
    if (f.mode === 'insert') {
      out.push({
        severity: 'blocker',
        ...at,
        code: 'target-not-empty',
        message: `${s.target} is not empty${items}, and \`write: insert\` refuses every key that already exists`,
        fix: 'empty the target or write to a new one, or use `write: upsert` to overwrite existing keys',
      });
    } else if (f.mode === 'replace' && targetType === 'dynamodb') {
      out.push({ severity: 'warning', ...at, code: 'target-replaced', message: `\`write: replace\` deletes and re-creates ${s.target}${items}`, fix: 'make sure nothing else needs what it holds, or use `write: upsert`' });
    } else {
      out.push({
        severity: 'warning',
        ...at,
        code: 'target-not-empty',
        message: `${s.target} is not empty${items}: the run overwrites items with the same key and keeps the others`,
        fix: 'if the target should hold exactly the source, empty it first or write to a new table or prefix',
      });
    }
  }

  // --- the figures
  if (!s.count.exact) {
    out.push({
      severity: 'warning',
      ...at,
      code: 'count-estimated',
      message: `${s.count.value.toLocaleString('en-US')} items is an estimate (${s.count.method}); duration and cost scale with it`,
      fix: 'take the figures as approximate (statistics can be hours or an ANALYZE old); `ferry verify` counts exactly after the run',
    });
  }
  if (s.count.exact && s.count.value === 0) {
    out.push({ severity: 'warning', ...at, code: 'source-empty', message: `${s.stream} holds nothing to move`, fix: "check the stream's `from:` (and `where` / `match`) if you expected data" });
  }

  // --- Firestore hot-spotting
  if (targetType === 'firestore' && f.documentIds && f.documentIds.length >= 2 && sequential(f.documentIds) && !rampUpOn(p.plan)) {
    out.push({
      severity: 'warning',
      ...at,
      code: 'sequential-ids',
      message: `document ids look sequential (${f.documentIds.slice(0, 3).join(', ')}, …): Firestore writes to a narrow id range hot-spot one server, and a new collection should be ramped up`,
      fix: 'set `limits.ramp_up: true` (Firestore\'s 500/50/5 rule), or give documents spread-out ids with the stream\'s `id:`',
    });
  }
  return out;
}

/** Numbers, or ids sharing a long prefix (timestamps, zero-padded counters): one narrow range of the key space. */
export function sequential(ids: readonly string[]): boolean {
  if (ids.every((id) => /^\d+$/.test(id))) return true;
  let prefix = ids[0]!.length;
  for (const id of ids) {
    let i = 0;
    while (i < prefix && i < id.length && id[i] === ids[0]![i]) i++;
    prefix = i;
  }
  const shortest = Math.min(...ids.map((i) => i.length));
  return prefix >= Math.max(4, Math.ceil(shortest / 2));
}

function rampUpOn(plan: Plan): boolean {
  const own = plan.target['ramp_up'];
  return own === true || (own === undefined && plan.limits?.ramp_up === true);
}

/** Plan-wide findings, once the streams are in the report. */
export function planFindings(report: Pick<DryRunReport, 'streams' | 'totals'>, p: PlanFacts): Finding[] {
  const out: Finding[] = [];
  const ageDays = (p.now.getTime() - Date.parse(`${p.prices.date}T00:00:00Z`)) / 86_400_000;
  if (ageDays > PRICES_STALE_DAYS && p.prices.info.overridden.length === 0) {
    out.push({
      severity: 'warning',
      code: 'prices-outdated',
      message: `the price table is from ${p.prices.date}, ${Math.floor(ageDays)} days ago; list prices change`,
      fix: "update prices/cloud-prices.yaml, or set today's prices in the plan's `prices:`",
    });
  }
  let egress = 0;
  for (const s of report.streams) for (const c of s.estimate.cost) if (c.what.startsWith('data transfer')) egress += c.amount;
  if (egress >= EGRESS_WARNING_AMOUNT) {
    const share = report.totals.cost > 0 ? Math.round((egress / report.totals.cost) * 100) : 100;
    out.push({
      severity: 'warning',
      code: 'egress-cost',
      message: `data transfer out of the source's cloud costs about ${report.totals.currency} ${egress.toFixed(2)}, ${share}% of the estimate`,
      fix: "budget for it, or ask the source cloud for its free egress for customers who leave (AWS, Google Cloud and Azure offer one) and put the agreed rate in the plan's `prices:`",
    });
  }
  const source = p.plan.source.type;
  const bytes = report.streams.reduce((n, s) => n + s.bytes.value, 0);
  if (cloudOf(source) === undefined && bytes >= 1024 ** 3) {
    const gb = bytes / 1024 ** 3;
    out.push({
      severity: 'warning',
      code: 'egress-unknown',
      message: `ferry cannot tell which cloud or region ${source} runs in: if it is not where ${p.plan.target.type} is, moving ${gb.toFixed(1)} GB out of it costs there too (e.g. ${(gb * p.prices.prices.aws_egress_internet_gb).toFixed(2)} USD at AWS's internet rate)`,
      fix: 'check where the database runs and add its data transfer to the budget',
    });
  }
  return out;
}

/** A failure met while looking (cannot connect, refused credentials, missing stream) as a blocker with its fix. */
export function errorFinding(stream: string | undefined, doing: string, e: unknown): Finding {
  const msg = e instanceof Error ? e.message : String(e);
  const code = isFerryError(e)
    ? ({ AUTH: 'auth-failed', UNREACHABLE: 'unreachable', NOT_FOUND: 'not-found', CONFIG: 'config', UNSUPPORTED: 'unsupported', PLAN_INVALID: 'config' } as Record<string, string>)[e.code] ?? 'error'
    : 'error';
  const fixes: Record<string, string> = {
    'auth-failed': 'check the credentials ferry uses for this store (environment, profile, or `${env:...}` in the plan)',
    unreachable: 'check the endpoint, network access and that the server is up, then run the dry run again',
    'not-found': 'check the name in the plan against what the store holds',
    config: 'fix the plan as the message says',
    unsupported: 'pick a combination ferry supports (`ferry connectors`)',
    error: 'run again with --debug, and report it if it persists',
  };
  const hint = isFerryError(e) ? e.hint : undefined;
  return { severity: 'blocker', ...(stream !== undefined ? { stream } : {}), code, message: `${doing}: ${msg}`, fix: hint ?? fixes[code]! };
}
