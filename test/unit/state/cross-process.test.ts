/**
 * Cross-process locking: real child processes (node, not threads) open the same state file through the store's own
 * code, transpiled to plain JS for them, and race for the runner lock.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, type SqliteStateStore } from '../../../src/state/index.js';
import { rejection, newJob, segments, tempDir } from './helpers.js';
import { claimed } from '../../support/claimed.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const CHILD = join(here, 'fixtures', 'lease-child.mjs');
const TTL = 30_000;
const SEG = 'public.invoice#0/1';

/** Transpile src/errors.ts, the core contract and src/state/** into `out` so a plain `node` process can import them. */
function transpileStateModule(out: string): string {
  const state = (readdirSync(join(repo, 'src/state'), { recursive: true }) as string[]).map((f) => `src/state/${f}`);
  const files = ['src/errors.ts', 'src/core/checkpoint.ts', 'src/core/state-errors.ts', 'src/util/network-errors.ts', ...state];
  for (const rel of files.filter((f) => f.endsWith('.ts'))) {
    const js = ts.transpileModule(readFileSync(join(repo, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: rel,
    }).outputText;
    const dest = join(out, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'), 'dir');
  return pathToFileURL(join(out, 'src/state/index.js')).href;
}

interface Reply {
  ok: boolean;
  result?: unknown;
  code?: string;
  message?: string;
}

class Runner {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';
  pid = 0;

  constructor(moduleUrl: string, dbPath: string) {
    this.proc = spawn(process.execPath, [CHILD, moduleUrl, dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.proc.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
  }

  private next(): Promise<string> {
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`child did not answer; stderr: ${this.stderr}`)), 10_000);
      this.waiting.push((line) => {
        clearTimeout(timer);
        ok(line);
      });
    });
  }

  async ready(): Promise<this> {
    const hello = JSON.parse(await this.next()) as { pid: number };
    this.pid = hello.pid;
    return this;
  }

  async send(cmd: string, args: Record<string, unknown> = {}): Promise<Reply> {
    const answer = this.next();
    this.proc.stdin.write(JSON.stringify({ cmd, ...args }) + '\n');
    return JSON.parse(await answer) as Reply;
  }

  kill9(): Promise<void> {
    return new Promise((ok) => {
      this.proc.once('exit', () => ok());
      this.proc.kill('SIGKILL');
    });
  }

  stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve();
    return new Promise((ok) => {
      this.proc.once('exit', () => ok());
      this.proc.stdin.end();
    });
  }
}


describe('runner lock across processes', () => {
  let moduleUrl: string;
  let dropBuild: () => void;
  let dbPath: string;
  let dropDb: () => void;
  let store: SqliteStateStore;
  let jobId: string;
  const runners: Runner[] = [];

  beforeAll(async () => {
    const t = tempDir('ferry-state-build-');
    dropBuild = t.cleanup;
    moduleUrl = transpileStateModule(t.dir);
  });
  afterAll(() => dropBuild());

  beforeEach(async () => {
    const t = tempDir();
    dropDb = t.cleanup;
    dbPath = join(t.dir, 'ferry.db');
    store = openStateStore(dbPath);
    jobId = (await store.createJob(newJob())).id;
    await store.ensureSegments(jobId, segments('public.invoice', 1));
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await store.close();
    dropDb();
  });

  const runner = async () => {
    const r = new Runner(moduleUrl, dbPath);
    runners.push(r);
    return r.ready();
  };

  it('a lock held by another live process refuses this one, naming its pid and host', async () => {
    const child = await runner();
    const got = await child.send('acquire', { jobId, ttl: TTL });
    expect(got.ok).toBe(true);
    expect(got.result).toMatchObject({ holder: { pid: child.pid, host: hostname() } });

    const e = (await rejection(() => store.acquireRunner(jobId, TTL)));
    expect(e.code).toBe('JOB_LOCKED');
    expect(e.message).toMatch(new RegExp(`^job ${jobId} is being run by pid ${child.pid} on host .+ since \\d{4}-`));
    expect((await store.runnerOf(jobId))?.pid).toBe(child.pid);

    expect((await child.send('commit', { segmentId: SEG, cursor: 'c1' })).ok).toBe(true);
    expect((await store.listSegments(jobId))[0]).toMatchObject({ cursor: 'c1', items: 1 });
  });

  it('of processes racing for one job, exactly one wins', async () => {
    const racers = await Promise.all([runner(), runner(), runner(), runner()]);
    for (let round = 0; round < 3; round++) {
      const job = round === 0 ? jobId : (await store.createJob(newJob())).id;
      const replies = await Promise.all(racers.map((r) => r.send('acquire', { jobId: job, ttl: TTL })));
      const winners = replies.flatMap((rep, i) => (rep.ok ? [racers[i]!] : []));
      expect(winners).toHaveLength(1);
      for (const rep of replies.filter((r) => !r.ok)) {
        expect(rep.code).toBe('JOB_LOCKED');
        expect(rep.message).toContain(`pid ${winners[0]!.pid} `);
      }
      expect((await store.events(job)).filter((e) => e.type === 'runner.takeover')).toHaveLength(0);
    }
  });

  it('after the lease expires another process takes over, and the live old holder cannot commit or renew', async () => {
    const child = await runner();
    expect((await child.send('acquire', { jobId, ttl: TTL })).ok).toBe(true);
    expect((await child.send('commit', { segmentId: SEG, cursor: 'c1' })).ok).toBe(true);

    const later = openStateStore(dbPath, { now: () => Date.now() + TTL + 1_000 });
    try {
      const lease = await later.acquireRunner(jobId, TTL);
      expect(lease.holder.pid).toBe(process.pid);
      const take = (await later.events(jobId)).find((e) => e.type === 'runner.takeover');
      expect(take?.data).toMatchObject({ previous: { pid: child.pid }, reason: 'expired' });

      const commit = await child.send('commit', { segmentId: SEG, cursor: 'stale' });
      expect(commit).toMatchObject({ ok: false, code: 'JOB_LOCKED' });
      expect(commit.message).toContain(`pid ${process.pid}`);
      expect(await child.send('renew', { ttl: TTL })).toMatchObject({ ok: false, code: 'JOB_LOCKED' });
      expect((await later.listSegments(jobId))[0]).toMatchObject({ cursor: 'c1', items: 1 });
    } finally {
      await later.close();
    }
  });

  it('a runner killed with SIGKILL leaves its progress, and its lock is taken over at once on this host', async () => {
    const child = await runner();
    expect((await child.send('acquire', { jobId, ttl: TTL })).ok).toBe(true);
    expect((await child.send('commit', { segmentId: SEG, cursor: 'c1' })).ok).toBe(true);
    expect((await child.send('commit', { segmentId: SEG, cursor: 'c2' })).ok).toBe(true);
    await child.kill9();

    expect((await store.listSegments(jobId))[0]).toMatchObject({ cursor: 'c2', items: 2 });
    expect(await store.runnerOf(jobId)).toBeUndefined();
    const lease = await store.acquireRunner(jobId, TTL); // the lease has not expired: the holder is gone
    const take = (await store.events(jobId)).find((e) => e.type === 'runner.takeover');
    expect(take?.data).toMatchObject({ previous: { pid: child.pid }, reason: 'holder-gone' });
    await store.commit(await claimed(store, lease, SEG), { cursor: 'c3', items: 1, bytes: 1, deadLetters: [], done: true });
    expect((await store.listSegments(jobId))[0]).toMatchObject({ cursor: 'c3', items: 3, status: 'done' });
  });
});
