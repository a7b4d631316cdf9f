/**
 * Formatting shared by the dry-run renderers (render-text, render-md, render-html): numbers with thousands
 * separators, bytes as KB/MB/GB, durations as `1 h 12 min`, money with two decimals, sample records as compact
 * (shortened) JSON, and the summaries every format states the same way (segments, target state, verdict). No
 * locale data is used, so the output is the same on every machine.
 */
import type { CostLine, DryRunReport, Finding, SampleRecord, SegmentPlan, StreamDryRun, TargetState } from './report.js';

/** `1234567.4` → `1,234,567`. Counts from statistics can be fractional (pg reltuples); they are rounded. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  return sign + groupDigits(String(Math.round(Math.abs(n))));
}

function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A decimal with thousands separators and at most `decimals` fraction digits, trailing zeros dropped. */
export function formatDecimal(n: number, decimals = 2): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return formatCount(n);
  const fixed = Math.abs(n).toFixed(decimals);
  const [int = '0', frac = ''] = fixed.split('.');
  const f = frac.replace(/0+$/, '');
  return `${n < 0 ? '-' : ''}${groupDigits(int)}${f ? `.${f}` : ''}`;
}

/**
 * A quantity in a cost line: integers grouped (`12,000,000`), fractions to 3 decimals (`48.213` GB), and tiny
 * fractions to 3 significant digits (`0.000412` GB) rather than a misleading `0`.
 */
export function formatQuantity(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return formatCount(n);
  if (Math.abs(n) >= 1) return formatDecimal(n, 3);
  return significant(n, 3);
}

/** Up to `digits` significant digits, never in exponent notation: `0.00000125`. */
export function significant(n: number, digits = 6): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const abs = Math.abs(n);
  const magnitude = Math.floor(Math.log10(abs));
  const decimals = Math.max(0, digits - 1 - magnitude);
  if (decimals > 20) return n.toExponential(digits - 1);
  return formatDecimal(Number(n.toFixed(Math.min(decimals, 20))), Math.min(decimals, 20));
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Binary multiples (1 KB = 1024 B, as the targets' own limits are stated): `412 B`, `3.1 GB`, `812 MB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const sign = n < 0 ? '-' : '';
  if (u === 0) return `${sign}${formatCount(v)} B`;
  // Three significant digits up to 999, whole numbers beyond (the largest unit may hold thousands).
  const text = v < 100 ? formatDecimal(Number(v.toFixed(1)), 1) : formatCount(v);
  return `${sign}${text} ${BYTE_UNITS[u]}`;
}

/** `45 s`, `7 min 30 s`, `42 min`, `1 h 12 min`, `2 d 3 h`; `< 1 s` for a blink, `0 s` for nothing to do. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds === 0) return '0 s';
  if (seconds < 0.5) return '< 1 s';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  if (total < 600) {
    const m = Math.floor(total / 60);
    const s = total % 60;
    return s === 0 ? `${m} min` : `${m} min ${s} s`;
  }
  const totalMin = Math.round(total / 60);
  if (totalMin < 60) return `${totalMin} min`;
  if (totalMin < 24 * 60) {
    const h = Math.floor(totalMin / 60);
    const m = totalMin % 60;
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  const totalH = Math.round(totalMin / 60);
  const d = Math.floor(totalH / 24);
  const h = totalH % 24;
  return h === 0 ? `${formatCount(d)} d` : `${formatCount(d)} d ${h} h`;
}

/** Two decimals with separators (`1,234.50`); `< 0.01` for an amount that is more than nothing but rounds to 0. */
export function formatMoney(amount: number, currency?: string): string {
  let text: string;
  if (!Number.isFinite(amount)) text = String(amount);
  else if (amount > 0 && amount < 0.005) text = '< 0.01';
  else if (amount < 0 && amount > -0.005) text = '> -0.01';
  else {
    const fixed = Math.abs(amount).toFixed(2);
    const [int = '0', frac = '00'] = fixed.split('.');
    text = `${amount < 0 && fixed !== '0.00' ? '-' : ''}${groupDigits(int)}.${frac}`;
  }
  return currency ? `${text} ${currency}` : text;
}

/** `1.25 USD / 1,000,000 WRU`, `0.09 USD / GB`. Unit prices are small: shown to 6 significant digits. */
export function formatUnitPrice(line: CostLine, currency?: string): string {
  const price = `${significant(line.unitPrice, 6)}${currency ? ` ${currency}` : ''}`;
  return line.per === 1 ? `${price} / ${line.unit}` : `${price} / ${formatQuantity(line.per)} ${line.unit}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Sample records as compact JSON

export interface ShortenOptions {
  /** Longest string kept whole, in characters (code points). */
  maxString: number;
  /** Array elements shown. */
  maxArray: number;
  /** Object keys shown. */
  maxKeys: number;
  /** Nesting shown; deeper values become `{…}` / `[…]`. */
  maxDepth: number;
}

export const COMPACT: ShortenOptions = { maxString: 48, maxArray: 6, maxKeys: 12, maxDepth: 4 };
export const ROOMY: ShortenOptions = { maxString: 200, maxArray: 20, maxKeys: 60, maxDepth: 8 };

/**
 * A copy of a JSON-like value with long strings, long arrays, wide objects and deep nesting cut down, each cut
 * saying what it left out, so a record stays recognisable in a line or a screenful. Non-JSON values that slip
 * through (bigint, undefined, functions) are shown as text rather than throwing.
 */
export function shorten(value: unknown, o: ShortenOptions, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return truncateChars(value, o.maxString);
  if (typeof value === 'bigint') return `${value.toString()}n`;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return `(${typeof value})`;
  if (Array.isArray(value)) {
    if (depth >= o.maxDepth) return value.length === 0 ? [] : [`… ${plural(value.length, 'element')}`];
    const out = value.slice(0, o.maxArray).map((v) => shorten(v, o, depth + 1));
    if (value.length > o.maxArray) out.push(`… ${formatCount(value.length - o.maxArray)} more`);
    return out;
  }
  if (typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return shorten(JSON.parse(safeStringify(value) ?? 'null'), o, depth);
    const entries = Object.entries(value as Record<string, unknown>);
    if (depth >= o.maxDepth) return entries.length === 0 ? {} : { '…': plural(entries.length, 'key') };
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries.slice(0, o.maxKeys)) put(out, truncateChars(k, o.maxString), shorten(v, o, depth + 1));
    if (entries.length > o.maxKeys) put(out, '…', `${formatCount(entries.length - o.maxKeys)} more keys`);
    return out;
  }
  return String(value);
}

/** Sets an own property, even one named `__proto__` (a record may have such a field; `out[k] = v` would lose it). */
export function put(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Cuts to `max` code points (never splitting a surrogate pair), saying how much was left out. */
export function truncateChars(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  const keep = Math.max(1, max - 12);
  return `${chars.slice(0, keep).join('')}…(+${formatCount(chars.length - keep)} chars)`;
}

/** Cuts a line to `max` code points with a trailing `…`. */
export function clip(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** JSON.stringify that shows bigints as text instead of throwing; undefined for an undefined value. */
export function safeStringify(value: unknown, indent?: number): string | undefined {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}

/** One line of JSON, shortened, then cut to `maxLen` characters. */
export function compactJson(value: unknown, maxLen = 160, o: ShortenOptions = COMPACT): string {
  if (value === undefined) return '(none)';
  return clip(safeStringify(shorten(value, o)) ?? String(value), maxLen);
}

/** Indented JSON (2 spaces), shortened with `o`. */
export function prettyJson(value: unknown, o: ShortenOptions = ROOMY): string {
  if (value === undefined) return '(none)';
  return safeStringify(shorten(value, o), 2) ?? String(value);
}

/**
 * The samples a summary format shows when it cannot show them all: records with problems first (they are why
 * anyone reads the samples), then the others, at most `max`, kept in the collector's order.
 */
export function pickSamples(samples: readonly SampleRecord[], max: number): { shown: SampleRecord[]; omitted: number } {
  if (samples.length <= max) return { shown: [...samples], omitted: 0 };
  const withProblems = samples.map((s, i) => ({ s, i })).filter(({ s }) => isProblem(s));
  const others = samples.map((s, i) => ({ s, i })).filter(({ s }) => !isProblem(s));
  const chosen = [...withProblems, ...others].slice(0, max).sort((a, b) => a.i - b.i);
  return { shown: chosen.map(({ s }) => s), omitted: samples.length - chosen.length };
}

/**
 * How many samples a stream has, said right: `3` for plain samples, `3 + the largest record` when the source also
 * fetched the stream's largest record for the size check (it is not one of the N asked for).
 */
export function sampleCountText(samples: readonly SampleRecord[]): string {
  const extra = samples.filter((x) => x.note !== undefined).length;
  const plain = formatCount(samples.length - extra);
  return extra === 0 ? plain : `${plain} + the largest record`;
}

export function isProblem(s: SampleRecord): boolean {
  return s.problems.length > 0 || s.after === null;
}

// ---------------------------------------------------------------------------------------------------------------
// Summaries stated alike by every format

export interface Verdict {
  label: 'READY' | 'BLOCKED';
  blockers: number;
  warnings: number;
  /** `1 blocker, 2 warnings`, `no findings`. */
  counts: string;
}

export function verdictOf(r: DryRunReport): Verdict {
  const blockers = r.findings.filter((f) => f.severity === 'blocker').length;
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  // The collector sets the verdict from the findings; a blocker makes it BLOCKED whatever the field says.
  const label = r.verdict === 'blocked' || blockers > 0 ? 'BLOCKED' : 'READY';
  const parts: string[] = [];
  if (blockers > 0 || label === 'BLOCKED') parts.push(plural(blockers, 'blocker'));
  if (warnings > 0) parts.push(plural(warnings, 'warning'));
  return { label, blockers, warnings, counts: parts.length > 0 ? parts.join(', ') : 'no findings' };
}

/** Blockers before warnings; plan-wide findings first, then in the report's stream order; otherwise as given. */
export function sortFindings(r: DryRunReport): Finding[] {
  const streamIndex = new Map(r.streams.map((s, i) => [s.stream, i]));
  const rank = (f: Finding): number => (f.stream === undefined ? -1 : (streamIndex.get(f.stream) ?? r.streams.length));
  return r.findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => sev(a.f) - sev(b.f) || rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}

function sev(f: Finding): number {
  return f.severity === 'blocker' ? 0 : 1;
}

export function findingsOf(r: DryRunReport, stream: string): Finding[] {
  return r.findings.filter((f) => f.stream === stream);
}

/** `a, b, c (+4 more)`. */
export function listKeys(keys: readonly string[], max = 5): string {
  const shown = keys.slice(0, max).join(', ');
  return keys.length > max ? `${shown} (+${formatCount(keys.length - max)} more)` : shown;
}

export interface TotalsText {
  items: string;
  itemsExact: boolean;
  bytes: string;
  bytesExact: boolean;
  duration: string;
  cost: string;
  currency: string;
  /** `prices as of 2025-05-20 (USD, built-in (prices/cloud-prices.yaml))`. */
  prices: string;
  overrides: string;
}

export function totalsOf(r: DryRunReport): TotalsText {
  const itemsExact = r.streams.every((s) => s.count.exact);
  const bytesExact = r.streams.every((s) => s.bytes.exact);
  const currency = r.totals.currency || r.prices.currency;
  return {
    items: approx(formatCount(r.totals.items), itemsExact),
    itemsExact,
    bytes: approx(formatBytes(r.totals.bytes), bytesExact),
    bytesExact,
    duration: formatDuration(r.totals.durationS),
    cost: formatMoney(r.totals.cost, currency),
    currency,
    prices: `prices as of ${r.prices.date} (${r.prices.currency}, ${r.prices.source})`,
    overrides: r.prices.overridden.length > 0 ? `plan overrides: ${r.prices.overridden.join(', ')}` : '',
  };
}

/**
 * Message text split into plain runs and `code` runs (between single backticks, as findings write commands and
 * settings), for formats that can show code: `set \`sync: mirror\`` → ['set ', code 'sync: mirror'].
 */
export function splitCode(s: string): { text: string; code: boolean }[] {
  const out: { text: string; code: boolean }[] = [];
  const re = /`([^`\n]+)`/g;
  let at = 0;
  for (const m of s.matchAll(re)) {
    if (m.index > at) out.push({ text: s.slice(at, m.index), code: false });
    out.push({ text: m[1]!, code: true });
    at = m.index + m[0].length;
  }
  if (at < s.length) out.push({ text: s.slice(at), code: false });
  return out;
}

/** `~` in front of an estimated figure. */
export function approx(text: string, exact: boolean): string {
  return exact ? text : `~${text}`;
}

/** `~12,000,000 (estimated: pg_class.reltuples)` / `2,400 (exact: listing)`. */
export function countText(s: StreamDryRun): string {
  return `${approx(formatCount(s.count.value), s.count.exact)} (${s.count.exact ? 'exact' : 'estimated'}: ${s.count.method})`;
}

export function bytesText(s: StreamDryRun): string {
  return `${approx(formatBytes(s.bytes.value), s.bytes.exact)} (${s.bytes.exact ? 'exact' : 'estimated'}: ${s.bytes.method})`;
}

export interface SegmentSummary {
  count: number;
  known: number[];
  min?: number;
  max?: number;
  /** `4 segments, est. 2,900,000 – 3,100,000 items each`, `12 segments, sizes not known in advance`. */
  text: string;
}

export function segmentSummary(segments: readonly SegmentPlan[]): SegmentSummary {
  const known = segments.map((s) => s.estimate).filter((e): e is number => typeof e === 'number' && Number.isFinite(e));
  const count = segments.length;
  const head = count === 0 ? 'no segments (one pass)' : plural(count, 'segment');
  if (count === 0) return { count, known, text: head };
  if (known.length === 0) return { count, known, text: `${head}, sizes not known in advance` };
  const min = Math.min(...known);
  const max = Math.max(...known);
  const range = min === max ? `~${formatCount(min)}` : `~${formatCount(min)} – ${formatCount(max)}`;
  const each = count === 1 ? 'items' : 'items each';
  const partial = known.length < count ? ` (${formatCount(known.length)} of ${formatCount(count)} sized)` : '';
  return { count, known, min, max, text: `${head}, est. ${range} ${each}${partial}` };
}

/** `exists, empty, key pk (S) HASH — matches the plan` as separate phrases; `bad` marks the alarming ones. */
export function targetStateParts(t: TargetState): { text: string; bad: boolean }[] {
  const parts: { text: string; bad: boolean }[] = [];
  if (t.exists === true) parts.push({ text: 'exists', bad: false });
  else if (t.exists === false) {
    if (t.created === true) parts.push({ text: 'does not exist, will be created', bad: false });
    else if (t.created === false) parts.push({ text: 'does not exist and will not be created: a run would fail', bad: true });
    else parts.push({ text: 'does not exist', bad: false });
  } else parts.push({ text: 'existence unknown', bad: false });
  if (t.empty === true) parts.push({ text: 'empty', bad: false });
  else if (t.empty === false) parts.push({ text: t.items !== undefined ? `not empty (${plural(t.items, 'item')})` : 'not empty', bad: true });
  else if (t.exists !== false) parts.push({ text: t.items !== undefined ? `${plural(t.items, 'item')}` : 'emptiness unknown', bad: false });
  if (t.keySchema !== undefined) {
    const match = t.keyMatches === true ? ' — matches the plan' : t.keyMatches === false ? ' — does NOT match the plan' : '';
    parts.push({ text: `key ${t.keySchema}${match}`, bad: t.keyMatches === false });
  } else if (t.keyMatches === false) {
    parts.push({ text: 'key schema does NOT match the plan', bad: true });
  }
  if (t.capacity !== undefined) parts.push({ text: capacityText(t.capacity), bad: false });
  return parts;
}

/** `on-demand`, `provisioned 500 WCU / 100 RCU`. */
export function capacityText(c: NonNullable<TargetState['capacity']>): string {
  if (c.mode === 'on_demand') return 'on-demand';
  const units = [c.writeUnits !== undefined ? `${formatCount(c.writeUnits)} WCU` : '', c.readUnits !== undefined ? `${formatCount(c.readUnits)} RCU` : '']
    .filter(Boolean)
    .join(' / ');
  return units ? `provisioned ${units}` : 'provisioned';
}

export function targetStateText(t: TargetState): string {
  return targetStateParts(t)
    .map((p) => p.text)
    .join(', ');
}

/** `wcu 15,607 · requests 625`. */
export function unitsText(units: Record<string, number>): string {
  const e = Object.entries(units);
  return e.length === 0 ? '(none)' : e.map(([k, v]) => `${k} ${formatQuantity(v)}`).join(' · ');
}

export function streamCost(s: StreamDryRun): number {
  return s.estimate.cost.reduce((sum, c) => sum + (Number.isFinite(c.amount) ? c.amount : 0), 0);
}

export function currencyOf(r: DryRunReport): string {
  return r.prices.currency || r.totals.currency;
}

/** `postgres:main → dynamodb:eu`. */
export function planRoute(r: DryRunReport): string {
  return `${r.plan.source} → ${r.plan.target}`;
}

/** The first 12 hex digits of a plan hash, without an algorithm prefix: `sha256:4be1d0c9…` → `4be1d0c9a3f2`. */
export function shortHash(hash: string): string {
  const digits = hash.includes(':') ? hash.slice(hash.lastIndexOf(':') + 1) : hash;
  return digits.length > 12 ? digits.slice(0, 12) : digits;
}
