/**
 * From plan streams to the job's work list: list the source streams each `from:` matches, name their targets,
 * split new streams into segments, and record them once with `store.ensureSegments`.
 *
 * On resume the segments already recorded for a (source stream, target) pair are reused as they are: a stream with
 * progress is never re-split, since its cursors only mean something inside the slices they were taken in.
 */
import type { CheckpointStore, SegmentState } from '../core/checkpoint.js';
import type { FerryRecord } from '../core/record.js';
import type { WriteMode } from '../core/sink.js';
import type { Source } from '../core/source.js';
import type { Segment, StreamRef } from '../core/stream.js';
import { FerryError } from '../errors.js';
import type { Plan, StreamSpec } from '../plan/types.js';
import type { Sink } from '../core/sink.js';
import { recordPipeline } from '../transform/pipeline.js';

export interface StreamWork {
  spec: StreamSpec;
  source: StreamRef;
  target: string;
  /** What the sink is handed for prepare/write: see `targetRefOf`. */
  targetRef: StreamRef;
  /** Write mode asked by the plan (`write:`), before resume adjustments. */
  mode: WriteMode;
  mapper: (r: FerryRecord) => FerryRecord;
  segments: SegmentState[];
}

export type TargetNamer = (spec: StreamSpec, source: StreamRef) => string;

/**
 * Default target name: the plan's `to:` (where `${stream}` is the full source name and `${name}` its last
 * dot-separated part), else the source name without a schema prefix (`public.invoice` → `invoice`); names with a
 * `/` (bucket prefixes) are kept whole.
 */
export const defaultTargetName: TargetNamer = (spec, source) => {
  // An object stream's name is a key prefix: `to:` is the target prefix, else the same prefix.
  // A restored snapshot's stream names the prefix it was taken from (`defaultTarget`).
  if (typeof source.meta?.['objectPrefix'] === 'string') {
    if (typeof spec.to === 'string') return spec.to;
    return typeof source.meta['defaultTarget'] === 'string' ? source.meta['defaultTarget'] : source.name;
  }
  const short = source.name.includes('/') ? source.name : source.name.slice(source.name.lastIndexOf('.') + 1);
  if (typeof spec.to === 'string' && spec.to !== '') {
    return spec.to.replaceAll('${stream}', source.name).replaceAll('${name}', short);
  }
  return short;
};

/** A backup keeps each stream under its full source name (`public.invoice`), so a restore's `from:` finds it. */
export const backupStreamName: TargetNamer = (spec, source) =>
  typeof spec.to === 'string' && spec.to !== '' ? spec.to.replaceAll('${stream}', source.name) : source.name;

/** The namer a plan's streams get when the caller passes none. */
export function namerOf(plan: Plan, namer: TargetNamer | undefined): TargetNamer {
  return namer ?? (plan.kind === 'backup' ? backupStreamName : defaultTargetName);
}

const ENGINE_KEYS = new Set(['from', 'to', 'segments', 'map', 'write']);

/**
 * The sink sees the target stream as `{ name: target, meta: { source, sourceMeta, options } }`: `options` holds the
 * stream's connector-specific keys from the plan (e.g. `key: { partition: invoice_id }`).
 */
export function targetRefOf(spec: StreamSpec, source: StreamRef, target: string): StreamRef {
  // `map` travels too, so a sink knows the source's columns under their mapped names (renamed key columns).
  return { name: target, meta: { source: source.name, sourceMeta: source.meta ?? {}, options: streamOptionsOf(spec), map: spec.map ?? {} } };
}

/** The plan stream's connector-specific keys (everything the engine does not use itself). */
export function streamOptionsOf(spec: StreamSpec): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (!ENGINE_KEYS.has(k)) options[k] = v;
  return options;
}

function wholeStream(name: string): Segment {
  return { id: `${name}#0/1`, stream: name, index: 0, total: 1, spec: null };
}

export interface PlanStreamsInput {
  plan: Plan;
  store: CheckpointStore;
  jobId: string;
  source: Source<FerryRecord>;
  /** Its `toTarget` is the last mapping step. */
  sink: Pick<Sink<FerryRecord>, 'toTarget'>;
  /** Segments per stream when the plan stream does not say. */
  desiredSegments: number;
  signal: AbortSignal;
  targetName?: TargetNamer;
}

/**
 * Every (plan stream, source stream, target name) of a plan, in plan order: what the engine loads and the verifier
 * compares. The stream's connector keys (key_columns, where...) shape what the source lists.
 */
export async function listPlanStreams(
  plan: Plan,
  source: Source<FerryRecord>,
  signal: AbortSignal,
  namerIn?: TargetNamer,
): Promise<{ spec: StreamSpec; ref: StreamRef; target: string }[]> {
  const namer = namerOf(plan, namerIn);
  const out: { spec: StreamSpec; ref: StreamRef; target: string }[] = [];
  for (const spec of plan.streams) {
    const refs = await source.streams(spec.from, signal, streamOptionsOf(spec));
    if (refs.length === 0) {
      throw new FerryError('NOT_FOUND', `no source stream matches "${spec.from}"`, {
        hint: 'check the stream name or pattern in the plan (`ferry plan check` lists what the source has)',
      });
    }
    for (const ref of refs) out.push({ spec, ref, target: namer(spec, ref) });
  }
  return out;
}

export async function planStreams(input: PlanStreamsInput): Promise<StreamWork[]> {
  const { plan, store, jobId, source, signal } = input;
  const namer = namerOf(input.plan, input.targetName);
  const pairKey = (stream: string, target: string): string => `${stream}\u0000${target}`;

  const recorded = new Map<string, SegmentState[]>();
  const usedIds = new Set<string>();
  for (const s of await store.listSegments(jobId)) {
    const k = pairKey(s.stream, s.target);
    recorded.set(k, [...(recorded.get(k) ?? []), s]);
    usedIds.add(s.id);
  }

  const work: StreamWork[] = [];
  const seen = new Set<string>();
  for (const { spec, ref, target } of await listPlanStreams(plan, source, signal, namer)) {
    const k = pairKey(ref.name, target);
    if (seen.has(k)) {
      throw new FerryError('PLAN_INVALID', `source stream ${ref.name} is sent to ${target} by two plan streams`, {
        hint: 'each source stream may feed a given target once',
      });
    }
    seen.add(k);

    let segments = recorded.get(k);
    if (!segments) {
      const desired = Math.max(1, Math.floor(typeof spec.segments === 'number' ? spec.segments : input.desiredSegments));
      let fresh = source.segments ? await source.segments(ref, desired, signal) : [];
      if (fresh.length === 0) fresh = [wholeStream(ref.name)];
      // The same source stream fanned out to several targets: keep segment ids unique within the job.
      if (fresh.some((s) => usedIds.has(s.id))) fresh = fresh.map((s) => ({ ...s, id: `${s.id}->${target}` }));
      for (const s of fresh) usedIds.add(s.id);
      await store.ensureSegments(
        jobId,
        fresh.map((s) => ({ ...s, target })),
      );
      const ids = new Set(fresh.map((s) => s.id));
      segments = (await store.listSegments(jobId)).filter((s) => ids.has(s.id));
    }
    segments = [...segments].sort((a, b) => a.index - b.index);
    const targetRef = targetRefOf(spec, ref, target);
    work.push({
      spec,
      source: ref,
      target,
      targetRef,
      mode: writeModeOf(spec),
      mapper: recordPipeline(spec.map, input.sink, targetRef),
      segments,
    });
  }

  for (const [k, segs] of recorded) {
    if (!seen.has(k) && segs.some((s) => s.status !== 'done')) {
      const s = segs[0]!;
      throw new FerryError('NOT_FOUND', `source stream ${s.stream} (→ ${s.target}) has unfinished segments but the source no longer lists it`, {
        hint: 'the stream was dropped or renamed since the job started; restore it, or start a new job',
      });
    }
  }
  return work;
}

/** The plan's `write:` (upsert, the idempotent default, unless the plan says otherwise). */
export function writeModeOf(spec: StreamSpec): WriteMode {
  const w: unknown = spec['write'];
  return w === 'insert' || w === 'replace' ? w : 'upsert';
}

/** True when any segment of these has recorded progress (a resumed target must not be wiped or insert-only). */
export function hasProgress(segments: readonly SegmentState[]): boolean {
  return segments.some((s) => s.status === 'done' || s.cursor !== undefined || s.items > 0 || s.rejected > 0);
}

/**
 * The mode the sink is prepared with. A fresh target gets what the plan asks. A target with recorded progress gets
 * `upsert`: `replace` would wipe what earlier runs wrote, and `insert` would refuse the in-flight batch a resume
 * re-writes.
 */
export function effectiveMode(mode: WriteMode, resumed: boolean): WriteMode {
  return resumed ? 'upsert' : mode;
}
