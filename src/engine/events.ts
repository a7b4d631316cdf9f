/**
 * Progress events: what the engine tells its caller while a job runs. The CLI draws bars from them (items, items/s,
 * ETA when a count is known) or prints them as JSON lines, so every event is plain JSON-serialisable data.
 *
 * Totals are cumulative over the job's whole life (earlier, interrupted runs included), so a resumed job's bar
 * starts where the last one stopped; `run*` fields count this run only (for rates).
 */
import type { JobStatus } from '../core/checkpoint.js';
import type { RateUnit, SinkRunReport } from '../core/sink.js';

export interface Totals {
  items: number;
  bytes: number;
  rejected: number;
}

export interface StreamInfo {
  stream: string;
  target: string;
  segments: number;
  doneSegments: number;
  /** Exact source count when known (sources with `exactCount`); arrives later as `stream.count` otherwise. */
  count?: number;
  totals: Totals;
}

export interface StreamSummary extends StreamInfo {
  /** This run only. */
  run: Totals;
}

export interface JobSummary {
  jobId: string;
  status: Exclude<JobStatus, 'running'>;
  /** Cumulative over all runs of the job. */
  items: number;
  bytes: number;
  rejected: number;
  /** This run only. */
  run: Totals;
  durationMs: number;
  streams: StreamSummary[];
  /** Set when the job did not succeed. */
  error?: { code: string; message: string; hint?: string };
  /** The sink's account of this run beyond counts (objects skipped, hashes that proved copies...). */
  target?: SinkRunReport;
  /**
   * Succeeded jobs: whether this runner did the job's finish step (whole-stream work, then the status), so it is the
   * one to verify. Another worker finishing leaves it false.
   */
  finishedHere?: boolean;
}

interface Base {
  /** ms since the epoch (the runner's clock). */
  at: number;
  jobId: string;
}

interface SegmentRef {
  segmentId: string;
  stream: string;
  target: string;
}

export type ProgressEvent =
  | (Base & { type: 'job.start'; resumed: boolean; streams: StreamInfo[]; totals: Totals })
  | (Base & { type: 'stream.count'; stream: string; target: string; count: number })
  | (Base & SegmentRef & { type: 'segment.start'; index: number; total: number; resumed: boolean; totals: Totals })
  | (Base &
      SegmentRef & {
        type: 'batch';
        /** Deltas of this committed batch. */
        items: number;
        bytes: number;
        rejected: number;
        segmentTotals: Totals;
        streamTotals: Totals;
        jobTotals: Totals;
        /** Exact source count of the stream, when known by now. */
        streamCount?: number;
      })
  | (Base & SegmentRef & { type: 'segment.done'; totals: Totals })
  | (Base & {
      type: 'throttle';
      direction: 'down' | 'up';
      /** Fraction of the configured ceiling now allowed (1 = full rate). */
      factor: number;
      /** Current rates per unit per second; empty when no limit is configured. */
      rates: Partial<Record<RateUnit, number>>;
      reason: string;
    })
  | (Base &
      SegmentRef & {
        type: 'retry';
        /** 1-based attempt number that failed. */
        attempt: number;
        delayMs: number;
        items: number;
        reason: string;
        retryability: 'transient' | 'throttled' | 'partial';
      })
  | (Base & SegmentRef & { type: 'dead-letter'; key: string; reason: string })
  | (Base &
      SegmentRef & {
        /** `takeover`: this runner claimed a segment whose runner's lease lapsed; `lost`: another took it from this one. */
        type: 'segment.lease';
        change: 'takeover' | 'lost';
        fence: number;
        reason: string;
      })
  | (Base & { type: 'job.done'; summary: JobSummary });

export type ProgressEventType = ProgressEvent['type'];

/** Distributes an event without letting a listener's bug break the job. */
export type EventSink = (event: ProgressEvent) => void;

/** Distribute Omit over the union so each member keeps its own fields. */
export type EventInput = ProgressEvent extends infer E ? (E extends ProgressEvent ? Omit<E, 'at' | 'jobId'> : never) : never;

export function safeEmitter(
  jobId: string,
  now: () => number,
  listener: ((e: ProgressEvent) => void) | undefined,
): (e: EventInput) => void {
  if (!listener) return () => {};
  return (e) => {
    try {
      listener({ ...e, at: now(), jobId } as ProgressEvent);
    } catch {
      // A progress bar that throws must not fail a migration.
    }
  };
}

export function addTotals(a: Totals, b: Totals): Totals {
  return { items: a.items + b.items, bytes: a.bytes + b.bytes, rejected: a.rejected + b.rejected };
}

export const ZERO: Totals = Object.freeze({ items: 0, bytes: 0, rejected: 0 });
