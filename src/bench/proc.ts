/**
 * Linux /proc readings: resident memory and CPU time of a process. Everything returns undefined where /proc is
 * missing or the process is gone, so a bench on another OS reports "unknown" instead of failing.
 */
import fs from 'node:fs';

export interface MemorySample {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size so far (VmHWM), bytes. */
  hwm: number;
}

/** `VmRSS` and `VmHWM` of /proc/<pid>/status. */
export function readMemory(pid: number): MemorySample | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatusMemory(text);
}

export function parseStatusMemory(text: string): MemorySample | undefined {
  const kb = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (rss === undefined && hwm === undefined) return undefined;
  return { rss: rss ?? hwm!, hwm: hwm ?? rss! };
}

/** Clock ticks per second of /proc times (USER_HZ): 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** User + system CPU seconds of a process (threads included), from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatCpu(text);
}

export function parseStatCpu(text: string): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / USER_HZ;
}

/**
 * Samples a process every `intervalMs`: peak memory (the larger of the sampled VmRSS and the last VmHWM seen) and
 * its last CPU time. `stop()` takes one final reading (if the process is still there) and returns the result.
 */
export class ProcessSampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;
  private cpu: number | undefined;
  private samples = 0;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const m = readMemory(this.pid);
    if (m) {
      this.peak = Math.max(this.peak, m.rss, m.hwm);
      this.samples += 1;
    }
    const c = readCpuSeconds(this.pid);
    if (c !== undefined) this.cpu = c;
  }

  stop(): { peakRssBytes: number | undefined; cpuSeconds: number | undefined; samples: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return { peakRssBytes: this.samples > 0 ? this.peak : undefined, cpuSeconds: this.cpu, samples: this.samples };
  }
}
