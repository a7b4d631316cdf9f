/**
 * A verification report as ONE self-contained HTML file: inline CSS, no script, no image, no font, no link — nothing
 * loaded from anywhere (the page's Content-Security-Policy forbids it besides), so it opens from a ticket or a mail
 * on a machine with no network, and prints.
 *
 * Layout: a header with the outcome, where the report comes from and the summary; the results table; per stream and
 * verifier the missing, extra and changed keys (changed ones with a table of their differing fields and both
 * values), then the notes.
 *
 * Every string from the report goes through `esc` (text and attribute values alike) and is only ever placed as
 * element text; nothing from the report is put in a tag or attribute name, a URL, <style> or <script>.
 */
import { changedByKey, diffLists, KIND_TEXT, RESULT_HEAD, resultRow, seconds, streamLabel, summaryText, verifierLabel } from './format-common.js';
import type { StreamVerifyResult, VerifyOutcome, VerifyReport, VerifyReportMeta } from './report.js';
import { esc } from '../report/html-escape.js';

const CSS = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --unsure: #9a6700; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; padding: 24px; max-width: 1200px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; vertical-align: middle; }
.match { background: var(--ok); } .differ { background: var(--bad); } .inconclusive { background: var(--unsure); }
.t-match { color: var(--ok); } .t-differ { color: var(--bad); font-weight: 600; } .t-inconclusive { color: var(--unsure); font-weight: 600; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.v { max-width: 420px; overflow-wrap: anywhere; }
ul.keys { margin: 4px 0 10px; padding-left: 22px; } ul.keys li { overflow-wrap: anywhere; }
.kind { margin: 10px 0 2px; } .muted { color: var(--muted); }
@media print { body { padding: 0; } .badge { border: 1px solid #000; color: #000; background: none; } }
`;

function badge(o: VerifyOutcome): string {
  return `<span class="badge ${o}">${o}</span>`;
}

export function formatVerifyReportHtml(report: VerifyReport, meta: VerifyReportMeta = {}): string {
  const title = `ferry verification: ${report.outcome}${meta.plan ? ` — ${meta.plan}` : ''}`;
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>ferry verification ${badge(report.outcome)}</h1>`,
    `<p>${esc(summaryText(report))}, ${esc(seconds(report.durationMs))}.</p>`,
  ];
  const facts: [string, string][] = [];
  if (meta.plan) facts.push(['Plan', `<code>${esc(meta.plan)}</code>${meta.planPath ? ` <span class="muted">(${esc(meta.planPath)})</span>` : ''}`]);
  if (meta.jobId) facts.push(['Job', `<code>${esc(meta.jobId)}</code>`]);
  if (meta.source || meta.target) facts.push(['Stores', `${esc(meta.source ?? '?')} → ${esc(meta.target ?? '?')}`]);
  if (meta.at) facts.push(['Finished', esc(meta.at)]);
  if (meta.maxDiffs !== undefined) facts.push(['Keys listed', `at most ${esc(meta.maxDiffs)} per kind (totals are exact)`]);
  if (facts.length > 0) out.push('<dl class="meta">', ...facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`), '</dl>');

  if (report.results.length > 0) {
    out.push('<h2>Results</h2>', '<table>', `<thead><tr>${RESULT_HEAD.map((h) => `<th>${esc(h.charAt(0) + h.slice(1).toLowerCase())}</th>`).join('')}</tr></thead>`, '<tbody>');
    for (const r of report.results) {
      const row = resultRow(r);
      out.push(
        `<tr><td><code>${esc(row[0])}</code></td><td>${esc(row[1])}</td><td class="t-${r.outcome}">${esc(row[2])}</td>${row
          .slice(3)
          .map((c) => `<td class="n">${esc(c)}</td>`)
          .join('')}</tr>`,
      );
    }
    out.push('</tbody>', '</table>');
  }

  const withDiffs = report.results.filter((r) => diffLists(r).length > 0);
  if (withDiffs.length > 0) {
    out.push('<h2>Differences</h2>');
    for (const r of withDiffs) out.push(...differences(r));
  }
  const withNotes = report.results.filter((r) => r.notes.length > 0);
  if (withNotes.length > 0) {
    out.push('<h2>Notes</h2>', '<ul>');
    for (const r of withNotes) for (const n of r.notes) out.push(`<li><code>${esc(streamLabel(r))}</code> (${esc(verifierLabel(r))}): ${esc(n)}</li>`);
    out.push('</ul>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}

function differences(r: StreamVerifyResult): string[] {
  const out = [`<h3><code>${esc(streamLabel(r))}</code> (${esc(verifierLabel(r))}) ${badge(r.outcome)}</h3>`];
  const fields = changedByKey(r);
  for (const { kind, list, unlisted } of diffLists(r)) {
    const listed = list.keys.length < list.total ? `, ${list.keys.length} listed` : '';
    out.push(`<p class="kind"><strong>${esc(kind)}</strong> — ${esc(KIND_TEXT[kind])}: ${esc(list.total)}${esc(listed)}</p>`);
    const described = kind === 'changed' ? list.keys.filter((k) => fields.has(k)) : [];
    if (described.length > 0) {
      out.push('<table>', '<thead><tr><th>Key</th><th>Field</th><th>Source</th><th>Target</th></tr></thead>', '<tbody>');
      for (const key of list.keys) {
        const c = fields.get(key);
        if (!c || c.fields.length === 0) {
          out.push(`<tr><td class="mono v">${esc(key)}</td><td colspan="3" class="muted">${esc(c?.note ?? 'fields not compared')}</td></tr>`);
          continue;
        }
        const span = c.fields.length + (c.moreFields ? 1 : 0);
        c.fields.forEach((f, i) => {
          const keyCell = i === 0 ? `<td class="mono v" rowspan="${span}">${esc(key)}</td>` : '';
          out.push(`<tr>${keyCell}<td class="mono">${esc(f.path)}</td><td class="mono v">${esc(f.source)}</td><td class="mono v">${esc(f.target)}</td></tr>`);
        });
        if (c.moreFields) out.push(`<tr><td colspan="3" class="muted">… ${esc(c.moreFields)} more field(s)</td></tr>`);
      }
      out.push('</tbody>', '</table>');
    } else if (list.keys.length > 0) {
      out.push('<ul class="keys">', ...list.keys.map((k) => `<li class="mono">${esc(k)}</li>`), '</ul>');
    }
    if (unlisted > 0) out.push(`<p class="muted">… ${esc(unlisted)} more${list.keys.length === 0 ? ' (keys not named)' : ''}</p>`);
  }
  return out;
}
