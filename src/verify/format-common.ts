/**
 * What every rendering of a verification report shares (text, Markdown, HTML): labels, the summary sentence, the
 * difference lists in a fixed order, and how a changed field reads (`unit_price 0.99 → 1.99`).
 */
import type { ChangedRecord, FieldDifference, KeyList, StreamVerifyResult, VerifyReport } from './report.js';

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `public.track → track`. */
export function streamLabel(r: StreamVerifyResult): string {
  return `${r.source.stream} → ${r.target.stream}`;
}

/** `checksum`, `sample(500)`. */
export function verifierLabel(r: StreamVerifyResult): string {
  return r.verifier === 'sample' && r.sampleSize !== undefined ? `sample(${r.sampleSize})` : r.verifier;
}

/** `all 22 checks match` / `1 of 22 differ, 2 of 22 inconclusive`. */
export function summaryText(report: VerifyReport): string {
  const rs = report.results;
  const differ = rs.filter((r) => r.outcome === 'differ').length;
  const unsure = rs.filter((r) => r.outcome === 'inconclusive').length;
  if (report.outcome === 'match') return `all ${plural(rs.length, 'check')} match`;
  return [differ > 0 ? `${differ} of ${rs.length} differ` : '', unsure > 0 ? `${unsure} of ${rs.length} inconclusive` : ''].filter(Boolean).join(', ');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export type DiffKind = 'missing' | 'extra' | 'changed';

export const KIND_TEXT: Record<DiffKind, string> = {
  missing: 'in the source, not in the target',
  extra: 'in the target, not in the source',
  changed: 'in both, with different values',
};

/** A result's key lists in report order, with how many keys go unlisted. */
export function diffLists(r: StreamVerifyResult): { kind: DiffKind; list: KeyList; unlisted: number }[] {
  const lists: [DiffKind, KeyList][] = [
    ['missing', r.missing],
    ['extra', r.extra],
    ['changed', r.changed],
  ];
  return lists.filter(([, l]) => l.total > 0).map(([kind, list]) => ({ kind, list, unlisted: list.total - list.keys.length }));
}

/** The differing fields of each listed changed key. */
export function changedByKey(r: StreamVerifyResult): Map<string, ChangedRecord> {
  return new Map((r.changedFields ?? []).map((c) => [c.key, c]));
}

/** `unit_price 0.99 → 1.99`. */
export function fieldText(f: FieldDifference): string {
  return `${f.path} ${f.source} → ${f.target}`;
}

/** The columns of the results table, and one row per result. */
export const RESULT_HEAD = ['STREAM', 'VERIFIER', 'OUTCOME', 'SOURCE', 'TARGET', 'ABSENT', 'MISSING', 'EXTRA', 'CHANGED'];

export function resultRow(r: StreamVerifyResult): string[] {
  return [
    streamLabel(r),
    verifierLabel(r),
    r.outcome,
    String(r.source.count),
    String(r.target.count),
    String(r.expectedAbsent),
    String(r.missing.total),
    String(r.extra.total),
    String(r.changed.total),
  ];
}
