import { FerryError } from '../../../src/errors.js';
import { expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewJob } from '../../../src/core/checkpoint.js';
import { openStateStore, type SqliteStateStore, type StateStoreOptions } from '../../../src/state/index.js';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ferry-state-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function newJob(over: Partial<NewJob> = {}): NewJob {
  return {
    planName: 'invoices-to-dynamodb',
    planHash: 'sha256:abc',
    planPath: 'plans/invoices-to-dynamodb.yaml',
    kind: 'migration',
    planText: 'source:\n  url: ${env:SOURCE_PGURL}\n',
    ...over,
  };
}

export function segments(stream: string, total: number, target = 'Invoices') {
  return Array.from({ length: total }, (_, i) => ({
    id: `${stream}#${i}/${total}`,
    stream,
    index: i,
    total,
    spec: { from: i * 100, to: (i + 1) * 100 },
    target,
  }));
}

/** A controllable clock. */
export function clock(start = Date.parse('2026-11-28T07:36:12.000Z')) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}

export function memStore(opts: StateStoreOptions = {}): SqliteStateStore {
  return openStateStore(':memory:', opts);
}

/** Run fn and return the FerryError it throws (fails the test if it throws nothing or something else). */
export function caught(fn: () => unknown): FerryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return e as FerryError;
  }
  throw new Error('expected a FerryError');
}

/** Await fn's promise and return the FerryError it rejects with (fails the test if it resolves or rejects otherwise). */
export async function rejection(fn: () => Promise<unknown>): Promise<FerryError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return e as FerryError;
  }
  throw new Error('expected a FerryError');
}
