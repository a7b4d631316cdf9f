import { FerryError } from '../errors.js';
import { formatDiagnostics, sortDiagnostics, type Diagnostic } from './diagnostics.js';

/**
 * A plan that cannot be used. Carries every problem found (not just the first), so one `ferry plan check` shows
 * them all; its message is the formatted list.
 */
export class PlanError extends FerryError {
  /** Errors and warnings, in file order. */
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], opts: { cause?: unknown } = {}) {
    const sorted = sortDiagnostics(diagnostics);
    super('PLAN_INVALID', formatDiagnostics(sorted), {
      hint: '`ferry plan schema` prints every key a plan may have',
      details: { errors: sorted.filter((d) => d.severity === 'error').length },
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
    this.diagnostics = sorted;
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }

  /** `FILE:LINE:COLUMN: path: message`, one a line. */
  format(): string {
    return formatDiagnostics(this.diagnostics);
  }
}

export function isPlanError(e: unknown): e is PlanError {
  return e instanceof PlanError;
}
