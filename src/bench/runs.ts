/**
 * What every bench shares: one measured run (write, count what arrived, clean up), the summary over runs (medians
 * per kind, the best ceiling level, the ferry child's peak RSS), the JSON of each run, the text table, the machine
 * and the commit. The benches themselves (pg-dynamodb.ts, dynamodb-firestore.ts) say what a run writes where.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { isInterrupted } from './baselines.js';
import type { FerryChildResult } from './ferry-child.js';
import { readCpuSeconds } from './proc.js';

/** `pipeline`: dynamodb-firestore's diagnostic raw pipeline (source included), not one of the issue's baselines. */
export type RunId = 'ceiling' | 'ferry' | 'naive' | 'pipeline';

export interface RunOutcome {
  id: RunId;
  /** 1, 2, ... with --repeat. */
  round: number;
  label: string;
  /** The table or collection written. */
  target: string;
  /** Writer count (ceiling), segments × batch (ferry), 1 (naive). */
  setup: string;
  /** Items the run was to write (and the target must hold afterwards). */
  expected: number;
  counted: number | undefined;
  seconds: number | undefined;
  itemsPerSecond: number | undefined;
  /** CPU seconds of the server during the run (when its pid is known). */
  serverCpuSeconds: number | undefined;
  /** CPU seconds of the writing process (the bench for baselines, the ferry child for ferry). */
  clientCpuSeconds: number | undefined;
  /** Seconds the CPU shares are computed over. */
  cpuWindowSeconds: number | undefined;
  /** Resident memory of the server right after the run. */
  serverRssBytes?: number | undefined;
  ok: boolean;
  error?: string;
  ferry?: FerryChildResult;
}

/** What the body of a run reports. `expected` overrides the spec's (a naive loop that stopped early). */
export interface RunBodyResult {
  seconds: number | undefined;
  clientCpuSeconds: number | undefined;
  cpuWindowSeconds: number | undefined;
  expected?: number;
  ferry?: FerryChildResult;
  error?: string;
}

export interface MeasureSpec {
  id: RunId;
  round: number;
  label: string;
  target: string;
  setup: string;
  expected: number;
  /** The server's CPU seconds and resident bytes now, when it is known. */
  serverCpu: () => number | undefined;
  serverRss: () => number | undefined;
  body: () => Promise<RunBodyResult>;
  /** Items in the target after the run. */
  count: () => Promise<number>;
  /** Runs after the count, failed or not (deletes the target). */
  cleanup: () => Promise<void>;
  interrupted: () => boolean;
  log: (line: string) => void;
  /** Appended to the label in log lines, e.g. ` (round 2/3)`. */
  suffix?: string;
  /** The run may stop before `expected` (its body then says how many it wrote). */
  upTo?: boolean;
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const round = (n: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** One measured write: body, then the target's count against `expected`, then cleanup. Never throws but for Ctrl-C. */
export async function measureRun(spec: MeasureSpec): Promise<RunOutcome> {
  const suffix = spec.suffix ?? '';
  spec.log(`${spec.label}${suffix}: writing ${spec.upTo ? 'up to ' : ''}${count(spec.expected)} items into ${spec.target}`);
  const out: RunOutcome = {
    id: spec.id,
    round: spec.round,
    label: spec.label,
    target: spec.target,
    setup: spec.setup,
    expected: spec.expected,
    counted: undefined,
    seconds: undefined,
    itemsPerSecond: undefined,
    serverCpuSeconds: undefined,
    clientCpuSeconds: undefined,
    cpuWindowSeconds: undefined,
    ok: false,
  };
  try {
    const cpu0 = spec.serverCpu();
    const r = await spec.body();
    const cpu1 = spec.serverCpu();
    if (r.expected !== undefined) out.expected = r.expected;
    out.seconds = r.seconds;
    out.clientCpuSeconds = r.clientCpuSeconds;
    out.cpuWindowSeconds = r.cpuWindowSeconds;
    if (r.ferry) out.ferry = r.ferry;
    if (cpu0 !== undefined && cpu1 !== undefined) out.serverCpuSeconds = cpu1 - cpu0;
    if (r.error) out.error = r.error;
    out.serverRssBytes = spec.serverRss();
    out.counted = await spec.count();
    if (out.counted !== out.expected && !out.error) {
      out.error = `${spec.target} holds ${count(out.counted)} items after the run, not ${count(out.expected)}`;
    }
    out.ok = out.error === undefined;
    if (out.ok && out.seconds) out.itemsPerSecond = out.expected / out.seconds;
  } catch (e) {
    if (isInterrupted(e) || spec.interrupted()) throw e;
    out.error = message(e);
  }
  await spec.cleanup().catch((e: unknown) => spec.log(`could not clean up ${spec.target}: ${message(e)}`));
  const rate = out.itemsPerSecond ? `${Math.round(out.itemsPerSecond).toLocaleString('en-US')} items/s` : 'FAILED';
  spec.log(`${spec.label}${suffix}: ${rate}${out.error ? ` (${out.error})` : ''}`);
  return out;
}

/** The error of a ferry run that did not finish as it should, or undefined. */
export function ferryRunError(r: FerryChildResult, expected: number): string | undefined {
  if (r.exitCode !== 0 || r.status !== 'succeeded') {
    const how = r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode}`;
    return `ferry ${how}${r.status ? ` (job ${r.status})` : ''}: ${r.stderrTail.join(' | ') || 'no message'}`;
  }
  if (r.items !== expected) return `ferry reports ${r.items ?? 'no'} items written, not ${expected}`;
  return undefined;
}

/** Rounds of every step, interleaved and rotated: ceiling, ferry, naive / ferry, naive, ceiling / ... */
export async function runRounds(steps: readonly ((round: number, suffix: string) => Promise<void>)[], repeat: number): Promise<void> {
  for (let r = 1; r <= repeat; r++) {
    const suffix = repeat > 1 ? ` (round ${r}/${repeat})` : '';
    const shift = (r - 1) % steps.length;
    for (const step of [...steps.slice(shift), ...steps.slice(0, shift)]) await step(r, suffix);
  }
}

export interface Summary {
  ferryRate: number | null;
  ceilingRate: number | null;
  naiveRate: number | null;
  pipelineRate: number | null;
  ceilingBy: { level: number; rate: number | undefined }[];
  best: { level: number; rate: number } | undefined;
  peakRssMb: number | null;
  /** Medians over the ferry runs. */
  wallRate: number | undefined;
  jobSeconds: number | undefined;
  wallSeconds: number | undefined;
  ferryCpu: number | undefined;
  children: FerryChildResult[];
}

/** Medians per kind of run; the ceiling level with the best median; the largest peak RSS of the ferry child. */
export function summarize(runs: readonly RunOutcome[], levels: readonly number[], setupOf: (level: number) => string): Summary {
  const okRates = (rs: readonly RunOutcome[]): number[] => rs.filter((r) => r.ok && r.itemsPerSecond).map((r) => r.itemsPerSecond!);
  const ceilings = runs.filter((r) => r.id === 'ceiling');
  const ceilingBy = levels.map((level) => ({ level, rate: median(okRates(ceilings.filter((r) => r.setup === setupOf(level)))) }));
  const best = ceilingBy
    .filter((c): c is { level: number; rate: number } => c.rate !== undefined)
    .sort((x, y) => y.rate - x.rate)[0];
  const ferries = runs.filter((r) => r.id === 'ferry');
  const ferryMedian = median(okRates(ferries));
  const naiveMedian = median(okRates(runs.filter((r) => r.id === 'naive')));
  const pipelineMedian = median(okRates(runs.filter((r) => r.id === 'pipeline')));
  const children = ferries.flatMap((r) => (r.ferry ? [r.ferry] : []));
  const peaks = children.flatMap((c) => (c.peakRssBytes === undefined ? [] : [c.peakRssBytes]));
  return {
    ferryRate: ferryMedian === undefined ? null : round(ferryMedian),
    ceilingRate: best ? round(best.rate) : null,
    naiveRate: naiveMedian === undefined ? null : round(naiveMedian),
    pipelineRate: pipelineMedian === undefined ? null : round(pipelineMedian),
    ceilingBy,
    best,
    peakRssMb: peaks.length > 0 ? round(Math.max(...peaks) / 2 ** 20, 1) : null,
    wallRate: median(ferries.filter((r) => r.ok && r.ferry).map((r) => r.expected / r.ferry!.wallSeconds)),
    jobSeconds: median(children.flatMap((c) => (c.jobSeconds === undefined ? [] : [c.jobSeconds]))),
    wallSeconds: median(children.map((c) => c.wallSeconds)),
    ferryCpu: median(children.flatMap((c) => (c.cpuSeconds === undefined ? [] : [c.cpuSeconds]))),
    children,
  };
}

export interface RunJson {
  id: RunId;
  round: number;
  label: string;
  items_per_s: number | null;
  seconds: number | null;
  /** Items the run wrote (the naive loop of dynamodb-firestore writes a subset). */
  items?: number;
  counted: number | null;
  ok: boolean;
  error?: string;
  server_cpu_pct: number | null;
  client_cpu_pct: number | null;
  peak_rss_mb?: number;
  /** The server's resident memory right after the run. */
  server_rss_mb: number | null;
}

export const orNull = (v: number | undefined, digits = 0): number | null => (v === undefined ? null : round(v, digits));

export function runJson(r: RunOutcome, withItems = false): RunJson {
  const pct = (cpu: number | undefined, secs: number | undefined): number | null => (cpu !== undefined && secs ? round((100 * cpu) / secs) : null);
  return {
    id: r.id,
    round: r.round,
    label: r.label,
    items_per_s: r.ok && r.itemsPerSecond ? round(r.itemsPerSecond) : null,
    seconds: orNull(r.seconds, 2),
    ...(withItems ? { items: r.expected } : {}),
    counted: r.counted ?? null,
    ok: r.ok,
    ...(r.error ? { error: r.error } : {}),
    server_cpu_pct: pct(r.serverCpuSeconds, r.cpuWindowSeconds),
    client_cpu_pct: pct(r.clientCpuSeconds, r.cpuWindowSeconds),
    ...(r.ferry?.peakRssBytes === undefined ? {} : { peak_rss_mb: round(r.ferry.peakRssBytes / 2 ** 20, 1) }),
    server_rss_mb: r.serverRssBytes === undefined ? null : round(r.serverRssBytes / 2 ** 20),
  };
}

/** The rows of the per-run table (shared by both benches' text output). */
export function runRows(runs: readonly RunJson[], rounds: number, counted = 'items counted'): string[][] {
  const rows: string[][] = [['run', 'items/s', 'seconds', counted, 'server CPU', 'writer CPU', '']];
  for (const run of runs) {
    rows.push([
      rounds > 1 ? `${run.label} #${run.round}` : run.label,
      run.ok ? n(run.items_per_s) : 'FAILED',
      run.seconds === null ? '-' : run.seconds.toFixed(1),
      n(run.counted),
      pctText(run.server_cpu_pct),
      pctText(run.client_cpu_pct),
      run.error ?? '',
    ]);
  }
  return rows;
}

/** Columns padded; the first and the last left-aligned, the others right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row.map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd(),
  );
}

/** Thousands separators; `-` for nothing. */
export const n = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
export const ratioText = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
export const pctText = (v: number | null): string => (v === null ? '-' : `${v}%`);

export interface Machine {
  cpus: number;
  load_avg_1m: number;
  node: string;
}

export function machine(): Machine {
  return { cpus: os.availableParallelism?.() ?? os.cpus().length, load_avg_1m: round(os.loadavg()[0] ?? 0, 2), node: process.version };
}

/** The commit the ferry under test was built from, `+dirty` when src/ has uncommitted changes. */
export function ferryCommit(root: string): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

/** CPU seconds of a process, if its pid is known. */
export const cpuOf = (pid: number | undefined): number | undefined => (pid ? readCpuSeconds(pid) : undefined);
