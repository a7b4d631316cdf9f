/**
 * `ferry verify JOB|PLAN` flags, in-process with in-memory stores: --checksum, --sample N, --max-diffs N,
 * --format text|md|json|html, --out FILE; a job's results kept with the job, a plan's as a plan verification.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { verifiersFromArgs } from '../../../src/cli/verify.js';
import type { OpenConnectors } from '../../../src/engine/index.js';
import { openStateStore } from '../../../src/state/index.js';
import { captureIo, itemsPlanDir } from '../../support/cli-harness.js';
import { MemorySink, MemorySinkData } from '../../support/memory-sink.js';
import { MemorySource } from '../../support/memory-source.js';
import { MemoryTargetSource } from '../../support/memory-target-source.js';

const COUNT = 400;
let dir: string;
let planFile: string;
let db: string;

const capture = (isTTY = false): ReturnType<typeof captureIo> => captureIo(dir, isTTY);

function events(io: { stdout: string[] }): { type: string; [k: string]: unknown }[] {
  return io.stdout.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{"')).map((l) => JSON.parse(l));
}

function deps(data: MemorySinkData) {
  return {
    openConnectors: async (): Promise<OpenConnectors> => ({
      source: new MemorySource({ streams: { items: { count: COUNT } } }),
      sink: new MemorySink({ data }),
      async [Symbol.asyncDispose]() {},
    }),
    openTargetSource: async () => new MemoryTargetSource(data),
  };
}

interface Result {
  verifier: string;
  outcome: string;
  sampleSize?: number;
  changed: { total: number; keys: string[] };
  missing: { total: number; keys: string[] };
  changedFields?: { key: string; fields: { path: string; source: string; target: string }[] }[];
}

function doneReport(io: { stdout: string[] }): { outcome: string; results: Result[] } {
  return (events(io).find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string; results: Result[] } }).report;
}

beforeEach(() => {
  ({ dir, db, planFile } = itemsPlanDir('ferry-verify-', ['limits: { concurrency: 2, batch_size: 50 }', 'verify: [count]']));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run the plan, then change 5 rows and delete 3 behind ferry's back. */
async function loadedAndTampered(): Promise<{ data: MemorySinkData; jobId: string }> {
  const data = new MemorySinkData();
  const io = capture();
  expect(await main(['run', planFile, '--state', db], io, deps(data))).toBe(0);
  const jobId = (events(io).find((e) => e.type === 'job.start') as unknown as { jobId: string }).jobId;
  const rows = data.rows('items');
  for (const i of [10, 20, 30, 40, 50]) rows.set(`id=${i}`, { id: i, name: `changed ${i}` });
  for (const i of [7, 8, 9]) rows.delete(`id=${i}`);
  return { data, jobId };
}

describe('ferry verify flags', () => {
  it('--checksum --max-diffs 2: 2 keys listed of each larger total, with the changed fields; kept with the job', async () => {
    const { data, jobId } = await loadedAndTampered();
    const v = capture();
    expect(await main(['verify', jobId, '--state', db, '--checksum', '--max-diffs', '2'], v, deps(data))).toBe(1);
    const report = doneReport(v);
    expect(report.results.map((r) => r.verifier)).toEqual(['count', 'checksum']);
    const checksum = report.results[1]!;
    expect(checksum.changed).toEqual({ total: 5, keys: ['id=10', 'id=20'] });
    expect(checksum.missing).toEqual({ total: 3, keys: ['id=7', 'id=8'] });
    expect(checksum.changedFields).toEqual([
      { key: 'id=10', fields: [{ path: 'name', source: '"r10"', target: '"changed 10"' }] },
      { key: 'id=20', fields: [{ path: 'name', source: '"r20"', target: '"changed 20"' }] },
    ]);
    const store = openStateStore(db);
    const kept = (await store.verifyResults(jobId)).filter((r) => r.verifier === 'checksum');
    await store.close();
    expect(kept.at(-1)!.report).toMatchObject({ changed: { total: 5 }, changedFields: checksum.changedFields });
  });

  it('prints the text report with the changed fields on a terminal', async () => {
    const { data, jobId } = await loadedAndTampered();
    const v = capture(true);
    expect(await main(['verify', jobId, '--state', db, '--with', 'checksum', '--max-diffs', '1'], v, deps(data))).toBe(1);
    const text = v.stdout.join('\n');
    expect(text).toContain('    changed: items: id=10: name "r10" → "changed 10"\n    … 4 more changed');
    expect(text).toContain('    missing: items: id=7\n    … 2 more missing');
  });

  it('--sample N runs count and a sample of about N records', async () => {
    const { data, jobId } = await loadedAndTampered();
    const v = capture();
    await main(['verify', jobId, '--state', db, '--sample', '100'], v, deps(data));
    expect(doneReport(v).results.map((r) => [r.verifier, r.sampleSize])).toEqual([
      ['count', undefined],
      ['sample', 100],
    ]);
  });

  it('--format md --out and --format html --out write files; stdout keeps the JSON line naming the file', async () => {
    const { data, jobId } = await loadedAndTampered();
    const v = capture();
    expect(await main(['verify', jobId, '--state', db, '--checksum', '--format', 'md', '--out', 'report.md'], v, deps(data))).toBe(1);
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md.startsWith('# ferry verification: differ')).toBe(true);
    expect(md).toContain(`- Job: \`${jobId}\``);
    expect(md).toContain('- `id=10`\n  - `name`: `"r10"` → `"changed 10"`');
    expect(events(v).find((e) => e.type === 'verify.done')).toMatchObject({ out: path.join(dir, 'report.md') });

    const h = capture();
    expect(await main(['verify', jobId, '--state', db, '--checksum', '--format', 'html', '--out', 'report.html'], h, deps(data))).toBe(1);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
    expect(html).toContain('&quot;changed 10&quot;');
  });

  it('--format html without --out prints the page alone on stdout (notes go to stderr)', async () => {
    const { data, jobId } = await loadedAndTampered();
    const v = capture();
    expect(await main(['verify', jobId, '--state', db, '--checksum', '--format', 'html'], v, deps(data))).toBe(1);
    const out = v.stdout.join('\n');
    expect(out.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(out.trimEnd().endsWith('</html>')).toBe(true);
    expect(v.stderr.join('\n')).toContain('verifying: count, checksum');
  });

  it('a plan file is verified as its stores stand, its results kept as a plan verification', async () => {
    const { data } = await loadedAndTampered();
    const v = capture();
    expect(await main(['verify', planFile, '--state', db, '--checksum', '--max-diffs', '0'], v, deps(data))).toBe(1);
    const done = events(v).find((e) => e.type === 'verify.done') as unknown as { runId: string; report: { results: Result[] } };
    expect(done.runId).toMatch(/^vr-/);
    // No job here: the 3 deleted rows are missing, not expected absent; no keys listed with --max-diffs 0.
    expect(done.report.results[1]).toMatchObject({ missing: { total: 3, keys: [] }, changed: { total: 5, keys: [] } });
    expect(done.report.results[1]!.changedFields).toBeUndefined();
    const store = openStateStore(db);
    const rows = await store.planVerifyResults({ runId: done.runId });
    await store.close();
    expect(rows.map((r) => [r.planName, r.verifier, r.outcome])).toEqual([
      ['items-copy', 'count', 'differ'],
      ['items-copy', 'checksum', 'differ'],
    ]);
    expect(rows[0]!.planPath).toBe(planFile);
  });

  it('a plan verified where no state DB exists yet creates one for its results', async () => {
    const { data } = await loadedAndTampered();
    const fresh = path.join(dir, 'sub', 'fresh.db');
    const v = capture();
    await main(['verify', planFile, '--state', fresh, '--with', 'count'], v, deps(data));
    const store = openStateStore(fresh);
    expect(await store.planVerifyResults({ planName: 'items-copy' })).toHaveLength(1);
    await store.close();
  });

  it('refuses bad values before reading anything', async () => {
    const data = new MemorySinkData();
    for (const bad of [
      ['--max-diffs', '-1'],
      ['--max-diffs', '1.5'],
      ['--sample', '0'],
      ['--format', 'pdf'],
      ['--out', path.join(dir, 'no', 'such', 'dir', 'r.md')],
    ]) {
      const v = capture();
      const code = await main(['verify', planFile, '--state', db, ...bad], v, deps(data));
      expect(code, bad.join(' ')).toBe(2);
    }
  });
});

describe('verifiersFromArgs', () => {
  it('combines --with and the shortcuts, each once, count first; else the plan, else count + checksum', () => {
    expect(verifiersFromArgs({ checksum: true }, ['count'])).toEqual(['count', 'checksum']);
    expect(verifiersFromArgs({ sample: 50 }, undefined)).toEqual(['count', { sample: 50 }]);
    expect(verifiersFromArgs({ checksum: true, sample: 50, with: ['checksum'] }, undefined)).toEqual(['count', 'checksum', { sample: 50 }]);
    expect(verifiersFromArgs({ with: ['sample'] }, ['count'])).toEqual(['sample']);
    expect(verifiersFromArgs({}, ['count', { sample: 9 }])).toEqual(['count', { sample: 9 }]);
    expect(verifiersFromArgs({}, [])).toEqual(['count', 'checksum']);
  });
});
