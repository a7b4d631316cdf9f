/**
 * The dry-run report as ONE self-contained HTML file: inline CSS, inline SVG charts, no script needed, nothing
 * loaded from anywhere (a Content-Security-Policy in the page forbids it even if something slipped in). It opens
 * from a mail attachment or a ticket on a machine with no network, and prints.
 *
 * Layout: a summary header (verdict badge, totals, price date), the findings (blockers red, warnings amber, each
 * with its fix), a table of the streams, then per stream its figures, an SVG bar chart of the estimated segment
 * sizes, its cost lines, its segments and its sample records before → after in <details> blocks.
 *
 * Every string from the report goes through `esc` (text and attribute values alike); nothing from the report is
 * ever placed in a tag name, an attribute name, a URL, <style> or <script>. Element ids are made from indexes.
 */
import { createHash } from 'node:crypto';
import {
  ROOMY,
  approx,
  countText,
  bytesText,
  currencyOf,
  formatBytes,
  formatCount,
  formatDuration,
  formatMoney,
  formatQuantity,
  formatUnitPrice,
  isProblem,
  sampleCountText,
  plural,
  planRoute,
  prettyJson,
  segmentSummary,
  shortHash,
  sortFindings,
  streamCost,
  targetStateParts,
  totalsOf,
  unitsText,
  verdictOf,
  findingsOf,
  splitCode,
} from './render-format.js';
import type { DryRunReport, Finding, SampleRecord, SegmentPlan, StreamDryRun } from './report.js';
import { esc } from '../report/html-escape.js';

/** Escaped text whose `code` runs (as findings write commands and settings) are shown as <code>. */
function rich(s: string): string {
  return splitCode(s)
    .map((p) => (p.code ? `<code>${esc(p.text)}</code>` : esc(p.text)))
    .join('');
}

/** Opens every <details> for printing, so the samples are on paper too; the page needs it for nothing else. */
const SCRIPT = `addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})})`;
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');
/** Nothing may be loaded: no images, fonts, frames, connections; only the inline style and the one script above. */
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; form-action 'none'; base-uri 'none'`;

const STYLE = `
:root{--fg:#1d2433;--muted:#5b6475;--line:#d8dde6;--bg:#fff;--soft:#f5f7fa;--red:#b42318;--red-bg:#fef3f2;--amber:#a15c07;--amber-bg:#fffaeb;--green:#067647;--green-bg:#ecfdf3;--bar:#3b6fd8}
*{box-sizing:border-box}
html{font-size:14px}
body{margin:0;background:var(--soft);color:var(--fg);font:1rem/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{font-size:1.57rem;margin:8px 0 4px}
h2{font-size:1.29rem;margin:0 0 12px}
h3{font-size:1.07rem;margin:18px 0 8px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9rem}
code{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 4px;overflow-wrap:anywhere}
h1 .mono,h2 code{font-size:.9em}
h2 code{background:none;border:none;padding:0}
td.flags{white-space:nowrap}
td code{overflow-wrap:break-word}
.scroll{overflow-x:auto}
table.overview{font-size:.93rem}
table.overview th,table.overview td{padding:6px 6px}
section,header.summary{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:0 0 18px}
.meta{color:var(--muted);margin:2px 0}
.badge{display:inline-block;font-weight:700;letter-spacing:.04em;border-radius:6px;padding:4px 12px;font-size:1.07rem;border:2px solid}
.badge.blocked{color:#fff;background:var(--red);border-color:var(--red)}
.badge.ready{color:#fff;background:var(--green);border-color:var(--green)}
.badge small{font-weight:600;letter-spacing:0;font-size:.93rem;margin-left:6px}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;margin:16px 0 8px;padding:0}
.totals div{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.totals dt{color:var(--muted);font-size:.86rem;text-transform:uppercase;letter-spacing:.05em}
.totals dd{margin:2px 0 0;font-size:1.43rem;font-weight:650;font-variant-numeric:tabular-nums}
.totals dd small{display:block;font-size:.86rem;font-weight:400;color:var(--muted)}
.prices{margin:8px 0 0;color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:4px 0 8px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{font-size:.86rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;border-bottom:2px solid var(--line)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:700;border-top:2px solid var(--line);border-bottom:none}
table.kv th{width:150px;text-transform:none;letter-spacing:0;font-size:.93rem;border-bottom:1px solid var(--line)}
.bad{color:var(--red);font-weight:600}
.findings{list-style:none;margin:0;padding:0}
.finding{border:1px solid var(--line);border-left:6px solid;border-radius:6px;padding:10px 14px;margin:0 0 10px}
.finding.blocker{border-left-color:var(--red);background:var(--red-bg)}
.finding.warning{border-left-color:var(--amber);background:var(--amber-bg)}
.finding p{margin:4px 0}
.sev{display:inline-block;font-size:.79rem;font-weight:700;text-transform:uppercase;letter-spacing:.06em;border-radius:4px;padding:1px 7px;color:#fff;margin-right:6px}
.blocker .sev{background:var(--red)}
.warning .sev{background:var(--amber)}
.fix{font-weight:500}
.fix b{color:var(--green)}
.keys{color:var(--muted)}
.stream-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:20px;align-items:start}
@media (max-width:860px){.stream-grid{grid-template-columns:1fr}}
figure{margin:0}
figcaption{font-weight:600;margin:0 0 6px}
.chart svg{width:100%;height:auto;display:block;border:1px solid var(--line);border-radius:6px;background:#fff}
.chart .bar{fill:var(--bar)}
.chart .bar.unknown{fill:#fff;stroke:#98a2b3;stroke-dasharray:3 2}
.chart .axis{stroke:#98a2b3;stroke-width:1}
.chart .grid{stroke:#e4e7ec;stroke-width:1}
.chart text{fill:var(--muted);font-size:11px;font-family:system-ui,sans-serif}
.chart .none{color:var(--muted);border:1px dashed var(--line);border-radius:6px;padding:24px;text-align:center}
.chart p{color:var(--muted);margin:6px 0 0;font-size:.9rem}
details{border:1px solid var(--line);border-radius:6px;margin:0 0 8px;background:var(--bg)}
details>summary{cursor:pointer;padding:8px 12px;list-style-position:inside}
details[open]>summary{border-bottom:1px solid var(--line)}
details.problem{border-color:var(--red)}
details.problem>summary{background:var(--red-bg)}
.sample{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px;padding:10px 12px}
.sample h4{margin:0 0 4px;font-size:.86rem;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.sample pre{margin:0;padding:8px;background:var(--soft);border:1px solid var(--line);border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:420px;overflow:auto}
.problems{margin:0;padding:8px 12px 0 30px;color:var(--red)}
.refused{color:var(--red);font-weight:600}
.muted{color:var(--muted)}
a{color:inherit}
footer{color:var(--muted);font-size:.86rem;text-align:center;margin:8px 0 24px}
@page{margin:14mm}
@media print{
  html{font-size:9.5pt}
  body{background:#fff}
  main{max-width:none;padding:0}
  section,header.summary{border:none;border-radius:0;padding:0;margin:0 0 14px}
  section.stream{break-before:page}
  .finding,tr,figure,details,.totals div{break-inside:avoid}
  .badge,.sev,.finding,.chart .bar,details.problem>summary{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  .sample pre{max-height:none;overflow:visible}
  a{text-decoration:none}
  .scroll{overflow:visible}
  td code{overflow-wrap:anywhere}
}
`;

export function renderHtml(r: DryRunReport): string {
  const v = verdictOf(r);
  const title = `ferry dry run: ${r.plan.name}: ${v.label}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ferry plan dry-run">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${summary(r)}
${findingsSection(r)}
${overview(r)}
${r.streams.map((s, i) => streamSection(r, s, i)).join('\n')}
<footer>ferry plan dry-run · report version ${esc(r.version)} · generated ${esc(r.generatedAt)} · nothing was written to any target</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function summary(r: DryRunReport): string {
  const v = verdictOf(r);
  const tot = totalsOf(r);
  const badge = `<span class="badge ${v.label === 'BLOCKED' ? 'blocked' : 'ready'}">${v.label}${v.label === 'BLOCKED' || v.warnings > 0 ? `<small>${esc(v.counts)}</small>` : ''}</span>`;
  const cell = (label: string, value: string, note: string): string =>
    `<div><dt>${label}</dt><dd>${value}${note ? `<small>${note}</small>` : ''}</dd></div>`;
  return `<header class="summary">
${badge}
<h1>Dry run of plan <span class="mono">${esc(r.plan.name)}</span></h1>
<p class="meta">${esc(planRoute(r))}${r.plan.path ? ` · <span class="mono">${esc(r.plan.path)}</span>` : ''} · plan hash <span class="mono" title="${esc(r.plan.hash)}">${esc(shortHash(r.plan.hash))}</span></p>
<p class="meta">Generated ${esc(r.generatedAt)} · ${esc(plural(r.sampleSize, 'sample record'))} per stream · nothing was written to any target</p>
<dl class="totals">
${cell('Items', esc(tot.items), `${tot.itemsExact ? 'exact' : 'estimated'}, ${esc(plural(r.streams.length, 'stream'))}`)}
${cell('Bytes', esc(tot.bytes), tot.bytesExact ? 'exact' : 'estimated')}
${cell('Duration', esc(tot.duration), 'at the plan&#39;s limits')}
${cell('Cost', esc(tot.cost), `prices as of ${esc(r.prices.date)}`)}
</dl>
<p class="prices">Prices as of <strong>${esc(r.prices.date)}</strong> in ${esc(r.prices.currency)}, from ${esc(r.prices.source)}${tot.overrides ? `; ${esc(tot.overrides)}` : ''}.</p>
</header>`;
}

function findingsSection(r: DryRunReport): string {
  if (r.findings.length === 0) return `<section id="findings"><h2>Findings</h2><p class="muted">No findings.</p></section>`;
  const v = verdictOf(r);
  return `<section id="findings">
<h2>Findings <span class="muted">(${esc(v.counts)})</span></h2>
<ul class="findings">
${sortFindings(r)
  .map((f) => findingItem(r, f))
  .join('\n')}
</ul>
</section>`;
}

function findingItem(r: DryRunReport, f: Finding): string {
  const i = f.stream === undefined ? -1 : r.streams.findIndex((s) => s.stream === f.stream);
  const where =
    f.stream === undefined ? '<span class="muted">whole plan</span>' : i >= 0 ? `<a href="#stream-${i + 1}"><code>${esc(f.stream)}</code></a>` : `<code>${esc(f.stream)}</code>`;
  const keys =
    f.keys && f.keys.length > 0
      ? `<p class="keys">Records: ${f.keys
          .slice(0, 20)
          .map((k) => `<code>${esc(k)}</code>`)
          .join(' ')}${f.keys.length > 20 ? ` and ${esc(formatCount(f.keys.length - 20))} more` : ''}</p>`
      : '';
  return `<li class="finding ${f.severity === 'blocker' ? 'blocker' : 'warning'}">
<p><span class="sev">${f.severity === 'blocker' ? 'Blocker' : 'Warning'}</span>${where} · <code>${esc(f.code)}</code></p>
<p>${rich(f.message)}</p>
<p class="fix"><b>Fix:</b> ${rich(f.fix)}</p>${keys}
</li>`;
}

function overview(r: DryRunReport): string {
  if (r.streams.length === 0) return `<section id="streams"><h2>Streams</h2><p class="muted">The plan has no streams.</p></section>`;
  const currency = currencyOf(r);
  const tot = totalsOf(r);
  const rows = r.streams.map((s, i) => {
    const blockers = findingsOf(r, s.stream).filter((f) => f.severity === 'blocker').length;
    const warnings = findingsOf(r, s.stream).length - blockers;
    const flags = [blockers > 0 ? `<span class="bad">${esc(plural(blockers, 'blocker'))}</span>` : '', warnings > 0 ? esc(plural(warnings, 'warning')) : '']
      .filter(Boolean)
      .join(', ');
    return `<tr><td><a href="#stream-${i + 1}"><code>${esc(s.stream)}</code></a></td><td><code>${esc(s.target)}</code></td><td class="num">${esc(approx(formatCount(s.count.value), s.count.exact))}<br><span class="muted">${s.count.exact ? 'exact' : 'estimated'}</span></td><td class="num">${esc(approx(formatBytes(s.bytes.value), s.bytes.exact))}</td><td class="num">${esc(formatCount(s.segments.length))}</td><td class="num">${esc(formatDuration(s.estimate.durationS))}</td><td>${esc(s.estimate.limitedBy)}</td><td class="num">${esc(formatMoney(streamCost(s), currency))}</td><td class="flags">${flags || '<span class="muted">none</span>'}</td></tr>`;
  });
  return `<section id="streams">
<h2>Streams</h2>
<div class="scroll"><table class="overview">
<thead><tr><th>Stream</th><th>Target</th><th class="num">Count</th><th class="num">Bytes</th><th class="num">Segments</th><th class="num">Duration</th><th>Limited by</th><th class="num">Cost</th><th>Findings</th></tr></thead>
<tbody>
${rows.join('\n')}
<tr class="total"><td colspan="2">Total</td><td class="num">${esc(tot.items)}</td><td class="num">${esc(tot.bytes)}</td><td class="num">${esc(formatCount(r.streams.reduce((n, s) => n + s.segments.length, 0)))}</td><td class="num">${esc(tot.duration)}</td><td></td><td class="num">${esc(tot.cost)}</td><td></td></tr>
</tbody>
</table></div>
</section>`;
}

function streamSection(r: DryRunReport, s: StreamDryRun, i: number): string {
  const currency = currencyOf(r);
  const ts = s.targetState;
  const stateCells = targetStateParts(ts)
    .map((p) => (p.bad ? `<span class="bad">${esc(p.text)}</span>` : esc(p.text)))
    .join(', ');
  const notes = ts.notes.length > 0 ? `<br>${ts.notes.map((n) => `<span class="muted">${rich(n)}</span>`).join('<br>')}` : '';
  const kv = `<table class="kv">
<tbody>
<tr><th>Count</th><td>${esc(countText(s))}</td></tr>
<tr><th>Bytes</th><td>${esc(bytesText(s))}</td></tr>
<tr><th>Segments</th><td>${esc(segmentSummary(s.segments).text)}</td></tr>
<tr><th>Target</th><td><code>${esc(s.target)}</code>: ${stateCells}${notes}</td></tr>
<tr><th>Duration</th><td>${esc(formatDuration(s.estimate.durationS))}, limited by <strong>${esc(s.estimate.limitedBy)}</strong></td></tr>
<tr><th>Units</th><td>${esc(unitsText(s.estimate.units))}</td></tr>
<tr><th>Cost</th><td>${esc(formatMoney(streamCost(s), currency))}</td></tr>
</tbody>
</table>`;
  return `<section class="stream" id="stream-${i + 1}">
<h2><code>${esc(s.stream)}</code> → <code>${esc(s.target)}</code></h2>
<div class="stream-grid">
${kv}
${segmentChart(s)}
</div>
${costTable(s, currency)}
${segmentTable(s.segments)}
${samples(s)}
</section>`;
}

function costTable(s: StreamDryRun, currency: string): string {
  if (s.estimate.cost.length === 0) return `<h3>Cost</h3><p class="muted">Nothing priced for this stream.</p>`;
  const rows = s.estimate.cost.map(
    (c) =>
      `<tr><td>${esc(c.what)}</td><td class="num">${esc(formatQuantity(c.quantity))} ${esc(c.unit)}</td><td class="num">${esc(formatUnitPrice(c, currency))}</td><td class="num">${esc(formatMoney(c.amount, currency))}</td></tr>`,
  );
  return `<h3>Cost</h3>
<div class="scroll"><table class="cost">
<thead><tr><th>What</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Amount</th></tr></thead>
<tbody>
${rows.join('\n')}
<tr class="total"><td colspan="3">Stream total</td><td class="num">${esc(formatMoney(streamCost(s), currency))}</td></tr>
</tbody>
</table></div>`;
}

/** Chart geometry, in SVG user units (the SVG scales to its box). */
const W = 560;
const H = 220;
const PAD = { left: 64, right: 12, top: 14, bottom: 34 };

/** Axis ticks: a round step (1, 2 or 5 × 10^n, at least 1 item) giving 3 to 5 intervals up to `max`. */
function ticks(max: number): { step: number; top: number } {
  if (max <= 0) return { step: 1, top: 1 };
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, ([1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw) ?? 10 * p));
  return { step, top: Math.ceil(max / step) * step };
}

/** `3.1M`, `450K`, `12`: axis labels must be short. */
function shortCount(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [d, u] of units) if (Math.abs(n) >= d) return `${Number((n / d).toFixed(n / d < 10 ? 1 : 0))}${u}`;
  return formatCount(n);
}

function fmt(n: number): string {
  return Number(n.toFixed(2)).toString();
}

/** One bar per segment, its height the segment's estimated records; a dashed stub where a segment's size is unknown. */
function segmentChart(s: StreamDryRun): string {
  const sum = segmentSummary(s.segments);
  const caption = `<figcaption>Segment sizes</figcaption>`;
  if (s.segments.length === 0) return `<figure class="chart">${caption}<div class="none">No segments: the stream is read in one pass.</div></figure>`;
  if (sum.known.length === 0)
    return `<figure class="chart">${caption}<div class="none">${esc(plural(s.segments.length, 'segment'))}: sizes not known in advance.</div></figure>`;

  const n = s.segments.length;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const { step, top } = ticks(sum.max ?? 0);
  const slot = plotW / n;
  const gap = slot >= 6 ? Math.min(slot * 0.2, 12) : 0;
  const barW = Math.max(slot - gap, 0.5);
  const y0 = PAD.top + plotH;

  const parts: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = y0 - (v / top) * plotH;
    parts.push(`<line class="${v === 0 ? 'axis' : 'grid'}" x1="${PAD.left}" x2="${W - PAD.right}" y1="${fmt(y)}" y2="${fmt(y)}"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${fmt(y + 4)}" text-anchor="end">${esc(shortCount(v))}</text>`);
  }
  s.segments.forEach((seg: SegmentPlan, k) => {
    const x = PAD.left + k * slot + gap / 2;
    const known = typeof seg.estimate === 'number' && Number.isFinite(seg.estimate);
    const h = known ? Math.max((seg.estimate! / top) * plotH, seg.estimate! > 0 ? 1 : 0) : Math.min(plotH * 0.12, 18);
    const tip = known ? `${seg.id}: ~${formatCount(seg.estimate!)} items, ${seg.describe}` : `${seg.id}: size not known in advance, ${seg.describe}`;
    parts.push(
      `<rect class="bar${known ? '' : ' unknown'}" x="${fmt(x)}" y="${fmt(y0 - h)}" width="${fmt(barW)}" height="${fmt(h)}"><title>${esc(tip)}</title></rect>`,
    );
  });
  // Segment labels under the bars when they fit; else the first and the last, aligned to the plot's edges.
  const clipId = (id: string, max: number): string => (Array.from(id).length > max ? `${Array.from(id).slice(0, max - 1).join('')}…` : id);
  if (n <= 12) {
    s.segments.forEach((seg, k) => {
      const label = clipId(seg.id, Math.max(3, Math.floor(slot / 7)));
      parts.push(`<text x="${fmt(PAD.left + k * slot + slot / 2)}" y="${y0 + 16}" text-anchor="middle">${esc(label)}</text>`);
    });
  } else {
    parts.push(`<text x="${PAD.left}" y="${y0 + 16}">${esc(clipId(s.segments[0]!.id, 16))}</text>`);
    parts.push(`<text x="${W - PAD.right}" y="${y0 + 16}" text-anchor="end">${esc(clipId(s.segments[n - 1]!.id, 16))}</text>`);
  }
  parts.push(`<text x="${PAD.left}" y="${H - 4}">items per segment (estimated)${n > 12 ? `, ${esc(formatCount(n))} segments` : ''}</text>`);

  const label = `Estimated records per segment of ${s.stream}: ${sum.text}`;
  const skew = sum.min !== undefined && sum.max !== undefined && sum.min > 0 && sum.max / sum.min >= 2 ? ` The largest is ${(sum.max / sum.min).toFixed(1)}× the smallest.` : '';
  return `<figure class="chart">${caption}
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}">
${parts.join('\n')}
</svg>
<p>${esc(sum.text)}.${esc(skew)}</p>
</figure>`;
}

function segmentTable(segments: readonly SegmentPlan[]): string {
  if (segments.length === 0) return '';
  const rows = segments.map(
    (seg) =>
      `<tr><td><code>${esc(seg.id)}</code></td><td>${esc(seg.describe)}</td><td class="num">${seg.estimate === undefined ? '<span class="muted">not known</span>' : esc(`~${formatCount(seg.estimate)}`)}</td></tr>`,
  );
  return `<details class="segments">
<summary>Segment plan (${esc(plural(segments.length, 'segment'))})</summary>
<table>
<thead><tr><th>Segment</th><th>Slice</th><th class="num">Estimated items</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</details>`;
}

function samples(s: StreamDryRun): string {
  if (s.samples.length === 0) return `<h3>Samples</h3><p class="muted">No records sampled.</p>`;
  const bad = s.samples.filter(isProblem).length;
  return `<h3>Samples <span class="muted">(${esc(sampleCountText(s.samples))}${bad > 0 ? `, ${esc(plural(bad, 'with a problem', 'with problems'))}` : ''})</span></h3>
${s.samples.map(sample).join('\n')}`;
}

function sample(rec: SampleRecord): string {
  const problem = isProblem(rec);
  const size = rec.targetBytes !== undefined ? ` · ${esc(formatBytes(rec.targetBytes))} in the target` : '';
  const status = rec.after === null ? ' · <span class="refused">refused</span>' : rec.problems.length > 0 ? ` · <span class="bad">${esc(plural(rec.problems.length, 'problem'))}</span>` : '';
  const problems = rec.problems.length > 0 ? `<ul class="problems">${rec.problems.map((p) => `<li>${rich(p)}</li>`).join('')}</ul>` : '';
  const after = rec.after === null ? `<p class="refused">Refused: this record would not be written.</p>` : `<pre>${esc(prettyJson(rec.after, ROOMY))}</pre>`;
  return `<details class="sample-record${problem ? ' problem' : ''}"${problem ? ' open' : ''}>
<summary><code>${esc(rec.key)}</code>${size}${status}</summary>
${rec.note ? `<p class="muted">${esc(rec.note)}</p>` : ''}${problems}<div class="sample"><div><h4>Before</h4><pre>${esc(prettyJson(rec.before, ROOMY))}</pre></div><div><h4>After</h4>${after}</div></div>
</details>`;
}
