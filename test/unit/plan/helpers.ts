import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { PlanError, type Diagnostic } from '../../../src/plan/index.js';

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The PlanError a load throws (fails the test if it resolves or throws something else). */
export async function planErrorOf(load: () => unknown): Promise<PlanError> {
  try {
    await load();
  } catch (e) {
    expect(e).toBeInstanceOf(PlanError);
    return e as PlanError;
  }
  throw new Error('expected the plan to be rejected');
}

export interface Expected {
  line: number;
  column: number;
  path: string;
  /** A fragment of the message. */
  message: string;
}

/** `[line, column, path, message]`-style comparison that reads well in test failures. */
export function expectDiagnostics(actual: readonly Diagnostic[], expected: readonly Expected[]): void {
  const errors = actual.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.line}:${d.column} ${d.path}`)).toEqual(expected.map((e) => `${e.line}:${e.column} ${e.path}`));
  errors.forEach((d, i) => expect(d.message).toContain(expected[i]!.message));
}
