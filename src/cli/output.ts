import { FerryError, exitCodeFor, isFerryError, redact } from '../errors.js';

/** Where the CLI writes; injectable so tests can run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
};

/** One clear sentence, the fix, and a stack trace only with --debug. Returns the exit code. */
export function reportError(io: Io, e: unknown, debug: boolean): number {
  if (isFerryError(e)) {
    // Plan errors already carry their own file:line:column lines.
    io.err(redact(`ferry: ${e.message}`));
    if (e.hint) io.err(redact(`  fix: ${e.hint}`));
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    io.err(redact(`ferry: unexpected error: ${msg}`));
    if (!debug) io.err('  fix: run again with --debug for details, and report it if it persists');
  }
  if (debug && e instanceof Error && e.stack) io.err(redact(e.stack));
  return exitCodeFor(e);
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export function usageError(message: string, hint?: string): FerryError {
  return new FerryError('USAGE', message, hint === undefined ? {} : { hint });
}

/** Fixed-width table for terminals: columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
