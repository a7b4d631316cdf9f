/**
 * `ferry reports` and `ferry reports show`, in-process with in-memory stores: the listing's lines (JSON and the
 * terminal table), a plan verification and a job verification rendered again as the verify command printed them,
 * and the errors (unknown id, bad flags).
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { outcomeText, reportLine, reportsTable, verifyReportFromResults, type ReportLine } from '../../../src/cli/reports.js';
import type { OpenConnectors } from '../../../src/engine/index.js';
import { captureIo, itemsPlanDir } from '../../support/cli-harness.js';
import { MemorySink, MemorySinkData } from '../../support/memory-sink.js';
import { MemorySource } from '../../support/memory-source.js';
import { MemoryTargetSource } from '../../support/memory-target-source.js';

let dir: string;
let planFile: string;
let db: string;

const capture = (isTTY = false): ReturnType<typeof captureIo> => captureIo(dir, isTTY);

function jsonLines(io: { stdout: string[] }): Record<string, unknown>[] {
  return io.stdout.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function deps(data: MemorySinkData) {
  return {
    openConnectors: async (): Promise<OpenConnectors> => ({
      source: new MemorySource({ streams: { items: { count: 50 } } }),
      sink: new MemorySink({ data }),
      async [Symbol.asyncDispose]() {},
    }),
    openTargetSource: async () => new MemoryTargetSource(data),
  };
}

beforeEach(() => {
  ({ dir, db, planFile } = itemsPlanDir('ferry-reports-', ['verify: [count, checksum]'], 'postgres://ferry:hunter2@127.0.0.1/db'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const line = (over: Partial<ReportLine>): ReportLine => ({ id: 'x', at: '2026-11-28T10:00:00.000Z', kind: 'dry-run', plan: 'p', outcome: 'ready', streams: 2, ...over });

describe('reports: pure formatting', () => {
  it('reads a dry run as ok / N blockers (with warnings), a verification as its outcome', () => {
    expect(outcomeText(line({ blockers: 0, warnings: 0 }))).toBe('ok');
    expect(outcomeText(line({ blockers: 0, warnings: 2 }))).toBe('ok, 2 warnings');
    expect(outcomeText(line({ outcome: 'blocked', blockers: 1, warnings: 1 }))).toBe('1 blocker, 1 warning');
    expect(outcomeText(line({ outcome: 'blocked', blockers: 3, warnings: 0 }))).toBe('3 blockers');
    expect(outcomeText(line({ outcome: 'blocked', blockers: 0 }))).toBe('blocked');
    expect(outcomeText(line({ kind: 'verify', outcome: 'differ' }))).toBe('differ');
  });

  it('a JSON line leaves out what does not apply; the table has one line per report', () => {
    expect(reportLine({ id: 'vr-1', kind: 'verify', planName: 'p', at: 't', outcome: 'match', streams: 2, checks: 4 })).toEqual({
      id: 'vr-1',
      at: 't',
      kind: 'verify',
      plan: 'p',
      outcome: 'match',
      streams: 2,
      checks: 4,
    });
    const text = reportsTable([
      line({ id: 'dr-1', outcome: 'blocked', blockers: 2, warnings: 0 }),
      line({ id: 'vr-2', kind: 'verify', outcome: 'match', checks: 4 }),
      line({ id: '20261128-100000-abcdef', kind: 'verify', outcome: 'differ', checks: 1, streams: 1, job: '20261128-100000-abcdef' }),
    ]).split('\n');
    expect(text).toHaveLength(4);
    expect(text[0]).toMatch(/^id\s+when\s+kind\s+plan\s+outcome\s+streams$/);
    expect(text[1]).toMatch(/^dr-1\s+2026-11-28T10:00:00.000Z\s+dry-run\s+p\s+2 blockers\s+2$/);
    expect(text[2]).toMatch(/\bverify\s+p\s+match\s+2 \(4 checks\)$/);
    expect(text[3]).toMatch(/verify \(job\)\s+p\s+differ\s+1 \(1 check\)$/);
  });

  it('rebuilds a verification report from its stored results (duration: their sum)', () => {
    const r = (outcome: string, durationMs: number) => ({ report: { stream: 's', verifier: 'count', outcome, durationMs } });
    expect(verifyReportFromResults([r('match', 5), r('inconclusive', 7)])).toMatchObject({ outcome: 'inconclusive', durationMs: 12 });
    expect(verifyReportFromResults([r('inconclusive', 1), r('differ', 1)]).outcome).toBe('differ');
    expect(verifyReportFromResults([])).toEqual({ outcome: 'match', results: [], durationMs: 0 });
  });
});

describe('ferry reports (in-process)', () => {
  it('with no state DB: nothing listed, nothing created; show says how to find ids', async () => {
    const io = capture();
    expect(await main(['reports', '--state', db], io)).toBe(0);
    expect(io.stdout).toEqual([]);
    const tty = capture(true);
    expect(await main(['reports', '--state', db], tty)).toBe(0);
    expect(tty.stdout.join('\n')).toContain('no stored reports');
    expect(fs.existsSync(db)).toBe(false);
    const show = capture();
    expect(await main(['reports', 'show', 'vr-nope', '--state', db], show)).toBe(1);
    expect(show.stderr.join('\n')).toMatch(/no stored report "vr-nope"[\s\S]*fix: `ferry reports` lists the ids/);
  });

  it('lists a plan verification and a job verification, and prints each again as ferry verify did', async () => {
    const data = new MemorySinkData();
    const run = capture();
    expect(await main(['run', planFile, '--state', db], run, deps(data))).toBe(0);
    const jobId = (jsonLines(run).find((e) => e.type === 'job.start') as { jobId: string }).jobId;
    data.rows('items').delete('id=7');
    const verify = capture();
    expect(await main(['verify', planFile, '--state', db], verify, deps(data))).toBe(1);
    const done = jsonLines(verify).find((e) => e.type === 'verify.done') as { runId: string; report: { outcome: string; results: unknown[]; durationMs: number } };

    const list = capture();
    expect(await main(['reports', '--state', db], list)).toBe(0);
    expect(jsonLines(list)).toEqual([
      { id: done.runId, at: expect.any(String), kind: 'verify', plan: 'items-copy', outcome: 'differ', streams: 1, checks: 2 },
      { id: jobId, at: expect.any(String), kind: 'verify', plan: 'items-copy', outcome: 'match', streams: 1, checks: 2, job: jobId },
    ]);
    const limited = capture();
    expect(await main(['reports', '--state', db, '--limit', '1'], limited)).toBe(0);
    expect(jsonLines(limited).map((l) => l.id)).toEqual([done.runId]);
    expect(limited.stderr.join('\n')).toContain('showing the newest 1');
    const dryOnly = capture();
    expect(await main(['reports', '--state', db, '--kind', 'dry-run'], dryOnly)).toBe(0);
    expect(dryOnly.stdout).toEqual([]);

    const show = capture();
    expect(await main(['reports', 'show', done.runId, '--state', db], show)).toBe(0);
    const shown = JSON.parse(show.stdout.join('\n')) as { type: string; plan: string; report: typeof done.report };
    expect(shown).toMatchObject({ type: 'verify.report', plan: 'items-copy', planPath: planFile });
    expect(shown.report.outcome).toBe(done.report.outcome);
    expect(shown.report.results).toEqual(done.report.results);
    expect(shown.report.durationMs).toBeLessThanOrEqual(done.report.durationMs);

    const text = capture(true);
    expect(await main(['reports', 'show', done.runId, '--state', db], text)).toBe(0);
    expect(text.stdout.join('\n')).toMatch(/^verification: differ/);
    expect(text.stdout.join('\n')).toContain('missing: items: id=7');

    const job = capture();
    expect(await main(['reports', 'show', jobId, '--state', db, '--format', 'md'], job)).toBe(0);
    const md = job.stdout.join('\n');
    expect(md).toMatch(/^# ferry verification: match/);
    expect(md).toContain(jobId);
    for (const out of [list, show, text, job]) expect([...out.stdout, ...out.stderr].join('\n')).not.toContain('hunter2');
  });

  it('a job never verified, a malformed id and bad flags are errors with a fix', async () => {
    const data = new MemorySinkData();
    fs.writeFileSync(planFile, fs.readFileSync(planFile, 'utf8').replace('verify: [count, checksum]', 'verify: []'));
    const run = capture();
    expect(await main(['run', planFile, '--state', db], run, deps(data))).toBe(0);
    const jobId = (jsonLines(run).find((e) => e.type === 'job.start') as { jobId: string }).jobId;
    const none = capture();
    expect(await main(['reports', 'show', jobId, '--state', db], none)).toBe(1);
    expect(none.stderr.join('\n')).toContain(`\`ferry verify ${jobId}\` verifies it`);
    const bad = capture();
    expect(await main(['reports', 'show', 'whatever', '--state', db], bad)).toBe(1);
    expect(bad.stderr.join('\n')).toContain('ids look like dr-…, vr-… or a job id');
    expect(await main(['reports', '--limit', '0', '--state', db], capture())).toBe(2);
    expect(await main(['reports', '--kind', 'bench', '--state', db], capture())).toBe(2);
    expect(await main(['reports', 'show', jobId, '--format', 'pdf', '--state', db], capture())).toBe(2);
  });
});
