import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../engine/index.js';
import { formatCount, formatDuration, type Io } from './output.js';

export interface Reporter {
  onEvent(e: ProgressEvent): void;
  /** A line for the operator (e.g. "draining..."), shown without breaking the bars. */
  note(text: string): void;
  stop(): void;
}

/** One JSON object per line: for pipes, CI logs and `jq`. */
export class JsonLinesReporter implements Reporter {
  constructor(private readonly io: Io) {}
  onEvent(e: ProgressEvent): void {
    this.io.out(JSON.stringify(e));
  }
  note(text: string): void {
    this.io.out(JSON.stringify({ type: 'note', at: Date.now(), message: text }));
  }
  stop(): void {}
}

/** Items per second over a sliding window, so a stall shows as a falling rate rather than a frozen average. */
class RateMeter {
  private samples: { at: number; value: number }[] = [];
  constructor(private readonly windowMs = 10_000) {}
  add(at: number, value: number): void {
    this.samples.push({ at, value });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at === first.at) return 0;
    return ((last.value - first.value) * 1000) / (last.at - first.at);
  }
}

const MAX_SEGMENT_BARS = 8;

/** Terminal bars: one for the job (items, items/s, ETA when the source can count) and one per active segment. */
export class TtyProgress implements Reporter {
  private readonly multi: cliProgress.MultiBar;
  private overall: cliProgress.SingleBar | undefined;
  private readonly segmentBars = new Map<string, { bar: cliProgress.SingleBar; meter: RateMeter; items: number }>();
  private readonly meter = new RateMeter();
  private readonly counts = new Map<string, number>();
  private items = 0;
  private rejected = 0;

  constructor(private readonly io: Io) {
    this.multi = new cliProgress.MultiBar(
      {
        clearOnComplete: false,
        hideCursor: true,
        format: (options, params, payload: { label: string; detail: string }) => {
          const known = params.total > 0;
          const bar = known ? `${cliProgress.Format.BarFormat(params.progress, options)} ` : '';
          return `${payload.label.padEnd(28).slice(0, 28)} ${bar}${payload.detail}`;
        },
        barsize: 24,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  onEvent(e: ProgressEvent): void {
    switch (e.type) {
      case 'job.start': {
        for (const s of e.streams) if (s.count !== undefined) this.counts.set(s.stream, s.count);
        this.items = e.totals.items;
        this.rejected = e.totals.rejected;
        this.meter.add(e.at, this.items);
        this.overall = this.multi.create(this.total(), this.items, { label: `job ${e.jobId}`, detail: '' });
        this.refreshOverall();
        break;
      }
      case 'stream.count':
        this.counts.set(e.stream, e.count);
        this.refreshOverall();
        break;
      case 'segment.start': {
        if (this.segmentBars.size >= MAX_SEGMENT_BARS) break;
        const meter = new RateMeter();
        meter.add(e.at, e.totals.items);
        const bar = this.multi.create(0, e.totals.items, { label: `  ${e.segmentId}`, detail: '' });
        this.segmentBars.set(e.segmentId, { bar, meter, items: e.totals.items });
        break;
      }
      case 'batch': {
        this.items = e.jobTotals.items;
        this.rejected = e.jobTotals.rejected;
        this.meter.add(e.at, this.items);
        const seg = this.segmentBars.get(e.segmentId);
        if (seg) {
          seg.items = e.segmentTotals.items;
          seg.meter.add(e.at, seg.items);
          seg.bar.update(seg.items, {
            label: `  ${e.segmentId}`,
            detail: `${formatCount(seg.items)} items  ${formatCount(Math.round(seg.meter.rate()))}/s`,
          });
        }
        this.refreshOverall();
        break;
      }
      case 'segment.done': {
        const seg = this.segmentBars.get(e.segmentId);
        if (seg) {
          this.multi.remove(seg.bar);
          this.segmentBars.delete(e.segmentId);
        }
        break;
      }
      case 'throttle':
        if (e.direction === 'down') this.note(`throttled: ${e.reason}; rate now ${Math.round(e.factor * 100)}% of the limit`);
        break;
      case 'retry':
        if (e.attempt >= 3) this.note(`retrying ${e.segmentId} (attempt ${e.attempt}): ${e.reason}`);
        break;
      case 'dead-letter':
        break;
      case 'segment.lease':
        this.note(`${e.segmentId}: ${e.reason}`);
        break;
      case 'job.done':
        this.refreshOverall();
        break;
    }
  }

  private total(): number {
    let sum = 0;
    for (const c of this.counts.values()) sum += c;
    return sum;
  }

  private refreshOverall(): void {
    if (!this.overall) return;
    const total = this.total();
    const rate = this.meter.rate();
    const parts = [`${formatCount(this.items)}${total > 0 ? ` / ${formatCount(total)}` : ''} items`, `${formatCount(Math.round(rate))}/s`];
    if (total > 0 && rate > 0 && this.items < total) parts.push(`ETA ${formatDuration(((total - this.items) / rate) * 1000)}`);
    if (this.rejected > 0) parts.push(`${formatCount(this.rejected)} dead letters`);
    this.overall.setTotal(total);
    this.overall.update(Math.min(this.items, total > 0 ? total : this.items), { label: 'total', detail: parts.join('  ') });
  }

  note(text: string): void {
    this.multi.log(`${text}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
}

export function reporterFor(io: Io, json: boolean): Reporter {
  return json || !io.isTTY ? new JsonLinesReporter(io) : new TtyProgress(io);
}
