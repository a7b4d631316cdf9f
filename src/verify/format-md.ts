/**
 * A verification report as Markdown (a ticket, a pull request, a wiki page): where it comes from, the results
 * table, then per stream and verifier the missing, extra and changed keys (changed ones with their differing fields
 * and both values) and the notes.
 *
 * Everything from the report is escaped: keys and values go in code spans long enough to hold any backticks they
 * contain; other text has Markdown's punctuation backslash-escaped; table cells have `|` escaped; line breaks become
 * spaces, so a hostile key can neither break the table nor inject markup.
 */
import { changedByKey, diffLists, KIND_TEXT, RESULT_HEAD, resultRow, seconds, streamLabel, summaryText, verifierLabel } from './format-common.js';
import type { StreamVerifyResult, VerifyReport, VerifyReportMeta } from './report.js';

/** Text with Markdown's active characters escaped, on one line. */
export function mdText(s: string): string {
  return oneLine(s).replace(/[\\`*_{}[\]()<>#+!|~&$]/g, (c) => `\\${c}`);
}

/** A code span holding `s` exactly (as one line): fenced by more backticks than `s` runs, padded when needed. */
export function mdCode(s: string): string {
  const text = oneLine(s);
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  const padded = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') ? ` ${text} ` : text;
  return `${fence}${padded === '' ? ' ' : padded}${fence}`;
}

/** A table cell: code spans inside tables still need `|` escaped. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function oneLine(s: string): string {
  return s.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
}

export function formatVerifyReportMd(report: VerifyReport, meta: VerifyReportMeta = {}): string {
  const out: string[] = [`# ferry verification: ${report.outcome}`, ''];
  const facts: string[] = [];
  if (meta.plan) facts.push(`- Plan: ${mdCode(meta.plan)}${meta.planPath ? ` (${mdCode(meta.planPath)})` : ''}`);
  if (meta.jobId) facts.push(`- Job: ${mdCode(meta.jobId)}`);
  if (meta.source || meta.target) facts.push(`- Stores: ${mdText(meta.source ?? '?')} → ${mdText(meta.target ?? '?')}`);
  if (meta.at) facts.push(`- Finished: ${mdText(meta.at)}`);
  facts.push(`- Outcome: **${report.outcome}** (${mdText(summaryText(report))}, ${seconds(report.durationMs)})`);
  if (meta.maxDiffs !== undefined) facts.push(`- Keys listed per kind: at most ${meta.maxDiffs} (totals are exact)`);
  out.push(...facts, '');
  if (report.results.length === 0) return out.join('\n');

  out.push('## Results', '');
  const head = RESULT_HEAD.map((h) => h.charAt(0) + h.slice(1).toLowerCase());
  out.push(`| ${head.join(' | ')} |`, `| --- | --- | --- | ${head.slice(3).map(() => '---:').join(' | ')} |`);
  for (const r of report.results) {
    const row = resultRow(r);
    out.push(`| ${[cell(mdCode(row[0]!)), cell(mdText(row[1]!)), r.outcome === 'match' ? 'match' : `**${r.outcome}**`, ...row.slice(3)].join(' | ')} |`);
  }
  out.push('');

  const withDiffs = report.results.filter((r) => diffLists(r).length > 0);
  if (withDiffs.length > 0) {
    out.push('## Differences', '');
    for (const r of withDiffs) out.push(...differences(r));
  }
  const withNotes = report.results.filter((r) => r.notes.length > 0);
  if (withNotes.length > 0) {
    out.push('## Notes', '');
    for (const r of withNotes) for (const n of r.notes) out.push(`- ${mdCode(streamLabel(r))} (${mdText(verifierLabel(r))}): ${mdText(n)}`);
    out.push('');
  }
  return out.join('\n');
}

function differences(r: StreamVerifyResult): string[] {
  const out = [`### ${mdText(streamLabel(r))} (${mdText(verifierLabel(r))})`, ''];
  const fields = changedByKey(r);
  for (const { kind, list, unlisted } of diffLists(r)) {
    out.push(`**${kind}** — ${KIND_TEXT[kind]}: ${list.total}${list.keys.length < list.total ? `, ${list.keys.length} listed` : ''}`, '');
    for (const key of list.keys) {
      const c = kind === 'changed' ? fields.get(key) : undefined;
      out.push(`- ${mdCode(key)}${c?.note ? ` — ${mdText(c.note)}` : ''}`);
      for (const f of c?.fields ?? []) out.push(`  - ${mdCode(f.path)}: ${mdCode(f.source)} → ${mdCode(f.target)}`);
      if (c?.moreFields) out.push(`  - … ${c.moreFields} more field(s)`);
    }
    if (unlisted > 0) out.push(`- … ${unlisted} more${list.keys.length === 0 ? ' (keys not named)' : ''}`);
    out.push('');
  }
  return out;
}
