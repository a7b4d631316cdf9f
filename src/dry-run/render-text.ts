/**
 * The dry-run report for a terminal at 2 a.m.: the verdict on the first line, the totals, then each stream (count,
 * bytes, segments, target state, estimate and cost, samples before → after), then the findings, blockers first,
 * each with its fix; the verdict again on the last line, which is the one left on screen. Plain text, no colour:
 * it is as readable in a pipe, a log or a ticket. Every string from the report is cleaned of control characters,
 * so a hostile name or value cannot move the cursor or recolour the terminal.
 */
import {
  COMPACT,
  bytesText,
  clip,
  compactJson,
  countText,
  currencyOf,
  formatBytes,
  formatCount,
  formatDuration,
  formatMoney,
  formatQuantity,
  formatUnitPrice,
  listKeys,
  pickSamples,
  sampleCountText,
  planRoute,
  plural,
  segmentSummary,
  shortHash,
  sortFindings,
  streamCost,
  targetStateText,
  totalsOf,
  unitsText,
  verdictOf,
} from './render-format.js';
import type { DryRunReport, Finding, StreamDryRun } from './report.js';

/** Samples printed per stream; the others are in the JSON and HTML reports. */
const SAMPLES_SHOWN = 5;
/** Width of one line of sample JSON. */
const JSON_WIDTH = 150;
const INDENT = '  ';
const LABEL = 10;

/**
 * C0/C1 controls (ESC, CR, BEL, ...) and bidirectional overrides shown as `\u001b` escapes; newlines and tabs as
 * spaces, since every field here is printed on one line.
 */
export function cleanForTerminal(s: string): string {
  return s
    .replace(/\r\n|[\n\t\v\f]/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const t = cleanForTerminal;

function row(label: string, value: string, indent = INDENT): string {
  return `${indent}${label.padEnd(LABEL)}${value}`;
}

/** Further lines under a `row`, aligned with its value. */
function cont(value: string, indent = INDENT): string {
  return `${indent}${' '.repeat(LABEL)}${value}`;
}

export function renderText(r: DryRunReport): string {
  const v = verdictOf(r);
  const tot = totalsOf(r);
  const out: string[] = [];

  const headline = v.label === 'BLOCKED' ? `BLOCKED: ${v.counts}` : `READY${v.warnings > 0 ? `: ${v.counts}` : ''}`;
  out.push(`${headline} — dry run of plan ${t(r.plan.name)}`);
  out.push(
    row('plan', `${t(r.plan.name)}${r.plan.path ? ` (${t(r.plan.path)})` : ''}, hash ${t(shortHash(r.plan.hash))}, ${t(planRoute(r))}`, ''),
  );
  out.push(row('generated', `${t(r.generatedAt)}, ${plural(r.sampleSize, 'sample record')} per stream`, ''));
  out.push('');

  out.push('TOTALS');
  out.push(row('items', `${tot.items}${tot.itemsExact ? '' : ' (estimated)'} in ${plural(r.streams.length, 'stream')}`));
  out.push(row('bytes', `${tot.bytes}${tot.bytesExact ? '' : ' (estimated)'}`));
  out.push(row('duration', `${tot.duration} at the plan's limits`));
  out.push(row('cost', `${t(tot.cost)}, ${t(tot.prices)}`));
  if (tot.overrides) out.push(cont(t(tot.overrides)));

  r.streams.forEach((s, i) => {
    out.push('');
    out.push(...renderStream(r, s, i));
  });

  out.push('');
  out.push(...renderFindings(r));
  out.push('');
  out.push(
    v.label === 'BLOCKED'
      ? `BLOCKED: ${v.counts}. Fix the blockers above, then run the dry run again.`
      : `READY${v.warnings > 0 ? ` (${v.counts}; read them before the cutover)` : ''}.`,
  );
  return `${out.join('\n')}\n`;
}

function renderStream(r: DryRunReport, s: StreamDryRun, i: number): string[] {
  const out: string[] = [];
  const currency = currencyOf(r);
  out.push(`STREAM ${i + 1}/${r.streams.length}: ${t(s.stream)} → ${t(s.target)}`);
  out.push(row('count', t(countText(s))));
  out.push(row('bytes', t(bytesText(s))));
  out.push(row('segments', t(segmentSummary(s.segments).text)));
  out.push(row('target', t(targetStateText(s.targetState))));
  for (const note of s.targetState.notes) out.push(cont(`note: ${t(note)}`));
  out.push(row('estimate', `${formatDuration(s.estimate.durationS)}, limited by ${t(s.estimate.limitedBy)}`));
  out.push(row('units', t(unitsText(s.estimate.units))));

  if (s.estimate.cost.length === 0) out.push(row('cost', 'nothing priced'));
  else {
    const cells = s.estimate.cost.map((c) => [
      t(c.what),
      `${formatQuantity(c.quantity)} ${t(c.unit)}`,
      `× ${t(formatUnitPrice(c, currency))}`,
      formatMoney(c.amount, currency),
    ]);
    const widths = [0, 1, 2, 3].map((k) => Math.max(...cells.map((c) => (c[k] ?? '').length)));
    cells.forEach((c, k) => {
      const line = c.map((cell, j) => (j === 3 ? `= ${cell.padStart(widths[j]!)}` : cell.padEnd(widths[j]!))).join('  ');
      out.push(k === 0 ? row('cost', line) : cont(line));
    });
    if (cells.length > 1) out.push(cont(`stream total ${formatMoney(streamCost(s), currency)}`));
  }

  const { shown, omitted } = pickSamples(s.samples, SAMPLES_SHOWN);
  if (s.samples.length === 0) out.push(row('samples', 'none read'));
  else {
    const note = omitted > 0 ? ` (records with problems first; ${formatCount(omitted)} more in the JSON/HTML report)` : '';
    out.push(row('samples', omitted > 0 ? `${formatCount(shown.length)} of ${sampleCountText(s.samples)}${note}` : sampleCountText(s.samples)));
    for (const rec of shown) {
      const size = rec.targetBytes !== undefined ? `  (${formatBytes(rec.targetBytes)} in the target)` : '';
      out.push(`${INDENT}${INDENT}key ${t(clip(rec.key, 120))}${size}`);
      if (rec.note) out.push(`${INDENT}${INDENT}${INDENT}(${t(rec.note)})`);
      out.push(`${INDENT}${INDENT}${INDENT}before  ${t(compactJson(rec.before, JSON_WIDTH, COMPACT))}`);
      out.push(`${INDENT}${INDENT}${INDENT}after   ${rec.after === null ? 'REFUSED (not written)' : t(compactJson(rec.after, JSON_WIDTH, COMPACT))}`);
      for (const p of rec.problems) out.push(`${INDENT}${INDENT}${INDENT}✗ ${t(p)}`);
    }
  }
  return out;
}

function renderFindings(r: DryRunReport): string[] {
  if (r.findings.length === 0) return ['FINDINGS: none'];
  const sorted = sortFindings(r);
  const blockers = sorted.filter((f) => f.severity === 'blocker');
  const warnings = sorted.filter((f) => f.severity === 'warning');
  const out: string[] = [];
  if (blockers.length > 0) {
    out.push(`BLOCKERS (${formatCount(blockers.length)})`);
    for (const f of blockers) out.push(...finding(f, '✗'));
  }
  if (warnings.length > 0) {
    if (blockers.length > 0) out.push('');
    out.push(`WARNINGS (${formatCount(warnings.length)})`);
    for (const f of warnings) out.push(...finding(f, '!'));
  }
  return out;
}

function finding(f: Finding, mark: string): string[] {
  const where = f.stream === undefined ? 'plan' : t(f.stream);
  const out = [`${INDENT}${mark} ${where}: ${t(f.code)}: ${t(f.message)}`];
  out.push(`${INDENT}  fix: ${t(f.fix)}`);
  if (f.keys && f.keys.length > 0) out.push(`${INDENT}  keys: ${t(listKeys(f.keys))}`);
  return out;
}
