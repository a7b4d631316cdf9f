/**
 * `ferry plan dry-run`: everything a report needs, found out from the plan's source and target without writing to
 * either. Reaches the stores only through the engine's door (the `Source` and `Sink` that open-connectors gives) and
 * the engine's own helpers, so what it shows is what a run would do:
 *
 * - streams as the engine lists and names them (`streamOptionsOf`, `defaultTargetName`, `targetRefOf`);
 * - segments from `source.segments` with the plan's `segments` / `limits.concurrency`, each described readably;
 * - counts and bytes from `source.estimate` (exact when cheap, else statistics, and which), else `source.count`;
 * - N sample records from the first segment(s), before and after the record pipeline (the plan's field map, then
 *   `sink.toTarget`), each checked against the target: refusals (ITEM_REJECTED, UNSUPPORTED) and `sink.sizeOf`
 *   against `sink.limits.maxItemBytes`; the target's units per item from `sink.cost`;
 * - the target as it stands from `sink.inspect` (read-only);
 * - duration and cost (estimate.ts), findings (findings.ts), a verdict.
 *
 * Never called: `sink.prepare`, `sink.write`, `sink.flush`, `sink.finishStream`. A store that cannot be reached or
 * read becomes a blocker finding where the rest can still be looked at, not a crash.
 */
import type { FerryRecord } from '../core/record.js';
import { keyText } from '../core/record.js';
import type { RateUnit, Sink } from '../core/sink.js';
import type { Source, SourceEstimate } from '../core/source.js';
import type { Segment, StreamRef } from '../core/stream.js';
import { estimateSize } from '../engine/size.js';
import { defaultTargetName, streamOptionsOf, targetRefOf, writeModeOf } from '../engine/stream-plan.js';
import { FerryError, isFerryError, redact } from '../errors.js';
import { isObjectValue } from '../objects/object-value.js';
import type { LoadedPlan, Plan, StreamSpec } from '../plan/types.js';
import { recordPipeline, type RecordMapper } from '../transform/pipeline.js';
import { estimateStream } from './estimate.js';
import { errorFinding, NEAR_LIMIT, planFindings, streamFindings, type Refusal, type StreamFacts } from './findings.js';
import { loadPriceTable, withOverrides, type PriceTable } from './prices.js';
import type { DryRunReport, Finding, SampleRecord, SegmentPlan, StreamDryRun, TargetState } from './report.js';
import { sampleJson } from './sample-json.js';

export const DEFAULT_SAMPLE = 5;

export interface CollectOptions {
  /** Records sampled per stream (default 5; 0 reads none). */
  sample?: number;
  signal: AbortSignal;
  /** The report's clock. */
  now?: Date;
  /** Network bandwidth assumed, bytes per second (default estimate.ts DEFAULT_BANDWIDTH). */
  bandwidth?: number;
  /** The price table before the plan's overrides (default prices/cloud-prices.yaml). */
  prices?: PriceTable;
}

export async function collectDryRun(
  loaded: LoadedPlan,
  source: Source<FerryRecord>,
  sink: Sink<FerryRecord>,
  opts: CollectOptions,
): Promise<DryRunReport> {
  const { plan } = loaded;
  const { signal } = opts;
  const now = opts.now ?? new Date();
  const sampleSize = Math.max(0, Math.floor(opts.sample ?? DEFAULT_SAMPLE));
  const prices = withOverrides(opts.prices ?? loadPriceTable(), plan.prices);
  const pf = { plan, prices, now };
  const findings: Finding[] = [];
  const streams: StreamDryRun[] = [];
  const shared: Shared = {};

  for (const spec of plan.streams) {
    let refs: StreamRef[];
    try {
      refs = await source.streams(spec.from, signal, streamOptionsOf(spec));
    } catch (e) {
      rethrowIfAborted(e, signal);
      findings.push(errorFinding(spec.from, `listing ${plan.source.type} streams matching "${spec.from}"`, e));
      continue;
    }
    if (refs.length === 0) {
      findings.push({
        severity: 'blocker',
        stream: spec.from,
        code: 'stream-not-found',
        message: `no ${plan.source.type} stream matches "${spec.from}"`,
        fix: "check the stream's `from:` name or pattern (names are case-sensitive)",
      });
      continue;
    }
    for (const ref of refs) {
      const r = await collectStream(plan, spec, ref, source, sink, sampleSize, prices, opts, shared);
      streams.push(r.stream);
      findings.push(...r.findings, ...streamFindings(r.facts, pf));
    }
  }

  const totals = {
    items: streams.reduce((n, s) => n + s.count.value, 0),
    bytes: streams.reduce((n, s) => n + s.bytes.value, 0),
    durationS: streams.reduce((n, s) => n + s.estimate.durationS, 0),
    cost: streams.reduce((n, s) => n + s.estimate.cost.reduce((m, c) => m + c.amount, 0), 0),
    currency: prices.currency,
  };
  findings.push(...planFindings({ streams, totals }, pf));
  mergeCreatedTargets(findings);
  const verdict = findings.some((f) => f.severity === 'blocker') ? 'blocked' : 'ready';
  return {
    version: 1,
    generatedAt: now.toISOString(),
    plan: {
      name: plan.name,
      ...(loaded.path !== undefined ? { path: loaded.path } : {}),
      hash: loaded.hash,
      source: describeBlock(plan.source),
      target: describeBlock(plan.target),
    },
    sampleSize,
    streams,
    totals,
    prices: prices.info,
    findings,
    verdict,
  };
}

/** Several targets a run creates make one warning naming them, not one each. */
function mergeCreatedTargets(findings: Finding[]): void {
  const created = findings.filter((f) => f.code === 'target-created');
  if (created.length < 2) return;
  const first = findings.indexOf(created[0]!);
  const names = created.map((f) => f.message.replace(/ does not exist yet; the run creates it$/, ''));
  const merged: Finding = {
    severity: 'warning',
    code: 'target-created',
    message: `${created.length} targets do not exist yet; the run creates them: ${names.join(', ')}`,
    fix: created[0]!.fix,
  };
  const rest = findings.filter((f) => f.code !== 'target-created');
  rest.splice(Math.min(first, rest.length), 0, merged);
  findings.splice(0, findings.length, ...rest);
}

/** A report that could not look at anything (the connectors did not open): the failure as its one blocker. */
export function failedDryRun(loaded: LoadedPlan, doing: string, e: unknown, opts: { now?: Date; sample?: number; prices?: PriceTable } = {}): DryRunReport {
  const now = opts.now ?? new Date();
  let info: DryRunReport['prices'];
  const findings: Finding[] = [errorFinding(undefined, doing, e)];
  let currency = 'USD';
  try {
    const table = withOverrides(opts.prices ?? loadPriceTable(), loaded.plan.prices);
    info = table.info;
    currency = table.currency;
  } catch (pe) {
    info = { date: 'unknown', currency, source: 'unavailable', overridden: [] };
    findings.push(errorFinding(undefined, 'loading the price table', pe));
  }
  return {
    version: 1,
    generatedAt: now.toISOString(),
    plan: { name: loaded.plan.name, ...(loaded.path !== undefined ? { path: loaded.path } : {}), hash: loaded.hash, source: describeBlock(loaded.plan.source), target: describeBlock(loaded.plan.target) },
    sampleSize: Math.max(0, Math.floor(opts.sample ?? DEFAULT_SAMPLE)),
    streams: [],
    totals: { items: 0, bytes: 0, durationS: 0, cost: 0, currency },
    prices: info,
    findings,
    verdict: 'blocked',
  };
}

/** What one stream learns that the next ones use. */
interface Shared {
  /** The target could not be reached or refused the credentials: later streams do not ask again. */
  targetDown?: string;
}

interface StreamResult {
  stream: StreamDryRun;
  /** Failures met while looking. */
  findings: Finding[];
  /** What the rules of findings.ts judge. */
  facts: StreamFacts;
}

async function collectStream(
  plan: Plan,
  spec: StreamSpec,
  ref: StreamRef,
  source: Source<FerryRecord>,
  sink: Sink<FerryRecord>,
  sampleSize: number,
  prices: PriceTable,
  opts: CollectOptions,
  shared: Shared,
): Promise<StreamResult> {
  const { signal } = opts;
  const out: Finding[] = [];
  const target = defaultTargetName(spec, ref);
  const targetRef = targetRefOf(spec, ref, target);
  const at = ref.name;

  // --- segments, as a run would split the stream
  const desired = Math.max(1, Math.floor(typeof spec.segments === 'number' ? spec.segments : (plan.limits?.concurrency ?? 4)));
  let segments: Segment[] = [];
  try {
    segments = source.segments ? await source.segments(ref, desired, signal) : [];
  } catch (e) {
    rethrowIfAborted(e, signal);
    out.push(errorFinding(at, `splitting ${ref.name} into segments`, e));
  }
  if (segments.length === 0) segments = [{ id: `${ref.name}#0/1`, stream: ref.name, index: 0, total: 1, spec: null }];

  // --- how big
  let est: SourceEstimate | undefined;
  try {
    est = await estimateOf(source, ref, segments, signal);
  } catch (e) {
    rethrowIfAborted(e, signal);
    // A count that failed (a timeout, a permission on statistics) does not stop a run; a store that is gone does.
    const fatal = isFerryError(e) && (e.code === 'AUTH' || e.code === 'UNREACHABLE' || e.code === 'NOT_FOUND');
    out.push({ ...errorFinding(at, `counting ${ref.name}`, e), ...(fatal ? {} : { severity: 'warning' as const }) });
  }

  // --- samples, before and after the record pipeline
  let mapper: RecordMapper | undefined;
  try {
    mapper = recordPipeline(spec.map, sink, targetRef);
  } catch (e) {
    out.push(errorFinding(at, `compiling the mapping of ${ref.name} → ${target}`, e));
  }
  const samples: SampleRecord[] = [];
  const refusals: Refusal[] = [];
  const nearLimit: { key: string; bytes: number }[] = [];
  const documentIds: string[] = [];
  const unitSums: Partial<Record<RateUnit, number>> = {};
  let mapped = 0;
  let sourceSampleBytes = 0;
  let targetSampleBytes = 0;
  const maxItemBytes = sink.limits.maxItemBytes;
  let configFailure = false;
  /** One record through the pipeline and the target's checks. `extra`: the stream's largest, not a sample. */
  const check = (record: FerryRecord, extra: boolean): SampleRecord => {
    const key = keyText(record.key);
    const sample: SampleRecord = { key, before: sampleJson(record.value), after: null, problems: [] };
    if (!extra) sourceSampleBytes += record.sizeBytes ?? estimateSize(record.value);
    if (!mapper || configFailure) return sample;
    try {
      const m = mapper(record);
      const bytes = sink.sizeOf ? sink.sizeOf(m) : (m.sizeBytes ?? estimateSize(m.value));
      sample.after = isObjectValue(m.value) ? { ...(sampleJson(m.value) as Record<string, unknown>), name: `${target}${m.value.rel}` } : sampleJson(m.value);
      sample.targetBytes = bytes;
      if (maxItemBytes !== undefined && bytes > maxItemBytes) {
        const reason = `${bytes.toLocaleString('en-US')} bytes as ${plan.target.type} counts them, over its limit of ${maxItemBytes.toLocaleString('en-US')}`;
        sample.problems.push(reason);
        refusals.push({ key, kind: 'too-large', reason: `${key} is ${reason}`, ...(extra ? { largest: true } : {}) });
        return sample;
      }
      if (maxItemBytes !== undefined && bytes > NEAR_LIMIT * maxItemBytes) nearLimit.push({ key, bytes });
      if (extra) return sample;
      mapped++;
      targetSampleBytes += bytes;
      for (const [u, v] of Object.entries(sink.cost?.([m]) ?? {}) as [RateUnit, number][]) unitSums[u] = (unitSums[u] ?? 0) + v;
      const path = m.key['path'];
      if (typeof path === 'string') documentIds.push(path.slice(path.lastIndexOf('/') + 1));
    } catch (e) {
      if (isFerryError(e) && (e.code === 'ITEM_REJECTED' || e.code === 'UNSUPPORTED')) {
        sample.problems.push(e.message);
        refusals.push({ key, kind: e.code === 'UNSUPPORTED' ? 'unsupported' : 'rejected', reason: `${key}: ${e.message}`, hint: e.hint, ...(extra ? { largest: true } : {}) });
      } else if (isFerryError(e) && (e.code === 'CONFIG' || e.code === 'PLAN_INVALID')) {
        // The stream itself is wrong (a `to:` that can never be a path...): once for the stream, not per record.
        configFailure = true;
        sample.problems.push(e.message);
        out.push(errorFinding(at, `mapping ${ref.name} → ${target}`, e));
      } else {
        throw e;
      }
    }
    return sample;
  };
  if (sampleSize > 0) {
    let records: FerryRecord[] = [];
    try {
      records = await readSamples(source, segments, sampleSize, signal);
    } catch (e) {
      rethrowIfAborted(e, signal);
      out.push(errorFinding(at, `reading sample records of ${ref.name}`, e));
    }
    for (const record of records) samples.push(check(record, false));
  }
  // The stream's largest record, when the source fetched it: the one most likely to break a size limit.
  const largest = est?.largest?.record;
  let largestChecked = false;
  if (largest && !samples.some((x) => x.key === keyText(largest.key))) {
    const sample = check(largest, true);
    sample.note = `the stream's largest record (${est!.largest!.bytes.toLocaleString('en-US')} bytes in the source), checked besides the samples`;
    largestChecked = true;
    // Shown with the samples only when it has something to say.
    if (sample.problems.length > 0 || nearLimit.some((n) => n.key === sample.key)) samples.push(sample);
  }
  const sampled = samples.length - (largestChecked && samples.length > 0 && samples[samples.length - 1]!.key === keyText(largest!.key) ? 1 : 0);

  // --- the target as it stands
  let targetState: TargetState;
  if (sink.inspect && shared.targetDown) {
    targetState = { exists: 'unknown', empty: 'unknown', notes: [`not inspected: ${shared.targetDown}`] };
  } else if (sink.inspect) {
    try {
      targetState = await sink.inspect(targetRef, signal, writeModeOf(spec));
    } catch (e) {
      rethrowIfAborted(e, signal);
      const said = redact(e instanceof Error ? e.message : String(e));
      if (isFerryError(e) && (e.code === 'UNREACHABLE' || e.code === 'AUTH')) {
        // The whole target is down or refuses us: one finding for the plan, not one per stream.
        shared.targetDown = said;
        out.push(errorFinding(undefined, `inspecting the ${plan.target.type} target`, e));
      } else {
        out.push(errorFinding(at, `inspecting ${plan.target.type} target ${target}`, e));
      }
      targetState = { exists: 'unknown', empty: 'unknown', notes: [said] };
    }
  } else {
    targetState = { exists: 'unknown', empty: 'unknown', notes: [`a ${plan.target.type} target cannot be inspected without writing`] };
  }
  const endpoint = plan.target['endpoint'];
  if (typeof endpoint === 'string' && endpoint !== '') targetState.notes.push(`custom endpoint ${redact(endpoint)}: costs are what the cloud service itself would charge`);

  // --- figures
  const count = est?.count ?? 0;
  const avgSource = sampled > 0 ? sourceSampleBytes / sampled : 0;
  const bytes =
    est?.bytes !== undefined
      ? { value: est.bytes, exact: est.bytesExact ?? est.exact, method: est.bytesMethod ?? est.method }
      : { value: Math.round(avgSource * count), exact: false, method: `${sampled} sampled records' average size × count` };
  const objectStream = isObjectStream(ref);
  const avgTarget = mapped > 0 ? targetSampleBytes / mapped : count > 0 ? bytes.value / count : 0;
  const targetBytes = objectStream ? bytes.value : Math.round(avgTarget * count);
  const targetUnits: Partial<Record<RateUnit, number>> = {};
  for (const [u, v] of Object.entries(unitSums) as [RateUnit, number][]) targetUnits[u] = mapped > 0 ? (v / mapped) * count : 0;
  const estimate = estimateStream({
    plan,
    count,
    sourceBytes: bytes.value,
    targetBytes,
    targetUnits,
    sizes: est?.sizes,
    capacity: targetState.capacity,
    prices,
    ...(opts.bandwidth !== undefined ? { bandwidth: opts.bandwidth } : {}),
  });

  const segmentPlans: SegmentPlan[] = segments.map((s, i) => {
    const n = est?.perSegment?.[i];
    return { id: s.id, ...(n !== undefined ? { estimate: n } : {}), describe: describeSegment(s) };
  });
  const stream: StreamDryRun = {
    stream: ref.name,
    target,
    count: est
      ? { value: count, exact: est.exact, method: est.notes && est.notes.length > 0 ? `${est.method}; ${est.notes.join('; ')}` : est.method }
      : { value: 0, exact: false, method: 'unknown: the source could not be counted' },
    bytes,
    segments: segmentPlans,
    samples,
    targetState,
    estimate,
  };
  const facts: StreamFacts = {
    stream,
    mode: writeModeOf(spec),
    sampled,
    refusals,
    nearLimit,
    maxItemBytes,
    ...(est?.largest ? { largest: { key: est.largest.key, bytes: est.largest.bytes, checked: largestChecked || samples.some((x) => x.key === est.largest!.key) } } : {}),
    objects: objectStream,
    documentIds,
  };
  return { stream, findings: out, facts };
}

function isObjectStream(ref: StreamRef): boolean {
  return typeof ref.meta?.['objectPrefix'] === 'string';
}

/** `source.estimate`, else an exact `count` (which may scan), else nothing known. */
async function estimateOf(source: Source<FerryRecord>, ref: StreamRef, segments: Segment[], signal: AbortSignal): Promise<SourceEstimate> {
  if (source.estimate) return source.estimate(ref, signal, segments);
  if (source.count) {
    const n = await source.count(ref, signal);
    return { count: n, exact: source.capabilities.exactCount, method: source.capabilities.exactCount ? "the source's count" : "the source's approximate count" };
  }
  return { count: 0, exact: false, method: 'unknown: the source cannot count' };
}

/** The first `n` records of the stream, from its first segment(s). */
async function readSamples(source: Source<FerryRecord>, segments: readonly Segment[], n: number, signal: AbortSignal): Promise<FerryRecord[]> {
  const out: FerryRecord[] = [];
  for (const segment of segments) {
    for await (const batch of source.read({ segment, batchSize: n, signal })) {
      for (const item of batch.items) {
        out.push(item);
        if (out.length >= n) return out;
      }
    }
  }
  return out;
}

/** A segment's slice in words, from the connector-neutral shapes of their specs. */
export function describeSegment(segment: Segment): string {
  const spec = segment.spec as Record<string, unknown> | null | undefined;
  if (spec === null || spec === undefined || typeof spec !== 'object') return 'the whole stream';
  const where = typeof spec['where'] === 'string' ? ` where ${spec['where']}` : '';
  // PostgreSQL key ranges: lower < key <= upper.
  if (Array.isArray(spec['key'])) {
    const key = (spec['key'] as unknown[]).map(String);
    const tuple = (t: unknown): string => (Array.isArray(t) && t.length === 1 ? JSON.stringify(t[0]) : `(${(t as unknown[]).map((x) => JSON.stringify(x)).join(', ')})`);
    const k = key.length === 1 ? key[0]! : `(${key.join(', ')})`;
    const lower = spec['lower'];
    const upper = spec['upper'];
    if (lower === undefined && upper === undefined) return `every row${where}`;
    if (lower === undefined) return `${k} ≤ ${tuple(upper)}${where}`;
    if (upper === undefined) return `${k} > ${tuple(lower)}${where}`;
    return `${tuple(lower)} < ${k} ≤ ${tuple(upper)}${where}`;
  }
  // DynamoDB parallel scan.
  if (typeof spec['segment'] === 'number' && typeof spec['totalSegments'] === 'number') {
    return `parallel scan segment ${spec['segment'] + 1} of ${spec['totalSegments']}`;
  }
  // Firestore document-name ranges.
  if (spec['selector'] !== undefined) {
    const start = typeof spec['start'] === 'string' ? spec['start'] : undefined;
    const end = typeof spec['end'] === 'string' ? spec['end'] : undefined;
    if (start === undefined && end === undefined) return 'every document';
    return `documents ${start === undefined ? 'from the first' : `from ${start}`} ${end === undefined ? 'to the last' : `to before ${end}`}`;
  }
  // Object key ranges: after < name < before, plus the object named `before`.
  if ('after' in spec || 'before' in spec || Object.keys(spec).length === 0) {
    const after = typeof spec['after'] === 'string' ? spec['after'] : undefined;
    const before = typeof spec['before'] === 'string' ? spec['before'] : undefined;
    if (after === undefined && before === undefined) return 'every name';
    return `names ${after === undefined ? 'from the first' : `after ${JSON.stringify(after)}`} ${before === undefined ? 'to the last' : `up to ${JSON.stringify(before)}`}`;
  }
  const text = JSON.stringify(spec);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** A connection block in a few words, without anything secret: `dynamodb us-east-1`, `s3 bucket`, `postgres host/db`. */
export function describeBlock(block: Plan['source']): string {
  const parts: string[] = [block.type];
  const str = (k: string): string | undefined => (typeof block[k] === 'string' && block[k] !== '' ? (block[k] as string) : undefined);
  if (block.type === 'postgres') {
    const url = str('url');
    if (url) {
      try {
        const u = new URL(url);
        parts.push(`${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`);
      } catch {
        /* not a URL: say nothing rather than risk a secret */
      }
    } else if (str('host')) parts.push(`${str('host')}/${str('database') ?? ''}`);
  }
  for (const k of ['bucket', 'container', 'account', 'project', 'database_id', 'region']) {
    const v = str(k);
    if (v) parts.push(k === 'region' ? v : `${k} ${v}`);
  }
  if (str('table_prefix')) parts.push(`tables ${str('table_prefix')}*`);
  return redact(parts.join(' '));
}

function rethrowIfAborted(e: unknown, signal: AbortSignal): void {
  if (signal.aborted) throw isFerryError(e) && e.code === 'INTERRUPTED' ? e : new FerryError('INTERRUPTED', 'dry run interrupted', { cause: e });
}
