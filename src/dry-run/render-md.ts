/**
 * The dry-run report as GitHub-flavoured Markdown, for a change ticket or a pull request: the verdict and totals,
 * the findings (blockers first, each with its fix), a table of the streams and one of the costs, then per stream
 * its details and sample records before → after in fenced `json` blocks. Text from the report is escaped so that a
 * name or message cannot break a table, open a link or inject HTML.
 */
import {
  ROOMY,
  bytesText,
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
  plural,
  prettyJson,
  segmentSummary,
  shortHash,
  sortFindings,
  streamCost,
  targetStateText,
  totalsOf,
  unitsText,
  verdictOf,
  approx,
  splitCode,
} from './render-format.js';
import type { DryRunReport, SampleRecord, StreamDryRun } from './report.js';

/** Samples per stream in the Markdown (a GitHub comment holds 65,536 characters). */
const SAMPLES_SHOWN = 10;

/** Plain text for Markdown: punctuation that could start markup backslash-escaped, line breaks as spaces. */
export function mdText(s: string): string {
  return visible(s.replace(/\r\n|[\n\r\t\v\f]/g, ' ').replace(/[\\`*_[\]<>|~&#!]/g, (c) => `\\${c}`));
}

/** Other control characters as visible `\u001b` escapes. */
function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * An inline code span, with a fence longer than any run of backticks inside. In a table cell a `|` still ends
 * the cell (GFM splits rows before it reads code spans), so there it is escaped.
 */
export function mdCode(s: string, inTable = false): string {
  if (s === '') return '(empty)';
  let body = visible(s.replace(/\r\n|[\n\r\t\v\f]/g, ' '));
  if (inTable) body = body.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || (body.startsWith(' ') && body.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any run of backticks in the content. */
export function mdFence(content: string, lang = ''): string {
  const longest = Math.max(0, ...(content.match(/`{3,}/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${content}\n${fence}`;
}

/** Text whose `code` runs stay code spans; the rest escaped as plain text. */
export function mdRich(s: string, inTable = false): string {
  return splitCode(s)
    .map((p) => (p.code ? mdCode(p.text, inTable) : mdText(p.text)))
    .join('');
}

function table(head: string[], rows: string[][], align: ('l' | 'r')[] = []): string[] {
  const sep = head.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [head, sep, ...rows].map((cells) => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`);
}

export function renderMarkdown(r: DryRunReport): string {
  const v = verdictOf(r);
  const tot = totalsOf(r);
  const currency = currencyOf(r);
  const out: string[] = [];

  const badge = v.label === 'BLOCKED' ? `⛔ **BLOCKED** (${v.counts})` : `✅ **READY**${v.warnings > 0 ? ` (${v.counts})` : ''}`;
  out.push(`# Dry run of plan ${mdCode(r.plan.name)}: ${badge}`, '');
  out.push(
    ...table(
      ['', ''],
      [
        ['Plan', `${mdCode(r.plan.name, true)}${r.plan.path ? ` (${mdCode(r.plan.path, true)})` : ''}, hash ${mdCode(shortHash(r.plan.hash), true)}`],
        ['Source → target', `${mdCode(r.plan.source, true)} → ${mdCode(r.plan.target, true)}`],
        ['Generated', `${mdText(r.generatedAt)}, ${plural(r.sampleSize, 'sample record')} per stream`],
        ['Items', `${mdText(tot.items)}${tot.itemsExact ? '' : ' (estimated)'} in ${plural(r.streams.length, 'stream')}`],
        ['Bytes', `${mdText(tot.bytes)}${tot.bytesExact ? '' : ' (estimated)'}`],
        ['Duration', `${mdText(tot.duration)} at the plan's limits`],
        ['Cost', `**${mdText(tot.cost)}**, ${mdText(tot.prices)}${tot.overrides ? `; ${mdText(tot.overrides)}` : ''}`],
      ],
    ),
    '',
  );

  out.push('## Findings', '');
  if (r.findings.length === 0) out.push('No findings.', '');
  else {
    out.push(
      ...table(
        ['', 'Severity', 'Stream', 'Code', 'Finding', 'Fix'],
        sortFindings(r).map((f) => [
          f.severity === 'blocker' ? '⛔' : '⚠️',
          f.severity === 'blocker' ? '**blocker**' : 'warning',
          f.stream === undefined ? '(plan)' : mdCode(f.stream, true),
          mdCode(f.code, true),
          `${mdRich(f.message, true)}${f.keys && f.keys.length > 0 ? `<br>keys: ${mdText(listKeys(f.keys))}` : ''}`,
          mdRich(f.fix, true),
        ]),
      ),
      '',
    );
  }

  out.push('## Streams', '');
  if (r.streams.length === 0) out.push('No streams.', '');
  else {
    out.push(
      ...table(
        ['Stream', 'Target', 'Count', 'Bytes', 'Segments', 'Target state', 'Duration', 'Limited by', 'Cost'],
        r.streams.map((s) => [
          mdCode(s.stream, true),
          mdCode(s.target, true),
          `${mdText(approx(formatCount(s.count.value), s.count.exact))} ${s.count.exact ? 'exact' : 'est.'}`,
          mdText(approx(formatBytes(s.bytes.value), s.bytes.exact)),
          formatCount(s.segments.length),
          mdText(targetStateText(s.targetState)),
          mdText(formatDuration(s.estimate.durationS)),
          mdText(s.estimate.limitedBy),
          mdText(formatMoney(streamCost(s), currency)),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'l', 'r'],
      ),
      '',
    );
  }

  out.push('## Costs', '');
  const costRows = r.streams.flatMap((s) =>
    s.estimate.cost.map((c) => [
      mdCode(s.stream, true),
      mdText(c.what),
      `${formatQuantity(c.quantity)} ${mdText(c.unit)}`,
      mdText(formatUnitPrice(c, currency)),
      mdText(formatMoney(c.amount, currency)),
    ]),
  );
  costRows.push(['**Total**', '', '', '', `**${mdText(tot.cost)}**`]);
  out.push(...table(['Stream', 'What', 'Quantity', 'Unit price', 'Amount'], costRows, ['l', 'l', 'r', 'r', 'r']), '');
  out.push(`Prices as of **${mdText(r.prices.date)}** (${mdText(r.prices.currency)}, ${mdText(r.prices.source)})${tot.overrides ? `; ${mdText(tot.overrides)}` : ''}.`, '');

  r.streams.forEach((s) => out.push(...renderStream(s)));
  return `${out.join('\n').trimEnd()}\n`;
}

function renderStream(s: StreamDryRun): string[] {
  const out: string[] = [];
  out.push(`## ${mdCode(s.stream)} → ${mdCode(s.target)}`, '');
  out.push(`- **Count:** ${mdText(countText(s))}`);
  out.push(`- **Bytes:** ${mdText(bytesText(s))}`);
  out.push(`- **Segments:** ${mdText(segmentSummary(s.segments).text)}`);
  out.push(`- **Target:** ${mdText(targetStateText(s.targetState))}`);
  for (const n of s.targetState.notes) out.push(`  - ${mdRich(n)}`);
  out.push(`- **Estimate:** ${mdText(formatDuration(s.estimate.durationS))}, limited by ${mdText(s.estimate.limitedBy)}`);
  out.push(`- **Units:** ${mdText(unitsText(s.estimate.units))}`, '');

  out.push(`### Samples of ${mdCode(s.stream)}`, '');
  if (s.samples.length === 0) {
    out.push('No records sampled.', '');
    return out;
  }
  const { shown, omitted } = pickSamples(s.samples, SAMPLES_SHOWN);
  if (omitted > 0) out.push(`${formatCount(shown.length)} of ${sampleCountText(s.samples)} shown, records with problems first; the JSON report has them all.`, '');
  for (const rec of shown) out.push(...renderSample(rec));
  return out;
}

function renderSample(rec: SampleRecord): string[] {
  const out: string[] = [];
  const size = rec.targetBytes !== undefined ? ` (${formatBytes(rec.targetBytes)} in the target)` : '';
  out.push(`#### ${mdCode(rec.key)}${size}`, '');
  if (rec.note) out.push(`_${mdRich(rec.note)}_`, '');
  for (const p of rec.problems) out.push(`- ⛔ ${mdRich(p)}`);
  if (rec.problems.length > 0) out.push('');
  out.push('Before:', '', mdFence(prettyJson(rec.before, ROOMY), 'json'), '');
  if (rec.after === null) out.push('After: **refused**, not written.', '');
  else out.push('After:', '', mdFence(prettyJson(rec.after, ROOMY), 'json'), '');
  return out;
}
