/**
 * The CLI's own job handling — Ctrl-C draining, a second Ctrl-C aborting, exit codes, resume, refusing to restart an
 * unfinished plan, dead letters — run in-process with the engine's in-memory source and sink standing in for stores.
 */
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { OpenConnectors } from '../../../src/engine/index.js';
import { captureIo, itemsPlanDir } from '../../support/cli-harness.js';
import { MemorySink, MemorySinkData, type MemorySinkOptions } from '../../support/memory-sink.js';
import { MemorySource } from '../../support/memory-source.js';
import { MemoryTargetSource } from '../../support/memory-target-source.js';

const COUNT = 3000;
let dir: string;
let planFile: string;
let db: string;

const capture = (): ReturnType<typeof captureIo> => captureIo(dir);

function events(io: { stdout: string[] }): { type: string; jobId: string }[] {
  return io.stdout.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

function opener(data: MemorySinkData, sink: Omit<MemorySinkOptions, 'data'> = {}, slowMs = 2) {
  return async (): Promise<OpenConnectors> => {
    const source = new MemorySource({ streams: { items: { count: COUNT } }, beforeBatch: () => delay(slowMs) });
    const s = new MemorySink({ ...sink, data });
    return { source, sink: s, async [Symbol.asyncDispose]() {} };
  };
}

function deps(data: MemorySinkData, sink: Omit<MemorySinkOptions, 'data'> = {}, slowMs = 2) {
  return { openConnectors: opener(data, sink, slowMs), openTargetSource: async () => new MemoryTargetSource(data) };
}

/** Send SIGINT `times` times once `after` batches have been committed. */
function interruptAfter(io: { stdout: string[] }, after: number, times: number): () => void {
  let sent = false;
  const timer = setInterval(() => {
    if (sent) return;
    if (events(io).filter((e) => e.type === 'batch').length >= after) {
      sent = true;
      for (let i = 0; i < times; i++) process.emit('SIGINT', 'SIGINT');
    }
  }, 1);
  return () => clearInterval(timer);
}

beforeEach(() => {
  ({ dir, db, planFile } = itemsPlanDir('ferry-run-', ['limits: { concurrency: 2, batch_size: 50 }', 'on_error: { max_rejected: 0 }', 'verify: [count, checksum]']));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ferry run / resume', () => {
  it('Ctrl-C drains, exits 130, says how to resume; resume finishes with exactly the source set', async () => {
    const data = new MemorySinkData();
    const io = capture();
    const stop = interruptAfter(io, 3, 1);
    const code = await main(['run', planFile, '--state', db], io, deps(data));
    stop();
    expect(code).toBe(130);
    const jobId = events(io).find((e) => e.type === 'job.start')!.jobId;
    expect(io.stderr.join('\n')).toContain(`ferry resume ${jobId}`);
    const partial = data.rows('items').size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(COUNT);

    const st = capture();
    expect(await main(['status', jobId, '--json', '--state', db], st)).toBe(0);
    const view = JSON.parse(st.stdout.join('')) as { status: string; items: number };
    expect(view.status).toBe('interrupted');
    // Checkpoint after flush: what the state says was written is all durable.
    expect(view.items).toBeLessThanOrEqual(partial);

    const io2 = capture();
    expect(await main(['resume', jobId, '--state', db], io2, deps(data))).toBe(0);
    const rows = data.rows('items');
    expect(rows.size).toBe(COUNT);
    for (let i = 0; i < COUNT; i++) expect(rows.get(`id=${i}`)).toEqual({ id: i, name: `r${i}` });
    const done = events(io2).find((e) => e.type === 'job.done') as unknown as { summary: { status: string; items: number } };
    expect(done.summary).toMatchObject({ status: 'succeeded', items: COUNT });

    // A finished job cannot be resumed again.
    const io3 = capture();
    expect(await main(['resume', jobId, '--state', db], io3, deps(data))).toBe(1);
    expect(io3.stderr.join('\n')).toContain('already succeeded');
  });

  it('a second Ctrl-C aborts at once; the job is still resumable to the exact set', async () => {
    const data = new MemorySinkData();
    const io = capture();
    const stop = interruptAfter(io, 2, 2);
    const code = await main(['run', planFile, '--state', db], io, deps(data, {}, 5));
    stop();
    expect(code).toBe(130);
    const jobId = events(io).find((e) => e.type === 'job.start')!.jobId;
    expect(await main(['resume', jobId, '--state', db], capture(), deps(data))).toBe(0);
    expect(data.rows('items').size).toBe(COUNT);
  });

  it('running an unchanged plan whose job is unfinished offers resume instead of starting over (exit 2)', async () => {
    const data = new MemorySinkData();
    const io = capture();
    const stop = interruptAfter(io, 1, 1);
    expect(await main(['run', planFile, '--state', db], io, deps(data))).toBe(130);
    stop();
    const jobId = events(io).find((e) => e.type === 'job.start')!.jobId;
    const again = capture();
    expect(await main(['run', planFile, '--state', db], again, deps(data))).toBe(2);
    const err = again.stderr.join('\n');
    expect(err).toContain(`unfinished job ${jobId}`);
    expect(err).toContain(`ferry resume ${jobId}`);
    expect(err).toContain('--new');
    // --new starts a second job.
    const fresh = capture();
    expect(await main(['run', planFile, '--state', db, '--new'], fresh, deps(data))).toBe(0);
    expect(events(fresh).find((e) => e.type === 'job.start')!.jobId).not.toBe(jobId);
  });

  it('dead-letters --json lists every dead letter past the terminal\'s 1,000, and the table says how to see the rest', async () => {
    const data = new MemorySinkData();
    const reject = (item: { key: Record<string, unknown> }) => (Number(item.key.id) % 2 === 0 ? `even id ${String(item.key.id)}` : undefined);
    const first = capture();
    expect(await main(['run', planFile, '--state', db], first, deps(data, { onWrite: () => ({ reject }) }))).toBe(1);
    const jobId = events(first).find((e) => e.type === 'job.start')!.jobId;
    expect(await main(['resume', jobId, '--state', db, '--max-rejected', String(COUNT)], capture(), deps(data, { onWrite: () => ({ reject }) }))).toBe(0);
    const all = capture();
    expect(await main(['dead-letters', jobId, '--json', '--state', db], all)).toBe(0);
    const rows = JSON.parse(all.stdout.join('\n')) as { key: string; id: number }[];
    expect(rows.length).toBeGreaterThanOrEqual(COUNT / 2); // a resume may re-reject an in-flight batch
    expect(new Set(rows.map((r) => r.key)).size).toBe(COUNT / 2);
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
    const some = capture();
    expect(await main(['dead-letters', jobId, '--json', '--limit', '1200', '--state', db], some)).toBe(0);
    expect((JSON.parse(some.stdout.join('\n')) as unknown[]).length).toBe(1200);
    const shown = capture();
    expect(await main(['dead-letters', jobId, '--state', db], shown)).toBe(0);
    expect(shown.stdout.join('\n')).toContain(`… ${rows.length - 1000} more; raise --limit, or --json lists every one`);
  });

  it('dead letters over on_error.max_rejected fail the job (exit 1) and are listed with reason and key', async () => {
    const data = new MemorySinkData();
    const io = capture();
    const reject = (item: { key: Record<string, unknown> }) => (Number(item.key.id) === 42 ? 'item too large: 500 KB > 400 KB' : undefined);
    const code = await main(['run', planFile, '--state', db], io, deps(data, { onWrite: () => ({ reject }) }));
    expect(code).toBe(1);
    const err = io.stderr.join('\n');
    expect(err).toMatch(/max_rejected/);
    const jobId = events(io).find((e) => e.type === 'job.start')!.jobId;
    expect(err).toContain(`ferry resume ${jobId}`);
    const dl = capture();
    expect(await main(['dead-letters', jobId, '--json', '--state', db], dl)).toBe(0);
    const rows = JSON.parse(dl.stdout.join('')) as { key: string; reason: string; stream: string }[];
    expect(rows).toEqual([expect.objectContaining({ key: 'id=42', reason: 'item too large: 500 KB > 400 KB' })]);
    expect(err).toContain(`ferry resume ${jobId} --max-rejected N`);

    // Resuming with the same limit stops at once; raising it finishes the job with the rest written.
    expect(await main(['resume', jobId, '--state', db], capture(), deps(data, { onWrite: () => ({ reject }) }))).toBe(1);
    const io2 = capture();
    expect(await main(['resume', jobId, '--state', db, '--max-rejected', '1'], io2, deps(data, { onWrite: () => ({ reject }) }))).toBe(0);
    expect(data.rows('items').size).toBe(COUNT - 1);
    expect(data.rows('items').has('id=42')).toBe(false);
  });

  it('verifies after the load; `ferry verify JOB` names a changed, a missing and an extra key and exits 1', async () => {
    const data = new MemorySinkData();
    const io = capture();
    expect(await main(['run', planFile, '--state', db], io, deps(data))).toBe(0);
    const done = events(io).find((e) => e.type === 'verify.done') as unknown as { jobId: string; report: { outcome: string; results: { verifier: string; outcome: string }[] } };
    expect(done.report.outcome).toBe('match');
    expect(done.report.results.map((r) => [r.verifier, r.outcome])).toEqual([
      ['count', 'match'],
      ['checksum', 'match'],
    ]);
    const jobId = done.jobId;

    const rows = data.rows('items');
    rows.set('id=7', { id: 7, name: 'tampered' });
    rows.delete('id=8');
    rows.set('id=99999', { id: 99999, name: 'stray' });
    const v = capture();
    expect(await main(['verify', jobId, '--state', db], v, deps(data))).toBe(1);
    const report = (events(v).find((e) => e.type === 'verify.done') as unknown as { report: { outcome: string; results: { verifier: string; missing: { keys: string[] }; extra: { keys: string[] }; changed: { keys: string[] } }[] } }).report;
    expect(report.outcome).toBe('differ');
    const checksum = report.results.find((r) => r.verifier === 'checksum')!;
    expect(checksum.changed.keys).toEqual(['id=7']);
    expect(checksum.missing.keys).toEqual(['id=8']);
    expect(checksum.extra.keys).toEqual(['id=99999']);

    // The results are kept with the job.
    const st = capture();
    expect(await main(['status', jobId, '--json', '--state', db], st)).toBe(0);
    expect(JSON.parse(st.stdout.join(''))).toMatchObject({ verification: 'differ' });
  });
});
