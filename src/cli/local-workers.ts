/**
 * `ferry run PLAN --workers N`: the job recorded once, then N `ferry worker` processes on this machine, exactly what
 * N machines would run. The state location reaches them by FERRY_STATE (a URL's password never sits in argv). Each
 * worker runs in its own process group and this process forwards each SIGINT/SIGTERM once, so the first Ctrl-C
 * drains every worker and a second aborts them, as for a single runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { JobRecord } from '../core/checkpoint.js';
import type { StateStore } from '../core/state-store.js';
import { EXIT } from '../errors.js';
import type { CliContext } from './context.js';
import { formatCount } from './output.js';

const BIN = fileURLToPath(new URL('../../bin/ferry.js', import.meta.url));

export async function runLocalWorkers(
  ctx: CliContext,
  opts: { store: StateStore; job: JobRecord; workers: number; state: string; json: boolean; leaseTtlSeconds?: number },
): Promise<number> {
  const { io } = ctx;
  const children: ChildProcess[] = [];
  const codes: (number | null)[] = [];
  const exited = Array.from({ length: opts.workers }, (_, i) => {
    const args = [BIN, 'worker', opts.job.id, '--json', ...(opts.leaseTtlSeconds !== undefined ? ['--lease-ttl', String(opts.leaseTtlSeconds)] : [])];
    const child = spawn(process.execPath, args, {
      cwd: io.cwd,
      env: { ...process.env, ...io.env, FERRY_STATE: opts.state },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    createInterface({ input: child.stderr! }).on('line', (line) => io.err(`[worker ${i + 1}] ${line}`));
    // JSON events pass through when asked for; on a terminal the totals below say more than N streams of events.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (opts.json) io.out(line);
    });
    return new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        codes[i] = code ?? (signal ? EXIT.INTERRUPTED : EXIT.FAILED);
        resolve();
      });
      child.on('error', (e) => {
        io.err(`[worker ${i + 1}] could not start: ${e.message}`);
        codes[i] = EXIT.FAILED;
        resolve();
      });
    });
  });
  io.err(`ferry: job ${opts.job.id}: ${opts.workers} workers started (pids ${children.map((c) => c.pid).join(', ')}); \`ferry status ${opts.job.id}\` shows who holds what`);

  const forward = (sig: NodeJS.Signals): void => {
    for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const ticker = opts.json ? undefined : setInterval(() => void progress(ctx, opts.store, opts.job.id), 5000);
  try {
    await Promise.all(exited);
  } finally {
    if (ticker) clearInterval(ticker);
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
  const job = await opts.store.getJob(opts.job.id);
  if (!opts.json) io.out(`job ${opts.job.id} ${job?.status ?? 'unknown'}; workers exited ${codes.join(', ')}`);
  // The worst outcome wins: a failure over an interruption over success (the finisher's verification included).
  if (codes.includes(EXIT.FAILED)) return EXIT.FAILED;
  const other = codes.find((c) => c !== EXIT.OK);
  return other ?? EXIT.OK;
}

async function progress(ctx: CliContext, store: StateStore, jobId: string): Promise<void> {
  try {
    const t = await store.jobTotals(jobId);
    ctx.io.err(`ferry: segments ${t.done}/${t.segments} done (${t.running} running), items ${formatCount(t.items)}, dead letters ${formatCount(t.rejected)}`);
  } catch {
    // Progress only.
  }
}
