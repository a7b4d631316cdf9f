/**
 * A verification report for people and for machines: a short table (one line per stream and verifier), then the
 * differing keys as `changed: Track: TrackId=42` lines and the notes; or JSON text of the report as it is.
 */
import type { KeyList, StreamVerifyResult, VerifyReport } from './report.js';

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function label(r: StreamVerifyResult): string {
  return `${r.source.stream} → ${r.target.stream}`;
}

function verifierLabel(r: StreamVerifyResult): string {
  return r.verifier === 'sample' && r.sampleSize !== undefined ? `sample(${r.sampleSize})` : r.verifier;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatVerifyReport(report: VerifyReport): string {
  const rs = report.results;
  const differ = rs.filter((r) => r.outcome === 'differ').length;
  const unsure = rs.filter((r) => r.outcome === 'inconclusive').length;
  const summary =
    report.outcome === 'match'
      ? `all ${plural(rs.length, 'check')} match`
      : [differ > 0 ? `${differ} of ${rs.length} differ` : '', unsure > 0 ? `${unsure} of ${rs.length} inconclusive` : ''].filter(Boolean).join(', ');
  const lines = [`verification: ${report.outcome} (${summary}, ${(report.durationMs / 1000).toFixed(1)} s)`];
  if (rs.length === 0) return lines.join('\n');

  const head = ['STREAM', 'VERIFIER', 'OUTCOME', 'SOURCE', 'TARGET', 'ABSENT', 'MISSING', 'EXTRA', 'CHANGED'];
  const rows = rs.map((r) => [
    label(r),
    verifierLabel(r),
    r.outcome,
    String(r.source.count),
    String(r.target.count),
    String(r.expectedAbsent),
    String(r.missing.total),
    String(r.extra.total),
    String(r.changed.total),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => pad(c, widths[i]!, i >= 3)).join('  ')}`.trimEnd();
  lines.push(line(head), ...rows.map(line));

  const keyLines: string[] = [];
  for (const r of rs) {
    const lists: [string, KeyList][] = [
      ['missing', r.missing],
      ['extra', r.extra],
      ['changed', r.changed],
    ];
    const own: string[] = [];
    for (const [kind, list] of lists) {
      for (const key of list.keys) own.push(`    ${kind}: ${r.target.stream}: ${key}`);
      const more = list.total - list.keys.length;
      if (more > 0) own.push(`    … ${more} more ${kind}${list.keys.length === 0 ? ' (keys not named)' : ''}`);
    }
    if (own.length > 0) keyLines.push(`  ${label(r)} (${verifierLabel(r)}):`, ...own);
  }
  if (keyLines.length > 0) lines.push('differences:', ...keyLines);

  const noteLines = rs.flatMap((r) => r.notes.map((n) => `  ${label(r)} (${verifierLabel(r)}): ${n}`));
  if (noteLines.length > 0) lines.push('notes:', ...noteLines);
  return lines.join('\n');
}

/** The report as JSON text (it is plain data already). */
export function formatVerifyReportJson(report: VerifyReport, indent?: number): string {
  return JSON.stringify(report, null, indent);
}

/** What `store.saveVerifyResult(jobId, ...)` takes for one result. */
export function verifyRecordOf(result: StreamVerifyResult): { stream: string; verifier: string; outcome: string; report: StreamVerifyResult } {
  return { stream: result.stream, verifier: result.verifier, outcome: result.outcome, report: result };
}
