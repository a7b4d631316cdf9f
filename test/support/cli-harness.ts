/**
 * In-process CLI tests (`main(argv, ctx)` with in-memory connectors): a captured Io, and a temporary directory with
 * the `items-copy` plan (PostgreSQL `items` → DynamoDB) the tests run, its state DB path beside it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../../src/cli/output.js';

export function captureIo(cwd: string, isTTY = false): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), isTTY, env: {}, cwd };
}

/** A fresh directory holding `plan.yaml`: the items-copy plan with `more` lines after its stream. */
export function itemsPlanDir(prefix: string, more: string[], url = 'postgres://ferry@127.0.0.1/db'): { dir: string; db: string; planFile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const planFile = path.join(dir, 'plan.yaml');
  fs.writeFileSync(
    planFile,
    [
      'version: 1',
      'kind: migration',
      'name: items-copy',
      `source: { type: postgres, url: "${url}" }`,
      'target: { type: dynamodb, region: us-east-1 }',
      'streams:',
      '  - from: items',
      ...more,
      '',
    ].join('\n'),
  );
  return { dir, db: path.join(dir, 'ferry.db'), planFile };
}
