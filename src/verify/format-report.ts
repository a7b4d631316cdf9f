/**
 * A verification report for people and for machines. Text (terminals): a short table (one line per stream and
 * verifier), then the differing keys as `changed: Track: TrackId=42: UnitPrice 0.99 → 1.99` lines and the notes.
 * JSON: the report as it is. Markdown (format-md.ts) and HTML (format-html.ts) render the same report.
 */
import { changedByKey, diffLists, fieldText, RESULT_HEAD, resultRow, seconds, streamLabel, summaryText, verifierLabel } from './format-common.js';
import { formatVerifyReportHtml } from './format-html.js';
import { formatVerifyReportMd } from './format-md.js';
import type { StreamVerifyResult, VerifyReport, VerifyReportMeta } from './report.js';

export type VerifyReportFormat = 'text' | 'md' | 'json' | 'html';
export const VERIFY_REPORT_FORMATS: readonly VerifyReportFormat[] = ['text', 'md', 'json', 'html'];

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function formatVerifyReport(report: VerifyReport): string {
  const rs = report.results;
  const lines = [`verification: ${report.outcome} (${summaryText(report)}, ${seconds(report.durationMs)})`];
  if (rs.length === 0) return lines.join('\n');

  const rows = rs.map(resultRow);
  const widths = RESULT_HEAD.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => pad(c, widths[i]!, i >= 3)).join('  ')}`.trimEnd();
  lines.push(line(RESULT_HEAD), ...rows.map(line));

  const keyLines: string[] = [];
  for (const r of rs) {
    const own = differenceLines(r);
    if (own.length > 0) keyLines.push(`  ${streamLabel(r)} (${verifierLabel(r)}):`, ...own);
  }
  if (keyLines.length > 0) lines.push('differences:', ...keyLines);

  const noteLines = rs.flatMap((r) => r.notes.map((n) => `  ${streamLabel(r)} (${verifierLabel(r)}): ${n}`));
  if (noteLines.length > 0) lines.push('notes:', ...noteLines);
  return lines.join('\n');
}

/** `    missing: Track: TrackId=3`, `    changed: Track: TrackId=42: UnitPrice 0.99 → 1.99`, `    … 8 more extra`. */
function differenceLines(r: StreamVerifyResult): string[] {
  const out: string[] = [];
  const fields = changedByKey(r);
  for (const { kind, list, unlisted } of diffLists(r)) {
    for (const key of list.keys) {
      const head = `    ${kind}: ${r.target.stream}: ${key}`;
      const c = kind === 'changed' ? fields.get(key) : undefined;
      if (!c) out.push(head);
      else if (c.fields.length === 0) out.push(c.note ? `${head} (${c.note})` : head);
      else if (c.fields.length === 1 && !c.moreFields) out.push(`${head}: ${fieldText(c.fields[0]!)}`);
      else {
        out.push(`${head}:`, ...c.fields.map((f) => `      ${fieldText(f)}`));
        if (c.moreFields) out.push(`      … ${c.moreFields} more field(s)`);
      }
    }
    if (unlisted > 0) out.push(`    … ${unlisted} more ${kind}${list.keys.length === 0 ? ' (keys not named)' : ''}`);
  }
  return out;
}

/** The report as JSON text (it is plain data already). */
export function formatVerifyReportJson(report: VerifyReport, indent?: number): string {
  return JSON.stringify(report, null, indent);
}

/**
 * The report in one of the formats `ferry verify --format` offers. JSON is the report with where it comes from
 * (`meta`), indented, as a file; text has no header (a terminal knows what it ran).
 */
export function renderVerifyReport(format: VerifyReportFormat, report: VerifyReport, meta: VerifyReportMeta = {}): string {
  switch (format) {
    case 'text':
      return formatVerifyReport(report);
    case 'json':
      return JSON.stringify({ type: 'verify.report', ...meta, report }, null, 2);
    case 'md':
      return formatVerifyReportMd(report, meta);
    case 'html':
      return formatVerifyReportHtml(report, meta);
  }
}

/** What `store.saveVerifyResult(jobId, ...)` takes for one result. */
export function verifyRecordOf(result: StreamVerifyResult): { stream: string; verifier: string; outcome: string; report: StreamVerifyResult } {
  return { stream: result.stream, verifier: result.verifier, outcome: result.outcome, report: result };
}
