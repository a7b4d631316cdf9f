/**
 * A problem found in a plan, pinned to the file, line and column of the YAML that caused it, printed compiler-style
 * (`FILE:LINE:COLUMN: path.to.key: what is wrong`) so editors and terminals can jump to it.
 */

export type PathSegment = string | number;

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Dotted path of the key at fault (`streams[0].map.rename`); empty for the document as a whole. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['streams', 0, 'map', 'a.b']` → `streams[0].map["a.b"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENT.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}: `;
  const level = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}${level}${d.path ? `${d.path}: ` : ''}${d.message}`;
}

/** One line per diagnostic, in file order. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return sortDiagnostics(diagnostics).map(formatDiagnostic).join('\n');
}

/** File order, errors before warnings at the same spot; exact repeats dropped. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const k = `${d.file}\0${d.line}\0${d.column}\0${d.path}\0${d.message}\0${d.severity}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}
